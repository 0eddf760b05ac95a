"""The sampling month as arrays: its counts agree with the SQL engine and pandas, its picks
are the exact smallest keys, and repeat callers match a plain scan, ties and collisions too."""

import dataclasses
import shutil
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from qaworkbench.data import engine
from qaworkbench.sampling import counts, picks, scan
from qaworkbench.sampling.plan import load_plan
from qaworkbench.sampling.rules import repeats

JUNE, JULY = datetime(2026, 6, 1), datetime(2026, 7, 1)
HOTLINE = load_plan("hotline")


def _month(con, small_tables, table="contacts", lookback_h=24, agents=None):
    return scan.scan_month(
        con, JUNE, JULY, lookback=pd.Timedelta(hours=lookback_h),
        agents=agents if agents is not None else small_tables["agents"]["agent_id"], seed=7,
        evaluated=small_tables["evaluations"]["contact_id"],
        complained=small_tables["complaints"]["contact_id"], table=table,
    )  # fmt: skip


def test_month_arrays_and_counts_agree_with_sql_and_pandas(small_dir, small_tables):
    con = engine.connect(small_dir)
    m = _month(con, small_tables)
    c = small_tables["contacts"]
    june = c[(c["start_time"] >= JUNE) & (c["start_time"] < JULY)]
    assert m.in_month.sum() == len(june)
    assert (
        len(m)
        == ((c["start_time"] >= JUNE - pd.Timedelta(hours=24)) & (c["start_time"] < JULY)).sum()
    )
    ids = pd.Series(m.text.column("contact_id").to_pylist())
    assert (m.done == ids.isin(small_tables["evaluations"]["contact_id"])).all()
    assert (m.complained == ids.isin(small_tables["complaints"]["contact_id"])).all()
    assert m.done.any() and m.complained.any()

    def by(df, cols):
        return df.sort_values(cols).reset_index(drop=True)

    cols = ["agent_id", "channel", "direction"]
    got = by(counts.handled_per_agent(m), cols)
    ref = by(engine.handled_per_agent(con, JUNE, JULY), cols)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)

    for width in (30, 45, 7):  # 45 and 7 do not divide a day: buckets count from 1970
        got = by(counts.service_level(m, width, 20), ["interval_start", "channel"])
        ref = engine.service_level_by_interval(con, JUNE, JULY, interval_min=width)
        ref = by(ref, ["interval_start", "channel"])
        pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    ref = by(engine.service_level_by_interval(con, JUNE, JULY), ["interval_start", "channel"])
    missed = ref[ref["service_level"] < 0.9]
    assert len(missed) > 3
    hit = counts.interval_rows(m, missed, 30)
    key = pd.MultiIndex.from_frame(missed[["interval_start", "channel"]])
    t = pd.Series(m.t.astype("datetime64[us]")).dt.floor("30min")
    ch = pd.Series(np.array(["voice", "chat", None], dtype=object)[m.channel])
    expect = pd.MultiIndex.from_arrays([t, ch]).isin(key) & m.in_month
    assert hit.sum() > 0 and (hit == expect).all()
    some = np.arange(1, len(m), 3)
    assert (counts.interval_rows(m, missed, 30, some) == expect[some]).all()

    shifts = HOTLINE.shifts
    got = by(counts.worked(m, HOTLINE), ["agent_id", "date", "shift"])
    answered = june[june["answered"].fillna(False)]
    hour = answered["start_time"].dt.hour
    shift = np.select([(hour >= a) & (hour < b) for a, b in shifts.values()], list(shifts), "")
    ref = by(
        answered.groupby([answered["agent_id"], answered["start_time"].dt.normalize().rename("date"),
                          pd.Series(shift, index=answered.index, name="shift")])
        .size().rename("n").reset_index(),
        ["agent_id", "date", "shift"],
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)


@pytest.mark.parametrize("margin", [(4.0, 10.0), (0.0, 0.0)])  # (0, 0): most agents kept whole
def test_smallest_per_agent_is_the_exact_top_k_of_a_full_sort(monkeypatch, margin):
    monkeypatch.setattr(picks, "KEY_MARGIN", margin)
    rng = np.random.default_rng(4)
    agent = rng.integers(0, 40, 20_000)
    key = picks.keys(rng.integers(0, 2**63, 20_000, dtype=np.uint64), "pool0")
    rows = np.arange(20_000) * 3  # rows are labels, not positions
    take = np.arange(40) % 9 * 20  # 0 to 160 per agent; some agents have fewer than that
    take[5] = 10_000
    got = picks.smallest_per_agent(rows, agent, key, take)
    ref = pd.DataFrame({"row": rows, "agent": agent, "key": key}).sort_values("key")
    ref = ref[ref.groupby("agent").cumcount() < take[ref["agent"]]]
    assert len(ref) > 2_000 and sorted(got) == sorted(ref["row"])
    assert (
        np.bincount(agent[got // 3], minlength=40) == np.minimum(take, np.bincount(agent))
    ).all()

    # the whole-column form: rows where a mask holds, agent -1 never taken
    mask = rng.random(20_000) < 0.8
    coded = np.where(rng.random(20_000) < 0.05, -1, agent)
    got = picks.smallest_where(mask, coded, key, take)
    ref = pd.DataFrame({"row": np.arange(20_000), "agent": coded, "key": key})
    ref = ref[mask & (coded >= 0)].sort_values("key")
    ref = ref[ref.groupby("agent").cumcount() < take[ref["agent"]]]
    assert len(ref) > 2_000 and sorted(got) == sorted(ref["row"])


def test_random_keys_depend_on_the_salt_and_look_uniform():
    h = np.arange(100_000, dtype=np.uint64)  # the worst input: consecutive
    a, b = picks.keys(h, "pool0"), picks.keys(h, "pool1")
    assert (a != b).mean() > 0.999 and (picks.keys(h, "pool0") == a).all()
    share_below_half = (a < np.uint64(2**63)).mean()
    assert 0.49 < share_below_half < 0.51


def _repeats_frame(m, got):
    ids = m.text.column("contact_id")
    return (
        pd.DataFrame(
            {
                "contact_id": ids.take(got[0]).to_pylist(),
                "previous_contact_id": ids.take(got[1]).to_pylist(),
                "hours_since": got[2],
            }
        )
        .sort_values("contact_id")
        .reset_index(drop=True)
    )


def test_repeat_rows_match_the_sql_window_and_a_pandas_scan(small_dir, small_tables):
    con = engine.connect(small_dir)
    m = _month(con, small_tables)
    got = _repeats_frame(m, repeats.repeat_rows(m, 24))
    ref = engine.repeat_contacts(con, JUNE, JULY, 24)
    assert len(ref) > 5
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
    c = small_tables["contacts"]
    c = c[c["answered"].fillna(False) & c["customer_id"].notna() & (c["start_time"] < JULY)]
    c = c.sort_values(["customer_id", "start_time"])
    gap = c["start_time"] - c.groupby("customer_id")["start_time"].shift()
    expect = c[(c["start_time"] >= JUNE) & (gap <= pd.Timedelta(hours=24))]
    assert sorted(got["contact_id"]) == sorted(expect["contact_id"])

    # a customer-hash collision (here: every customer shares one hash) changes nothing
    collided = dataclasses.replace(m, c=np.zeros_like(m.c))
    pd.testing.assert_frame_equal(_repeats_frame(m, repeats.repeat_rows(collided, 24)), got)


def test_repeat_contacts_at_the_same_second_are_ordered_by_contact_id():
    t = pd.Timestamp("2026-06-02 10:00:00")
    contacts = pd.DataFrame(
        {
            "contact_id": ["C9", "C2", "C1", "C5"],  # the later ids first in the file
            "agent_id": ["A1"] * 4,
            "start_time": [t, t, t - pd.Timedelta(hours=30), t],
            "channel": ["voice"] * 4,
            "direction": ["inbound"] * 4,
            "answered": [True] * 4,
            "talk_s": [60.0] * 4,
            "queue_wait_s": [5.0] * 4,
            "customer_id": ["13800000000"] * 4,
            "recording_ref": ["r"] * 4,
        }
    )
    con = duckdb.connect()
    tables = {"agents": pd.DataFrame({"agent_id": ["A1"]}),
              "evaluations": pd.DataFrame({"contact_id": ["C0"]}),
              "complaints": pd.DataFrame({"contact_id": ["C0"]})}  # fmt: skip
    for order in (contacts, contacts.iloc[::-1].reset_index(drop=True).copy()):
        con.register("contacts", order)
        m = _month(con, tables, lookback_h=24)
        got = _repeats_frame(m, repeats.repeat_rows(m, 24))
        assert got.values.tolist() == [["C5", "C2", 0.0], ["C9", "C5", 0.0]]


def test_engine_sample_is_the_same_whatever_order_the_export_arrives_in(small_dir, tmp_path):
    from qaworkbench.sampling import sample_month

    d = tmp_path / "shuffled"
    shutil.copytree(small_dir, d)
    c = pd.read_parquet(d / "contacts.parquet")
    c.sample(frac=1.0, random_state=3).to_parquet(d / "contacts.parquet", index=False)
    a = sample_month(small_dir, "2026-06", HOTLINE, seed=11)
    b = sample_month(d, "2026-06", HOTLINE, seed=11)
    pd.testing.assert_frame_equal(a.contacts, b.contacts)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert len(a.contacts) > 50


def test_take_from_a_column_with_no_chunks():  # what an empty month can come as
    column = pa.chunked_array([], type=pa.string())
    assert scan.take(column, np.empty(0, dtype=np.int64)).to_pylist() == []


@pytest.mark.parametrize("order", ["sorted", "shuffled", "empty"])
def test_take_from_a_chunked_column_keeps_the_order_of_the_rows(order):
    chunks = [[f"c{i}" for i in range(a, b)] for a, b in ((0, 5), (5, 5), (5, 12), (12, 30))]
    column = pa.chunked_array(chunks, type=pa.string())
    flat = [v for c in chunks for v in c]
    rng = np.random.default_rng(3)
    rows = {
        "sorted": np.sort(rng.choice(30, 17, replace=False)),
        "shuffled": rng.choice(30, 40),  # repeats and every chunk in any order
        "empty": np.empty(0, dtype=np.int64),
    }[order]
    got = scan.take(column, rows)
    assert got.to_pylist() == [flat[i] for i in rows]


def test_a_flag_needs_the_id_itself_not_only_its_key():
    h = np.array([1 << 63, 5, 5 << 50, 77], dtype=np.uint64)
    ids = pa.chunked_array([["a", "b"], ["c", "d"]])

    def among(wanted_h, wanted):
        return (np.array(wanted_h, dtype=np.uint64), pa.chunked_array([wanted]))

    b_and_c, x, none = scan._among(
        h,
        ids,
        [among([5, 5 << 50], ["b", "c"]), among([5], ["x"]), among([], pa.array([], pa.string()))],
    )
    assert b_and_c.tolist() == [False, True, True, False]
    assert not x.any()  # the key of "b" for another id: a hash collision
    assert not none.any()
    # sets asked together, sharing rows and keys' top bits: each answers for itself alone
    d, a_only, c_and_d = scan._among(
        h, ids, [among([77], ["d"]), among([1 << 63], ["a"]), among([5 << 50, 77], ["c", "d"])]
    )
    assert d.tolist() == [False, False, False, True]
    assert a_only.tolist() == [True, False, False, False]
    assert c_and_d.tolist() == [False, False, True, True]


def test_a_month_without_contacts_is_a_clear_error(small_dir):
    from qaworkbench.errors import QAWError
    from qaworkbench.sampling import sample_month

    with pytest.raises(QAWError, match="no contacts in 2030-05"):
        sample_month(small_dir, "2030-05", HOTLINE, seed=1)


@pytest.mark.parametrize("unit_us", [1_000_000, 1_000, 1])
def test_contacts_ordered_by_customer_then_time_at_any_size(unit_us):
    """The one-key sort (times in whole seconds or ms) and the two-sort fallback (times in µs
    with too many customers for one key) give the order of a (customer, time) sort."""
    rng = np.random.default_rng(7)
    n = 200_000
    run = np.sort(rng.integers(0, 1 << 23, n)).astype(np.int64)  # 8 M customers' worth of bits
    t0 = 1_777_593_600 * 1_000_000  # 2026-05-01 in µs
    t = t0 + rng.integers(0, 35 * 24 * 3600 * 1_000_000 // unit_us, n) * unit_us
    o = repeats.by_run_then_time(run, t)
    assert sorted(o) == list(range(n))
    key = pd.DataFrame({"run": run[o], "t": t[o]})
    assert key.equals(key.sort_values(["run", "t"], kind="stable").reset_index(drop=True))
