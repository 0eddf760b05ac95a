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

from ..config import ABSURD_DURATION_S, MAX_RATING
from . import bytescan, duck
from .parse import ASCII_SPACE, _clean_arrow, mangled_ids
from .schema import table
from .validate import DURATIONS, rows_of

DEFERRABLE = ("contacts", "chat_messages", "transcripts")  # checked in Arrow, read when used
_TEXTS = (pa.string(), pa.large_string(), pa.string_view())


@dataclass
class Deferred:
    """A table whose checks passed in Arrow, read (through ``load``) when first used."""

    load: Callable[[], pd.DataFrame]
    rows: int
    ids: pa.Array  # the distinct values of its (first) referencing column, empty cells left out
    empty_columns: tuple[str, ...] = ()  # optional columns with no value at all
    notes: list[str] = field(default_factory=list)
    path: Path | None = None  # its Parquet file or folder


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
    when something may (then the exact path says what). Columns are read one or two at a
    time, so the table is never held whole."""
    import pyarrow.dataset as ds

    t = table(name)
    if name == "contacts":  # the cross-checks gather contacts with DuckDB: imported here, on
        import duckdb  # noqa: F401  (this thread, beside the other tables' loading)
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
    n = data.count_rows()
    if n == 0:
        return None
    ref = next(iter(t.references))
    # Few distinct values (categories; contacts' agents): read as a dictionary, checked once each.
    few = [c.name for c in t.columns if c.kind == "category" or (c.name == ref != t.key[0])]
    fmt = ds.ParquetFileFormat(read_options=ds.ParquetReadOptions(dictionary_columns=few))
    coded = ds.dataset(data.files, format=fmt)

    # Columns read once and kept for the checks that use them again: a key of several columns,
    # and those the checks across a row's columns compare (``_rows_hold``).
    again = (set(t.key) if len(t.key) > 1 else set()) | set(_ACROSS.get(name, ()))
    held: dict[str, pa.ChunkedArray] = {}

    def read(*columns: str) -> pa.Table:
        if missing := [c for c in columns if c not in held]:
            got = (coded if set(missing) <= set(few) else data).to_table(columns=missing)
            new = {c: got[c] for c in missing}
            held.update({c: v for c, v in new.items() if c in again})
        return pa.table({c: held[c] if c in held else new[c] for c in columns})

    ids: pa.Array | None = None
    same: pa.ChunkedArray | None = None  # a key of several columns: its first, row = next row
    empty = [c.name for c in t.columns if c.without and c.name not in schema.names]  # filled empty
    for c in t.columns:  # each column's own checks, one column in memory at a time
        if c.kind == "text" or c.name not in schema.names:
            continue
        arr = read(c.name)[c.name]
        nulls = arr.null_count
        if c.required and nulls:
            return None
        if nulls == n and c.without:
            empty.append(c.name)
        if c.kind in ("id", "category") and not _clean_words(arr, c.values, c.kind):
            return None
        if (bounds := _BOUNDS.get((name, c.name))) is not None and _outside(arr, *bounds):
            return None
        if t.key == (c.name,) and not _unique(arr):  # a repeated key: the exact path says so
            return None
        if len(t.key) > 1 and c.name == t.key[0]:  # (computed once for the three checks)
            same = pc.equal(arr.slice(0, n - 1), arr.slice(1))
        if c.name == ref:
            ids = _distinct_sorted(arr, same) if t.key[0] == ref else _distinct(arr)
        del arr
    if len(t.key) > 1 and not _increasing(read(*t.key), t.key, same):  # repeats, or disorder
        return None
    if not _rows_hold(name, read, schema.names, same):
        return None
    for c in t.columns:  # free text: streamed, never all of it in memory
        if c.kind != "text" or c.name not in schema.names:
            continue
        if c.required and _blank_text(data, c.name):
            return None
        if not c.required and c.without and not _some_text(data, c.name):  # (blank: empty)
            empty.append(c.name)
    unused = [f for f in schema.names if f not in kinds and not f.startswith("_")]
    notes = [f"source columns not used: {', '.join(unused)}"] if unused else []
    if ids is None:  # (the reference column is optional and absent)
        ids = pa.array([], pa.large_string())
    ids = pc.drop_null(ids)
    pa.default_memory_pool().release_unused()  # the columns read are gone: give the memory back
    return Deferred(lambda: None, n, ids, tuple(empty), notes, path)  # type: ignore[arg-type]


# Contacts' ranges, as ``validate.row_checks`` checks them (inclusive bounds).
_BOUNDS = {("contacts", c): (0.0, ABSURD_DURATION_S) for c in DURATIONS} | {
    ("contacts", "satisfaction"): (0.0, MAX_RATING)
}


def _unique(arr: pa.ChunkedArray) -> bool:
    """No value repeats: rows in increasing order prove it without hashing."""
    return _increasing(pa.table({"k": arr}), ("k",)) or pc.count_distinct(arr).as_py() == len(arr)


def _outside(arr: pa.ChunkedArray, low: float, high: float) -> bool:
    """Some value below ``low`` or above ``high`` (empty cells are not)."""
    out = pc.or_(pc.less(arr, low), pc.greater(arr, high))
    return bool(pc.any(out).as_py())


_ACROSS = {  # the columns ``_rows_hold`` reads, by table
    "contacts": ("start_time", "end_time", "answered", "agent_id"),
    "chat_messages": ("conversation_id", "timestamp"),
    "transcripts": ("start_s", "end_s"),
}


def _rows_hold(
    name: str, read: Callable[..., pa.Table], names: list[str], same: pa.ChunkedArray | None = None
) -> bool:
    """The checks across columns of a row, as ``validate.row_checks`` makes them (``same``:
    each conversation_id equal to the next row's, when known)."""
    if name == "chat_messages" and "timestamp" in names:
        return not _back_in_time(read("conversation_id", "timestamp"), same)
    if name == "transcripts":
        cols = read("start_s", "end_s")
        return not pc.any(pc.less(cols["end_s"], cols["start_s"])).as_py()
    if name == "contacts":
        if "end_time" in names:
            cols = read("start_time", "end_time")
            if pc.any(pc.less(cols["end_time"], cols["start_time"])).as_py():
                return False
        if "agent_id" in names and "answered" in names:  # answered, and by nobody
            cols = read("answered", "agent_id")
            both = pc.and_(pc.fill_null(cols["answered"], False), pc.is_null(cols["agent_id"]))
            return not pc.any(both).as_py()
    return True


def read_checked(path: Path, name: str) -> pd.DataFrame:
    """A table ``check`` passed, read into pandas as the exact path loads it (equal, tested)
    without making its checks again: ids and categories as they are (the checks proved them
    clean), free text stripped and dates typed by the exact path's own parsers."""
    import pyarrow.dataset as ds

    from .mapping import _empty
    from .parse import parse_datetime, parse_text

    t = table(name)
    data = ds.dataset(str(path), format="parquet")
    n = data.count_rows()
    out: dict[str, pd.Series] = {}
    for c in t.columns:  # a column at a time: the whole table's read buffers are never held
        if c.name not in data.schema.names:
            out[c.name] = _empty(c, n)
            continue
        arr = data.to_table(columns=[c.name])[c.name]
        if c.kind == "flag":
            s = arr.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
        else:
            s = arr.to_pandas()
        if c.kind in ("number", "duration"):
            s = s.astype("float64")
        elif c.kind in ("datetime", "date"):
            s = parse_datetime(s, date_only=c.kind == "date").values
        elif c.kind == "text":
            s = parse_text(s).values
        elif c.kind in ("id", "category"):
            s = s.astype("str")
        out[c.name] = s
        del arr
        pa.default_memory_pool().release_unused()  # (the read's buffers, given back)
    return pd.DataFrame(out)


def _typed(ty: pa.DataType, kind: str) -> bool:
    """True when a column of Arrow type ``ty`` parses as ``kind`` unchanged (no text to read)."""
    if kind in ("id", "category", "text"):
        return ty in _TEXTS
    if kind in ("number", "duration"):
        return pa.types.is_integer(ty) or pa.types.is_floating(ty)
    if kind == "datetime":
        return pa.types.is_timestamp(ty) and ty.tz is None
    if kind == "flag":
        return pa.types.is_boolean(ty)
    return False


def _distinct(arr: pa.ChunkedArray) -> pa.Array:
    """The distinct values of a column (of a dictionary column: of its dictionaries)."""
    if pa.types.is_dictionary(arr.type):
        return pc.unique(pa.chunked_array([c.dictionary for c in arr.chunks], arr.type.value_type))
    return pc.unique(arr)


def _clean_words(arr: pa.ChunkedArray, allowed: tuple[str, ...], kind: str) -> bool:
    """Ids and categories that parse as they are: nothing to strip, no empty cell, no number a
    spreadsheet mangled (ids), every category one of ``allowed``. A dictionary column is
    checked on its dictionaries' values (a superset of those used: never too lenient)."""
    if pa.types.is_dictionary(arr.type):
        arr = _distinct(arr)
    if kind == "category":  # the distinct values, each once
        return bool(pc.all(pc.is_in(pc.unique(arr), value_set=pa.array(list(allowed)))).as_py())
    if not bytescan.readable(arr):
        return _clean_arrow(arr) and not mangled_ids(arr).any()
    untrimmed, number_like = bytescan.id_candidates(arr)  # (one pass over the values' ends)
    return _clean_arrow(arr, untrimmed) and not mangled_ids(arr, number_like).any()


def _trimmed(arr: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """White space stripped at both ends (ASCII's trim, the faster, when all is ASCII)."""
    if pc.all(pc.string_is_ascii(arr)).as_py():
        return pc.ascii_trim(arr, ASCII_SPACE)
    return pc.utf8_trim_whitespace(arr)


def _increasing(
    cols: pa.Table, key: tuple[str, ...], same: pa.ChunkedArray | pa.Array | None = None
) -> bool:
    """True when rows strictly increase by ``key`` (so no key repeats), as
    ``validate._strictly_increasing`` tests the loaded frame (``same``: the first key column's
    row equal to the next, when known)."""
    n = cols.num_rows
    if n < 2:
        return True
    less = equal = None
    for i, col in enumerate(key):  # (chunked slices: Arrow pairs them up, no joined copy)
        a, b = cols[col].slice(0, n - 1), cols[col].slice(1)
        lt = pc.less(a, b)
        less = lt if less is None else pc.or_(less, pc.and_(equal, lt))
        if i + 1 < len(key):  # (the last column's ties need no mask)
            eq = same if i == 0 and same is not None else pc.equal(a, b)
            equal = eq if equal is None else pc.and_(equal, eq)
    return bool(pc.all(less).as_py())


def _back_in_time(cols: pa.Table, same: pa.ChunkedArray | pa.Array | None = None) -> bool:
    """A message timed before the previous one of its conversation (rows in key order;
    ``same``: each conversation_id equal to the next row's, when known)."""
    n = cols.num_rows
    conv, ts = cols["conversation_id"], cols["timestamp"]
    if same is None:
        same = pc.equal(conv.slice(0, n - 1), conv.slice(1))
    back = pc.and_(same, pc.less(ts.slice(1), ts.slice(0, n - 1)))
    return bool(pc.any(pc.fill_null(back, False)).as_py())


def _blank_text(data: object, column: str) -> bool:
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


def _some_text(data: object, column: str) -> bool:
    """True when some cell of ``column`` holds more than white space (stops at the first)."""
    for batch in _batches(data, column):
        arr = batch.column(0)
        if (
            len(arr) > arr.null_count
            and not pc.all(pc.equal(pc.binary_length(_trimmed(arr)), 0)).as_py()
        ):
            return True
    return False


def _batches(data: object, column: str) -> Iterator[pa.RecordBatch]:
    """``column`` of every part, 64 k rows at a time, one part after the other (no read-ahead:
    a dataset scan would hold several row groups of text at once)."""
    import pyarrow.parquet as pq

    for part in data.files:  # type: ignore[attr-defined]
        f = pq.ParquetFile(part, pre_buffer=False)
        yield from f.iter_batches(batch_size=64 * 1024, columns=[column], use_threads=False)


def _distinct_sorted(
    arr: pa.ChunkedArray, same: pa.ChunkedArray | pa.Array | None = None
) -> pa.Array:
    """The distinct values of a column whose rows are in key order (equal values adjacent;
    ``same``: each row equal to the next, when known)."""
    n = len(arr)
    if n < 2:
        return arr.combine_chunks()
    if same is None:
        same = pc.equal(arr.slice(0, n - 1), arr.slice(1))
    starts = pc.invert(pc.fill_null(same, False))  # (the key is required: no null id here)
    keep = pa.chunked_array([pa.array([True]), *getattr(starts, "chunks", [starts])])
    return arr.filter(keep).combine_chunks()


def missing_references(d: Deferred, reference: pd.Series) -> bool:
    """True when some of ``d``'s referencing values is not in ``reference`` (contact ids)."""
    from ..frames import isin

    return not bool(np.all(isin(_ids(d), reference)))


def _ids(d: Deferred) -> pd.Series:
    """The deferred table's distinct contact ids, as text."""
    return pd.Series(d.ids.cast(pa.large_string()).to_pandas(), dtype="str")


def named_contacts(loaded: Tables) -> tuple[pd.DataFrame, bool]:
    """The contacts some other table names, with the columns the cross-checks compare: the
    month's millions of contact ids probed once for all the tables, not once per table. Every
    check against contacts gives the same answer on these rows as on the whole table. Deferred
    contacts are not read: the rows are gathered from their Parquet. And True when every id
    named was found (then no table names a missing contact). The ids stay in Arrow (a month
    names ~0.5 M: no pandas copy of them)."""
    ids: list[pa.Array] = []
    rowed: list[pa.Array] = []  # the ids of tables read into pandas: their checks need rows
    for k in loaded:
        if k == "contacts":
            continue
        if (d := loaded.deferred(k)) is not None:
            ids.append(pc.drop_null(d.ids).cast(pa.large_string()))
            continue
        cols = [c for c, (other, _) in table(k).references.items() if other == "contacts"]
        rowed += [_text_ids(loaded[k][c]) for c in cols if c in loaded[k]]
    reference = pa.chunked_array(ids + rowed, pa.large_string())
    if (d := loaded.deferred("contacts")) is not None and d.path is not None:
        return _gathered(d.path, reference, pa.chunked_array(rowed, pa.large_string()))
    wanted = pd.Series(reference.to_pandas(), dtype="str")
    rows = rows_of(loaded["contacts"], wanted)  # (contact ids are unique once loaded)
    return rows, len(rows) == pc.count_distinct(reference).as_py()


def _text_ids(s: pd.Series) -> pa.Array:
    """A pandas column of ids as Arrow text, without its empty cells."""
    return pc.drop_null(pa.array(s.astype("str"), pa.large_string()))


def _gathered(
    path: Path, reference: pa.ChunkedArray, few: pa.ChunkedArray
) -> tuple[pd.DataFrame, bool]:
    """``rows_of`` on contacts kept as Parquet (checked, so typed as loading types them): the
    rows whose contact_id is in ``reference`` (in no particular order), each compared column
    as the exact load has it, and whether every id of ``reference`` was found. When every one
    is found, only the rows of the ids in ``few`` (those of tables in pandas, whose checks
    compare columns) are gathered: the conversations' hundreds of thousands need no row.
    Joins in DuckDB: ~3x faster than Arrow's ``is_in``."""
    import pyarrow.dataset as ds

    from .mapping import empty_frame

    files = ds.dataset(str(path), format="parquet").files
    shape = empty_frame(table("contacts"))[["contact_id", "agent_id", "start_time", "channel"]]
    con = duck.connect()
    try:
        contacts = con.read_parquet(files, union_by_name=True)  # (parts may differ in columns)
        have = [c for c in shape.columns if c in contacts.columns]
        con.register("wanted", pa.table({"id": reference}))
        con.register("few", pa.table({"id": few}))
        contacts.select(", ".join(f'"{c}"' for c in have)).create_view("contacts")
        [(missing,)] = con.execute(  # ids named that no contact has (repeats counted: 0 or not)
            "SELECT count(*) FROM wanted ANTI JOIN contacts ON contacts.contact_id = wanted.id"
        ).fetchall()
        rows = con.sql(
            "SELECT * FROM contacts SEMI JOIN "
            f"{'wanted' if missing else 'few'} w ON contacts.contact_id = w.id"
        ).to_arrow_table()
    finally:
        con.close()
    n = rows.num_rows
    return pd.DataFrame({
        c: rows[c].to_pandas().astype(shape[c].dtype) if c in have
        else pd.Series(pd.NA, index=range(n), dtype=shape[c].dtype)
        for c in shape.columns
    }), missing == 0  # fmt: skip
