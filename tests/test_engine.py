"""The DuckDB layer agrees with a plain pandas computation on the same data."""

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

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


def _by_window(con, table, start, end, where, salt, k_sql):
    """The same pick by a plain window over every flagged contact: the reference."""
    return con.execute(
        f"""
        SELECT contact_id FROM (
            SELECT t.contact_id, count(*) OVER (PARTITION BY t.agent_id) AS n,
                   row_number() OVER (PARTITION BY t.agent_id ORDER BY hash(t._h, ?)) AS r
            FROM {table} t WHERE t.start_time >= ? AND t.start_time < ? AND ({where})
        ) WHERE r <= {k_sql}
        """,
        [salt, start, end],
    ).df()


@pytest.mark.parametrize("margin", [(4.0, 10.0), (0.0, 0.0)])  # (0, 0): most agents re-ranked
def test_smallest_per_agent_is_the_exact_top_k_of_a_full_window(small_dir, monkeypatch, margin):
    monkeypatch.setattr(engine, "KEY_MARGIN", margin)
    con = engine.connect(small_dir)
    start, end = datetime(2026, 6, 1), datetime(2026, 7, 1)
    t = engine.stage(con, "_m", start, end, (*engine.RULE_COLUMNS, "customer_id"), seed=3)
    where = "t.answered AND t.talk_s >= 10"
    agents = con.execute(f"SELECT DISTINCT agent_id FROM {t} ORDER BY 1").df()
    want = agents.assign(k=np.arange(len(agents)) % 7 * 5)  # 0 to 30 per agent
    got = engine.smallest_per_agent(
        con, start, end, where, [], "pool", ("contact_id", "agent_id"), t, want=want
    )
    con.register("_w", want)
    ref = con.execute(
        f"""SELECT contact_id FROM (
                SELECT t.contact_id, w.k, row_number() OVER (PARTITION BY t.agent_id ORDER BY hash(t._h, 'pool')) r
                FROM {t} t JOIN _w w USING (agent_id) WHERE t.start_time >= ? AND t.start_time < ? AND {where}
            ) WHERE r <= k""",
        [start, end],
    ).df()
    assert len(ref) > 200 and sorted(got["contact_id"]) == sorted(ref["contact_id"])

    short = "t.answered AND t.talk_s < 60"
    got = engine.smallest_per_agent(
        con, start, end, short, [], "short", ("contact_id", "agent_id"), t, share=0.3, cap=4
    )
    ref = _by_window(con, t, start, end, short, "short", "least(ceil(n * 0.3 - 1e-9), 4)")
    assert len(ref) > 20 and sorted(got["contact_id"]) == sorted(ref["contact_id"])
    n = con.execute(f"SELECT agent_id, count(*) AS n FROM {t} t WHERE {short} GROUP BY 1").df()
    assert (
        dict(zip(got["agent_id"], got["_n"], strict=True)).items()
        <= dict(zip(n["agent_id"], n["n"], strict=True)).items()
    )


def test_repeat_contacts_match_a_pandas_scan(small_dir, small_tables):
    """Staged (customer hash pre-filter) and plain agree with a sort in pandas."""
    start, end = datetime(2026, 6, 1), datetime(2026, 7, 1)
    c = small_tables["contacts"]
    c = c[c["answered"].fillna(False) & c["customer_id"].notna() & (c["start_time"] < end)]
    c = c.sort_values(["customer_id", "start_time"])
    gap = c["start_time"] - c.groupby("customer_id")["start_time"].shift()
    expect = c[(c["start_time"] >= start) & (gap <= pd.Timedelta(hours=24))]
    con = engine.connect(small_dir)
    plain = engine.repeat_contacts(con, start, end, 24)
    t = engine.stage(
        con,
        "_m",
        datetime(2026, 5, 31),
        end,
        ("contact_id", "customer_id", "start_time", "answered"),
        seed=1,
    )
    staged = engine.repeat_contacts(con, start, end, 24, t)
    assert len(expect) > 5
    assert (
        sorted(plain["contact_id"]) == sorted(staged["contact_id"]) == sorted(expect["contact_id"])
    )


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
