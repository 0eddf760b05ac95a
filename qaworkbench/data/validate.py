"""Checks on canonical tables: every failing row is named with what was expected.

Checks are vectorised and return ``Finding``s (a row mask, a column and an
expectation); ``problems`` turns them into messages, ``reasons`` into the
per-row text written beside rejected rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import ABSURD_DURATION_S, MAX_RATING
from ..errors import Problem
from ..frames import isin, positions
from .schema import Table


@dataclass
class Finding:
    """Rows of one table that fail one check."""

    column: str | None
    expected: str
    mask: np.ndarray
    values: pd.Series | None = None


DURATIONS = ("queue_wait_s", "talk_s", "hold_s", "wrap_s")  # contacts' durations, 0 s to absurd


def row_checks(df: pd.DataFrame, t: Table, keys: bool = True) -> list[Finding]:
    """Checks that need only this table: required cells, keys (unless ``keys`` is False),
    durations, dates, text."""
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
        for c in DURATIONS:
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
        out += _result_points(df)
    if t.name == "evaluations":
        out += _evaluation_rows(df)
    if t.name == "chat_messages":
        out += _chat_order(df)
    if t.name == "transcripts":
        mask = (df["end_s"] < df["start_s"]).fillna(False).to_numpy(dtype=bool)
        if mask.any():
            out.append(Finding("end_s", "a turn ending at or after its start (start_s)", mask,
                               _say(df, mask, "{end_s:g} s, starting at {start_s:g} s")))  # fmt: skip
    if t.name == "penalty_events":
        kinds = _penalty_kinds()
        mask = (df["kind"].notna() & ~df["kind"].isin(kinds)).to_numpy()
        if mask.any():
            out.append(Finding("kind", f"an event kind the penalty code(s) of templates/penalties/ "
                               f"know: {', '.join(sorted(kinds))}", mask, df["kind"]))  # fmt: skip
    # Free text starting with = + - @ ("- 未使用标准开场白") is kept as written: every file the
    # workbench writes neutralises it (qaworkbench.spreadsheet), so it is never a reason to fail.
    if not keys or _strictly_increasing(df, t.key):  # sorted exports: unique without hashing
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


def _say(df: pd.DataFrame, mask: np.ndarray, template: str) -> pd.Series:
    """Per failing row, ``template`` filled from the row's cells (other rows: None)."""
    out = pd.Series([None] * len(df), index=df.index, dtype=object)
    rows = df[mask]
    out[mask] = [template.format(**r) for r in rows.to_dict("records")]
    return out


# What validation needs from the configuration of later stages (the scorecards' items, the
# penalty codes' event kinds) is registered by those stages when they are imported (scoring's
# __init__): the data stage never imports a later one.
KNOWN: dict[str, Callable[[], object]] = {}


def _cards() -> pd.DataFrame:
    """Every item of every scorecard version (``KNOWN["scorecard_items"]``)."""
    return KNOWN["scorecard_items"]()


def _penalty_kinds() -> set[str]:
    """The penalty_events kinds the penalty codes know (``KNOWN["penalty_kinds"]``)."""
    return KNOWN["penalty_kinds"]()


def _result_points(df: pd.DataFrame) -> list[Finding]:
    """A pass with points deducted, a fail with none (only a bottom-line item fails with 0
    points): scoring would read either one way or the other, so neither passes."""
    out = []
    cards = _cards()
    critical = set(cards.loc[cards["critical"], "item_id"])
    pts = df["points_deducted"]
    passed = ((df["result"] == "pass") & (pts > 0)).fillna(False).to_numpy(dtype=bool)
    if passed.any():
        out.append(Finding("points_deducted", "0 points deducted for a passed item (record the "
                           "item as fail, or its points as 0)", passed,
                           _say(df, passed, "{evaluation_id} {item_id}: {points_deducted:g} points"
                                " on a pass")))  # fmt: skip
    failed = (df["result"] == "fail") & (pts == 0) & ~df["item_id"].isin(critical)
    failed = failed.fillna(False).to_numpy(dtype=bool)
    if failed.any():
        out.append(Finding("points_deducted", "the points a failed item lost (only a bottom-line "
                           "item fails with 0 points; record the points, or the item as pass)",
                           failed, _say(df, failed, "{evaluation_id} {item_id}: fail with 0 "
                                        "points")))  # fmt: skip
    return out


def _evaluation_rows(df: pd.DataFrame) -> list[Finding]:
    """Evaluations dated in the future, or on a scorecard version templates/scorecards/ lacks."""
    out = []
    now = pd.Timestamp.now()
    future = (df["evaluated_at"] > now).fillna(False).to_numpy(dtype=bool)
    if future.any():
        out.append(Finding("evaluated_at", f"an evaluation time not in the future (now: "
                           f"{now:%Y-%m-%d %H:%M})", future, df["evaluated_at"]))  # fmt: skip
    cards = _cards()[["scorecard_id", "scorecard_version"]].drop_duplicates()
    known = pd.MultiIndex.from_frame(cards.astype(str))
    have = pd.MultiIndex.from_frame(df[["scorecard_id", "scorecard_version"]].astype(str))
    unknown = (~have.isin(known) & df["scorecard_id"].notna().to_numpy()).astype(bool)
    if unknown.any():
        names = ", ".join(f"{a} {b}" for a, b in known)
        out.append(Finding("scorecard_version", f"a scorecard version templates/scorecards/ "
                           f"defines ({names})", np.asarray(unknown),
                           _say(df, np.asarray(unknown), "{scorecard_id} {scorecard_version}")))  # fmt: skip
    return out


def _chat_order(df: pd.DataFrame) -> list[Finding]:
    """Messages whose time is before the previous message's of their conversation (by seq):
    reply times would come out negative."""
    order = df.sort_values(["conversation_id", "seq"], kind="stable")
    prev_t = order.groupby("conversation_id", sort=False)["timestamp"].shift()
    prev_seq = order.groupby("conversation_id", sort=False)["seq"].shift()
    back = (order["timestamp"] < prev_t).fillna(False)
    if not back.any():
        return []
    mask = back.reindex(df.index).to_numpy(dtype=bool)
    told = pd.Series([None] * len(df), index=df.index, dtype=object)
    idx = back[back].index
    told[idx] = [f"{df.at[i, 'timestamp']}, before seq {prev_seq[i]:g} at {prev_t[i]}" for i in idx]
    return [Finding("timestamp", "a time at or after the conversation's previous message "
                    "(by seq)", mask, told)]  # fmt: skip


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


def reference_checks(
    df: pd.DataFrame, t: Table, tables: dict[str, pd.DataFrame], partial: tuple[str, ...] = ()
) -> list[Finding]:
    """Rows whose references (agent, contact, evaluation, evaluator) point at nothing, or
    disagree with what they point at (an evaluation before its contact, a complaint on an agent
    who did not handle the contact, an item not on the evaluation's scorecard, an evaluation
    lacking items of its scorecard). ``partial``: tables holding only some of their rows."""
    out: list[Finding] = []
    if "contacts" in tables and "contact_id" in df and t.name != "contacts" and len(df):
        tables = tables | {"contacts": rows_of(tables["contacts"], df["contact_id"])}
    out += _consistent(df, t, tables, partial)
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
        evaluated = contacts
        handled = evaluated.drop_duplicates("contact_id").set_index("contact_id")["agent_id"]
        theirs = df["contact_id"].map(handled)
        mask = (theirs.notna() & df["agent_id"].notna() & (theirs != df["agent_id"])).to_numpy()
        if mask.any():
            out.append(Finding("agent_id", "the agent who handled the contact (contacts.agent_id)",
                               mask, df["agent_id"]))  # fmt: skip
    return out


def rows_of(contacts: pd.DataFrame, ids: pd.Series) -> pd.DataFrame:
    """The contacts whose contact_id is among ``ids`` (a few % of a month), with the columns
    the checks compare (gathered once, not the whole table's)."""
    cols = [c for c in ("contact_id", "agent_id", "start_time", "channel") if c in contacts]
    return contacts[cols][isin(contacts["contact_id"], ids)]


def _handler(df: pd.DataFrame, contacts: pd.DataFrame) -> pd.Series:
    """The agent who handled each row's contact (contacts.agent_id), NA where not known."""
    ids = contacts  # (reference_checks keeps only the rows df names)
    return df["contact_id"].map(
        ids.drop_duplicates("contact_id").set_index("contact_id")["agent_id"]
    )


def _consistent(
    df: pd.DataFrame, t: Table, tables: dict[str, pd.DataFrame], partial: tuple[str, ...]
) -> list[Finding]:
    out: list[Finding] = []
    contacts = tables.get("contacts")
    if t.name in ("complaints", "penalty_events") and contacts is not None and len(df):
        theirs = _handler(df, contacts)
        mask = (theirs.notna() & df["agent_id"].notna() & (theirs != df["agent_id"])).to_numpy()
        if mask.any():
            key = "complaint_id" if t.name == "complaints" else "event_id"
            told = df[key].astype(str) + ": " + df["agent_id"].astype(str) + ", but contact " + \
                df["contact_id"].astype(str) + " was handled by " + theirs.astype(str)  # fmt: skip
            out.append(Finding("agent_id", "the agent who handled the contact (contacts.agent_id)",
                               mask, told.where(mask)))  # fmt: skip
    if t.name == "evaluations" and len(df):
        c = contacts if contacts is not None else []  # (only the contacts df names)
        if len(c):
            c = c.drop_duplicates("contact_id").set_index("contact_id")
            start = df["contact_id"].map(c["start_time"])
            early = (df["evaluated_at"] < start).fillna(False).to_numpy(dtype=bool)
            if early.any():
                told = df["evaluated_at"].astype(str) + ", contact " + df["contact_id"] + \
                    " started " + start.astype(str)  # fmt: skip
                out.append(Finding("evaluated_at", "an evaluation time at or after its contact's "
                                   "start (contacts.start_time)", early, told.where(early)))  # fmt: skip
            out += _channel(df, df["contact_id"].map(c["channel"]))
        items = tables.get("evaluation_items")
        if items is not None and "evaluation_items" not in partial and "evaluations" not in partial:
            out += _missing_items(df, items)
    if t.name == "evaluation_items" and "evaluations" in tables and len(df):
        out += _items_off_card(df, tables["evaluations"])
    return out


def _card_key(df: pd.DataFrame) -> pd.Series:
    return df["scorecard_id"].astype(str) + " " + df["scorecard_version"].astype(str)


def _channel(ev: pd.DataFrame, channel: pd.Series) -> list[Finding]:
    """Evaluations on a scorecard for another channel than their contact's (a chat on the
    voice scorecard)."""
    of_card = KNOWN["scorecard_channels"]()  # "id version" -> channel
    card_channel = _card_key(ev).map(of_card)
    mask = (card_channel.notna() & channel.notna() & (card_channel != channel)).to_numpy()
    if not mask.any():
        return []
    told = ev["scorecard_id"].astype(str) + " (a " + card_channel.astype(str) + \
        " scorecard) for a " + channel.astype(str) + " contact " + ev["contact_id"].astype(str)  # fmt: skip
    return [Finding("scorecard_id", "a scorecard for the contact's channel", mask,
                    told.where(mask))]  # fmt: skip


def _missing_items(ev: pd.DataFrame, items: pd.DataFrame) -> list[Finding]:
    """Evaluations that lack a row for some item of their scorecard (an explicit na row is a
    row): their score would be computed from part of the form, or be no number at all."""
    cards = _cards()
    size = cards.groupby(["scorecard_id", "scorecard_version"]).size()
    size.index = [f"{a} {b}" for a, b in size.index]
    want = _looked_up(_card_key(ev), pd.Series(size.to_numpy(), index=size.index), np.nan)
    have = _looked_up(ev["evaluation_id"], items["evaluation_id"].value_counts(), 0)
    short = ~np.isnan(want) & (have < want)
    if not short.any():
        return []
    told = pd.Series([None] * len(ev), index=ev.index, dtype=object)
    lacking = ev[short]
    held = items[isin(items["evaluation_id"], lacking["evaluation_id"])]
    held = held.groupby("evaluation_id")["item_id"].agg(set)
    by_card = cards.groupby(["scorecard_id", "scorecard_version"])["item_id"].agg(list)
    for i, r in lacking.iterrows():
        all_items = by_card[(r["scorecard_id"], r["scorecard_version"])]
        gone = [x for x in all_items if x not in held.get(r["evaluation_id"], set())]
        shown = ", ".join(gone[:8]) + (f" and {len(gone) - 8} more" if len(gone) > 8 else "")
        told[i] = f"{r['evaluation_id']} lacks {len(gone)} of {len(all_items)}: {shown}"
    return [Finding("evaluation_id", "a row in evaluation_items for every item of its scorecard "
                    "(result na where an item does not apply)", short, told)]  # fmt: skip


def _looked_up(values: pd.Series, table: pd.Series, missing: float) -> np.ndarray:
    """``values.map(table).fillna(missing)`` for numbers, matched through Arrow
    (``frames.positions``)."""
    at = positions(values, pd.Series(table.index, dtype="str"))
    out = np.full(len(values), missing, dtype=np.float64)
    out[at >= 0] = table.to_numpy(dtype=np.float64)[at[at >= 0]]
    return out


def _items_off_card(items: pd.DataFrame, ev: pd.DataFrame) -> list[Finding]:
    """Item rows naming an item their evaluation's scorecard version does not have."""
    cards = _cards()
    ev = ev.drop_duplicates("evaluation_id")
    card, names = pd.factorize(_card_key(ev))  # each evaluation's card version, as a code
    at = positions(items["evaluation_id"], ev["evaluation_id"])
    code = np.full(len(at), -1)  # each item row's card code (-1: no such evaluation)
    code[at >= 0] = card[at[at >= 0]]
    mask = np.zeros(len(items), dtype=bool)
    for (cid, ver), on in cards.groupby(["scorecard_id", "scorecard_version"])["item_id"]:
        mine = code == (names.get_loc(f"{cid} {ver}") if f"{cid} {ver}" in names else -2)
        if mine.any():
            mask |= mine & ~isin(items["item_id"], on)
    if not mask.any():
        return []
    key = pd.Series(np.asarray(names, dtype=object).take(code), index=items.index).where(code >= 0)
    told = items["item_id"].astype(str) + " on " + key.astype(str)
    return [
        Finding("item_id", "an item of the evaluation's scorecard version", mask, told.where(mask))
    ]


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
