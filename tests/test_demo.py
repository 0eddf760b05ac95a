"""The demo center: deterministic, realistic, and valid."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from qaworkbench.config import DEMO_DIR
from qaworkbench.demo import DemoSpec, build

from .conftest import SMALL


def test_same_seed_same_center_other_seed_other_center(small_tables):
    again = build(SMALL)
    for name, df in small_tables.items():
        pd.testing.assert_frame_equal(df, again[name], obj=name)
    other = build(DemoSpec(**{**SMALL.__dict__, "seed": 1}))
    assert not other["contacts"]["talk_s"].equals(small_tables["contacts"]["talk_s"])


def test_roster_has_teams_chinese_names_new_hires_and_leavers(small_tables):
    agents = small_tables["agents"]
    assert agents["team"].nunique() == SMALL.teams
    assert agents["name"].map(lambda n: bool(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n))).all()
    start = pd.Timestamp(SMALL.start)
    assert (agents["hire_date"] > start).any(), "new hires during the period"
    assert agents["leave_date"].notna().any(), "leavers"
    contacts = small_tables["contacts"]
    last = contacts.groupby("agent_id")["start_time"].max()
    leavers = agents.dropna(subset=["leave_date"]).set_index("agent_id")["leave_date"]
    assert (last.reindex(leavers.index) < leavers + pd.Timedelta(days=1)).all()


def test_volume_curves_and_service_level_dips_at_peaks():
    t = build(
        DemoSpec(agents=60, teams=4, chat_teams=1, months=1, contacts_per_day=40, evaluators=3)
    )
    c = t["contacts"]
    hour = c["start_time"].dt.hour
    per_hour = c.groupby(hour).size()
    assert per_hour.loc[9:11].mean() > 3 * per_hour.loc[0:5].mean()
    within = c["answered"].fillna(False) & (c["queue_wait_s"] <= 20)
    sl = within.groupby(hour).mean()
    assert sl.loc[[10, 15, 16]].mean() < sl.loc[[0, 1, 2, 3, 12, 22]].mean() - 0.1
    dow = (
        c.groupby(c["start_time"].dt.day_of_week).size()
        / c["start_time"].dt.normalize().groupby(c["start_time"].dt.day_of_week).nunique()
    )
    assert dow.loc[0] > dow.loc[6]  # Mondays are busier than Sundays


def test_lasting_skill_differences_show_in_scores(small_tables):
    items = small_tables["evaluation_items"].merge(small_tables["evaluations"], on="evaluation_id")
    items = items[items["mode"] != "calibration"]
    start = small_tables["contacts"].set_index("contact_id")["start_time"]
    items["month"] = items["contact_id"].map(start).dt.to_period("M")  # the contact's month
    ded = (
        items.groupby(["agent_id", "month"])["points_deducted"].sum()
        / items.groupby(["agent_id", "month"])["evaluation_id"].nunique()
    )
    wide = ded.unstack().dropna()
    assert wide.corr(method="spearman").iloc[0, 1] > 0.3  # an agent's months resemble each other


def test_evaluators_calibration_complaints_appeals_and_chats(small_tables):
    ev = small_tables["evaluations"]
    assert set(ev["mode"]) >= {"post_call", "real_time", "side_by_side", "calibration"}
    cal = ev[ev["mode"] == "calibration"]
    per_contact = cal.groupby("contact_id")["evaluator_id"].nunique()
    assert (per_contact == SMALL.evaluators + 1).all()  # every QA evaluator and the lead
    assert set(small_tables["evaluators"]["role"]) == {"qa_lead", "qa", "team_lead"}
    contacts = small_tables["contacts"].set_index("contact_id")
    lag = (
        ev.set_index("contact_id")["evaluated_at"]
        - contacts.loc[ev["contact_id"], "end_time"].to_numpy()
    )
    assert (lag > pd.Timedelta(0)).all()
    comp = small_tables["complaints"]  # about 1 in 4,000 contacts: a handful here
    assert len(comp) > 0 and set(comp["category"]) <= {"attitude", "business"}
    comp = pd.read_parquet(DEMO_DIR / "complaints")  # the whole demo, month by month
    assert set(comp["category"]) == {"attitude", "business"} and comp["upheld"].notna().any()
    assert comp["complaint_id"].is_unique  # ids run on across months
    assert set(small_tables["appeals"]["decision"]) <= {"upheld", "rejected", "pending"}
    assert len(small_tables["appeals"]) > 0
    msgs = small_tables["chat_messages"]
    assert set(msgs["sender"]) == {"agent", "customer"}
    chats = set(contacts.index[contacts["channel"] == "chat"])
    assert set(msgs["conversation_id"]) <= chats
    items = small_tables["evaluation_items"]
    failed = items[items["result"] == "fail"]
    assert failed["comment"].notna().all() and (failed["points_deducted"] >= 0).all()
    assert (items.loc[items["result"] != "fail", "points_deducted"] == 0).all()


def test_evaluator_leniency_differs_by_evaluator(small_tables):
    items = small_tables["evaluation_items"].merge(small_tables["evaluations"], on="evaluation_id")
    cal = items[items["mode"] == "calibration"]
    per_eval = cal.groupby("evaluator_id")["points_deducted"].sum()
    assert per_eval.nunique() > 1


def test_customer_numbers_are_mainland_mobiles_with_repeat_callers(small_tables):
    c = small_tables["contacts"]
    assert c["customer_id"].str.fullmatch(r"1[3-9]\d{9}").all()
    counts = c["customer_id"].value_counts()
    assert counts.iloc[0] >= 3 and (counts == 1).mean() > 0.5
    assert np.isfinite(c["queue_wait_s"]).all()
