"""The sampling month as arrays from one Parquet scan, and the engine's picks on them.

``scan_month`` reads the month once through DuckDB (decode, hash the ids, code the
agent, channel and direction) into numpy arrays plus three Arrow string columns;
``smallest_per_agent`` and ``repeat_rows`` then work on those arrays without a
Python object per contact. Only the candidates any rule could take (about four
times the quota per agent, and the flagged contacts) become a DataFrame
(``frame``) for the rules in sampling.py, which decide and explain the sample.

Random keys: DuckDB's ``hash(contact_id, seed)`` (``Month.h``), mixed with a salt
per rule by splitmix64 (``keys``): fixed by the id and the seed, whatever order
the export arrives in.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .plan import SamplingPlan
from .sampling import _rank, _shift_codes, spread_rows
from .schema import CHANNELS, DIRECTIONS

US_PER_MINUTE = 60_000_000
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR
_CHANNELS = np.array([None, *CHANNELS], dtype=object)  # code + 1 -> name
_DIRECTIONS = np.array([None, *DIRECTIONS], dtype=object)


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
    evaluated: pd.Series,
    complained: pd.Series,
    table: str = "contacts",
) -> Month:
    """Read [start - lookback, end) of ``table`` once into a ``Month``.

    ``agents`` is the roster (its order gives the codes); ``evaluated`` and
    ``complained`` are contact ids to flag.
    """
    roster = pd.DataFrame({"agent_id": agents.astype(str).to_numpy()})
    roster["_a"] = np.arange(len(roster), dtype=np.int32)
    frames = {
        "_scan_roster": roster,
        "_scan_done": pd.DataFrame({"contact_id": evaluated.astype(str).unique()}),
        "_scan_complained": pd.DataFrame({"contact_id": complained.astype(str).unique()}),
    }
    for name, df in frames.items():
        con.register(name, df)
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
        # the flagged ids' keys, found among the month's keys (cheaper than IN in the scan)
        flagged = {
            name: con.sql(
                f"SELECT contact_id, hash(contact_id, ?) AS h FROM {name}", params=[str(seed)]
            ).to_arrow_table()
            for name in ("_scan_done", "_scan_complained")
        }
    finally:
        for name in frames:
            con.unregister(name)

    def col(name: str) -> np.ndarray:
        x = t.column(name)
        x = x.chunk(0) if x.num_chunks == 1 else x.combine_chunks()
        return x.to_numpy(zero_copy_only=False)

    def flag(name: str) -> np.ndarray:
        return col(name).view(bool)

    h = col("h")

    def among(ids: pa.Table) -> np.ndarray:
        return _among(h, t.column("contact_id"), ids.column("h").to_numpy(), ids.column(0))

    return Month(
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
        h=h,
        c=col("c"),
        has_customer=flag("has_customer"),
        done=among(flagged["_scan_done"]),
        complained=among(flagged["_scan_complained"]),
        text=t.select(["contact_id", "customer_id", "recording_ref"]),
    )


def _among(
    h: np.ndarray, ids: pa.ChunkedArray, wanted_h: np.ndarray, wanted: pa.ChunkedArray
) -> np.ndarray:
    """Which rows (keys ``h``, contact ids ``ids``) have one of the ``wanted`` ids (keys
    ``wanted_h``): a table of the keys' top 22 bits rules most rows out, the keys
    then match exactly, and the ids themselves confirm each match."""
    bits = np.uint64(64 - 22)
    seen = np.zeros(1 << 22, dtype=bool)
    seen[(wanted_h >> bits).astype(np.intp)] = True
    maybe = np.flatnonzero(seen[(h >> bits).astype(np.intp)])
    hit = maybe[np.isin(h[maybe], wanted_h)]
    hit = hit[
        pc.is_in(take(ids, hit), value_set=wanted.combine_chunks()).to_numpy(zero_copy_only=False)
    ]
    out = np.zeros(len(h), dtype=bool)
    out[hit] = True
    return out


def _code(column: str, values: tuple[str, ...]) -> str:
    """SQL: the position of ``column`` in ``values`` (0-based; -1 when other or missing)."""
    whens = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(values))
    return f"(CASE {column} {whens} ELSE -1 END)::TINYINT"


def keys(h: np.ndarray, salt: str) -> np.ndarray:
    """Each contact's random key for one rule: its key ``h`` mixed with ``salt`` (splitmix64)."""
    s = np.uint64(int.from_bytes(hashlib.blake2b(salt.encode(), digest_size=8).digest(), "little"))
    z = h ^ s
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


KEY_MARGIN = (4.0, 10.0)  # a pre-filter keeps about k + 4 sqrt(k) + 10 rows per agent
_TOP = 2.0**64 - 2048  # the largest float below 2**64


def _cut(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per agent with n rows of which k are wanted: a key (uint64) below which about
    k + 4 sqrt(k) + 10 of its rows fall (uniform keys), 0 when k is 0, the top when all."""
    a, b = KEY_MARGIN
    share = (k + a * np.sqrt(k) + b) / np.maximum(n, 1)
    cut = np.minimum(share * 2.0**64, _TOP).astype(np.uint64)
    cut[share >= 1] = np.iinfo(np.uint64).max
    cut[k <= 0] = 0
    return cut


def smallest_per_agent(
    rows: np.ndarray, agent: np.ndarray, key: np.ndarray, take: np.ndarray
) -> np.ndarray:
    """Of the ``rows`` (with their agent codes and keys), each agent's ``take[agent]`` rows with
    the smallest keys (all of them when it has fewer), in agent then key order.

    Exact without sorting them all: a first pass keeps each agent's rows whose key is
    below a cut expected to hold about k + 4 sqrt(k) + 10 of them (a prefix of its key
    order); an agent left with fewer than k is kept whole.
    """
    n = np.bincount(agent, minlength=len(take))
    k = np.minimum(take, n)
    keep = key < _cut(n, k)[agent]
    short = np.bincount(agent[keep], minlength=len(take)) < k
    if short.any():
        keep |= short[agent]
    r, g, kk = rows[keep], agent[keep], key[keep]
    order = np.lexsort((kk, g))
    r, g = r[order], g[order]
    return r[_rank(g) < k[g]]


def smallest_where(
    mask: np.ndarray, agent: np.ndarray, key: np.ndarray, take: np.ndarray
) -> np.ndarray:
    """``smallest_per_agent`` of the rows in ``mask`` (agent code -1: never taken), for a
    mask that holds most rows: the cut is applied to whole columns, and only the rows
    under it are gathered."""
    mask = mask & (agent >= 0)
    n = _count_where(agent, mask, len(take))
    cut = np.r_[_cut(n, np.minimum(take, n)), np.uint64(0)]  # code -1: the last, 0
    keep = mask & (key < cut.take(agent))
    rows = np.flatnonzero(keep)
    short = np.bincount(agent[rows], minlength=len(take)) < np.minimum(take, n)
    if short.any():  # rare: the agent's every row in the mask
        rows = np.flatnonzero(keep | (mask & np.r_[short, False].take(agent)))
    return smallest_per_agent(rows, agent[rows], key[rows], take)


def repeat_rows(m: Month, within_hours: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answered contacts of the month whose customer also had an answered contact within
    ``within_hours`` before: their rows, the previous contact's rows, and the gaps (hours).

    Two contacts of a customer at the same second are ordered by contact id. The
    customer hash groups the contacts; every pair found is checked against the
    customer ids, and the rare hash collision is redone on the ids themselves.
    """
    sel = np.flatnonzero(m.answered & m.has_customer)
    got = _repeats(m, sel, m.c[sel], within_hours, hashed=True)
    cust = m.text.column("customer_id")
    same = pc.equal(take(cust, got[0]), take(cust, got[1])).to_numpy(zero_copy_only=False)
    if not same.all():  # two customers with one hash: group by the ids themselves
        codes = pc.dictionary_encode(take(cust, sel)).indices
        got = _repeats(m, sel, codes.to_numpy().astype(np.uint64), within_hours, hashed=False)
    return got


def _repeats(
    m: Month, sel: np.ndarray, group: np.ndarray, within_hours: float, *, hashed: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``repeat_rows`` with ``group`` the customer of each row in ``sel``."""
    rows, g = sel, group
    # only customers seen twice need ordering: bucket counts rule most others out
    for shift in (42, 20) if hashed else (None,):
        bucket = (g >> np.uint64(shift)).astype(np.intp) if shift else g.astype(np.intp)
        if shift:
            bucket &= (1 << 22) - 1
        twice = np.bincount(bucket)[bucket] > 1
        rows, g = rows[twice], g[twice]
    if not len(rows):
        return rows, rows, np.empty(0)
    o = np.argsort(g)  # by customer, then by time within each customer's run
    rows, g = rows[o], g[o]
    run = np.r_[0, np.cumsum(g[1:] != g[:-1])].astype(np.int64)
    t = m.t[rows]
    t0 = int(t.min())
    bits = (int(t.max()) - t0).bit_length()
    if bits + int(run[-1]).bit_length() <= 63:  # one int64 key: a fast sort
        o = np.argsort((run << bits) | (t - t0))
    else:
        o = np.argsort(t, kind="stable")
        o = o[np.argsort(run[o], kind="stable")]
    rows, g, t = rows[o], g[o], t[o]
    tie = (g[1:] == g[:-1]) & (t[1:] == t[:-1])
    if tie.any():  # same customer, same second: contact id order
        first = np.flatnonzero(tie & ~np.r_[False, tie[:-1]])
        last = np.flatnonzero(tie & ~np.r_[tie[1:], False]) + 1
        spans = [np.arange(a, b + 1) for a, b in zip(first, last, strict=True)]
        ids = take(m.text.column("contact_id"), rows[np.concatenate(spans)]).to_pylist()
        k = 0
        for span in spans:
            names = ids[k : k + len(span)]
            rows[span] = rows[span][np.argsort(names, kind="stable")]
            k += len(span)
    gap = t[1:] - t[:-1]
    hit = (g[1:] == g[:-1]) & (gap <= within_hours * US_PER_HOUR) & (t[1:] >= m.start_us)
    return rows[1:][hit], rows[:-1][hit], gap[hit] / US_PER_HOUR


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


def _count_where(code: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
    """How many of ``rows`` (a mask) have each code 0 <= code < size: one pass, the other
    rows counted in a spare bin, no copy of the selected rows."""
    return np.bincount(np.where(rows, code, size), minlength=size + 1)[:size]


def _tally(code: np.ndarray, rows: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes (0 <= code < size) present among ``rows`` (a mask) and their counts."""
    n = _count_where(code, rows, size)
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


def service_level(m: Month, interval_min: int, answer_within_s: float) -> pd.DataFrame:
    """Per interval of ``interval_min`` minutes and channel of the month: offered, answered
    within ``answer_within_s`` s, and the share (as engine.service_level_by_interval)."""
    code, size, i0 = _interval_code(m, interval_min)
    in_time = m.answered & (m.queue_wait_s <= answer_within_s)
    counts = _count_where(code * 2 + in_time, m.in_month, 2 * size).reshape(-1, 2)  # odd: in time
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
    shift = _shift_codes(plan)
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


Repeats = tuple[np.ndarray, np.ndarray, np.ndarray]  # repeat_rows: rows, previous rows, hours


def candidates(
    m: Month,
    quotas: pd.DataFrame,
    plan: SamplingPlan,
    *,
    service_level: pd.DataFrame,
    hires: pd.DataFrame | None = None,
    faulty_agents: pd.Series | None = None,
    repeats: Repeats | Future[Repeats] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The contacts any rule could take, as a DataFrame for sampling.draw, and the repeat
    contacts among them (contact_id, previous_contact_id, hours_since) when the rule is on.

    Per quota rule, the spread picks (sampling.spread_rows) from each agent's 4 x
    post-call quota eligible contacts with the smallest keys (``_pool_k``); per targeted
    rule, the share and cap of each agent's flagged contacts, smallest keys first
    (``_sel_<reason>``, with ``_n_<reason>`` the agent's flagged count); new hires' first
    days (``_hire``); every contact of the agents with a faulty evaluation (for
    neighbours). Only roster agents' contacts. ``repeats`` is ``repeat_rows``' result (or
    a Future of it, waited for last); it is computed here when the rule is on and none is
    given.
    """
    if plan.repeat_contacts.enabled and repeats is None:
        repeats = repeat_rows(m, plan.repeat_contacts.within_hours)
    if not plan.repeat_contacts.enabled:
        repeats = None
    return _candidates(m, quotas, plan, service_level, hires, faulty_agents, repeats)


def _spread(m: Month, pool: np.ndarray, key: np.ndarray, want: np.ndarray, plan: SamplingPlan):
    """The rows sampling.spread_rows takes from each agent's random ``pool`` (rows, and their
    keys), ``want`` per agent code: only they become candidates; the rules' draw, given
    them, takes them all."""
    u = (key >> np.uint64(11)).astype(np.float64) * 2.0**-53  # [0, 1), as random_key
    return pool[spread_rows(m.a[pool], want, u, m.t[pool], plan)]


def _candidates(m, quotas, plan, service_level, hires, faulty_agents, repeats):
    mine = m.in_month & (m.a >= 0)
    open_ = mine & ~m.done if plan.exclusions.already_evaluated else mine
    marks: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}

    def pick(name: str, mask: np.ndarray, take: np.ndarray, salt: str) -> np.ndarray:
        if np.count_nonzero(mask) * 4 > len(m):  # a pool: most rows are eligible
            marks[name] = smallest_where(mask, m.a, keys(m.h, salt), take)
        else:
            rows = np.flatnonzero(mask)
            marks[name] = smallest_per_agent(rows, m.a[rows], keys(m.h[rows], salt), take)
        return marks[name]

    for k, rule in enumerate(plan.quotas):
        mask = open_ & m.answered & (m.talk_s >= plan.exclusions.min_talk_s)
        if rule.channel:
            mask &= m.channel == CHANNELS.index(rule.channel)
        if rule.direction:
            mask &= m.direction == DIRECTIONS.index(rule.direction)
        want = quotas[quotas["quota_rule"] == k].groupby("agent_id")["post_call"].sum()
        want = want.reindex(m.agents, fill_value=0).to_numpy()
        pool = pick(f"_pool_{k}", mask, 4 * want, f"pool{k}")
        marks[f"_pool_{k}"] = _spread(m, pool, keys(m.h[pool], f"pool{k}"), want, plan)

    def capped(reason: str, rule, mask: np.ndarray) -> None:
        mask = mask & open_
        n = np.bincount(m.a[mask], minlength=len(m.agents))
        take = np.ceil(n * rule.share - 1e-9)
        if rule.max_per_agent is not None:
            take = np.minimum(take, rule.max_per_agent)
        pick(f"_sel_{reason}", mask, take, reason)
        counts[f"_n_{reason}"] = n

    r = plan.short_contacts
    if r.enabled:
        capped("short", r, m.answered & (m.talk_s < r.max_talk_s))
    r = plan.long_contacts
    if r.enabled:
        mask = m.answered & (m.talk_s > r.min_talk_s)
        if r.only_missed_intervals:
            missed = service_level[service_level["service_level"] < r.target]
            rows = np.flatnonzero(mask)
            mask = np.zeros(len(m), dtype=bool)
            mask[rows[interval_rows(m, missed, r.interval_min, rows)]] = True
        capped("long_missed_sl" if r.only_missed_intervals else "long", r, mask)
    if plan.complaints.enabled and m.complained.any():
        capped("complaint", plan.complaints, m.complained)
    if hires is not None and len(hires):
        hired = np.zeros(len(m.agents), dtype=np.int64)
        at = pd.Index(m.agents).get_indexer(hires["agent_id"])
        hired[at[at >= 0]] = (
            hires["hire_date"].to_numpy()[at >= 0].astype("datetime64[us]").astype(np.int64)
        )
        is_hire = np.zeros(len(m.agents) + 1, dtype=bool)  # the last: agent code -1
        is_hire[at[at >= 0]] = True
        theirs = np.flatnonzero(mine & is_hire.take(m.a))
        since = m.t[theirs] - hired[m.a[theirs]]
        days = plan.new_hires.first_days * US_PER_DAY
        marks["_hire"] = theirs[(since >= 0) & (since < days)]
    extra = []
    if faulty_agents is not None and len(faulty_agents):
        codes = pd.Index(m.agents).get_indexer(pd.unique(faulty_agents))
        extra.append(np.flatnonzero(mine & np.isin(m.a, codes[codes >= 0])))

    if repeats is not None:  # last: another thread may still be finding them
        repeats = repeats.result() if isinstance(repeats, Future) else repeats
        flagged = np.zeros(len(m), dtype=bool)
        flagged[repeats[0]] = True
        capped("repeat", plan.repeat_contacts, flagged)

    rows = np.unique(np.concatenate([*marks.values(), *extra, np.empty(0, dtype=np.int64)]))
    out = frame(m, rows)
    scratch = np.zeros(len(m), dtype=bool)
    for name, picked in marks.items():
        scratch[picked] = True
        out[name] = scratch[rows]
        scratch[picked] = False
        if name.startswith("_sel_"):
            n = counts["_n_" + name.removeprefix("_sel_")]
            out["_n_" + name.removeprefix("_sel_")] = np.where(out[name], n[m.a[rows]], np.nan)
    if repeats is None:
        return out, None
    again, before, hours = repeats
    scratch[rows] = True
    kept = scratch[again]
    ids = m.text.column("contact_id")
    return out, pd.DataFrame(
        {
            "contact_id": pd.array(take(ids, again[kept]), dtype="str"),
            "previous_contact_id": pd.array(take(ids, before[kept]), dtype="str"),
            "hours_since": hours[kept],
        }
    )
