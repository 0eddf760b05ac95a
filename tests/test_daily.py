"""The daily monitoring report (监听日报): a day as a period, the day's tables, and the page as
its readers see it in Chromium at 1366x900 (page one on one screen)."""

from __future__ import annotations

import pandas as pd
import pytest

from qaworkbench import scoring
from qaworkbench.errors import QAWError
from qaworkbench.periods import parse_period, previous
from qaworkbench.privacy import find_unmasked
from qaworkbench.reporting.display import FOLD_ROWS
from qaworkbench.reporting.runner import run_report
from qaworkbench.stats import clustered_intervals

from .conftest import CHROMIUM, CHROMIUM_ARGS

DAY, EMPTY_DAY = "2026-06-10", "2026-07-02"  # the small center's evaluations end on 07-01
# Where page one ends on the screen (px): the lowest bottom of its figures, headings, notes and
# tables, all that starts above the first section after it.
PAGE_ONE_BOTTOM = """(() => {
  const next = document.getElementById('sec-autoqa_flags').getBoundingClientRect().top;
  let bottom = 0;
  for (const e of document.querySelectorAll('.qaw-headline, table.qaw-table, h2.qaw-section, p')) {
    const r = e.getBoundingClientRect();
    if (r.top < next && r.bottom > bottom) bottom = r.bottom;
  }
  return bottom;
})()"""


def test_a_day_is_a_period_and_the_day_before_is_its_previous():
    p = parse_period("2026-03-01")
    assert (p.kind, p.start, p.end, p.month) == (
        "day", pd.Timestamp("2026-03-01"), pd.Timestamp("2026-03-02"), "2026-03"
    )  # fmt: skip
    assert previous(p).label == "2026-02-28" and previous(previous(p)).kind == "day"
    with pytest.raises(QAWError, match="no such day"):
        parse_period("2026-02-30")


def test_a_daily_report_needs_a_day(small_dir):
    from qaworkbench.reporting.contents import build

    with pytest.raises(ValueError, match="needs a day like 2026-10-21"):
        build("daily", small_dir, "2026-06")


def test_daily_owed_counts_the_sample_due_by_the_day_not_yet_evaluated(tmp_path):
    """Due on or before the day and not evaluated by its end is owed; due later is not yet
    planned; no sample.csv says so (the page says to run qaw sample)."""
    from qaworkbench.data.load import Center
    from qaworkbench.reporting.daily import owed_by

    d = tmp_path / "samples" / "2026-10"
    d.mkdir(parents=True)
    pd.DataFrame(
        [("C1", "A1", "T", "2026-10-20", "Q1"), ("C2", "A1", "T", "2026-10-21", "Q1"),
         ("C3", "A1", "T", "2026-10-21", "Q1"), ("C4", "A1", "T", "2026-10-22", "Q1")],
        columns=["contact_id", "agent_id", "team", "due", "evaluator_id"],
    ).to_csv(d / "sample.csv", index=False, encoding="utf-8-sig")  # fmt: skip
    ev = pd.DataFrame({
        "evaluation_id": ["E1", "E3", "E4"], "contact_id": ["C1", "C3", "C4"], "agent_id": "A1",
        "evaluator_id": "Q1", "mode": "post_call",
        "evaluated_at": pd.to_datetime(["2026-10-20 10:00", "2026-10-22 09:00", "2026-10-21 08:00"]),
    })  # fmt: skip
    center = Center({"evaluations": ev, "evaluators": pd.DataFrame(
        {"evaluator_id": ["Q1"], "name": ["王质检"]})}, [], "x")  # fmt: skip
    owed, state = owed_by(center, parse_period("2026-10-21"), "", tmp_path / "samples")
    assert state == "sampled"
    assert owed[["evaluator", "planned", "done", "owed"]].values.tolist() == [["王质检", 3, 1, 2]]
    _, state = owed_by(center, parse_period("2026-11-02"), "", tmp_path / "samples")
    assert state == "no_sample"


def _day_evaluations(tables: dict[str, pd.DataFrame], day: str) -> pd.DataFrame:
    scored, _ = scoring.score_evaluations(
        tables["evaluations"], tables["evaluation_items"], tables["appeals"]
    )
    p = parse_period(day)
    ev = scored[(scored["evaluated_at"] >= p.start) & (scored["evaluated_at"] < p.end)]
    ev = ev[ev["mode"] != "calibration"]
    return ev.merge(tables["agents"][["agent_id", "team"]], on="agent_id")


@pytest.fixture(scope="module")
def daily_pages(tmp_path_factory, small_dir):
    """The daily report of a day with evaluations in both languages and of a day without, read
    in Chromium at 1366x900: text, page-one figures and where the first section after page one
    begins."""
    from playwright.sync_api import sync_playwright

    out = tmp_path_factory.mktemp("daily")
    shots = tmp_path_factory.mktemp("daily-shots")
    read = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        for day, lang in ((DAY, "zh"), (DAY, "en"), (EMPTY_DAY, "zh")):
            pub = run_report("daily", day, data=str(small_dir), language=lang, reports_dir=out)
            page.goto(pub.html.as_uri())
            shot = shots / f"{day}-{lang}.png"
            page.screenshot(path=str(shot))  # the first screen only
            read[(day, lang)] = {
                "serious_bottom": page.evaluate(
                    "() => { const h = document.getElementById('sec-serious').closest('.jp-Cell');"
                    " const t = h.querySelector('table.qaw-table');"
                    " return t ? t.getBoundingClientRect().bottom : 0; }"
                ),
                "html": pub.html.read_text(encoding="utf-8"),
                "text": page.inner_text("body"),
                "headline": page.locator(".qaw-headline").inner_text(),
                "page_one_bottom": page.evaluate(PAGE_ONE_BOTTOM),
                "shot": shot,
                "path": pub.path,
            }
        browser.close()
    index = (out / "index.html").read_text(encoding="utf-8")
    return read, index


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_daily_page_one_states_the_days_n_and_mean(daily_pages, small_tables, lang):
    read, index = daily_pages
    got = read[(DAY, lang)]
    ev = _day_evaluations(small_tables, DAY)
    assert len(ev) > 0
    head = got["headline"]
    said = {"zh": f"当日质检 {len(ev)} 次（{ev['agent_id'].nunique()} 名坐席），平均分 "
                  f"{ev['score'].mean():.1f}",
            "en": f"{len(ev)} evaluations of {ev['agent_id'].nunique()} agents, mean score "
                  f"{ev['score'].mean():.1f}"}  # fmt: skip
    assert said[lang] in head
    iv = clustered_intervals(ev, None).iloc[0]
    assert f"{iv['lo']:.1f}–{iv['hi']:.1f}" in head  # the day's 95% interval
    serious = ev[(ev["score"] < 80) | ev["critical_failed"]]
    assert len(serious) > 0
    n = {"zh": f"需今日处理的严重问题 {len(serious)} 起", "en": f"{len(serious)} serious finding"}
    assert n[lang] in head
    text = got["text"]
    assert all(c in text for c in serious["contact_id"])  # each listed, customer masked
    who = small_tables["evaluators"].set_index("evaluator_id")["name"]
    rows = {ln.split("\t")[3]: ln for ln in text.splitlines() if ln.count("\t") >= 7}
    for c, e in zip(serious["contact_id"], serious["evaluator_id"], strict=True):
        assert rows[c].endswith(f"\t{who[e]}"), rows[c]  # the evaluator by name, not by id
    assert find_unmasked(got["html"]) == [] and "Traceback" not in got["html"]
    for team, g in ev.groupby("team"):  # each team's n and mean on page one
        assert f"{team}\t{g['agent_id'].nunique()}\t{len(g)}\t{g['score'].mean():.1f}" in text
    heads = {"zh": ["当日各班组得分", "新增底线违规", "需今日处理的严重问题", "自动质检预警",
                    "分时段服务水平", "抽样计划待完成"],
             "en": ["Team scores of the day", "New bottom-line violations", "Serious findings",
                    "Auto-QA red flags", "Service level by interval", "What the sample still owes"]}  # fmt: skip
    at = [text.rindex(h) for h in heads[lang]]  # (the contents list names them first)
    assert at == sorted(at)
    why = {"zh": ("本月尚未运行自动质检", "请运行 qaw sample"),
           "en": ("Auto-QA (qaw autoqa) has not run", "run qaw sample")}  # fmt: skip
    assert all(w in text for w in why[lang])  # empty sections say why
    assert f"daily/{DAY}/center/{lang}/report.html" in index


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_daily_page_one_fits_one_screen(daily_pages, lang):
    """Figures, team scores, bottom-line cases and serious findings above the fold at 1366x900:
    the last of them ends within the screen's 900 px."""
    got = daily_pages[0][(DAY, lang)]
    assert 0 < got["serious_bottom"] <= got["page_one_bottom"] <= 900  # its last table measured
    assert got["shot"].stat().st_size > 20_000  # a real screenshot of the first screen


@pytest.mark.slow
def test_a_day_without_evaluations_publishes_and_says_so(daily_pages, small_tables):
    assert _day_evaluations(small_tables, EMPTY_DAY).empty
    got = daily_pages[0][(EMPTY_DAY, "zh")]
    assert f"{EMPTY_DAY} 没有质检记录（不含校准）：没有当日得分" in got["headline"]
    assert "服务水平：当日没有呼入。" in got["headline"]
    assert "平均分" not in got["headline"]


@pytest.mark.slow
def test_the_daily_page_and_appendix_are_whole_and_masked(daily_pages):
    import json

    got = daily_pages[0][(DAY, "en")]
    page = got["html"]
    assert 'class="qaw-toc"><ol><li>' in page and "Parameters are described" not in page
    assert "<script src=" not in page
    run = json.loads((got["path"] / "run.json").read_text(encoding="utf-8"))
    assert run["status"] == "published" and run["kind"] == "daily"
    sheets = pd.read_excel(got["path"] / "appendix.xlsx", sheet_name=None)
    assert "Service level by interval" in sheets  # (a sheet's name is cut at 31 characters)
    assert any(n.startswith("Serious findings") for n in sheets) and len(sheets) == 7
    assert find_unmasked(" ".join(df.to_csv() for df in sheets.values())) == []
    assert not list(got["path"].glob("*.pkl*"))
    flags = page[page.index('id="sec-autoqa_flags"') : page.index('id="sec-service_level"')]
    rows = flags.count("<tr") - flags.count("<thead>")
    assert rows <= FOLD_ROWS or flags.count("<details") >= 1  # a long list folded per team


def test_many_teams_sit_side_by_side_whole_and_in_order():
    """20 teams (the demo center's): three tables of at most 7 rows, each with its header,
    every team once, in order; 8 teams or fewer stay one table."""
    from qaworkbench.reporting.daily import side_by_side

    teams = pd.DataFrame({"team": [f"T{i:02d}" for i in range(20)], "agents": 3, "n": 5,
                          "mean": 90.0, "lo": 85.0, "hi": 95.0})  # fmt: skip
    page = side_by_side(teams, "en").data
    assert page.count("<table") == 3 and page.count("<th>team</th>") == 3
    at = [page.index(f">T{i:02d}<") for i in range(20)]
    assert at == sorted(at) and all(page.count(f">T{i:02d}<") == 1 for i in range(20))
    assert page.split("<table")[1].count("<tr>") == 1 + 7  # header and 7 teams


def test_intervals_that_missed_the_service_level_stand_out():
    """Of 96 half-hours the reader looks for the few that missed: those rows are marked (red on
    the page), the ones that met the target are not."""
    from qaworkbench.reporting import display

    sl = pd.DataFrame({"interval_start": ["09:00", "09:30", "10:00"], "channel": "voice",
                       "offered": [100, 120, 90], "answered_in_time": [85, 80, 88],
                       "service_level": [0.85, 0.667, 0.978],
                       "target": ["met", "missed", "met"]})  # fmt: skip
    page = display.table(sl, "zh").data
    rows = page.split("<tbody>")[1].split("</tr>")[:3]
    assert ["qaw-bad" in r for r in rows] == [False, True, False]
    assert "未达标" in rows[1] and "missed" not in page


@pytest.mark.slow
def test_daily_autoqa_flags_follow_the_monthly_reports_trust(tmp_path, small_dir):
    """After ``qaw autoqa`` the daily report reads the month's results and judges each rule as
    the monthly report does: on the small center every rule is advisory, so no red flag is
    listed and the state says why (not "has not run")."""
    import shutil

    from click.testing import CliRunner

    from qaworkbench.cli import main
    from qaworkbench.reporting.contents import build

    data = tmp_path / "center"
    shutil.copytree(small_dir, data)
    before = build("daily", data, DAY, language="en")
    assert before.tables["day_headline"]["autoqa_state"].iloc[0] == "not_run"
    out = CliRunner().invoke(main, ["autoqa", "--month", "2026-06", "--data", str(data)])
    assert out.exit_code == 0, out.output
    day = build("daily", data, DAY, language="en")
    month = build("monthly", data, "2026-06", language="en")
    counted = month.tables["autoqa"]["trust"] == "counted"
    state = day.tables["day_headline"]["autoqa_state"].iloc[0]
    if not counted.any():  # the small center's case
        assert state == "none_trusted" and day.tables["autoqa_flags"].empty
    else:  # only counted rules flag
        assert state in ("flagged", "none_flagged")
        assert set(day.tables["autoqa_flags"]["rule"]) <= set(
            month.tables["autoqa"]["rule"][counted]
        )


@pytest.mark.slow
def test_the_daily_page_holds_one_language(daily_pages, small_tables):
    """No column id or raw code on either page; the English page has no Chinese but the
    center's own words (team, agent and evaluator names; item names quoting the words to say)."""
    import re

    own = set(small_tables["agents"]["team"]) | set(small_tables["agents"]["name"])
    own |= set(small_tables["evaluators"]["name"])
    from qaworkbench.scoring.scorecard import scorecard_versions

    items = scoring.item_table(scorecard_versions())
    own |= set(items["item_en"])
    for lang in ("zh", "en"):
        text = daily_pages[0][(DAY, lang)]["text"]
        assert not re.findall(r"\b[a-z]+_[a-z_]+\b", text)
        if lang == "en":
            for x in sorted(own, key=len, reverse=True):
                text = text.replace(x, " ")
            assert not re.findall(r"[\u3400-\u9fff]", text), text[:200]
        else:  # English only in the commands it names
            words = set(re.findall(r"\b[A-Za-z]{2,}\b", text))
            assert words <= {"qaw", "sample", "autoqa"}, words


def test_a_teams_daily_gives_the_interval_the_centers_daily_gives_that_team(
    small_dir, small_tables
):
    """One number per day: a team's page and the center's team table agree (the interval's
    floor is the center's within-agent spread on both)."""
    from qaworkbench.reporting.contents import build

    ev = small_tables["evaluations"]
    busiest = ev.groupby(ev["evaluated_at"].dt.strftime("%Y-%m-%d"))["agent_id"].nunique()
    day = busiest.idxmax()  # a day with a team of three agents or more
    center = build("daily", small_dir, day).tables["day_teams"].set_index("team")
    judged = center.dropna(subset=["lo"])  # a team with an interval (3 agents or more)
    assert len(judged)
    team = judged["agents"].idxmax()
    mine = build("daily", small_dir, day, team=team).tables
    row, head = mine["day_teams"].set_index("team").loc[team], mine["day_headline"].iloc[0]
    for c in ("n", "mean", "lo", "hi"):
        assert row[c] == pytest.approx(center.at[team, c]) and head[c] == pytest.approx(row[c])
