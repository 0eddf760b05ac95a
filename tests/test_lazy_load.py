"""Chat messages and transcripts checked in Arrow and read only when used (``data.lazy``).

A clean conversation table stays on disk after ``load_center`` and, when read, equals what the
exact path loads. A Parquet part with a bad row fails with the exact path's message: the same
file, row, column and expectation as before the Arrow checks existed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qaworkbench.data.load import load_center, load_table, present_tables
from qaworkbench.errors import ValidationError


@pytest.fixture(params=["file", "folder"])
def center(small_dir, tmp_path, request) -> Path:
    """The small center; "folder": its conversation tables as folders of one part each."""
    d = tmp_path / "center"
    shutil.copytree(small_dir, d)
    if request.param == "folder":
        for name in ("chat_messages", "transcripts"):
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


def test_clean_conversations_stay_on_disk_until_read(center):
    c = load_center(center)
    assert c.tables.deferred("chat_messages") is not None
    assert c.tables.deferred("transcripts") is not None
    for name in ("chat_messages", "transcripts"):
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
    assert 7 in {p.row for p in hits}, str(e.value)
    assert all(expected in p.expected for p in hits)


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
