"""Random keys and per-agent picks, the machinery every rule draws with.

Randomness comes from a keyed hash of (contact id, seed), so the same inputs and
seed give the same sample whatever order the export arrives in. Two forms: on a
DataFrame (``random_key``, ``spread_pick``), and on the month's arrays (``keys``:
DuckDB's ``hash(contact_id, seed)`` mixed with a salt per rule by splitmix64;
``smallest_per_agent``, ``smallest_where``, ``spread_rows``), so a month of
millions is never sorted whole.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .plan import SamplingPlan


def random_key(ids: pd.Series, seed: int) -> np.ndarray:
    """A uniform [0, 1) number per id, fixed by (id, seed) and independent of row order."""
    h = pd.util.hash_pandas_object(ids.astype(str), index=False, hash_key=f"{seed % 10**16:016d}")
    return (h.to_numpy() >> np.uint64(11)).astype(np.float64) / float(2**53)


def shift_of(start: pd.Series, plan: SamplingPlan) -> pd.Series:
    """The shift (band of hours) each start time falls in."""
    names = np.array([*plan.shifts, None], dtype=object)[shift_codes(plan)]  # -1: no shift
    return pd.Series(names[start.dt.hour.to_numpy()], index=start.index, dtype="str")


def shift_codes(plan: SamplingPlan) -> np.ndarray:
    """The shift number of each hour 0-23 (hours in no shift get -1)."""
    codes = np.full(24, -1)
    for i, (a, b) in enumerate(plan.shifts.values()):
        codes[a:b] = i
    return codes


def spread_pick(
    cand: pd.DataFrame, want: pd.Series, key: np.ndarray, plan: SamplingPlan
) -> pd.DataFrame:
    """Pick want[agent] contacts per agent, spread over days and shifts.

    Round-robin over (day, shift) strata in random order: everyone's first
    pick comes from a different stratum before any stratum gives a second.
    The candidates are a random pool of about 8x the wanted count per agent
    (the contacts with the smallest keys), so a month of millions is never
    sorted whole; an agent whose pool falls short gets all its contacts.
    """
    if cand.empty:
        return cand.assign(_key=pd.Series(dtype=float))
    codes, names = pd.factorize(cand["agent_id"], sort=True)
    w = want.reindex(names).fillna(0).to_numpy()
    us = cand["start_time"].to_numpy().astype("datetime64[us]").astype(np.int64)
    i = spread_rows(codes, w, key, us, plan)
    return cand.iloc[i].assign(_key=key[i])


def spread_rows(
    codes: np.ndarray, want: np.ndarray, key: np.ndarray, start_us: np.ndarray, plan: SamplingPlan
) -> np.ndarray:
    """``spread_pick`` on arrays: the positions picked, given each row's agent code, the
    wanted count per code, each row's random key in [0, 1) and its start (µs since 1970)."""
    w = want
    n = np.bincount(codes, minlength=len(w))
    frac = np.minimum(1.0, 8 * w / np.maximum(n, 1))
    pool = key < frac[codes]
    got = np.bincount(codes[pool], minlength=len(w))
    short = (got < np.minimum(4 * w, n)) & (w > 0)
    pool |= short[codes]
    i = np.flatnonzero(pool & (w[codes] > 0))
    i = i[np.lexsort((key[i], codes[i]))]  # each agent's pool, smallest keys first
    i = i[_rank(codes[i]) < 4 * w[codes[i]]]
    us = start_us[i]
    day, hour = us // 86_400_000_000, us // 3_600_000_000 % 24
    shift = shift_codes(plan)[hour]
    by = np.lexsort((key[i], shift, day, codes[i]))  # round: the pick's turn in its stratum
    turn = np.empty(len(i), dtype=np.int64)
    stratum = np.r_[True, np.diff(codes[i][by]) != 0] | np.r_[True, np.diff(day[by]) != 0]
    stratum |= np.r_[True, np.diff(shift[by]) != 0]
    turn[by] = np.arange(len(by)) - np.maximum.accumulate(np.where(stratum, np.arange(len(by)), 0))
    i = i[np.lexsort((key[i], turn, codes[i]))]
    return i[_rank(codes[i]) < w[codes[i]]]


def _rank(sorted_codes: np.ndarray) -> np.ndarray:
    """Each row's position within its run of equal codes (the codes sorted)."""
    starts = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]
    at = np.arange(len(sorted_codes))
    return at - np.maximum.accumulate(np.where(starts, at, 0))


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
    n = count_where(agent, mask, len(take))
    cut = np.r_[_cut(n, np.minimum(take, n)), np.uint64(0)]  # code -1: the last, 0
    keep = mask & (key < cut.take(agent))
    rows = np.flatnonzero(keep)
    short = np.bincount(agent[rows], minlength=len(take)) < np.minimum(take, n)
    if short.any():  # rare: the agent's every row in the mask
        rows = np.flatnonzero(keep | (mask & np.r_[short, False].take(agent)))
    return smallest_per_agent(rows, agent[rows], key[rows], take)


def count_where(code: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
    """How many of ``rows`` (a mask) have each code 0 <= code < size: one pass, the other
    rows counted in a spare bin, no copy of the selected rows."""
    return np.bincount(np.where(rows, code, size), minlength=size + 1)[:size]
