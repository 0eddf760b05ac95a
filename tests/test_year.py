"""A year of history: the demo built month by month into monthly files, the monthly
report's 12-month section and the 12-month agent archive, checked against the files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from qaworkbench.config import DEMO_DIR
from qaworkbench.reporting import contents
from qaworkbench.reporting.runner import run_report
from qaworkbench.scoring.level import RANDOM_REASONS

MONTHS = [f"{p}" for p in pd.period_range("2025-10", "2026-10", freq="M")]  # 13 months


@pytest.fixture(scope="module")
def year_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("year") / "center"
    subprocess.run(
        [sys.executable, "-m", "qaworkbench.cli", "demo", "--out", str(d), "--months", "13",
         "--start", "2025-10-01", "--agents", "24", "--teams", "4", "--chat-teams", "1",
         "--evaluators", "3", "--contacts-per-day", "6", "--random-evaluations"],
        check=True, capture_output=True,
    )  # fmt: skip
    return d


def test_the_demo_writes_one_file_per_month_with_ids_running_on(year_dir):
    files = sorted(p.stem for p in (year_dir / "contacts").glob("*.parquet"))
    assert files == MONTHS
    assert sorted(p.stem for p in (year_dir / "evaluations").glob("*.parquet")) == MONTHS
    contacts = pd.read_parquet(year_dir / "contacts")
    assert contacts["contact_id"].is_unique
    first = pd.read_parquet(year_dir / "contacts" / "2025-10.parquet")
    assert first["start_time"].dt.strftime("%Y-%m").eq("2025-10").all()  # a month per file
    ev = pd.read_parquet(year_dir / "evaluations")
    assert ev["evaluation_id"].is_unique and set(ev["contact_id"]) <= set(contacts["contact_id"])
    agents = pd.read_parquet(year_dir / "agents.parquet")
    assert set(contacts["agent_id"].dropna()) <= set(agents["agent_id"])  # one roster, all months


def test_the_monthly_report_has_the_last_12_months_from_the_files(year_dir):
    ctx = contents.build("monthly", year_dir, "2026-10", language="zh")
    year = ctx.tables["year"]
    assert year["month"].tolist() == MONTHS[1:]  # 12 months, the oldest left out
    contacts = pd.read_parquet(year_dir / "contacts")
    month = contacts["start_time"].dt.strftime("%Y-%m")
    expected = contacts.groupby(month).size()
    assert (year.set_index("month")["contacts"] == expected.loc[MONTHS[1:]]).all()
    answered = contacts[contacts["answered"].astype(bool)].groupby(month).size()
    assert (year.set_index("month")["answered"] == answered.loc[MONTHS[1:]]).all()
    ev = pd.read_parquet(year_dir / "evaluations")
    regular = ev[(ev["mode"] != "calibration") & ev["sample_reason"].isin(RANDOM_REASONS)]
    n = regular.groupby(regular["evaluated_at"].dt.strftime("%Y-%m")).size()
    assert (year.set_index("month")["n"] == n.loc[MONTHS[1:]]).all()  # the quality level's n
    assert ((year["lo"] <= year["mean"]) & (year["mean"] <= year["hi"])).all()
    assert year["hi"].max() <= 100 and year["service_level"].between(0, 1).all()
    teams = ctx.tables["year_teams"]
    assert set(teams["month"]) == set(MONTHS[1:]) and teams["team"].nunique() == 4
    assert (teams.groupby("month")["n"].sum() == year.set_index("month")["n"]).all()


def test_the_years_contact_counts_are_cached_until_a_contacts_file_changes(year_dir, tmp_path):
    """The 12-month scan is kept beside the data; a month's file rewritten is scanned again."""
    d = tmp_path / "center"
    shutil.copytree(year_dir, d, ignore=shutil.ignore_patterns(".qaw-cache"))
    first = contents.build("monthly", d, "2026-10").tables["year"].set_index("month")
    assert list((d / ".qaw-cache").glob("year-monthly_contacts-*.parquet"))
    again = contents.build("monthly", d, "2026-10").tables["year"].set_index("month")
    pd.testing.assert_frame_equal(first, again)
    f = d / "contacts" / "2026-03.parquet"
    month = pd.read_parquet(f)
    month.iloc[: len(month) // 2].to_parquet(f)  # a re-export with half of March
    after = contents.build("monthly", d, "2026-10").tables["year"].set_index("month")
    assert after.at["2026-03", "contacts"] == len(month) // 2
    assert after.at["2026-03", "contacts"] < first.at["2026-03", "contacts"]
    assert after.at["2026-04", "contacts"] == first.at["2026-04", "contacts"]


@pytest.mark.parametrize("kind", ["monthly", "weekly", "agent"])
def test_a_report_reading_only_the_items_it_needs_equals_one_reading_all(
    year_dir, tmp_path, monkeypatch, kind
):
    """Weekly and monthly reports read of earlier months' item results only the fails and
    the items someone was coached on: every table equals the one built from all of them,
    coaching effects included, and the scores cache is shared by content and by files."""
    from datetime import date, datetime

    from qaworkbench import coaching
    from qaworkbench.periods import parse_period

    url = f"sqlite:///{tmp_path / 'coaching.db'}"
    monkeypatch.setenv("QAW_COACHING_DB", url)
    d = tmp_path / "center"
    shutil.copytree(year_dir, d, ignore=shutil.ignore_patterns(".qaw-cache"))
    agent = pd.read_parquet(d / "agents.parquet")["agent_id"].iloc[2]
    coaching.add_action(coaching.connect(url), agent, ["SKL02", "NRM01"], "每周抽听两通录音", date(2026, 7, 31),
                        "李班长", created_at=datetime(2026, 7, 3, 10), today=date(2026, 7, 3))  # fmt: skip
    period = "2026-W42" if kind == "weekly" else "2026-10"
    p = parse_period(period)
    since = p.start - pd.DateOffset(months=11) if kind == "agent" else p.start
    partial = contents.report_center(d, since=since, items_since=p.start)
    whole = contents.report_center(d, since=since)
    assert partial.partial == ("evaluation_items",) and whole.partial == ()
    assert len(partial.evaluation_items) < len(whole.evaluation_items) / 2
    who = agent if kind == "agent" else ""
    a = contents.build(kind, d, period, center=partial, agent_id=who)
    b = contents.build(kind, d, period, center=whole, agent_id=who)
    assert a.tables.keys() == b.tables.keys()
    if kind != "weekly":  # the action's two items, with their effect
        assert len(a.tables["actions" if kind == "monthly" else "coaching"]) == 2
    for name in a.tables:
        pd.testing.assert_frame_equal(
            a.tables[name].reset_index(drop=True), b.tables[name].reset_index(drop=True),
            check_dtype=False, obj=name,
        )  # fmt: skip


def test_the_trend_chart_shows_the_last_13_weeks(year_dir):
    """A year holds 53 weeks per team: the chart shows the last 13 (a year of weekly ticks
    cannot be read), its limits computed from the whole history and kept on the scale."""
    from qaworkbench.reporting import plotting

    plotting.use_cjk_font()
    control = contents.build("monthly", year_dir, "2026-10", language="zh").tables["control"]
    assert (
        control.groupby("team")["week"].nunique().max() >= 50
    )  # random picks: a few weeks have none
    ax = plotting.control_chart(control, control["team"].iloc[0], "zh").axes[0]
    assert len(ax.get_xticks()) == 13 and "近 13 周" in ax.get_title()
    assert ax.get_ylim()[1] <= 100.5


def test_a_teams_report_counts_its_own_agents(year_dir):
    center = contents.build("monthly", year_dir, "2026-10", language="en")
    team = center.teams[1]
    ctx = contents.build("monthly", year_dir, "2026-10", language="en", team=team)
    year = ctx.tables["year"].set_index("month")
    assert "year_teams" not in ctx.tables and "service_level" not in year
    contacts = pd.read_parquet(year_dir / "contacts")
    agents = pd.read_parquet(year_dir / "agents.parquet")
    mine = contacts[contacts["agent_id"].isin(agents.loc[agents["team"] == team, "agent_id"])]
    mine = mine[mine["answered"].astype(bool) & (mine["start_time"] >= "2025-11-01")]
    assert year["answered"].sum() == len(mine)


def test_the_agent_archive_shows_12_months(year_dir):
    ctx = contents.build("agent", year_dir, "2026-10", language="zh", agent_id="A0003")
    months = ctx.tables["history"]["month"].tolist()
    assert months == sorted(months) and len(months) == 12 and months[0] == "2025-11"


def _section(page: str, key: str) -> str:
    """A section of a published page: its heading up to the next section's (pages order their
    sections for their readers, so the next one is not named)."""
    start = page.index(f'id="sec-{key}"')
    end = page.find('class="qaw-section"', start + 1)
    return page[start : end if end > 0 else len(page)]


@pytest.mark.slow
def test_the_published_monthly_report_shows_the_year(year_dir, tmp_path):
    p = run_report("monthly", "2026-10", data=str(year_dir), language="zh", reports_dir=tmp_path)
    page = p.html.read_text(encoding="utf-8")
    sec = _section(page, "year")
    assert "近12个月趋势" in page and "各班组近12个月得分" in page
    assert len(re.findall(r'<td class="qaw-nw">(2026-\d\d|2025-1[12])</td>', sec)) == 12
    assert 'alt="全中心：逐月得分与服务水平"' in sec  # the chart, described in the page's language
    assert "2025-10" not in sec  # the 13th month back is not in the section
    trend = _section(page, "control")
    assert "近 13 周" in trend  # the chart's title, in its alt text
    listed = set(re.findall(r"(\d{4}-W\d\d)（\d\d-\d\d – \d\d-\d\d）", trend))  # as elsewhere
    assert listed and min(listed) >= "2026-W32"  # signals of the charted 13 weeks only
    assert not re.search(r"\d{4}-\d\d-\d\d/\d{4}", trend)  # no ISO date ranges


def test_import_adds_a_part_to_a_monthly_table_and_replace_removes_the_parts(year_dir, tmp_path):
    from click.testing import CliRunner

    from qaworkbench.cli import main
    from tests.test_wide_exports import en_csv

    folder = tmp_path / "center"
    shutil.copytree(year_dir, folder)
    before = len(pd.read_parquet(folder / "evaluations"))
    c = pd.read_parquet(folder / "contacts").dropna(subset=["agent_id"])
    c = c[c["channel"] == "voice"].iloc[:2]  # the English export is on the voice scorecard
    path = tmp_path / "qa_export.csv"
    en_csv(path, [
        {"Evaluation ID": f"EV-{i}", "Interaction ID": cid, "Agent ID": aid, "Evaluator ID": "Q01"}
        for i, (cid, aid) in enumerate(zip(c["contact_id"], c["agent_id"], strict=True))
    ])  # fmt: skip
    args = ["import", str(path), "--mapping", "qa_tool_en", "--data", str(folder)]
    r = CliRunner().invoke(main, [*args, "--append"])
    assert r.exit_code == 0, r.output
    new = list((folder / "evaluations").glob("imported-*.parquet"))
    assert len(new) == 1 and len(pd.read_parquet(new[0])) == 2  # only the new rows
    assert len(pd.read_parquet(folder / "evaluations")) == before + 2
    v = CliRunner().invoke(main, ["validate", str(folder)])
    assert v.exit_code == 0, v.output
    r = CliRunner().invoke(main, [*args, "--append"])
    assert r.exit_code == 1 and "would repeat 2 key(s)" in r.output
    r = CliRunner().invoke(main, [*args, "--replace"])
    assert r.exit_code == 0, r.output
    assert not (folder / "evaluations").exists()  # never two copies of a table
    assert len(pd.read_parquet(folder / "evaluations.parquet")) == 2


def test_a_bad_row_in_a_monthly_file_is_named_by_its_file_and_its_row(tmp_path):
    from qaworkbench.data.load import load_center, load_table
    from qaworkbench.errors import ValidationError

    d = tmp_path / "center"
    subprocess.run(
        [sys.executable, "-m", "qaworkbench.cli", "demo", "--out", str(d), "--months", "2",
         "--agents", "8", "--teams", "2", "--chat-teams", "1", "--evaluators", "2",
         "--contacts-per-day", "4", "--random-evaluations"],
        check=True, capture_output=True,
    )  # fmt: skip
    june = d / "contacts" / "2026-06.parquet"
    c = pd.read_parquet(june)
    c.loc[6, "talk_s"] = -5.0  # the 7th row of June's file
    c.to_parquet(june, index=False)
    with pytest.raises(ValidationError) as e:
        load_table(d / "contacts", "contacts")
    assert "contacts/2026-06.parquet, row 7, column 'talk_s'" in str(e.value)
    kept, rep = load_table(d / "contacts", "contacts", mode="lenient", rejects_dir=tmp_path / "r")
    assert len(kept) == len(pd.read_parquet(d / "contacts")) - 1
    rejected = pd.read_csv(rep.rejects_path, encoding="utf-8-sig")
    assert rejected[["_file", "_row"]].values.tolist() == [["contacts/2026-06.parquet", 7]]
    # a cross-table problem names the evaluation's own file and row too
    c.loc[6, "talk_s"] = 60.0
    c.to_parquet(june, index=False)
    ev_file = d / "evaluations" / "2026-06.parquet"
    ev = pd.read_parquet(ev_file)
    ev.loc[2, "contact_id"] = "C99999999"
    ev.to_parquet(ev_file, index=False)
    with pytest.raises(ValidationError) as e:
        load_center(d)
    assert "evaluations/2026-06.parquet, row 3, column 'contact_id'" in str(e.value)


def test_rows_read_through_a_filter_keep_their_own_file_and_row_number(year_dir, tmp_path):
    """``keep`` reads some rows only; a bad one is still named by its own file and row, for a
    folder of parts (read part by part) and for a CSV (read whole, then kept)."""
    from qaworkbench.data.load import load_table
    from qaworkbench.errors import ValidationError

    d = tmp_path / "items"
    shutil.copytree(year_dir / "evaluation_items", d / "evaluation_items")
    f = d / "evaluation_items" / "2026-06.parquet"
    items = pd.read_parquet(f)
    fails = items.index[items["result"] == "fail"]
    bad = fails[3]
    items.loc[bad, "points_deducted"] = -4.0  # a deduction below zero, on the 4th fail
    items.to_parquet(f, index=False)

    def fails_only(df):
        return (df["result"] == "fail").to_numpy()

    with pytest.raises(ValidationError) as e:
        load_table(d / "evaluation_items", "evaluation_items", keep=fails_only)
    assert f"evaluation_items/2026-06.parquet, row {bad + 1}, column 'points_deducted'" in str(
        e.value
    )
    kept, rep = load_table(d / "evaluation_items", "evaluation_items", keep=fails_only,
                           mode="lenient", rejects_dir=tmp_path / "r")  # fmt: skip
    assert (kept["result"] == "fail").all()
    assert len(kept) == int((pd.read_parquet(d / "evaluation_items")["result"] == "fail").sum()) - 1
    rejected = pd.read_csv(rep.rejects_path, encoding="utf-8-sig")
    assert rejected[["_file", "_row"]].values.tolist() == [
        ["evaluation_items/2026-06.parquet", bad + 1]
    ]
    csv = tmp_path / "evaluation_items.csv"
    items.to_csv(csv, index=False)
    with pytest.raises(ValidationError) as e:
        load_table(csv, "evaluation_items", keep=fails_only)
    assert f"row {bad + 2}, column 'points_deducted'" in str(e.value)  # the header is line 1


def test_scores_are_kept_by_content_and_equal_fresh_ones(small_dir, tmp_path):
    from qaworkbench.data.load import load_center
    from qaworkbench.scoring import score_evaluations
    from qaworkbench.scoring.history import cached_scores

    d = tmp_path / "center"
    shutil.copytree(small_dir, d, ignore=shutil.ignore_patterns(".qaw-cache"))  # other tests'
    center = load_center(d, tables=("evaluations", "evaluation_items", "appeals"))
    fresh = score_evaluations(center.evaluations, center.evaluation_items, center.appeals)
    first = cached_scores(d, center)
    assert len(list((d / ".qaw-cache").glob("scores-*"))) == 1
    again = cached_scores(d, center)  # read back from the cache
    for a, b in ((fresh, first), (fresh, again)):
        pd.testing.assert_frame_equal(a[0], b[0])
        pd.testing.assert_frame_equal(a[1], b[1])
    # a center changed in memory (same files) is scored afresh, never served stale scores
    items = center.evaluation_items
    passed = items.index[items["result"] == "pass"][0]
    center.tables["evaluation_items"] = items.assign(
        result=items["result"].where(items.index != passed, "fail"),
        points_deducted=items["points_deducted"].where(items.index != passed, 1.0),
    )
    changed = cached_scores(d, center)
    expected = score_evaluations(center.evaluations, center.evaluation_items, center.appeals)
    pd.testing.assert_frame_equal(changed[0], expected[0])
    assert not changed[0]["score"].equals(fresh[0]["score"])


def test_a_live_slot_is_done_only_by_a_live_evaluation_of_its_own_month(tmp_path):
    from types import SimpleNamespace

    from qaworkbench.periods import parse_period
    from qaworkbench.reporting.contents import _completion

    (tmp_path / "2026-10").mkdir()
    pd.DataFrame({"evaluator_id": ["Q01"], "agent_id": ["A0001"], "contact_id": [""],
                  "due": ["2026-10-31"]}).to_csv(tmp_path / "2026-10" / "sample.csv", index=False)  # fmt: skip
    evaluators = pd.DataFrame({"evaluator_id": ["Q01"], "name": ["王芳"]})

    def done(when: str) -> int:
        ev = pd.DataFrame({"evaluation_id": ["E1"], "contact_id": ["C1"], "agent_id": ["A0001"],
                           "mode": ["real_time"], "evaluated_at": [pd.Timestamp(when)]})  # fmt: skip
        center = SimpleNamespace(evaluations=ev, evaluators=evaluators)
        return int(_completion(center, parse_period("2026-10"), "", tmp_path)["done"].iloc[0])

    assert done("2026-10-12 10:00") == 1
    assert done("2026-09-12 10:00") == 0  # last month's live listening is not this month's


def test_page_ones_tables_are_handed_over_first_and_the_rest_is_waited_for(
    year_dir, tmp_path, monkeypatch
):
    import threading

    from qaworkbench import QAWError
    from qaworkbench.reporting import plotting

    plotting.use_cjk_font()
    parts: list[contents.ReportContext] = []
    whole = contents.build("monthly", year_dir, "2026-10", language="en", early=parts.append)
    assert len(parts) == 1 and list(parts[0].tables) == list(contents.EARLY)
    for key in contents.EARLY:  # the same tables as the finished context's, masked alike
        pd.testing.assert_frame_equal(parts[0].tables[key], whole.tables[key])
    assert set(contents.EARLY) < set(whole.tables) and not whole.rest
    first = tmp_path / "context.pkl"
    part = parts[0]
    part.rest = str(contents.rest_path(first))
    part.save(first)
    shown: list = []
    monkeypatch.setattr("IPython.display.display", lambda *objs: shown.extend(objs))
    ctx = contents.wait_for_context(first)
    contents.page_one(ctx)
    contents.section(ctx, "control")
    assert ctx.rest and "year" not in ctx.tables  # shown without the rest
    later = threading.Timer(0.5, whole.save, args=(contents.rest_path(first),))
    later.start()
    contents.section(ctx, "year")  # waits for the rest
    later.join()
    assert not ctx.rest and list(ctx.tables) == list(whole.tables)
    html = "".join(getattr(o, "data", "") or "" for o in shown)
    assert "Score and service level by month" in html
    # the runner's word that the rest will not come ends the wait with a reason
    broken = contents.wait_for_context(first)
    rest = contents.rest_path(first)
    rest.unlink()
    rest.with_name(rest.name + ".failed").touch()
    with pytest.raises(QAWError, match="could not be computed"):
        contents.section(broken, "year")


def test_a_years_scores_are_built_one_items_file_at_a_time_and_kept_per_file(
    year_dir, tmp_path, monkeypatch
):

    from qaworkbench.data import load
    from qaworkbench.periods import parse_period
    from qaworkbench.scoring import history

    d = tmp_path / "center"
    shutil.copytree(year_dir, d, ignore=shutil.ignore_patterns(".qaw-cache"))
    whole = load.load_center(d, tables=contents.QA_TABLES)
    expected = history.cached_scores(d, whole)  # every item read at once (and cached alike)
    partial = contents.period_center(d, parse_period("2026-10"))
    assert "evaluation_items" in partial.partial
    read: list[str] = []
    real = load.load_table
    monkeypatch.setattr(load, "load_table", lambda path, *a, **k: read.append(Path(path).name) or real(path, *a, **k))  # fmt: skip
    got = history.cached_scores(d, partial)
    files = sorted(p.name for p in (d / "evaluation_items").glob("*.parquet"))
    assert sorted(read) == files  # each month's file once, none whole
    for a, b in zip(got, expected, strict=True):
        key = ["evaluation_id", "section_id"] if "section_id" in a else ["evaluation_id"]
        pd.testing.assert_frame_equal(
            a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
        )
    # a month's file rewritten (a late correction of a comment): only that file is scored again
    last = d / "evaluation_items" / files[-1]
    month = pd.read_parquet(last)
    month.loc[month.index[0], "comment"] = "复核后更正备注"
    month.to_parquet(last, index=False)
    read.clear()
    again = history.cached_scores(d, partial)
    assert read == [files[-1]]
    pd.testing.assert_frame_equal(again[0], got[0])


@pytest.mark.parametrize("scope", ["center", "team"])
@pytest.mark.parametrize("folder", ["small", "demo"])
def test_a_month_has_one_number_on_page_one_and_in_the_year(small_dir, folder, scope):
    """The month's mean, interval and new bottom-line cases in the 12-month table are page
    one's (they were two estimators: 92.2–93.3 on page one, 92.4–93.1 in the table; 28 new
    bottom-line cases against 1), for the center and for a team; and each team's row of
    ``year_teams`` is the team table's."""
    d, month = (small_dir, "2026-06") if folder == "small" else (DEMO_DIR, "2026-10")
    team = "" if scope == "center" else sorted(pd.read_parquet(d / "agents.parquet")["team"].unique())[0]  # fmt: skip
    ctx = contents.build("monthly", d, month, team=team)
    head = ctx.tables["headline"].iloc[0]
    last = ctx.tables["year"].set_index("month").loc[month]
    assert (last["n"], round(last["mean"], 6)) == (head["n"], round(head["mean"], 6))
    assert (round(last["lo"], 6), round(last["hi"], 6)) == (round(head["lo"], 6), round(head["hi"], 6))  # fmt: skip
    assert last["bottom_line"] == head["bottom_line"] == len(ctx.tables["critical"])
    if folder == "demo" and not team:
        assert last["bottom_line"] > 0  # the demo's October has bottom-line cases to count
    if not team:
        per_team = ctx.tables["year_teams"].query("month == @month").set_index("team")
        shown = ctx.tables["team_scores"].set_index("team")
        for t, row in shown.iterrows():
            assert round(per_team.loc[t, "mean"], 6) == round(row["mean"], 6)
            assert round(per_team.loc[t, "lo"], 6) == round(row["lo"], 6)
