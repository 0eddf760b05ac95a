"""Natural order for the names people read: 话务二组 < 话务十组 < 话务十三组, A2 < A10.

Runs of Arabic digits and of Chinese numerals (二, 十三, 二十一, 一百零五, read by cn2an)
compare as numbers, the rest as text; missing names come last.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd

_RUN = re.compile(r"(\d+|[零〇一二两三四五六七八九十百千万]+)")

Key = tuple[tuple[int, int, str], ...]


@lru_cache(maxsize=1 << 16)
def natural_key(text: object) -> Key:
    """A sort key for ``text``: numerals by their value, other runs by their characters."""
    if text is None or (isinstance(text, float) and text != text) or text is pd.NA:
        return ((2, 0, ""),)
    parts = []
    for chunk in _RUN.split(str(text)):
        if not chunk:
            continue
        number = _number(chunk)
        parts.append((0, number, chunk) if number is not None else (1, 0, chunk))
    return tuple(parts)


def _number(chunk: str) -> int | None:
    if chunk.isdigit():
        return int(chunk)
    if not _RUN.fullmatch(chunk):
        return None
    import cn2an  # 0.3 s to import: only when a Chinese numeral is met

    try:
        return int(cn2an.cn2an(chunk, "smart"))
    except (ValueError, KeyError):  # not a well-formed numeral (e.g. 十十): compare as text
        return None


def natural_sorted(values: Iterable[object]) -> list:
    """``values`` in natural order."""
    return sorted(values, key=natural_key)


def sort_natural(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``df`` sorted by the columns ``by``, text columns in natural order (stable)."""

    def key(s: pd.Series) -> pd.Series:
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_datetime64_any_dtype(s.dtype):
            return s
        # each distinct value's rank: sorting 7,000 rows of key tuples took 0.1 s
        codes, values = pd.factorize(s, use_na_sentinel=True)
        order = sorted(range(len(values)), key=lambda i: natural_key(values[i]))
        rank = np.empty(len(values) + 1, dtype=np.int64)
        rank[order] = np.arange(len(values))
        rank[-1] = len(values)  # missing (code -1) last, as natural_key puts it
        return pd.Series(rank[codes], index=s.index)

    return df.sort_values(by, key=key, kind="stable")
