"""Markup in every text field and id of a center's data never runs in a page a reader opens:
the published reports, the reports' index and the dashboards' views, read in Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaworkbench.data.load import save_center

from .conftest import needs_chromium

pytestmark = [
    pytest.mark.slow,
    needs_chromium,
]
XSS = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, small_tables) -> Path:
    """The small center with markup in team names, agent and evaluator names, comments, topics,
    and an agent id with quotes, #, ? and a slash."""
    t = {k: v.copy() for k, v in small_tables.items()}
    team = t["agents"]["team"].iat[0]
    for name in ("agents",):
        t[name]["team"] = t[name]["team"].replace(team, f"{team}{XSS}'\"#?")
    t["agents"]["name"] = t["agents"]["name"] + SCRIPT
    t["evaluators"]["name"] = t["evaluators"]["name"] + XSS
    items = t["evaluation_items"]
    items["comment"] = items["comment"].where(items["comment"].isna(), items["comment"] + SCRIPT)
    t["contacts"]["topic"] = t["contacts"]["topic"] + XSS
    d = tmp_path_factory.mktemp("hostile") / "center"
    save_center(t, d)
    return d


def read(browser, url: str | None = None, content: str | None = None) -> tuple[list, str]:
    """Open a page (a file URL or HTML content); the dialogs any script raised, and its text."""
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    if url:
        page.goto(url)
    else:
        page.set_content(content)
    page.wait_for_timeout(300)
    text = page.inner_text("body")
    page.close()
    return dialogs, text


def test_reports_and_index_show_markup_as_text(browser, hostile, tmp_path, small_tables):
    from qaworkbench.reporting.runner import run_report

    team = small_tables["agents"]["team"].iat[0] + f"{XSS}'\"#?"
    out = tmp_path / "reports"
    month = sorted(small_tables["evaluations"]["evaluated_at"].dt.strftime("%Y-%m").unique())[-1]
    pages = [
        run_report("monthly", month, data=str(hostile), reports_dir=out),
        run_report("weekly", "2026-W24", data=str(hostile), team=team, reports_dir=out),
    ]
    for p in pages:
        dialogs, text = read(browser, url=p.html.resolve().as_uri())
        assert dialogs == [], p.html
        assert "<img src=x onerror=alert(1)>" in text or "<script>" in text  # shown, not run
    dialogs, text = read(browser, url=(out / "index.html").as_uri())
    assert dialogs == [] and XSS in text
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "%23" in page and "%3F" in page  # the team's # and ? do not cut the link


def test_dashboard_views_show_markup_as_text(browser, hostile, tmp_path):
    from qaworkbench import coaching
    from qaworkbench.dashboards import views
    from qaworkbench.dashboards.coaching_page import CoachingPage
    from qaworkbench.dashboards.meeting_page import MeetingPage

    d = views.DashboardData(hostile)
    store = coaching.connect(f"sqlite:///{tmp_path / 'c.db'}")
    coaching.add_action(store, d.roster.index[0], [d.items_of(d.roster.index[0])[0]],
                        f"复习口径{XSS}", coaching_due(), f"李{SCRIPT}")  # fmt: skip
    page = CoachingPage(d, store)
    page.open({"agent": d.roster.index[0]})
    meeting = MeetingPage(d, store)
    meeting.open({})
    meeting.item.value = meeting.item.options[1][1]
    for out in (page.head, page.view, meeting.top, meeting.pareto, meeting.drill, meeting.rest):
        html = "".join(o["data"]["text/html"] for o in out.outputs)
        dialogs, text = read(browser, content=f"<html><body>{html}</body></html>")
        assert dialogs == []
        names_none = out is meeting.pareto or out is meeting.top  # the center's figures only
        assert "onerror" in text or "<script>" in text or names_none
    labels = " ".join(str(o[0]) for o in page.agent.options + page.team.options)
    assert SCRIPT in labels  # widget labels are text: ipywidgets never parses them as HTML


def coaching_due():
    from datetime import date, timedelta

    return date.today() + timedelta(days=7)
