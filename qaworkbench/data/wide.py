"""A wide evaluation export's item cells as ``evaluation_items`` rows (one per item cell)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import Problem
from . import parse, validate
from .mapping import ItemCells


def wide_items(
    raw: pd.DataFrame, cells: ItemCells, evaluation_id: pd.Series, *, file: str
) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, str]], list[Problem]]:
    """The ``evaluation_items`` rows of a wide export (one per item cell; ``_row`` is the
    export's row position), the bad cells by source column (mask over the export's rows, what
    was expected), and fatal problems (an item column the file lacks)."""
    missing = [c for c in cells.sources if c not in raw.columns]
    if missing:
        return pd.DataFrame(), {}, [
            Problem(file, None, ", ".join(missing), f"the item column(s) the mapping names; the "
                    f"file has: {', '.join(map(str, raw.columns))}", fatal=True)
        ]  # fmt: skip
    parts, bad = [], {}
    comment = parse.parse_text(raw[cells.comment]).values if cells.comment else None
    for item_id, col, critical in [
        *((i, c, False) for i, c in cells.columns.items()),
        *((i, c, True) for i, c in cells.critical.items()),
    ]:
        result, points, wrong, expected = _item_cells(raw[col], cells, critical)
        if wrong.any():
            bad[col] = (wrong, expected)
        keep = (result != "") & ~wrong
        part = pd.DataFrame(
            {
                "_row": np.flatnonzero(keep),  # the export row, to drop with its evaluation
                "evaluation_id": evaluation_id.to_numpy()[keep],
                "item_id": item_id,
                "result": result[keep],
                "points_deducted": points[keep],
                "comment": (comment.to_numpy()[keep] if comment is not None else None),
            }
        )
        part["comment"] = part["comment"].where(part["result"] == "fail")
        parts.append(part)
    items = pd.concat(parts, ignore_index=True).astype(
        {"evaluation_id": "str", "item_id": "str", "result": "str", "comment": "str"}
    )
    return items, bad, []


def _item_cells(
    s: pd.Series, cells: ItemCells, critical: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Per cell: result ("" when a blank cell counts as nothing), points deducted, whether the
    cell is unreadable, and what was expected."""
    txt = s.astype("str").str.strip().where(s.notna(), "").to_numpy(dtype=object)
    blank = txt == ""
    result = np.full(len(s), cells.blank, dtype=object)
    points = np.zeros(len(s))
    if critical or cells.cells == "verdict":
        words = cells.critical_values if critical else cells.values
        mapped = pd.Series(txt).map(words).to_numpy(dtype=object)
        wrong = ~blank & pd.isna(mapped)
        result = np.where(blank, result, mapped)
        expected = f"one of {', '.join(words)}"
    else:
        num = pd.to_numeric(pd.Series(txt).str.replace(",", ""), errors="coerce").to_numpy()
        na = np.isin(txt, cells.na_words)
        wrong = ~blank & ~na & (np.isnan(num) | (num < 0))
        result = np.select([blank, na, num > 0], [result, "na", "fail"], "pass")
        points = np.where(result == "fail", num, 0.0)
        expected = f"points lost (a number of 0 or more), or one of {', '.join(cells.na_words)}"
    result = np.where(wrong, "", result).astype(str)
    return result, points, wrong, expected


def full_points(items: pd.DataFrame, ev: pd.DataFrame) -> pd.DataFrame:
    """A failed item of a verdict export (达标: 否) loses its full points: recorded as the
    points of the item on the evaluation's scorecard, so the table says what it deducts (a
    fail with 0 points is refused). Bottom-line items deduct no points."""
    cards = validate._cards()
    cards = cards[~cards["critical"]].set_index(["scorecard_id", "scorecard_version", "item_id"])
    of = ev.drop_duplicates("evaluation_id").set_index("evaluation_id")
    key = pd.MultiIndex.from_arrays([
        items["evaluation_id"].map(of["scorecard_id"]).astype(str),
        items["evaluation_id"].map(of["scorecard_version"]).astype(str),
        items["item_id"].astype(str),
    ])  # fmt: skip
    full = pd.Series(cards["points"].reindex(key).to_numpy(), index=items.index)
    fail = (items["result"] == "fail") & (items["points_deducted"] == 0) & full.notna()
    return items.assign(points_deducted=items["points_deducted"].where(~fail, full))
