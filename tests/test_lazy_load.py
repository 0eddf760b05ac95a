"""Contacts, chat messages and transcripts checked in Arrow and read only when used
(``data.lazy``).

A clean table of these stays on disk after ``load_center`` and, when read, equals what the
exact path loads. A Parquet part with a bad row fails with the exact path's message: the same
file, row, column and expectation as before the Arrow checks existed.
"""

from __future__ import annotations

import shutil
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from qaworkbench.data.load import load_center, load_table, present_tables
from qaworkbench.errors import ValidationError


@pytest.fixture(params=["file", "folder"])
def center(small_dir, tmp_path, request) -> Path:
    """The small center; "folder": its contacts and conversation tables as folders of one
    part each."""
    d = tmp_path / "center"
    shutil.copytree(small_dir, d)
    if request.param == "folder":
        for name in ("contacts", "chat_messages", "transcripts"):
            (d / name).mkdir()
            (d / f"{name}.parquet").rename(d / name / "2026-05.parquet")
    return d


def _part(d: Path, table: str) -> Path:
    single = d / f"{table}.parquet"
    return single if single.exists() else sorted((d / table).glob("*.parquet"))[0]


def _shown(part: Path, table: str) -> str:
    """The file a message names: the file, or the part within the table's folder."""
    return part.name if part.parent.name != table else f"{table}/{part.name}"


def _rewrite(path: Path, change) -> None:
    t = pq.read_table(path)
    df = t.to_pandas()
    change(df)
    pq.write_table(pa.Table.from_pandas(df, schema=t.schema, preserve_index=False), path)


def test_clean_big_tables_stay_on_disk_until_read(center):
    c = load_center(center)
    for name in ("contacts", "chat_messages", "transcripts"):
        assert c.tables.deferred(name) is not None
    for name in ("contacts", "chat_messages", "transcripts"):
        exact, _ = load_table(present_tables(center)[name], name)
        pd.testing.assert_frame_equal(c.tables[name], exact)  # read on first use
        assert c.tables.deferred(name) is None
    rep = {r.table: r for r in c.reports}["chat_messages"]
    assert rep.rows_read == rep.rows_kept == len(c.chat_messages)
    assert c.limits() == load_center(center).limits()


def _bad_time(df):
    df.loc[6, "timestamp"] = df.loc[5, "timestamp"] - pd.Timedelta(minutes=5)
    df.loc[6, "conversation_id"] = df.loc[5, "conversation_id"]
    df.loc[6, "seq"] = df.loc[5, "seq"] + 0.5


def _set(df, column, value):
    df.loc[6, column] = value


def _repeat(df):
    df.loc[6, ["conversation_id", "seq"]] = df.loc[5, ["conversation_id", "seq"]].to_numpy()


CASES = {  # what is done to row 7 (position 6) of the first part, and the column named
    "time before the previous message": (_bad_time, "timestamp", "a time at or after"),
    "a repeated key": (
        _repeat,
        "conversation_id,seq",
        "a unique conversation_id + seq",
    ),
    "blank text": (lambda df: _set(df, "text", "  "), "text", "a value"),
    "unknown sender": (lambda df: _set(df, "sender", "robot"), "sender", "one of agent, customer"),
    "a chat not in contacts": (
        lambda df: _set(df, "conversation_id", "ZZ-NO-SUCH"),
        "conversation_id",
        "a contact_id present in contacts",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_row_gets_the_exact_paths_message(center, case):
    change, column, expected = CASES[case]
    part = _part(center, "chat_messages")
    _rewrite(part, change)
    with pytest.raises(ValidationError) as e:
        load_center(center)
    where = _shown(part, "chat_messages")
    hits = [p for p in e.value.problems if p.column == column and p.file == where]
    assert hits, str(e.value)
    assert {p.row for p in hits} == {7} and e.value.total == len(hits), str(e.value)  # no other row
    assert all(expected in p.expected for p in hits)


def test_a_missing_chat_contact_among_chats_nobody_evaluated(center):
    """Only the contacts evaluations and complaints name are gathered with their columns when
    every contact named is there; when one is missing, every contact named is, so a chat that
    nothing else names is still found and only the missing one's messages are reported. (The
    ids sort last, so the messages stay in key order and are checked on disk.)"""
    contacts, chats = _part(center, "contacts"), _part(center, "chat_messages")
    t = pq.read_table(chats).to_pandas()
    lone = t[t["conversation_id"] == t["conversation_id"].iloc[0]].copy()

    def add_contact(df):  # a chat contact of its own, named by no evaluation or complaint
        row = df[df["contact_id"] == lone["conversation_id"].iloc[0]].copy()
        df.loc[len(df)] = row.assign(contact_id="ZZZY-LONE").iloc[0]

    def add_chats(df):  # its messages, then the same under an id no contact has
        for name in ("ZZZY-LONE", "ZZZZ-NO-SUCH"):
            for _, r in lone.assign(conversation_id=name).iterrows():
                df.loc[len(df)] = r

    _rewrite(contacts, add_contact)
    _rewrite(chats, add_chats)
    with pytest.raises(ValidationError) as e:
        load_center(center)
    first = len(t) + len(lone) + 1  # (rows of a Parquet file count from 1)
    assert [p.row for p in e.value.problems] == list(range(first, first + len(lone)))
    assert {p.value for p in e.value.problems} == {"ZZZZ-NO-SUCH"}, str(e.value)


def _contact(column, value):
    return lambda df: _set(df, column, value)


def _early_end(df):
    df.loc[6, "end_time"] = df.loc[6, "start_time"] - pd.Timedelta(seconds=1)


def _nobody_answered(df):
    df.loc[6, "answered"] = True
    df.loc[6, "agent_id"] = None


CONTACT_CASES = {  # what is done to row 7 of the contacts, the column named, what is expected
    "a negative talk time": (_contact("talk_s", -3.0), "talk_s", "a duration of 0 s or more"),
    "an absurd wait": (_contact("queue_wait_s", 13 * 3600.0), "queue_wait_s", "a plausible"),
    "a rating of 11": (_contact("satisfaction", 11.0), "satisfaction", "a rating from 0 to 10"),
    "an end before the start": (_early_end, "end_time", "an end time at or after start_time"),
    "answered by nobody": (_nobody_answered, "agent_id", "the agent who answered"),
    "a repeated contact": (
        lambda df: _set(df, "contact_id", df.loc[5, "contact_id"]),
        "contact_id",
        "a unique contact_id",
    ),
    "an id with a space": (
        lambda df: _set(df, "customer_id", df.loc[6, "customer_id"] + " "),
        None,  # (stripped and kept: no message, but not the fast path's)
        None,
    ),
    "an unknown channel": (_contact("channel", "fax"), "channel", "one of"),
    "an unknown agent": (_contact("agent_id", "A-NO-SUCH"), "agent_id", "an agent_id present"),
    "a mangled id": (_contact("customer_id", "1.38E+10"), "customer_id", "an identifier"),
}


@pytest.mark.parametrize("case", CONTACT_CASES)
def test_a_bad_contact_gets_the_exact_paths_message(center, case):
    """Each contact check made in Arrow hands the table to the exact path, which says what."""
    change, column, expected = CONTACT_CASES[case]
    part = _part(center, "contacts")
    _rewrite(part, change)
    if column is None:  # a value the exact path mends: loaded, and equal to its load
        c = load_center(center)
        assert c.tables.deferred("contacts") is None
        exact, _ = load_table(present_tables(center)["contacts"], "contacts")
        pd.testing.assert_frame_equal(c.contacts, exact)
        return
    with pytest.raises(ValidationError) as e:
        load_center(center)
    hits = [p for p in e.value.problems if p.column == column]
    assert hits, str(e.value)
    assert all(p.file == _shown(part, "contacts") for p in hits)
    assert 7 in {p.row for p in hits}, str(e.value)
    assert all(expected in p.expected for p in hits)


def test_a_bad_contact_in_lenient_mode_takes_its_evaluations_along(center, tmp_path):
    part = _part(center, "contacts")
    contacts = pq.read_table(part).to_pandas()
    evaluations = pd.read_parquet(center / "evaluations.parquet")
    row = int(contacts.index[contacts["contact_id"].isin(evaluations["contact_id"])][0])
    _rewrite(part, lambda df: df.__setitem__("talk_s", df["talk_s"].where(df.index != row, -1.0)))
    c = load_center(center, mode="lenient", rejects_dir=tmp_path / "rejects")
    rep = {r.table: r for r in c.reports}
    assert rep["contacts"].rejected == 1
    rejected = pd.read_csv(rep["contacts"].rejects_path, dtype=str, encoding="utf-8-sig")
    assert rejected["_row"].tolist() == [str(row + 1)]
    gone = contacts.loc[row, "contact_id"]
    assert gone not in set(c.contacts["contact_id"])
    assert gone not in set(c.evaluations["contact_id"])
    assert rep["evaluations"].rejected == (evaluations["contact_id"] == gone).sum() > 0


def test_contacts_without_an_optional_column_say_so_as_the_exact_path_does(center):
    part = _part(center, "contacts")
    t = pq.read_table(part)
    pq.write_table(t.drop(["satisfaction", "recording_ref"]), part)
    c = load_center(center)
    assert c.tables.deferred("contacts") is not None
    limits = c.limits()
    assert any(x.startswith("no contacts.satisfaction") for x in limits)
    assert any(x.startswith("no contacts.recording_ref") for x in limits)
    exact, _ = load_table(present_tables(center)["contacts"], "contacts")
    pd.testing.assert_frame_equal(c.contacts, exact)
    assert c.limits() == limits  # the same, read or not


def test_a_bad_turn_in_lenient_mode_is_rejected_with_its_row(center, tmp_path):
    part = _part(center, "transcripts")
    _rewrite(part, lambda df: _set(df, "end_s", df.loc[6, "start_s"] - 1))
    c = load_center(center, mode="lenient", rejects_dir=tmp_path / "rejects")
    rep = {r.table: r for r in c.reports}["transcripts"]
    assert rep.rejected == 1
    rejected = pd.read_csv(rep.rejects_path, dtype=str, encoding="utf-8-sig")
    assert rejected["_row"].tolist() == ["7"]
    if part.parent.name == "transcripts":  # a folder's rejects name the part
        assert rejected["_file"].tolist() == [_shown(part, "transcripts")]
    assert "end_s: expected a turn ending at or after its start" in rejected["_reasons"][0]


def test_deferred_contacts_read_as_the_exact_path_loads_them(center):
    """Whole-second durations stored as integers, flags with empty cells, free text with
    spaces to strip or only spaces: read on first use exactly as ``load_table`` loads them."""
    part = _part(center, "contacts")
    t = pq.read_table(part)
    df = t.to_pandas()
    df["talk_s"] = df["talk_s"].round().astype("Int64")  # (empty where not answered)
    df.loc[3, "resolved"] = None
    df.loc[4, "topic"] = "  账单查询 "
    df.loc[5, "topic"] = "　"  # a full-width space only: an empty cell
    schema = t.schema.set(t.schema.get_field_index("talk_s"), pa.field("talk_s", pa.int64()))
    pq.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False), part)
    c = load_center(center)
    assert c.tables.deferred("contacts") is not None
    exact, _ = load_table(present_tables(center)["contacts"], "contacts")
    pd.testing.assert_frame_equal(c.contacts, exact)
    assert c.contacts.loc[4, "topic"] == "账单查询" and pd.isna(c.contacts.loc[5, "topic"])
    assert pd.isna(c.contacts.loc[3, "resolved"])


def test_contacts_in_parts_that_differ_in_columns(small_dir, tmp_path):
    """A folder of monthly parts, the later one exported without two optional columns (its
    contacts unanswered, so no agent): checked and gathered across both parts, read as the
    exact path loads it."""
    d = tmp_path / "center"
    shutil.copytree(small_dir, d)
    t = pq.read_table(d / "contacts.parquet")
    (d / "contacts.parquet").unlink()
    (d / "contacts").mkdir()
    half = t.num_rows // 2
    pq.write_table(t.slice(0, half), d / "contacts" / "2026-05.parquet")
    later = t.slice(half).drop(["satisfaction", "agent_id"])
    later = later.set_column(later.schema.get_field_index("answered"), "answered",
                             pa.array([False] * later.num_rows))  # fmt: skip
    pq.write_table(later, d / "contacts" / "2026-06.parquet")
    c = load_center(d)
    assert c.tables.deferred("contacts") is not None
    exact, _ = load_table(present_tables(d)["contacts"], "contacts")
    pd.testing.assert_frame_equal(c.contacts, exact)
    assert c.contacts["satisfaction"].iloc[half:].isna().all()
    assert c.contacts["agent_id"].iloc[half:].isna().all()
    assert c.contacts["satisfaction"].iloc[:half].notna().any()


def _csv_center(small_dir: Path, tmp_path: Path, change=None, encoding="gb18030") -> Path:
    """The small center with its contacts as a GBK CSV export (an extra column the workbench
    does not use)."""
    d = tmp_path / "csv_center"
    shutil.copytree(small_dir, d)
    c = pd.read_parquet(d / "contacts.parquet").assign(坐席组="一组")
    (d / "contacts.parquet").unlink()
    if change is not None:
        change(c)
    c.to_csv(d / "contacts.csv", index=False, encoding=encoding)
    return d


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_csv_contacts_are_converted_once_checked_and_read_when_used(small_dir, tmp_path, encoding):
    d = _csv_center(small_dir, tmp_path, encoding=encoding)
    c = load_center(d)
    assert c.tables.deferred("contacts") is not None
    exact, exact_report = load_table(d / "contacts.csv", "contacts")
    report = {r.table: r for r in c.reports}["contacts"]
    assert (report.file, report.rows_read, report.notes) == (
        "contacts.csv", len(exact), exact_report.notes,
    )  # fmt: skip
    assert exact_report.notes[0] == f"read as {encoding}, delimiter ','"
    pd.testing.assert_frame_equal(c.contacts, exact)
    assert list((d / ".qaw-cache").glob("table-contacts*.parquet"))  # kept for the next command
    assert list((d / ".qaw-cache").glob("notes-contacts*.parquet"))
    again = {r.table: r for r in load_center(d).reports}["contacts"]  # (from the cache)
    assert again.notes == exact_report.notes
    assert c.limits() == load_center(d, mode="lenient").limits()


def test_a_bad_csv_contact_gets_the_exact_paths_message(small_dir, tmp_path):
    d = _csv_center(small_dir, tmp_path, lambda c: c.__setitem__(
        "talk_s", c["talk_s"].where(c.index != 6, -5.0)))  # fmt: skip
    with pytest.raises(ValidationError) as e:
        load_center(d)
    with pytest.raises(ValidationError) as exact:
        load_table(d / "contacts.csv", "contacts")
    assert [(p.file, p.row, p.column, p.expected, p.value) for p in e.value.problems] == [
        (p.file, p.row, p.column, p.expected, p.value) for p in exact.value.problems
    ]
    assert {(p.row, p.column) for p in e.value.problems} == {(8, "talk_s")}  # header is row 1


def test_csv_contacts_in_lenient_mode_take_the_exact_path(small_dir, tmp_path):
    d = _csv_center(small_dir, tmp_path, lambda c: c.__setitem__(
        "talk_s", c["talk_s"].where(c.index != 6, -5.0)))  # fmt: skip
    c = load_center(d, mode="lenient", rejects_dir=tmp_path / "rejects")
    rep = {r.table: r for r in c.reports}["contacts"]
    assert c.tables.deferred("contacts") is None and rep.rejected == 1
    rejected = pd.read_csv(rep.rejects_path, dtype=str, encoding="utf-8-sig")
    assert rejected["_row"].tolist() == ["8"]


@pytest.mark.parametrize("seed", range(20))
def test_the_order_checks_on_chunked_columns_are_the_definitions(seed):
    """``_increasing`` (strictly, by a key of one or two columns) and ``_back_in_time`` on
    columns in chunks of differing bounds, against the same checks made row by row."""
    from qaworkbench.data.lazy import _back_in_time, _distinct_sorted, _increasing, _unique

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    conv = sorted(f"C{x}" for x in rng.integers(0, 6, n))
    seq = [int(x) for x in rng.integers(0, 4, n)]
    if seed % 2:  # half the cases in key order, so True is tested too
        conv, seq = map(list, zip(*sorted(set(zip(conv, seq, strict=True))), strict=True))
        n = len(conv)
    ts = [int(x) for x in rng.integers(0, 5, n)]

    def chunked(values, cuts):  # (an empty chunk where two cuts meet)
        edges = [0, *sorted(cuts), n]
        kind = pa.string() if isinstance(values[0], str) else pa.int64()
        return pa.chunked_array([pa.array(values[a:b], kind) for a, b in pairwise(edges)], kind)

    cols = pa.table({
        "conversation_id": chunked(conv, rng.integers(0, n, 2)),
        "seq": chunked(seq, rng.integers(0, n, 3)),
        "timestamp": chunked(ts, rng.integers(0, n, 1)),
    })  # fmt: skip
    pairs = list(zip(conv, seq, strict=True))
    assert _increasing(cols, ("conversation_id", "seq")) == all(a < b for a, b in pairwise(pairs))
    assert _unique(cols["conversation_id"]) == (len(set(conv)) == n)
    back = any(conv[i] == conv[i + 1] and ts[i + 1] < ts[i] for i in range(n - 1))
    assert _back_in_time(cols) == back
    ids = cols["conversation_id"]
    same = pc.equal(ids.slice(0, n - 1), ids.slice(1))  # (as ``check`` shares it)
    assert _increasing(cols, ("conversation_id", "seq"), same) == _increasing(
        cols, ("conversation_id", "seq")
    )
    assert _back_in_time(cols, same) == back
    distinct = sorted(set(conv))
    assert _distinct_sorted(ids).to_pylist() == distinct
    assert _distinct_sorted(ids, same).to_pylist() == distinct
