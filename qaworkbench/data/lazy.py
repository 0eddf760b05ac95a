"""Conversation tables (chat messages, call transcripts) checked in Arrow, loaded when asked.

A month of a 2,000-agent center holds millions of messages; most commands never read them
(auto-QA reads them through DuckDB). When their Parquet is already typed the way loading would
type it, every check ``load_table`` and ``load_center`` make is made here on Arrow columns, the
text streamed batch by batch, and the table stays on disk until someone reads it. The first
check that finds anything hands the table back to the exact path (``load_table``), so every
message, row number and reject file is the exact path's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import bytescan
from .parse import ASCII_SPACE, _clean_arrow, mangled_ids
from .schema import Table, table
from .validate import rows_of

CONVERSATIONS = ("chat_messages", "transcripts")
_TEXTS = (pa.string(), pa.large_string(), pa.string_view())


@dataclass
class Deferred:
    """A table whose checks passed in Arrow, read (through ``load``) when first used."""

    load: Callable[[], pd.DataFrame]
    rows: int
    ids: pa.Array  # the distinct values of the column that references contacts
    empty_columns: tuple[str, ...] = ()  # optional columns with no value at all
    notes: list[str] = field(default_factory=list)


class Tables(dict):
    """The center's tables by name; a ``Deferred`` one is loaded on first access."""

    def __getitem__(self, name: str) -> pd.DataFrame:
        v = super().__getitem__(name)
        if isinstance(v, Deferred):
            v = v.load()
            super().__setitem__(name, v)
        return v

    def get(self, name: str, default: object = None) -> object:
        try:
            return self[name]
        except KeyError:
            return default

    def deferred(self, name: str) -> Deferred | None:
        """The table's ``Deferred`` if it has not been read yet, else None."""
        v = super().get(name)
        return v if isinstance(v, Deferred) else None

    def values(self):  # type: ignore[override]
        return [self[k] for k in self]

    def items(self):  # type: ignore[override]
        return [(k, self[k]) for k in self]

    def __or__(self, other: dict) -> dict:
        return dict(self.items()) | dict(other)


def check(path: Path, name: str) -> Deferred | None:
    """Make ``name``'s row checks (``validate.row_checks`` and the parsing's) on the Parquet
    ``path`` (a file or a folder of parts) in Arrow: a ``Deferred`` when nothing fails, None
    when something may (then the exact path says what)."""
    import pyarrow.dataset as ds

    t = table(name)
    try:
        data = ds.dataset(str(path), format="parquet")
    except (OSError, ValueError, pa.ArrowException):
        return None
    schema = data.schema
    kinds = {c.name: c for c in t.columns}
    if any(c.required and c.name not in schema.names for c in t.columns):
        return None
    for f in schema:
        c = kinds.get(f.name)
        if c is not None and not _typed(f.type, c.kind):
            return None
    narrow = [c.name for c in t.columns if c.name in schema.names and c.kind != "text"]
    cols = data.to_table(columns=narrow, use_threads=False)
    n = cols.num_rows
    if n == 0:
        return None
    empty = [c.name for c in t.columns if c.without and c.name not in schema.names]  # filled empty
    for c in t.columns:
        if c.kind == "text" or c.name not in cols.column_names:
            continue
        arr = cols[c.name]
        nulls = arr.null_count
        if c.required and nulls:
            return None
        if nulls == n and c.without:
            empty.append(c.name)
        if c.kind in ("id", "category") and not _clean_words(arr, c.values, c.kind):
            return None
    if not _increasing(cols, t.key):  # duplicates, or rows out of order: the exact path
        return None
    if name == "chat_messages" and "timestamp" in cols.column_names and _back_in_time(cols):
        return None
    if name == "transcripts" and pc.any(pc.less(cols["end_s"], cols["start_s"])).as_py():
        return None
    for c in t.columns:  # free text: streamed, never all of it in memory
        if c.kind == "text" and c.name in schema.names:
            bad = _blank_text(data, c.name)
            if bad is None or (bad and c.required):
                return None
    unused = [f for f in schema.names if f not in kinds and not f.startswith("_")]
    notes = [f"source columns not used: {', '.join(unused)}"] if unused else []
    ref = next(iter(t.references))
    return Deferred(lambda: None, n, _distinct_sorted(cols[ref]), tuple(empty), notes)  # type: ignore[arg-type]


def _typed(ty: pa.DataType, kind: str) -> bool:
    """True when a column of Arrow type ``ty`` parses as ``kind`` unchanged (no text to read)."""
    if kind in ("id", "category", "text"):
        return ty in _TEXTS
    if kind in ("number", "duration"):
        return pa.types.is_integer(ty) or pa.types.is_floating(ty)
    if kind == "datetime":
        return pa.types.is_timestamp(ty) and ty.tz is None
    return False


def _clean_words(arr: pa.ChunkedArray, allowed: tuple[str, ...], kind: str) -> bool:
    """Ids and categories that parse as they are: nothing to strip, no empty cell, no number a
    spreadsheet mangled (ids), every category one of ``allowed``."""
    if kind == "category":  # the distinct values, each once
        return bool(pc.all(pc.is_in(pc.unique(arr), value_set=pa.array(list(allowed)))).as_py())
    return _clean_arrow(arr) and not mangled_ids(arr).any()


def _trimmed(arr: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """White space stripped at both ends (ASCII's trim, the faster, when all is ASCII)."""
    if pc.all(pc.string_is_ascii(arr)).as_py():
        return pc.ascii_trim(arr, ASCII_SPACE)
    return pc.utf8_trim_whitespace(arr)


def _increasing(cols: pa.Table, key: tuple[str, ...]) -> bool:
    """True when rows strictly increase by ``key`` (so no key repeats), as
    ``validate._strictly_increasing`` tests the loaded frame."""
    n = cols.num_rows
    if n < 2:
        return True
    less = equal = None
    for col in key:
        arr = cols[col].combine_chunks()
        a, b = arr.slice(0, n - 1), arr.slice(1)
        lt, eq = pc.less(a, b), pc.equal(a, b)
        less = lt if less is None else pc.or_(less, pc.and_(equal, lt))
        equal = eq if equal is None else pc.and_(equal, eq)
    return bool(pc.all(less).as_py())


def _back_in_time(cols: pa.Table) -> bool:
    """A message timed before the previous one of its conversation (rows in key order)."""
    n = cols.num_rows
    conv = cols["conversation_id"].combine_chunks()
    ts = cols["timestamp"].combine_chunks()
    same = pc.equal(conv.slice(0, n - 1), conv.slice(1))
    back = pc.and_(same, pc.less(ts.slice(1), ts.slice(0, n - 1)))
    return bool(pc.any(pc.fill_null(back, False)).as_py())


def _blank_text(data: object, column: str) -> bool | None:
    """True when some cell of ``column`` is empty or white space, read batch by batch."""
    for batch in _batches(data, column):
        arr = batch.column(0)
        if arr.null_count:
            return True
        if bytescan.readable(arr):  # a blank value is empty or starts with white space
            at = bytescan.blank_candidates(arr)
            if not len(at):
                continue
            arr = arr.take(pa.array(at))
        if pc.any(pc.equal(pc.binary_length(_trimmed(arr)), 0)).as_py():
            return True
    return False


def _batches(data: object, column: str) -> Iterator[pa.RecordBatch]:
    """``column`` of every part, 64 k rows at a time, one part after the other (no read-ahead:
    a dataset scan would hold several row groups of text at once)."""
    import pyarrow.parquet as pq

    for part in data.files:  # type: ignore[attr-defined]
        f = pq.ParquetFile(part, pre_buffer=False)
        yield from f.iter_batches(batch_size=64 * 1024, columns=[column], use_threads=False)


def _distinct_sorted(arr: pa.ChunkedArray) -> pa.Array:
    """The distinct values of a column whose rows are in key order (equal values adjacent)."""
    a = arr.combine_chunks()
    if len(a) < 2:
        return a
    starts = pc.not_equal(a.slice(1), a.slice(0, len(a) - 1))
    return a.filter(pa.concat_arrays([pa.array([True]), starts]))


def missing_references(d: Deferred, reference: pd.Series) -> bool:
    """True when some of ``d``'s referencing values is not in ``reference`` (contact ids)."""
    from ..frames import isin

    return not bool(np.all(isin(_ids(d), reference)))


def _ids(d: Deferred) -> pd.Series:
    """The deferred table's distinct contact ids, as text."""
    return pd.Series(d.ids.cast(pa.large_string()).to_pandas(), dtype="str")


def is_conversation(t: Table) -> bool:
    """Tables this module can defer."""
    return t.name in CONVERSATIONS


def named_contacts(loaded: Tables) -> pd.DataFrame:
    """The contacts some other table names, with the columns the cross-checks compare: the
    month's millions of contact ids probed once for all the tables, not once per table. Every
    check against contacts gives the same answer on these rows as on the whole table."""
    ids: list[pd.Series] = []
    for k in loaded:
        if (d := loaded.deferred(k)) is not None:
            ids.append(_ids(d))
            continue
        cols = [c for c, (other, _) in table(k).references.items() if other == "contacts"]
        ids += [loaded[k][c].astype("str") for c in cols if c in loaded[k]]
    contacts = loaded["contacts"]
    reference = pd.concat(ids, ignore_index=True) if ids else pd.Series([], dtype="str")
    return rows_of(contacts, reference)
