"""Hints for a mapping's source columns the file lacks, and a source column the header repeats."""

from __future__ import annotations

import pandas as pd

from ..errors import Problem

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def _normal(name: object) -> str:
    """A header as compared for hints: full-width forms as half-width (NFKC), zero-width
    characters removed, spaces dropped, case folded."""
    import unicodedata

    text = unicodedata.normalize("NFKC", str(name)).translate(_ZERO_WIDTH)
    return "".join(text.split()).casefold()


def near_miss(missing: list[str], raw: pd.DataFrame) -> str:
    """A hint for source columns the header lacks: a header that differs only in full-width
    characters, zero-width characters, spaces or case; a title row above the header; else the
    closest header."""
    import difflib
    import unicodedata

    headers = [str(c) for c in raw.columns]
    by_normal = {_normal(h): h for h in headers}
    hints = []
    for want in missing:
        have = by_normal.get(_normal(want))
        if have is not None:
            what = []
            if unicodedata.normalize("NFKC", have) != have:
                what.append("full-width characters (（）, ：, full-width letters or digits)")
            if have.translate(_ZERO_WIDTH) != have:
                what.append("zero-width characters (invisible)")
            if not what:
                what.append("spaces or letter case")
            hints.append(f"{have!r} differs from {want!r} only in {' and '.join(what)}: fix "
                         "the header or the mapping")  # fmt: skip
            continue
        close = difflib.get_close_matches(_normal(want), list(by_normal), n=1, cutoff=0.6)
        if close:
            hints.append(f"closest to {want!r}: {by_normal[close[0]]!r}")
    if len(raw):
        first = {_normal(v) for v in raw.iloc[0].tolist() if v is not None and not pd.isna(v)}
        found = [w for w in missing if _normal(w) in first]
        if found and len(found) * 2 >= len(missing):
            hints.insert(0, "row 2 holds the column names (" + ", ".join(map(repr, found[:3]))
                         + "): row 1 looks like a title row above the header; delete it")  # fmt: skip
    return f" (hint: {'; '.join(hints)})" if hints else ""


def duplicated_sources(header: list[str] | None, m, file: str) -> list[Problem]:
    """A source column the mapping reads that appears more than once in the header: which one
    holds the value cannot be told (an export with two 通话时长 columns, one the ring time)."""
    if not header:
        return []
    from openpyxl.utils import get_column_letter  # (0.6 s to import: only for a header)

    used = {s for r in m.columns.values() for s in r.sources}
    used |= set(m.items.sources) if m.items else set()
    out = []
    for name in sorted(used):
        at = [i + 1 for i, h in enumerate(header) if h == name]
        if len(at) > 1:
            where = " and ".join(f"{i} ({get_column_letter(i)})" for i in at)
            out.append(Problem(file, 1, name, f"the column once in the header; it appears as "
                               f"columns {where}, so which one holds the value cannot be told: "
                               "rename or remove the other one in the export", fatal=True))  # fmt: skip
    return out
