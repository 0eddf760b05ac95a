"""The sampling month as arrays, from one scan of the contacts table.

``scan_month`` reads [month start - look-back, month end) once through DuckDB
(decode, hash the ids, code the agent, channel and direction) into numpy arrays
plus three Arrow string columns, so the rules pick their candidates without a
Python object per contact; ``frame`` turns the few rows they pick into the
contacts DataFrame the rules decide on. Times are µs since 1970, naive, as
exported.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..data.schema import CHANNELS, CONTACTS, DIRECTIONS

US_PER_MINUTE = 60_000_000
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR


@dataclass
class Month:
    """A month's contacts (and the look-back before it) as arrays, one entry per contact.

    ``a`` is the agent's position in ``agents`` (-1: no agent, or not on the roster);
    ``channel``/``direction`` positions in schema.CHANNELS/DIRECTIONS (-1: other or
    missing); ``t`` start time in µs since 1970 (naive, as exported); ``h`` the
    contact's random key; ``c`` a hash of customer_id; ``done`` already evaluated;
    ``complained`` has a complaint the plan counts. ``text`` holds contact_id,
    customer_id and recording_ref in the same order.
    """

    agents: np.ndarray
    start_us: int
    end_us: int
    a: np.ndarray
    t: np.ndarray
    channel: np.ndarray
    direction: np.ndarray
    answered: np.ndarray
    talk_s: np.ndarray
    queue_wait_s: np.ndarray
    h: np.ndarray
    c: np.ndarray
    has_customer: np.ndarray
    done: np.ndarray
    complained: np.ndarray
    text: pa.Table
    autoqa: np.ndarray | None = None  # auto-QA found a violation the plan samples on

    @cached_property
    def in_month(self) -> np.ndarray:
        """Rows in [start, end), not in the look-back."""
        return self.t >= self.start_us

    @cached_property
    def handled_rows(self) -> np.ndarray:
        """Answered contacts of the month by roster agents."""
        return self.in_month & self.answered & (self.a >= 0)

    @cached_property
    def minute(self) -> np.ndarray:
        """Each contact's start in whole minutes since 1970 minus the month start's (int32;
        negative in the look-back)."""
        return (self.t // US_PER_MINUTE - self.start_us // US_PER_MINUTE).astype(np.int32)

    def __len__(self) -> int:
        return len(self.t)

    def limits(self) -> list[str]:
        """What the month's contacts cannot be used for: one line per optional column with no
        value in the month (the schema's ``without``)."""
        month = self.in_month
        empty = {
            "queue_wait_s": not np.isfinite(self.queue_wait_s[month]).any(),
            "talk_s": not np.isfinite(self.talk_s[month]).any(),
            "customer_id": not self.has_customer[month].any(),
            "recording_ref": self.text.column("recording_ref").null_count == len(self),
        }
        return [f"no contacts.{c}: {CONTACTS.column(c).without}" for c, e in empty.items() if e]


def _us(d: datetime | pd.Timestamp) -> int:
    return int(np.datetime64(pd.Timestamp(d).to_datetime64(), "us").astype(np.int64))


def take(column: pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """``column[rows]``, in the order of ``rows``. (Arrow's take on a chunked column joins
    the chunks first, a copy of the whole column; this takes from each chunk.)"""
    if column.num_chunks <= 1:  # an empty result may come with no chunk at all
        return column.combine_chunks().take(rows)
    ends = np.cumsum([len(c) for c in column.chunks])
    which = np.searchsorted(ends, rows, side="right").astype(np.uint16)
    order = np.argsort(which, kind="stable")  # a radix sort: by chunk, in row order
    bounds = np.searchsorted(which[order], np.arange(len(ends) + 1))
    parts = [
        c.take(rows[order[lo:hi]] - (end - len(c)))
        for c, end, lo, hi in zip(column.chunks, ends, bounds[:-1], bounds[1:], strict=True)
    ]
    joined = pa.concat_arrays(parts)
    if (order[1:] > order[:-1]).all():  # rows came chunk by chunk (sorted rows do)
        return joined
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return joined.take(back)


def scan_month(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    *,
    lookback: pd.Timedelta,
    agents: pd.Series,
    seed: int,
    evaluated: pd.Series | None = None,
    complained: pd.Series | None = None,
    table: str = "contacts",
    flagged_autoqa: pd.Series | None = None,
) -> Month:
    """Read [start - lookback, end) of ``table`` once into a ``Month``.

    ``agents`` is the roster (its order gives the codes); ``evaluated`` and
    ``complained`` are contact ids to flag (``flagged``; none flagged when not given).
    """
    roster = pd.DataFrame({"agent_id": agents.astype(str).to_numpy()})
    roster["_a"] = np.arange(len(roster), dtype=np.int32)
    con.register("_scan_roster", roster)
    try:
        t = con.sql(
            f"""
            SELECT coalesce(r._a, -1)::INTEGER AS a, epoch_us(c.start_time) AS t,
                   {_code("c.channel", CHANNELS)} AS channel,
                   {_code("c.direction", DIRECTIONS)} AS direction,
                   coalesce(c.answered, false)::UTINYINT AS answered,
                   coalesce(c.talk_s, 'NaN'::DOUBLE) AS talk_s,
                   coalesce(c.queue_wait_s, 'NaN'::DOUBLE) AS queue_wait_s,
                   hash(c.contact_id, ?) AS h, hash(c.customer_id) AS c,
                   (c.customer_id IS NOT NULL)::UTINYINT AS has_customer,
                   c.contact_id, c.customer_id, c.recording_ref
            FROM {table} c LEFT JOIN _scan_roster r USING (agent_id)
            WHERE c.start_time >= ? AND c.start_time < ?
            """,
            params=[str(seed), start - lookback, end],
        ).to_arrow_table(batch_size=1 << 40)  # few chunks (one per thread): few copies
    finally:
        con.unregister("_scan_roster")

    def col(name: str) -> np.ndarray:
        x = t.column(name)
        x = x.chunk(0) if x.num_chunks == 1 else x.combine_chunks()
        return x.to_numpy(zero_copy_only=False)

    def flag(name: str) -> np.ndarray:
        return col(name).view(bool)

    none = np.zeros(t.num_rows, dtype=bool)
    m = Month(
        agents=roster["agent_id"].to_numpy(dtype=object),
        start_us=_us(start),
        end_us=_us(end),
        a=col("a"),
        t=col("t"),
        channel=col("channel"),
        direction=col("direction"),
        answered=flag("answered"),
        talk_s=col("talk_s"),
        queue_wait_s=col("queue_wait_s"),
        h=col("h"),
        c=col("c"),
        has_customer=flag("has_customer"),
        done=none,
        complained=none,
        text=t.select(["contact_id", "customer_id", "recording_ref"]),
    )
    if evaluated is not None or complained is not None or flagged_autoqa is not None:
        empty = pd.Series([], dtype="str")
        return flagged(
            m, con, seed,
            evaluated=evaluated if evaluated is not None else empty,
            complained=complained if complained is not None else empty,
            autoqa=flagged_autoqa,
        )  # fmt: skip
    return m


def flagged(
    m: Month,
    con: duckdb.DuckDBPyConnection,
    seed: int,
    *,
    evaluated: pd.Series,
    complained: pd.Series,
    autoqa: pd.Series | None = None,
) -> Month:
    """The month with its contacts flagged: ``done`` (in ``evaluated``), ``complained``, and
    ``autoqa`` (None: auto-QA has no results for the month). Each id's key is DuckDB's, the
    scan's, so they are found among the month's keys (cheaper than ``IN`` in the scan)."""

    def keyed(ids: pd.Series) -> tuple[np.ndarray, pa.ChunkedArray]:
        con.register("_scan_flagged", pd.DataFrame({"contact_id": ids.astype(str).unique()}))
        try:
            k = con.sql(
                "SELECT contact_id, hash(contact_id, ?) AS h FROM _scan_flagged",
                params=[str(seed)],
            ).to_arrow_table()
        finally:
            con.unregister("_scan_flagged")
        return k.column("h").to_numpy(), k.column(0)

    wanted = [evaluated, complained, autoqa if autoqa is not None else complained.iloc[0:0]]
    done, hurt, found = _among(m.h, m.text.column("contact_id"), [keyed(w) for w in wanted])
    return replace(m, done=done, complained=hurt, autoqa=found)


def _among(
    h: np.ndarray, ids: pa.ChunkedArray, wanted: list[tuple[np.ndarray, pa.ChunkedArray]]
) -> list[np.ndarray]:
    """For each of ``wanted`` (ids' keys and the ids; at most 8), which rows (keys ``h``,
    contact ids ``ids``) have one of its ids: a table of the keys' top 22 bits (a bit per
    set) rules most rows out in one pass over the month, the keys then match exactly, and
    the ids themselves confirm each match."""
    bits = np.uint64(64 - 22)
    seen = np.zeros(1 << 22, dtype=np.uint8)
    for i, (wanted_h, _) in enumerate(wanted):
        seen[(wanted_h >> bits).astype(np.intp)] |= np.uint8(1 << i)
    tag = seen[(h >> bits).view(np.int64)]  # (below 2**22: the same numbers as int64)
    candidates = np.flatnonzero(tag)
    out = []
    for i, (wanted_h, wanted_ids) in enumerate(wanted):
        maybe = candidates[(tag[candidates] & np.uint8(1 << i)) != 0]
        hit = maybe[np.isin(h[maybe], wanted_h)]
        confirmed = pc.is_in(take(ids, hit), value_set=wanted_ids.combine_chunks())
        hit = hit[confirmed.to_numpy(zero_copy_only=False)]
        flag = np.zeros(len(h), dtype=bool)
        flag[hit] = True
        out.append(flag)
    return out


def _code(column: str, values: tuple[str, ...]) -> str:
    """SQL: the position of ``column`` in ``values`` (0-based; -1 when other or missing)."""
    whens = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values))
    return f"(CASE {column} {whens} ELSE -1 END)::TINYINT"


def frame(m: Month, rows: np.ndarray) -> pd.DataFrame:
    """The named rows as the contacts DataFrame the rules take (``rowid``: the row here)."""

    def text(name: str) -> pd.arrays.ArrowStringArray:
        return pd.array(take(m.text.column(name), rows), dtype="str")

    def named(names, code: np.ndarray) -> pd.arrays.ArrowStringArray:  # code -1: missing
        return pd.array(pa.array(names).take(pa.array(code, mask=code < 0)), dtype="str")

    return pd.DataFrame(
        {
            "contact_id": text("contact_id"),
            "agent_id": named(m.agents, m.a[rows]),
            "start_time": m.t[rows].astype("datetime64[us]"),
            "channel": named(CHANNELS, m.channel[rows]),
            "direction": named(DIRECTIONS, m.direction[rows]),
            "answered": m.answered[rows],
            "talk_s": m.talk_s[rows],
            "customer_id": text("customer_id"),
            "recording_ref": text("recording_ref"),
            "rowid": rows,
        }
    )
