"""The month's counts on its arrays, one bincount pass each: handled contacts per agent, service
level per interval, days and shifts worked, and which rows fall in given intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.schema import CHANNELS, DIRECTIONS
from .picks import count_where, shift_codes
from .plan import Abandoned, SamplingPlan
from .scan import US_PER_DAY, US_PER_MINUTE, Month

_CHANNELS = np.array([None, *CHANNELS], dtype=object)  # code + 1 -> name
_DIRECTIONS = np.array([None, *DIRECTIONS], dtype=object)


def _tally(code: np.ndarray, rows: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes (0 <= code < size) present among ``rows`` (a mask) and their counts."""
    n = count_where(code, rows, size)
    present = np.flatnonzero(n)
    return present, n[present]


def handled_per_agent(m: Month) -> pd.DataFrame:
    """Answered contacts of the month per agent (roster agents), channel and direction:
    columns agent_id, channel, direction, handled."""
    nc, nd = len(_CHANNELS), len(_DIRECTIONS)
    code = (m.a * nc + (m.channel + 1)) * nd + (m.direction + 1)
    u, n = _tally(code, m.handled_rows, len(m.agents) * nc * nd)
    a, rest = np.divmod(u, nc * nd)
    ch, dr = np.divmod(rest, nd)
    return pd.DataFrame(
        {"agent_id": m.agents[a], "channel": _CHANNELS[ch], "direction": _DIRECTIONS[dr],
         "handled": n}
    )  # fmt: skip


def _interval_code(
    m: Month, interval_min: int, rows: slice | np.ndarray = slice(None)
) -> tuple[np.ndarray, int, int]:
    """(interval, channel) of each contact (of ``rows``) as one code, the codes' range, and
    the month's first interval's number since 1970. Intervals of ``interval_min`` minutes
    count from 1970, as the SQL engine's buckets."""
    m0 = m.start_us // US_PER_MINUTE
    i0 = m0 // interval_min
    i = (m.minute[rows] + m0 % interval_min) // interval_min  # from the month's first
    last = (m.end_us - 1) // US_PER_MINUTE // interval_min - i0
    return i * len(_CHANNELS) + (m.channel[rows] + 1), (last + 1) * len(_CHANNELS), i0


def service_level(
    m: Month, interval_min: int, answer_within_s: float, abandoned: Abandoned = "missed"
) -> pd.DataFrame:
    """Per interval of ``interval_min`` minutes and channel of the month: inbound contacts
    offered, answered within ``answer_within_s`` s, and the share (as
    ``engine.service_level_by_interval``; outbound contacts never count). ``abandoned`` says
    how an inbound contact abandoned within the threshold counts: missed, excluded or met."""
    code, size, i0 = _interval_code(m, interval_min)
    quick = m.queue_wait_s <= answer_within_s  # a missing wait is not quick
    in_time = m.answered & quick
    rows = m.in_month & (m.direction == DIRECTIONS.index("inbound"))
    if abandoned == "met":
        in_time = in_time | (~m.answered & quick)
    elif abandoned == "excluded":
        rows = rows & (m.answered | ~quick)
    counts = count_where(code * 2 + in_time, rows, 2 * size).reshape(-1, 2)  # odd: in time
    offered = counts.sum(axis=1)
    u = np.flatnonzero(offered)
    interval, ch = np.divmod(u, len(_CHANNELS))
    n_in = counts[u, 1]
    return pd.DataFrame(
        {
            "interval_start": ((interval + i0) * interval_min * US_PER_MINUTE).astype(
                "datetime64[us]"
            ),
            "channel": _CHANNELS[ch],
            "offered": offered[u],
            "answered_in_time": n_in,
            "service_level": n_in / offered[u],
        }
    )


def interval_rows(
    m: Month, intervals: pd.DataFrame, interval_min: int, rows: slice | np.ndarray = slice(None)
) -> np.ndarray:
    """Which rows of the month (or of ``rows``) fall in one of ``intervals``'
    (interval_start, channel)."""
    code, size, i0 = _interval_code(m, interval_min, rows)
    ch = intervals["channel"].map({c: i + 1 for i, c in enumerate(CHANNELS)}).fillna(0)
    start = intervals["interval_start"].to_numpy().astype("datetime64[us]").astype(np.int64)
    wanted = (start // (interval_min * US_PER_MINUTE) - i0) * len(_CHANNELS)
    wanted += ch.to_numpy(dtype=np.int64)
    hit = np.zeros(size + 1, dtype=bool)  # the last: rows outside the month
    hit[wanted[(wanted >= 0) & (wanted < size)]] = True
    ok = m.in_month[rows] & (m.channel[rows] >= 0)
    return hit[np.where(ok, code, size)]


def worked(m: Month, plan: SamplingPlan) -> pd.DataFrame:
    """Answered contacts per roster agent, day and shift (columns agent_id, date, shift, n)."""
    m0 = m.start_us // US_PER_MINUTE
    d0, from_midnight = divmod(m0, 24 * 60)
    minute = m.minute + from_midnight  # minutes since the month's first midnight
    days = (m.end_us - 1) // US_PER_MINUTE // (24 * 60) - d0 + 1
    shifts = plan.shifts
    shift = shift_codes(plan)
    shift[shift < 0] = len(shifts)  # hours in no shift: their own code, named None
    ns = len(shifts) + 1
    day = minute // (24 * 60)  # numpy's // by a constant is fast, its % is not
    hour = minute // 60 - day * 24
    code = (m.a * days + day) * ns + shift.astype(np.int32).take(hour)
    u, n = _tally(code, m.handled_rows, len(m.agents) * days * ns)
    rest, sh = np.divmod(u, ns)
    a, d = np.divmod(rest, days)
    return pd.DataFrame(
        {
            "agent_id": m.agents[a],
            "date": ((d + d0) * US_PER_DAY).astype("datetime64[us]"),
            "shift": np.array([*shifts, None], dtype=object)[sh],
            "n": n,
        }
    )
