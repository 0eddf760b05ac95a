"""The DuckDB layer agrees with a plain pandas computation on the same data."""

from datetime import datetime

import numpy as np
import pandas as pd

from qaworkbench.data import engine


def test_handled_per_agent_and_service_level_match_pandas(small_dir, small_tables):
    con = engine.connect(small_dir)
    start, end = datetime(2026, 5, 1), datetime(2026, 6, 1)
    c = small_tables["contacts"]
    m = c[(c["start_time"] >= start) & (c["start_time"] < end)]
    handled = engine.handled_per_agent(con, start, end).groupby("agent_id")["handled"].sum()
    expect = m[m["answered"].fillna(False)].groupby("agent_id").size()
    assert handled.sort_index().tolist() == expect.sort_index().tolist()

    sl = engine.service_level_by_interval(con, start, end, interval_min=30)
    m = m[m["direction"] == "inbound"]  # the centers' rate: inbound offered contacts only
    bucket = m["start_time"].dt.floor("30min")
    ok = m["answered"].fillna(False) & (m["queue_wait_s"] <= 20)
    exp = ok.groupby([bucket, m["channel"]]).mean()
    got = sl.set_index(["interval_start", "channel"])["service_level"]
    assert len(got) == len(exp)
    assert np.allclose(got.sort_index().to_numpy(), exp.sort_index().to_numpy())


def test_monthly_overview(small_dir, small_tables):
    con = engine.connect(small_dir)
    ov = engine.monthly_overview(con)
    assert ov["month"].tolist() == ["2026-05", "2026-06"]
    assert ov["offered"].sum() == len(small_tables["contacts"])


def test_repeat_contacts_match_a_pandas_scan(small_dir, small_tables):
    start, end = datetime(2026, 6, 1), datetime(2026, 7, 1)
    c = small_tables["contacts"]
    c = c[c["answered"].fillna(False) & c["customer_id"].notna() & (c["start_time"] < end)]
    c = c.sort_values(["customer_id", "start_time"])
    gap = c["start_time"] - c.groupby("customer_id")["start_time"].shift()
    expect = c[(c["start_time"] >= start) & (gap <= pd.Timedelta(hours=24))]
    con = engine.connect(small_dir)
    got = engine.repeat_contacts(con, start, end, 24)
    assert len(expect) > 5
    assert sorted(got["contact_id"]) == sorted(expect["contact_id"])


def test_repeat_contacts_at_the_same_second_are_ordered_by_contact_id():
    """Ties in start time used to take whichever order the window met them in, so the same
    inputs could explain a repeat contact differently from run to run."""
    import duckdb

    t = pd.Timestamp("2026-06-02 10:00:00")
    contacts = pd.DataFrame(
        {
            "contact_id": ["C9", "C2", "C1"],  # the later id first in the file
            "customer_id": ["13800000000"] * 3,
            "start_time": [t, t, t - pd.Timedelta(hours=30)],
            "answered": [True, True, True],
        }
    )
    con = duckdb.connect()
    con.register("contacts", contacts)
    got = engine.repeat_contacts(con, datetime(2026, 6, 1), datetime(2026, 7, 1), 24)
    assert got[["contact_id", "previous_contact_id", "hours_since"]].values.tolist() == [
        ["C9", "C2", 0.0]
    ]


def _hand_made(tmp_path):
    """One 30-minute interval with every kind of contact, and outbound calls beside it."""
    rows = [  # inbound: answered in 10 s, answered in 30 s, abandoned after 5 s and after 40 s
        ("I1", "inbound", True, 10.0), ("I2", "inbound", True, 30.0),
        ("I3", "inbound", False, 5.0), ("I4", "inbound", False, 40.0),
        ("O1", "outbound", True, 100.0), ("O2", "outbound", False, 90.0),
    ]  # fmt: skip
    c = pd.DataFrame(rows, columns=["contact_id", "direction", "answered", "queue_wait_s"])
    c = c.assign(
        agent_id="A1", start_time=pd.Timestamp("2026-05-04 09:10"), channel="voice",
        talk_s=120.0, customer_id=None,
    )  # fmt: skip
    c.to_parquet(tmp_path / "contacts.parquet", index=False)
    return engine.connect(tmp_path)


def test_service_level_counts_inbound_offered_only_by_the_abandon_setting(tmp_path):
    """Hand-computed: 4 inbound offered, 1 answered within 20 s, 1 abandoned within 20 s; the
    two outbound calls never count."""
    con = _hand_made(tmp_path)
    start, end = datetime(2026, 5, 4), datetime(2026, 5, 5)
    for abandoned, offered, in_time in (("missed", 4, 1), ("excluded", 3, 1), ("met", 4, 2)):
        sl = engine.service_level_by_interval(con, start, end, abandoned=abandoned)
        assert sl[["offered", "answered_in_time"]].values.tolist() == [[offered, in_time]]
        assert sl["service_level"].iloc[0] == in_time / offered
        assert sl["interval_start"].iloc[0] == pd.Timestamp("2026-05-04 09:00")
    ov = engine.monthly_overview(con)
    assert ov["offered"].iloc[0] == 6 and ov["service_level"].iloc[0] == 0.25
