"""The dashboards' pages in-process: what each view puts into its Output widgets, the messages
for links that cannot be shown, and the coaching form (scorecard items, preselection, saving
once, editing and closing with an audit trail).

The views set the widget's outputs directly and never capture with ``with out:``; under Voila
that capture makes the notebook client write to the kernel's shell socket while it waits for
the cell's reply, and page loads then hang (see ``views.show``). Outside a kernel a
capturing view leaves ``out.outputs`` empty, so these tests fail on one.
"""

from __future__ import annotations

import re
import shutil
import wave
from datetime import timedelta

import ipywidgets as w
import pandas as pd
import pytest

from qaworkbench import coaching
from qaworkbench.dashboards import coaching_page, meeting_page, views
from qaworkbench.dashboards import meeting_sections as ms
from qaworkbench.dashboards.coaching_page import CoachingPage
from qaworkbench.dashboards.meeting_page import MeetingPage
from qaworkbench.privacy import find_unmasked
from qaworkbench.reporting import i18n


@pytest.fixture(scope="module")
def center(tmp_path_factory, small_dir):
    d = tmp_path_factory.mktemp("views") / "center"
    shutil.copytree(small_dir, d)
    return d


@pytest.fixture(scope="module")
def data(center):
    return views.DashboardData(center)


@pytest.fixture(scope="module")
def data_en(center):
    return views.DashboardData(center, "en")


@pytest.fixture
def store(tmp_path):
    return coaching.connect(f"sqlite:///{tmp_path / 'c.db'}")


def html_of(out: w.Output) -> str:
    return "".join(o["data"].get("text/html", "") for o in out.outputs)


def busiest(data) -> str:
    """The agent with the most evaluations in the default month."""
    m = data.regular[data.regular["month"] == data.default_month]
    return m["agent_id"].value_counts().index[0]


def test_the_agent_page_shows_header_figures_first_then_the_detail(data, store):
    page = CoachingPage(data, store)
    agent = busiest(data)
    page.open({"agent": agent})
    top, text = html_of(page.head), html_of(page.view)
    assert page.view.msg_id == page.head.msg_id == ""  # never captured
    assert re.search(rf'<h2 id="agent-title">[^<]*（{agent}）', top)
    head = top.index('id="qaw-header"')
    assert top.index('id="agent-title"') < head  # the agent, then the figures
    assert text.index("<table") < text.index("<svg")  # the detail: deductions, then history
    row = data.agent_month.set_index(["agent_id", "month"]).loc[(agent, data.default_month)]
    assert f"{row['mean']:.1f}" in top[head : top.index("</div></div>", head)]
    assert f"{int(row['n'])} 次质检" in top
    assert find_unmasked(top + text) == []
    assert page.msg.value == ""


def test_a_link_without_an_agent_asks_for_one(data, store):
    """Opened without ``?agent=`` the page said "opening…" for ever, with the forms of no one;
    it asks for an agent instead, and a team change shows an agent of that team."""
    page = CoachingPage(data, store)
    page.open({})
    assert "请选择班组和坐席" in page.msg.value and "正在打开" not in page.msg.value
    assert page.view.outputs == () and page.forms.layout.display == "none"
    page.agent.value = page.agent.options[0][1]  # the lead picks an agent: the view opens
    assert "agent-title" in html_of(page.head) and page.msg.value == ""
    page.team.value = next(t for t in data.teams if t != page.team.value)
    shown = page.agent.value
    assert shown in dict(map(reversed, data.agents_of(page.team.value)))
    assert shown in html_of(page.head) and page.msg.value == ""


def test_a_redraw_replaces_what_was_shown(data, store):
    page = CoachingPage(data, store)
    first, second = data.roster.index[:2]
    page.open({"agent": first})
    page.open({"agent": second})
    assert f"（{second}）" in html_of(page.head) and f"（{first}）" not in html_of(page.head)


def test_an_agent_without_evaluations_that_month_gets_a_message_not_an_error(data, store):
    evaluated = set(data.regular[data.regular["month"] == data.months[0]]["agent_id"])
    agent = next(a for a in data.roster.index if a not in evaluated)
    page = CoachingPage(data, store)
    page.open({"agent": agent, "month": data.months[0]})
    text = html_of(page.view)
    assert "该坐席本月没有质检记录" in text and "无法显示" not in text
    assert 'id="agent-title"' in html_of(page.head)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"agent": "A9999"}, "A9999 不在花名册中"),
        ({"agent": "<b>x</b>"}, "&lt;b&gt;x&lt;/b&gt; 不在花名册中"),
        ({"month": "2026-13"}, "月份 2026-13 无法识别"),
        ({"month": "last"}, "月份 last 无法识别"),
        ({"month": "2019-01"}, "2019-01 没有质检数据"),
    ],
)
def test_a_link_that_cannot_be_shown_says_so_at_the_top_and_draws_nothing(
    data, store, query, expected
):
    page = CoachingPage(data, store)
    page.open(query)
    assert expected in page.msg.value and "qaw-error" in page.msg.value
    assert page.view.outputs == ()
    assert page.forms.layout.display == "none"
    page.agent.value = next(a for _, a in page.agent.options if a != page.agent.value)
    assert page.msg.value == "" and page.view.outputs != ()  # choosing an agent recovers


def test_the_form_offers_the_agents_own_scorecard_with_the_most_deducted_items_preselected(
    data, store
):
    page = CoachingPage(data, store)
    for agent in data.roster.index:
        page.open({"agent": agent})
        offered = [i for _, i in page.items.options]
        assert offered and set(offered) == set(data.items_of(agent))
        card = data.agent_card.get(agent)
        if card:
            assert set(offered) == set(data.scorecard_items[card])
        ded = coaching_page.agent_deductions(data, agent, data.default_month)
        most = ded[ded["fails"] > 0]["item_id"].tolist()[: coaching_page.PRESELECT]
        assert list(page.items.value) == most
    chat_card = set(data.scorecard_items["online_chat"])
    voice_agent = next(a for a, c in data.agent_card.items() if c == "hotline_voice")
    assert not chat_card & set(data.items_of(voice_agent))  # no chat items for a voice agent


def filled_form(data, store, agreed: str) -> tuple[CoachingPage, str]:
    """The coaching page on the busiest agent with the new-action form filled in, not saved."""
    page = CoachingPage(data, store)
    agent = busiest(data)
    page.open({"agent": agent})
    page.items.value = page.items.value or (page.items.options[0][1],)
    page.agreed.value = agreed
    page.who.value = "李班长"
    return page, agent


def test_a_double_click_saves_once_and_the_form_clears(data, store):
    page, agent = filled_form(data, store, "每天上班前复习资费口径，班长周五抽听两通")
    page.save.click()
    page.save.click()  # the second click of a double click
    acts = coaching.actions(store, agent)
    assert len(acts) == 1
    assert "已保存" in page.note.value
    assert page.agreed.value == "" and page.save.disabled
    assert "每天上班前复习资费口径" in html_of(page.view)
    page.agreed.value = "第二项措施：每周复盘一次"  # writing again enables saving again
    assert not page.save.disabled
    page.save.click()
    assert len(coaching.actions(store, agent)) == 2


def test_the_same_form_key_saves_once_across_connections(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    due = views_today() + timedelta(days=3)
    a = coaching.add_action(
        coaching.connect(url), "A1", ["X"], "复习口径", due, "L", request_id="k"
    )
    b = coaching.add_action(
        coaching.connect(url), "A1", ["X"], "复习口径", due, "L", request_id="k"
    )
    assert a == b and len(coaching.actions(coaching.connect(url))) == 1


def views_today():
    return coaching_page.views_today()


def test_bad_form_input_is_refused_in_the_pages_language(data, data_en, store):
    for d, expected in ((data, "请写明约定的改进措施"), (data_en, "write what was agreed")):
        page = CoachingPage(d, store)
        page.open({"agent": busiest(d)})
        page.items.value = ()
        page.agreed.value = ""
        page.save.click()
        assert expected in page.note.value and "qaw-error" in page.note.value
        assert coaching.actions(store).empty
        assert not page.save.disabled  # fix and save again


def test_an_action_is_edited_and_closed_with_who_and_when_kept(data, store):
    page, agent = filled_form(data, store, "复习资费口径")
    page.save.click()
    action_id = int(coaching.actions(store, agent)["action_id"].iat[0])
    assert page.action.value == action_id  # the newest action is chosen
    page.status.value = "done"
    page.outcome.value = ""
    page.who2.value = "王主管"
    page.update.click()
    assert "关闭措施时请写明结果" in page.note2.value  # closing needs an outcome
    page.outcome.value = "两周内未再出现资费解释错误"
    page.update.click()
    assert "已更新" in page.note2.value
    again = coaching.connect(str(store.url))  # a new session reads it back
    act = coaching.actions(again, agent).iloc[0]
    assert (act["status"], act["outcome"], act["updated_by"]) == (
        "done",
        "两周内未再出现资费解释错误",
        "王主管",
    )
    assert act["agreed"] == "复习资费口径" and act["created_by"] == "李班长"  # the original is kept
    trail = coaching.updates(again, agent)
    assert trail["status"].tolist() == ["done"] and trail["updated_at"].notna().all()
    text = html_of(page.view)
    assert "已完成" in text and "修改记录" in text and "王主管" in text
    assert page.action.value == action_id and page.status.value == "done"  # as it now stands


def test_chat_transcripts_are_shown_masked_and_recordings_play_from_the_folder(
    data, store, tmp_path
):
    chat = next(iter(data.chats))
    agent = data.regular.loc[data.regular["contact_id"] == chat, "agent_id"].iat[0]
    month = data.regular.loc[data.regular["contact_id"] == chat, "month"].iat[0]
    page = CoachingPage(data, store)
    page.open({"agent": agent, "month": month})
    text = html_of(page.view)
    assert f"<summary>{chat}" in text and 'class="qaw-turn"' in text
    assert find_unmasked(text) == []

    voice = data.regular[~data.regular["contact_id"].isin(data.chats)].iloc[0]
    ref = data.contacts.at[voice["contact_id"], "recording_ref"]
    path = tmp_path / ref
    path.parent.mkdir(parents=True)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1), f.setsampwidth(2), f.setframerate(8000)
        f.writeframes(b"\0\0" * 800)
    page = CoachingPage(data, store, recordings=tmp_path)
    page.open({"agent": voice["agent_id"], "month": voice["month"]})
    text = html_of(page.view)
    assert '<audio controls preload="none" src="data:audio/wav;base64,' in text
    assert "不在录音目录中" in text  # the other calls of the month have no file: referenced


def test_a_recording_ref_cannot_leave_the_recordings_folder(tmp_path):
    (tmp_path / "secret.wav").write_bytes(b"RIFF")
    inner = tmp_path / "rec"
    inner.mkdir()
    html = coaching_page._audio("../secret.wav", inner, "en")
    assert "<audio" not in html and "not in the recordings folder" in html


def test_meeting_shows_headline_evaluators_status_completion_and_drills(data, store):
    page = MeetingPage(data, store)
    page.open({})
    text = html_of(page.top) + html_of(page.rest)
    assert 'id="meeting-title"' in text
    for label in (
        "班组与趋势",
        "质检员：宽严度与校准",
        "校准结果",
        "坐席状态变化",
        "质检计划完成情况",
    ):
        assert label in text, label
    assert text.index("qaw-headline") < text.index("班组与趋势")
    assert "<svg" in html_of(page.pareto)
    item = page.item.options[1][1]
    page.item.value = item
    assert 'id="drill-title"' in html_of(page.drill)
    assert find_unmasked(html_of(page.drill)) == []
    page.team.value = data.teams[0]
    assert data.teams[0] in html_of(page.pareto) and page.drill.outputs == ()


def test_meeting_intervals_stay_on_the_score_scale(data, store):
    for month in data.months:
        teams = data.monthly[month]["team_scores"]
        assert ((teams["lo"].dropna() >= 0) & (teams["hi"].dropna() <= 100)).all()


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"team": "不存在的组"}, "班组 不存在的组 不存在"), ({"month": "2026/10"}, "无法识别")],
)
def test_meeting_links_that_cannot_be_shown_say_so_at_the_top(data, store, query, expected):
    page = MeetingPage(data, store)
    page.open({})  # as a pre-heated kernel draws the latest month before the request
    page.open(query)
    assert expected in page.msg.value
    assert page.body.layout.display == "none"
    assert page.top.outputs == () and page.pareto.outputs == () and page.rest.outputs == ()


def test_each_page_is_in_one_language(data, data_en, store):
    english = [en for zh, en in i18n.LABELS.values() if zh != en and len(en) > 6]
    chinese = [zh for zh, en in i18n.LABELS.values() if zh != en and len(zh) > 3]
    for d, foreign in ((data, english), (data_en, chinese)):
        page, meeting = CoachingPage(d, store), MeetingPage(d, store)
        page.open({"agent": busiest(d)})
        meeting.open({})
        widgets = " ".join(
            str(x.description) + str(getattr(x, "placeholder", ""))
            for x in (
                page.team,
                page.agent,
                page.month,
                page.items,
                page.agreed,
                page.who,
                page.save,
            )
        )
        text = "".join(html_of(o) for o in (page.head, page.view, meeting.top, meeting.pareto,
                                             meeting.rest)) + widgets  # fmt: skip
        stray = [f for f in foreign if f in text]
        assert stray == [], stray


def test_a_failing_view_shows_a_message_not_a_traceback(data, store, caplog):
    out = w.Output()
    coaching_page.show_agent(out, data, data.roster.index[0], "not-a-month", store=None)
    text = html_of(out)
    assert "qaw-msg" in text and "无法显示此视图" in text and "Traceback" not in text
    assert any("view show_agent failed" in r.message for r in caplog.records)


def test_pages_draw_without_matplotlib(center, tmp_path):
    """The charts are SVG written directly: a dashboard kernel never imports matplotlib (about
    0.3 s and 40 MB per kernel) and a selection redraws without drawing a figure."""
    import subprocess
    import sys

    code = f"""
import sys
from qaworkbench import coaching
from qaworkbench.dashboards import views
from qaworkbench.dashboards.coaching_page import CoachingPage
from qaworkbench.dashboards.meeting_page import MeetingPage
d = views.DashboardData.cached({str(center)!r})
store = coaching.connect({f"sqlite:///{tmp_path / 'c.db'}"!r})
page = CoachingPage(d, store)
for agent in d.roster.index[:3]:
    page.open({{"agent": agent}})
MeetingPage(d, store).open({{}})
assert "<svg" in "".join(o["data"]["text/html"] for o in page.view.outputs)
print("matplotlib" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_session_cache_is_rebuilt_when_a_monthly_file_in_a_table_folder_changes(
    tmp_path, small_dir
):
    """A table may be a folder of monthly files: a month added or rewritten there is new data
    (the key once looked at the files beside the folders only, and kept the old session)."""
    d = tmp_path / "center"
    shutil.copytree(small_dir, d)
    (d / "evaluations").mkdir()
    (d / "evaluations.parquet").rename(d / "evaluations" / "2026-06.parquet")
    first = views.DashboardData.cached(d)
    cache = d / ".qaw-cache"
    before = {p.name for p in cache.glob("dashboard-*.pkl")}
    ev = pd.read_parquet(d / "evaluations" / "2026-06.parquet")
    one = ev["evaluation_id"].iloc[0]
    ev.loc[ev.index[0], "evaluated_at"] += pd.Timedelta(minutes=1)  # a re-export's correction
    ev.to_parquet(d / "evaluations" / "2026-06.parquet")
    again = views.DashboardData.cached(d)
    after = {p.name for p in cache.glob("dashboard-*.pkl")}
    assert before and after and before != after

    def when(data):
        return data.regular.set_index("evaluation_id").at[one, "evaluated_at"]

    assert when(again) - when(first) == pd.Timedelta(minutes=1)


def test_meeting_module_exports(data):
    p = meeting_page.team_pareto(data, data.default_month, "")
    assert p["cum_share"].is_monotonic_increasing and p["cum_share"].iat[-1] == pytest.approx(1)


# --- the meeting in agenda order and the coaching talk (issue 30, points 9 and 10) ---


@pytest.fixture(scope="module")
def marked(dashboard_dir):
    """The small center with a frozen agent, a failed bottom-line item and auto-QA results."""
    return views.DashboardData(dashboard_dir)


def meeting_html(page: MeetingPage) -> str:
    return "".join(html_of(o) for o in (page.top, page.pareto, page.drill, page.rest))


def test_the_meeting_runs_in_agenda_order_with_the_rest_folded(marked, store):
    page = MeetingPage(marked, store)
    page.open({})
    text = meeting_html(page)
    order = ["meeting-title", "sec-problems", "sec-red-lines", "sec-teams", "sec-trend", "sec-more"]
    at = [text.index(f'id="{x}"') for x in order]
    assert at == sorted(at), dict(zip(order, at, strict=True))
    assert page.body.children == (page.top, page.problems, page.rest)
    assert page.problems.children.index(page.pareto) < page.problems.children.index(page.drill)
    for fold in ("fold-status", "fold-evaluators", "fold-completion", "fold-autoqa"):
        assert f'<details id="{fold}">' in text, fold


def test_the_pareto_has_one_row_per_item_and_bottom_line_items_apart_by_severity(marked, store):
    month = marked.default_month
    p = meeting_page.team_pareto(marked, month, "")
    assert p["item"].is_unique and p["item_id"].is_unique
    assert "标准结束语（通话）" in set(p["item"])  # the chat scorecard has a 标准结束语 too
    critical = set(marked.item_names.index[marked.item_names["critical"].astype(bool)])
    assert not p["item_id"].isin(critical).any()  # 泄露客户信息 is not ranked as a minor item
    cases = ms.bottom_line_cases(marked, month, "")
    summary = ms.bottom_line_summary(cases)
    assert list(summary["bottom_line_kind"]) == ["泄露客户信息（通话）", "服务态度投诉（成立）"]
    assert int(marked.monthly[month]["headline"]["bottom_line"].iat[0]) == len(cases)
    page = MeetingPage(marked, store)
    page.open({})
    rest = html_of(page.rest)
    red = rest[rest.index('id="sec-red-lines"') : rest.index('id="sec-teams"')]
    assert red.index("泄露客户信息") < red.index("服务态度投诉")
    assert "泄露客户信息" not in html_of(page.pareto)


def test_a_team_link_filters_every_section(marked, store, dashboard_dir):
    month = marked.default_month
    roster = pd.read_parquet(dashboard_dir / "agents.parquet")
    complained = pd.read_parquet(dashboard_dir / "complaints.parquet")["agent_id"].iat[0]
    team = roster.set_index("agent_id").at[complained, "team"]
    others = set(roster.loc[roster["team"] != team, "agent_id"])
    page = MeetingPage(marked, store)
    page.open({"team": team})
    assert page.team.value == team
    page.item.value = page.item.options[1][1]
    text = meeting_html(page)
    assert [a for a in others if a in text] == []  # no other team's agent in any section
    # the headline is the team's: its evaluations of the month, counted from the files
    ev = pd.read_parquet(dashboard_dir / "evaluations.parquet").merge(roster, on="agent_id")
    ev = ev[(ev["evaluated_at"].dt.strftime("%Y-%m") == month) & (ev["team"] == team)
            & (ev["mode"] != "calibration")]  # fmt: skip
    h = ms.scope_headline(marked, month, team)
    assert int(h["all_n"].iat[0]) == len(ev) and team in html_of(page.top)
    # the Pareto counts the team's failed items only
    items = pd.read_parquet(dashboard_dir / "evaluation_items.parquet")
    failed = items[items["evaluation_id"].isin(ev["evaluation_id"]) & (items["result"] == "fail")
                   & ~items["item_id"].isin(["CRT01", "CRT02", "CH11"])]  # fmt: skip
    assert ms.problem_pareto(marked, month, team)["fails"].sum() == len(failed)
    assert team in html_of(page.pareto)
    rest = html_of(page.rest)
    assert "服务态度投诉" in rest and "泄露客户信息" not in rest  # the other team's case is out
    assert i18n.say("team_agents", "zh", team=team) in rest
    center = MeetingPage(marked, store)
    center.open({})
    assert "泄露客户信息" in html_of(center.rest)


def test_a_drill_down_shows_the_top_examples_and_more_on_demand(marked, store):
    page = MeetingPage(marked, store)
    page.open({})
    item = page.item.options[1][1]
    page.item.value = item
    total = len(ms.problem_examples(marked, marked.default_month, "", item))
    assert total > ms.EXAMPLES

    def rows() -> int:
        examples = html_of(page.drill).split("<table")[-1]
        return examples.count("<tr>") - 1  # the header row

    assert rows() == ms.EXAMPLES and page.more.layout.display is None
    assert f"还有 {total - ms.EXAMPLES} 条" in page.more.description
    page.more.click()
    assert rows() == min(total, ms.EXAMPLES + ms.MORE)
    assert (page.more.layout.display == "none") == (total <= ms.EXAMPLES + ms.MORE)
    assert find_unmasked(html_of(page.drill)) == []


def test_the_coaching_page_says_the_status_and_puts_the_form_above_the_detail(
    marked, store, dashboard_dir
):
    agent = pd.read_parquet(dashboard_dir / "complaints.parquet")["agent_id"].iat[0]
    coaching.add_action(store, agent, [marked.items_of(agent)[0]], "复习服务态度规范",
                        views_today() + timedelta(days=7), "李班长")  # fmt: skip
    page = CoachingPage(marked, store)
    page.open({"agent": agent, "month": marked.default_month})
    head = html_of(page.head)
    status = head[head.index('id="agent-status"') :]
    assert "冻结" in status and "服务态度投诉" in status  # the status and its reason
    banner = status[: status.index("</div>")]
    assert banner.count("冻结") == 1  # said once, not "冻结：自…起冻结"
    en = CoachingPage(views.DashboardData(dashboard_dir, "en"), store)
    en.open({"agent": agent, "month": marked.default_month})
    en_head = html_of(en.head)
    en_banner = en_head[en_head.index('id="agent-status"') :]
    en_banner = en_banner[: en_banner.index("</div>")]
    assert en_banner.lower().count("frozen") == 1 and "Frozen since" in en_banner
    assert head.index('id="agent-title"') < head.index('id="agent-status"')
    assert "复习服务态度规范" in head[head.index('id="open-actions"') :]  # open actions on top
    kids = page.widget.children
    assert kids.index(page.head) < kids.index(page.forms) < kids.index(page.view)
    assert 'id="autoqa-title"' in html_of(page.view) and "agent-status" not in html_of(page.view)


def test_auto_qa_findings_are_summarised_per_rule_with_the_list_folded(marked, store):
    month = marked.default_month
    f = marked.autoqa[marked.autoqa["month"] == month]
    agent = f["agent_id"].value_counts().index[0]
    page = CoachingPage(marked, store)
    page.open({"agent": agent, "month": month})
    view = html_of(page.view)
    found = view[view.index('id="autoqa-title"') :]
    by_rule = found[found.index('id="autoqa-by-rule"') : found.index('<details id="autoqa-all">')]
    folded = found[found.index('<details id="autoqa-all">') : found.index("</details>")]
    n = int((f["agent_id"] == agent).sum())
    assert by_rule.count("<tr>") - 1 == f[f["agent_id"] == agent]["rule"].nunique()
    assert folded.count("<tr>") - 1 == n and f"全部 {n} 条发现" in folded
