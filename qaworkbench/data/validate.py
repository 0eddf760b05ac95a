"""Checks on canonical tables: every failing row is named with what was expected.

Checks are vectorised and return ``Finding``s (a row mask, a column and an
expectation); ``problems`` turns them into messages, ``reasons`` into the
per-row text written beside rejected rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import ABSURD_DURATION_S, MAX_RATING
from ..errors import Problem
from ..frames import isin
from .schema import Table


@dataclass
class Finding:
    """Rows of one table that fail one check."""

    column: str | None
    expected: str
    mask: np.ndarray
    values: pd.Series | None = None


def row_checks(df: pd.DataFrame, t: Table) -> list[Finding]:
    """Checks that need only this table: required cells, keys, durations, dates, text."""
    out: list[Finding] = []
    for col in t.columns:
        if not col.required:
            continue
        mask = df[col.name].isna().to_numpy()
        if mask.any():
            out.append(
                Finding(col.name, f"a value ({col.doc or col.kind}); the cell is empty", mask)
            )
    if t.name == "contacts":
        answered = df["answered"].fillna(False).to_numpy(dtype=bool)
        mask = answered & df["agent_id"].isna().to_numpy()
        if mask.any():
            out.append(Finding("agent_id", "the agent who answered this contact", mask))
        for c in ("queue_wait_s", "talk_s", "hold_s", "wrap_s"):
            v = df[c].to_numpy(dtype="float64", na_value=np.nan)
            neg = v < 0
            if neg.any():
                out.append(Finding(c, "a duration of 0 s or more", neg, df[c]))
            absurd = v > ABSURD_DURATION_S
            if absurd.any():
                out.append(
                    Finding(
                        c,
                        f"a plausible duration (at most {ABSURD_DURATION_S:,.0f} s)",
                        absurd,
                        df[c],
                    )
                )
        rating = df["satisfaction"].to_numpy(dtype="float64", na_value=np.nan)
        off = (rating < 0) | (rating > MAX_RATING)
        if off.any():
            out.append(
                Finding(
                    "satisfaction", f"a rating from 0 to {MAX_RATING:g}", off, df["satisfaction"]
                )
            )
        end = df["end_time"]
        if end.notna().any():
            mask = (end < df["start_time"]).fillna(False).to_numpy(dtype=bool)
            if mask.any():
                out.append(Finding("end_time", "an end time at or after start_time", mask, end))
    if t.name == "agents":
        mask = (df["leave_date"] < df["hire_date"]).fillna(False).to_numpy(dtype=bool)
        if mask.any():
            out.append(
                Finding("leave_date", "a leave date on or after hire_date", mask, df["leave_date"])
            )
    if t.name == "evaluation_items":
        mask = (df["points_deducted"] < 0).fillna(False).to_numpy(dtype=bool)
        if mask.any():
            out.append(
                Finding("points_deducted", "points of 0 or more", mask, df["points_deducted"])
            )
    # Free text starting with = + - @ ("- 未使用标准开场白") is kept as written: every file the
    # workbench writes neutralises it (qaworkbench.spreadsheet), so it is never a reason to fail.
    if _strictly_increasing(df, t.key):  # sorted exports: unique without hashing
        dup = np.zeros(len(df), dtype=bool)
    else:
        dup = df.duplicated(list(t.key), keep="first").to_numpy()
    if dup.any():
        out.append(
            Finding(
                ",".join(t.key),
                f"a unique {' + '.join(t.key)}; this one appeared in an earlier row",
                dup,
                _key_values(df, t),
            )
        )
    return out


def _strictly_increasing(df: pd.DataFrame, key: tuple[str, ...]) -> bool:
    """True when rows are strictly increasing by ``key`` (so no key repeats); O(n), no hashing."""
    if len(df) < 2 or df[list(key)].isna().any().any():
        return len(df) < 2
    n = len(df)
    less = equal = None
    for col in key:
        arr = pa.array(df[col], from_pandas=True)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        a, b = arr.slice(0, n - 1), arr.slice(1)
        lt, eq = pc.less(a, b), pc.equal(a, b)
        less = lt if less is None else pc.or_(less, pc.and_(equal, lt))
        equal = eq if equal is None else pc.and_(equal, eq)
    return bool(pc.all(less).as_py())


def key_duplicates(df: pd.DataFrame, t: Table) -> list[str]:
    """The key values that appear more than once in ``df`` (each once, as written)."""
    keys = _key_values(df, t)
    return keys[keys.duplicated()].astype(str).unique().tolist()


def _key_values(df: pd.DataFrame, t: Table) -> pd.Series:
    if len(t.key) == 1:
        return df[t.key[0]]
    return df[list(t.key)].astype("str").agg(" + ".join, axis=1)


def reference_checks(df: pd.DataFrame, t: Table, tables: dict[str, pd.DataFrame]) -> list[Finding]:
    """Rows whose references (agent, contact, evaluation, evaluator) point at nothing."""
    out: list[Finding] = []
    for col, (other, other_col) in t.references.items():
        if other not in tables:
            continue
        vals = df[col]
        mask = vals.notna().to_numpy() & ~isin(vals, tables[other][other_col])
        if mask.any():
            article = "an" if other_col[0] in "aeiou" else "a"
            out.append(Finding(col, f"{article} {other_col} present in {other}", mask, vals))
    if t.name == "appeals" and "evaluation_items" in tables and len(df):
        items = tables["evaluation_items"]
        have = pd.MultiIndex.from_frame(items[["evaluation_id", "item_id"]].astype(str))
        pairs = pd.MultiIndex.from_frame(df[["evaluation_id", "item_id"]].astype(str))
        mask = ~pairs.isin(have) & isin(df["evaluation_id"], items["evaluation_id"])
        if mask.any():
            out.append(Finding("item_id", "an item the appealed evaluation has (in evaluation_items)",
                               np.asarray(mask), df["item_id"]))  # fmt: skip
    if t.name == "evaluations" and "contacts" in tables and "agent_id" in tables["contacts"]:
        contacts = tables["contacts"]
        evaluated = contacts[isin(contacts["contact_id"], df["contact_id"])]  # a few % of a month
        handled = evaluated.drop_duplicates("contact_id").set_index("contact_id")["agent_id"]
        theirs = df["contact_id"].map(handled)
        mask = (theirs.notna() & df["agent_id"].notna() & (theirs != df["agent_id"])).to_numpy()
        if mask.any():
            out.append(Finding("agent_id", "the agent who handled the contact (contacts.agent_id)",
                               mask, df["agent_id"]))  # fmt: skip
    return out


def problems(
    findings: list[Finding],
    rows: np.ndarray,
    file: str,
    limit: int = 1000,
    files: np.ndarray | None = None,
) -> list[Problem]:
    """Messages for the failing rows, in row order, at most ``limit`` of them; ``files``:
    each row's own file, for a table kept as a folder of parts."""
    out: list[Problem] = []
    for f in findings:
        for pos in np.flatnonzero(f.mask)[:limit]:
            value = None if f.values is None else f.values.iloc[pos]
            if value is not None and pd.isna(value):
                value = None
            where = file if files is None else str(files[pos])
            out.append(Problem(where, int(rows[pos]), f.column, f.expected, value))
    out.sort(key=lambda p: (p.file, p.row or 0, p.column or ""))
    return out[:limit]


def count(findings: list[Finding]) -> int:
    """Number of (row, check) failures over all findings."""
    return int(sum(f.mask.sum() for f in findings))


def bad_rows(findings: list[Finding], n: int) -> np.ndarray:
    """True for every row that fails at least one finding."""
    mask = np.zeros(n, dtype=bool)
    for f in findings:
        mask |= f.mask
    return mask


def reasons(findings: list[Finding], n: int) -> pd.Series:
    """Per-row text listing every failed check, '; '-separated; empty for good rows."""
    out = pd.Series([""] * n, dtype=object)
    for f in findings:
        idx = np.flatnonzero(f.mask)
        text = f"{f.column}: expected {f.expected}"
        out.iloc[idx] = [f"{r}; {text}" if r else text for r in out.iloc[idx]]
    return out
