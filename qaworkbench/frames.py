"""Helpers on pandas columns that every stage uses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow(s: pd.Series) -> pa.ChunkedArray | pa.Array:
    """The Series as a pyarrow array (zero-copy for pandas' arrow-backed strings)."""
    return pa.array(s, from_pandas=True)


def isin(values: pd.Series, reference: pd.Series) -> np.ndarray:
    """``values.isin(reference)``, hashing the smaller side (pandas' arrow isin is slow on big
    sets); categorical values are looked up once per category, a categorical reference by the
    categories it uses."""
    if isinstance(reference.dtype, pd.CategoricalDtype):
        codes = reference.cat.codes.to_numpy()
        reference = pd.Series(reference.cat.categories[np.unique(codes[codes >= 0])])
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        hit = isin(pd.Series(cats, dtype=cats.dtype), reference.astype(cats.dtype))
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, hit[codes], False)
    if len(values) == 0 or len(reference) == 0:  # (an empty side may have no type at all)
        return np.zeros(len(values), dtype=bool)
    v, r = arrow(values), arrow(reference)
    if len(r) > 4 * len(v):  # few values, big reference: probe the reference with the values
        distinct = pc.unique(v)
        present = pc.unique(pc.filter(r, pc.is_in(r, value_set=distinct)))
        hit = pc.is_in(v, value_set=present)
    else:
        hit = pc.is_in(v, value_set=pc.unique(r))
    return pc.fill_null(hit, False).to_numpy(zero_copy_only=False)


def positions(values: pd.Series, keys: pd.Series | pd.Index) -> np.ndarray:
    """Each value's position among ``keys`` (the first, where a key repeats; -1 where it is
    not there or missing): ``keys.get_indexer(values)`` through Arrow's hash table, as
    ``values.map`` uses it (pandas turns arrow-backed text into Python objects first: ~10% of
    the interpreter lock while a month loads, by py-spy; bench/README.md, "a fourth pass")."""
    if len(values) == 0 or len(keys) == 0:
        return np.full(len(values), -1, dtype=np.int64)

    def text(x: pd.Series | pd.Index) -> pa.Array:
        a = pa.array(x, from_pandas=True)
        a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
        return a.dictionary_decode() if pa.types.is_dictionary(a.type) else a

    v, k = text(values), text(keys)
    if v.type != k.type:
        k = k.cast(v.type)
    at = pc.index_in(v, value_set=k)
    return pc.fill_null(at, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def digest(df: pd.DataFrame) -> str:
    """A hash of ``df``'s columns, types and values, read from the columns' own memory (no
    per-value hashing: 7.5 M item rows in about 0.5 s, against 1.3 s). Equal frames built differently may hash
    differently (a cache miss, never a false hit): values that differ always do."""
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    h.update(repr([(str(c), str(df[c].dtype), len(df)) for c in df.columns]).encode())
    for c in df.columns:
        col = df[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            h.update(digest(pd.DataFrame({"c": col.cat.categories})).encode())
            h.update(np.ascontiguousarray(col.cat.codes.to_numpy()).tobytes())
            continue
        if isinstance(col.dtype, np.dtype) and col.dtype.kind != "O":  # numbers, times
            h.update(np.ascontiguousarray(col.to_numpy()).tobytes())
            continue
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            h.update(col.array.asi8.tobytes())
            continue
        try:
            arr = arrow(col)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed Python objects
            h.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
            continue
        chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
        for ch in chunks:
            if not _hash_visible(h, ch):
                h.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
                break
    return h.hexdigest()


def _hash_visible(h, ch: pa.Array) -> bool:
    """Feed ``h`` the bytes of ``ch``'s own values (a chunk's buffers may be shared with its
    neighbours): nulls, then the offsets and characters of strings or the fixed-width values.
    False for other types."""
    n, t = len(ch), ch.type
    h.update(f"{t}:{n}:{ch.null_count}".encode())
    if ch.null_count:
        h.update(memoryview(pc.is_null(ch).buffers()[1]))
    _, *rest = ch.buffers()
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t):
        width = 8 if pa.types.is_large_string(t) else 4
        offsets = np.frombuffer(rest[0], dtype=np.int64 if width == 8 else np.int32)
        offsets = offsets[ch.offset : ch.offset + n + 1]
        h.update((offsets - offsets[0]).tobytes())  # where the characters start is layout
        if n:
            h.update(memoryview(rest[1])[int(offsets[0]) : int(offsets[-1])])
        return True
    if pa.types.is_primitive(t) and not pa.types.is_boolean(t):
        width = t.bit_width // 8
        h.update(memoryview(rest[0])[ch.offset * width : (ch.offset + n) * width])
        return True
    return False
