"""The complaints (投诉工单) and satisfaction sections: numbers worked out by hand on a small
fixture of real Parquet files read through DuckDB, the Thursday complaint week, and a center
without complaints or ratings saying so."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qaworkbench.data import engine
from qaworkbench.data.load import save_center
from qaworkbench.errors import QAWError
from qaworkbench.periods import parse_period
from qaworkbench.reporting import complaints, complaints_page, contents
from qaworkbench.sampling.plan import ComplaintsReport, SamplingPlan, load_plan
from qaworkbench.yamlconf import load_model

AGENTS = pd.DataFrame({
    "agent_id": ["A1", "A2", "A3", "A4"], "name": ["张三", "李四", "王五", "赵六"],
    "team": ["一组", "一组", "一组", "二组"],
})  # fmt: skip
NAMES = pd.Series({"ATT01": "语气热情", "BIZ01": "业务解答准确"})


def _complaints() -> pd.DataFrame:
    """Six tickets. ISO week 2026-W42 is Mon 10-12 to Sun 10-18; its Thursday complaint week
    is Fri 10-09 to Thu 10-15. K1 (10-08) is the week before; K6 (10-16) the week after."""
    rows = [
        ("K1", "C1", "A1", "2026-10-08 10:00", "attitude", True),
        ("K2", "C2", "A1", "2026-10-09 00:00", "attitude", True),
        ("K3", "C3", "A2", "2026-10-12 09:00", "business", False),
        ("K4", "C4", "A4", "2026-10-14 16:00", "business", True),
        ("K5", "C5", "A3", "2026-10-15 23:59", "attitude", None),
        ("K6", "C6", "A1", "2026-10-16 00:00", "business", True),
    ]
    df = pd.DataFrame(rows, columns=["complaint_id", "contact_id", "agent_id", "received_at",
                                     "category", "upheld"])  # fmt: skip
    df["received_at"] = pd.to_datetime(df["received_at"])
    df["upheld"] = df["upheld"].astype("boolean")
    return complaints._with_team(df, AGENTS)  # team and name from the roster


def test_the_thursday_complaint_week_is_friday_to_thursday_of_the_report_week():
    w = parse_period("2026-W42")
    assert complaints.complaint_window(w, "thursday") == (
        pd.Timestamp("2026-10-09"), pd.Timestamp("2026-10-16"))  # fmt: skip
    assert complaints.complaint_window(w, "sunday") == (w.start, w.end)  # the ISO week
    assert complaints.complaint_window(w, "monday") == (
        pd.Timestamp("2026-10-06"), pd.Timestamp("2026-10-13"))  # fmt: skip
    m = parse_period("2026-10")
    assert complaints.complaint_window(m, "thursday") == (m.start, m.end)  # a month is a month


def test_the_hotline_plan_ends_its_complaint_week_on_thursday_and_a_wrong_day_is_refused(tmp_path):
    assert load_plan("hotline").complaints_report.week_ends == "thursday"
    assert load_plan("insurer").complaints_report.week_ends == "sunday"  # the default
    bad = tmp_path / "plan.yaml"
    text = (Path(__file__).parents[1] / "templates/sampling/hotline.yaml").read_text("utf-8")
    bad.write_text(text.replace("week_ends: thursday", "week_ends: 周四"), encoding="utf-8")
    with pytest.raises(QAWError, match=r"complaints_report.*week_ends"):
        load_model(bad, SamplingPlan)


def test_counts_by_team_and_the_upheld_share_by_hand():
    c = _complaints()
    start, end = pd.Timestamp("2026-10-09"), pd.Timestamp("2026-10-16")
    week = c[(c["received_at"] >= start) & (c["received_at"] < end)]
    assert list(week["complaint_id"]) == ["K2", "K3", "K4", "K5"]  # the ends: 00:00 in, 00:00 out
    t = complaints.by_team(week, "", "全中心").set_index("team")
    # 一组: K2 attitude upheld, K3 business not upheld, K5 attitude open
    counts = ["complaints", "attitude", "business", "open", "decided", "upheld"]
    assert t.loc["一组", counts].tolist() == [3, 2, 1, 1, 2, 1]
    assert t.loc["一组", "upheld_share"] == 0.5
    # the center: 3 decided, 2 upheld; Wilson 95% for 2/3 is 0.2077-0.9385
    assert t.loc["全中心", ["complaints", "decided", "upheld"]].tolist() == [4, 3, 2]
    assert t.loc["全中心", "upheld_lo"] == pytest.approx(0.2077, abs=1e-4)
    assert t.loc["全中心", "upheld_hi"] == pytest.approx(0.9385, abs=1e-4)
    assert list(t.index) == ["一组", "二组", "全中心"]
    one = complaints.by_team(week[week["team"] == "三组"], "三组", "全中心")
    assert one[["team", "complaints"]].values.tolist() == [["三组", 0]]  # a team without any


def test_the_trend_counts_each_complaint_week():
    p = parse_period("2026-W42")
    s = ComplaintsReport(week_ends="thursday", trend_weeks=3)
    tr = complaints.trend(_complaints(), complaints._windows(p, s))
    assert tr["period"].tolist() == ["09-25 – 10-01", "10-02 – 10-08", "10-09 – 10-15"]
    assert tr["complaints"].tolist() == [0, 1, 4]
    assert np.isnan(tr["upheld_share"].iloc[0]) and tr["upheld_share"].iloc[1] == 1.0


def test_qa_findings_on_the_complained_contacts_by_hand():
    c = _complaints().iloc[1:5]  # K2-K5
    scored = pd.DataFrame({
        "evaluation_id": ["E1", "E2", "E3", "E4"], "contact_id": ["C2", "C2", "C3", "C4"],
        "evaluated_at": pd.to_datetime(["2026-10-10", "2026-10-11", "2026-10-12", "2026-10-13"]),
        "mode": ["post_call", "post_call", "post_call", "calibration"],
        "score": [70.0, 80.0, 90.0, 100.0],
    })  # fmt: skip
    items = pd.DataFrame({
        "evaluation_id": ["E1", "E2", "E2", "E3", "E4"],
        "item_id": ["ATT01", "ATT01", "BIZ01", "ATT01", "BIZ01"],
        "result": ["fail", "fail", "fail", "pass", "fail"],
    })  # fmt: skip
    summary, listed = complaints.qa_findings(c, scored, items, NAMES)
    s = summary.set_index("category")
    # C2 evaluated twice: the latest (E2, 80) counts; C4 only in calibration: not evaluated
    assert s.loc["attitude", ["complaints", "evaluated", "n", "mean"]].tolist() == [2, 1, 1, 80.0]
    assert s.loc["business", ["complaints", "evaluated", "n", "mean"]].tolist() == [2, 1, 1, 90.0]
    assert s.loc["all", ["complaints", "evaluated", "n", "mean"]].tolist() == [4, 2, 2, 85.0]
    # two scores 80 and 90: sd 7.071, t(0.975, 1) = 12.706, half-width 63.5: clipped to 0-100
    assert s.loc["all", "lo"] == pytest.approx(21.47, abs=0.01) and s.loc["all", "hi"] == 100.0
    assert np.isnan(s.loc["attitude", "lo"])  # one score: no interval
    assert s.loc["all", "top_items"] == "语气热情 ×1、业务解答准确 ×1"
    assert s.loc["all", "evaluated_share"] == 0.5
    assert listed["qa_evaluated"].tolist() == ["yes", "yes", "no", "no"]
    assert listed["complaint_outcome"].tolist() == ["upheld", "not_upheld", "upheld", "open"]
    assert listed["items"].tolist()[0] == "语气热情、业务解答准确"


def test_repeat_complainants_are_counted_and_never_shown_unmasked():
    c = _complaints()
    customers = pd.Series({"C1": "13812345678", "C2": "13812345678", "C3": "13912345678",
                           "C4": "13700000000", "C5": "13700000000", "C6": "13812345678"})  # fmt: skip
    week = c[c["complaint_id"].isin(["K2", "K3", "K4", "K5"])]
    window = c[c["received_at"] < pd.Timestamp("2026-10-16")]  # K1-K5
    r = complaints.repeats(week, window, customers)
    assert r[["customer_id", "complaints", "in_period", "attitude", "business", "upheld"]].values.tolist() == [
        ["13700000000", 2, 2, 1, 1, 1],  # K4, K5: the later complaint first
        ["13812345678", 2, 1, 2, 0, 2],  # K1 (the week before) and K2
    ]  # fmt: skip
    assert r["teams"].tolist() == ["一组、二组", "一组"]
    html = contents.display_.table(r, "zh").data
    assert "13812345678" not in html and "138****5678" in html


@pytest.fixture
def rated(tmp_path):
    """Contacts with ratings: team 一组 (A1 5, 4; A2 3; A3 4, 4, 2 by voice, A1 1 by chat),
    team 二组 (A4 5); one unrated contact and one outside the week."""
    rows = [("A1", "voice", 5), ("A1", "voice", 4), ("A2", "voice", 3), ("A3", "voice", 4),
            ("A3", "voice", 4), ("A3", "voice", 2), ("A1", "chat", 1), ("A4", "voice", 5),
            ("A4", "voice", None)]  # fmt: skip
    n = len(rows) + 1
    contacts = pd.DataFrame({
        "contact_id": [f"C{i}" for i in range(n)],
        "agent_id": [r[0] for r in rows] + ["A1"],
        "start_time": pd.to_datetime(["2026-10-13 10:00"] * len(rows) + ["2026-10-20 10:00"]),
        "channel": [r[1] for r in rows] + ["voice"], "direction": "inbound", "answered": True,
        "satisfaction": [r[2] for r in rows] + [1.0],
    })  # fmt: skip
    contacts["answered"] = contacts["answered"].astype("boolean")
    save_center({"contacts": contacts, "agents": AGENTS}, tmp_path)
    return tmp_path


def test_satisfaction_by_team_and_channel_with_a_clustered_interval_by_hand(rated):
    con = engine.connect(rated, tables=("contacts",))
    s = complaints.satisfaction(con, parse_period("2026-W42"), AGENTS, "", "全中心")
    s = s.set_index(["team", "channel"])
    assert list(s.index) == [("一组", "chat"), ("一组", "voice"), ("二组", "voice"),
                             ("全中心", "chat"), ("全中心", "voice")]  # fmt: skip
    v = s.loc[("一组", "voice")]
    assert (v["n"], v["agents"]) == (6, 3) and v["rating"] == pytest.approx(22 / 6)
    # per-agent residual sums 9-2m, 3-m, 10-3m (m = 11/3): 5/3, -2/3, -1; squares 38/9;
    # se = sqrt(3/2 * 38/9) / 6 = 0.41944; t(0.975, 2) = 4.3027; half-width 1.8047
    assert v["rating_lo"] == pytest.approx(22 / 6 - 1.8047, abs=1e-3)
    assert v["rating_hi"] == 5.0  # clipped to the export's scale (1-5)
    assert np.isnan(s.loc[("二组", "voice"), "rating_lo"])  # one agent: no interval
    c = s.loc[("全中心", "voice")]
    assert (c["n"], c["agents"], c["rating"]) == (7, 4, pytest.approx(27 / 7))
    team = complaints.satisfaction(con, parse_period("2026-W42"), AGENTS, "二组", "全中心")
    assert team[["team", "channel", "n"]].values.tolist() == [["二组", "voice", 1]]


def _html(monkeypatch, show, *args) -> str:
    """What a section displays, as the page's HTML (``display`` outside a kernel prints)."""
    out: list[str] = []
    monkeypatch.setattr(complaints_page, "display", lambda *objs: out.extend(o.data for o in objs))
    show(*args)
    return "".join(out)


def test_a_week_on_a_small_center_with_a_thursday_week(small_dir, tmp_path, monkeypatch):
    """The section on a real center whose complaints file we wrote: the Thursday week's days
    written out, the tickets received in those days counted, the evaluated ones found, and
    the tables in the Excel appendix."""
    monkeypatch.setenv("QAW_SAMPLING_PLAN", "hotline")
    d = tmp_path / "center"
    shutil.copytree(small_dir, d)
    ev = pd.read_parquet(d / "evaluations.parquet")
    ev = ev[ev["mode"] != "calibration"]
    contacts = pd.read_parquet(d / "contacts.parquet")
    done = ev["contact_id"].drop_duplicates().head(3).tolist()
    other = contacts.loc[
        contacts["answered"].fillna(False) & ~contacts["contact_id"].isin(ev["contact_id"])
    ].iloc[0]
    ids = [*done, other["contact_id"], done[0], done[1]]
    agent = contacts.set_index("contact_id")["agent_id"]
    got = ["2026-06-05 00:00", "2026-06-08 12:00", "2026-06-11 23:59", "2026-06-10 08:00",
           "2026-06-04 23:59", "2026-06-12 00:00"]  # the last two fall outside Fri-Thu  # fmt: skip
    pd.DataFrame({
        "complaint_id": [f"T{i}" for i in range(6)], "contact_id": ids,
        "agent_id": [agent[i] for i in ids], "received_at": pd.to_datetime(got),
        "category": ["attitude", "business", "business", "attitude", "business", "attitude"],
        "upheld": pd.array([True, False, None, True, True, True], dtype="boolean"),
    }).to_parquet(d / "complaints.parquet", index=False)  # fmt: skip
    ctx = contents.build("weekly", d, "2026-W24", language="en")
    meta = ctx.meta["complaints"]
    assert (meta["start"], meta["end"]) == (pd.Timestamp("2026-06-05"), pd.Timestamp("2026-06-12"))
    center = ctx.tables["complaints"].iloc[-1]
    assert center["team"] == "whole center"
    counts = ["complaints", "attitude", "business", "open", "decided", "upheld"]
    assert center[counts].tolist() == [4, 2, 2, 1, 3, 2]
    qa = ctx.tables["complaint_qa"].set_index("category")
    assert qa.loc["all", ["complaints", "evaluated"]].tolist() == [4, 3]
    html = _html(monkeypatch, complaints_page.show_complaints, ctx.tables, meta, "en")
    assert "Complaints received 2026-06-05 (Friday) to 2026-06-11 (Thursday)" in html
    assert "4 complaints (2 attitude, 2 business); of 3 decided, 2 upheld: 67%" in html
    assert "<details" in html and ctx.tables["satisfaction"]["n"].sum() > 0
    assert "、" not in html  # lists joined in the page's language
    sheets = ctx.appendix()
    assert {"Complaints: summary and analysis", "Complaints one by one", "Repeat complainants",
            "Customer satisfaction"} <= set(sheets)  # fmt: skip


def test_without_complaints_or_satisfaction_the_sections_say_so(small_dir, tmp_path, monkeypatch):
    d = tmp_path / "center"
    shutil.copytree(small_dir, d)
    (d / "complaints.parquet").unlink()
    pd.read_parquet(d / "contacts.parquet").drop(columns=["satisfaction"]).to_parquet(
        d / "contacts.parquet", index=False
    )
    ctx = contents.build("monthly", d, "2026-06", language="zh")
    assert "complaints" not in ctx.tables and "satisfaction" not in ctx.tables
    assert complaints.NO_SATISFACTION in ctx.limits
    assert any(x.startswith("no complaints:") for x in ctx.limits)
    meta = ctx.meta["complaints"]
    assert "本数据没有投诉工单表" in _html(
        monkeypatch, complaints_page.show_complaints, ctx.tables, meta, "zh"
    )
    assert "本数据没有满意度评价" in _html(
        monkeypatch, complaints_page.show_satisfaction, ctx.tables, meta, "zh"
    )
