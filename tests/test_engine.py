"""The DuckDB layer agrees with a plain pandas computation on the same data."""

from datetime import datetime

import numpy as np

from qaworkbench import engine


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
