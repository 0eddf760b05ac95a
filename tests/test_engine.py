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
