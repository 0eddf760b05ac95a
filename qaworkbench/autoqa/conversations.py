"""Chats and call transcripts as one shape the checks read: utterances in order, per contact.

Chat messages carry times (seconds from the conversation's first message); transcript turns
carry start and end offsets. Arrays, sorted by contact and order, so a month of millions of
messages is checked without a Python loop per message.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Conversations:
    """Utterances of many contacts, sorted by contact then order.

    ``contact_ids[g[i]]`` is row i's contact; ``seq`` its message or turn number; ``t`` its
    start (s from the contact's first utterance), ``t_end`` its end (NaN for chat messages).
    """

    contact_ids: np.ndarray  # one per contact
    channel: str  # "chat" or "voice"
    g: np.ndarray  # contact index per row
    seq: np.ndarray
    agent: np.ndarray  # bool: the agent speaks
    t: np.ndarray
    t_end: np.ndarray
    text: pa.Array  # strings

    def __len__(self) -> int:
        return len(self.g)

    @property
    def n(self) -> int:
        """Number of contacts."""
        return len(self.contact_ids)

    @cached_property
    def customer(self) -> np.ndarray:
        return ~self.agent

    @cached_property
    def same_as_previous(self) -> np.ndarray:
        """Row i belongs to the same contact as row i - 1."""
        out = np.zeros(len(self.g), bool)
        out[1:] = self.g[1:] == self.g[:-1]
        return out

    @cached_property
    def timed(self) -> np.ndarray:
        """Per contact: every utterance has a time (an export without times has none)."""
        untimed = np.bincount(self.g[np.isnan(self.t)], minlength=self.n) > 0
        return ~untimed

    def texts(self, rows: np.ndarray) -> list[str]:
        """The texts of ``rows`` as Python strings."""
        return self.text.take(pa.array(rows, type=pa.int64())).to_pylist()

    def first_where(self, mask: np.ndarray) -> np.ndarray:
        """Per contact, the first row where ``mask`` holds (-1 where none)."""
        out = np.full(self.n, -1, np.int64)
        rows = np.flatnonzero(mask)
        gs, first = np.unique(self.g[rows], return_index=True)
        out[gs] = rows[first]
        return out

    def last_where(self, mask: np.ndarray) -> np.ndarray:
        """Per contact, the last row where ``mask`` holds (-1 where none)."""
        out = np.full(self.n, -1, np.int64)
        rows = np.flatnonzero(mask)[::-1]
        gs, first = np.unique(self.g[rows], return_index=True)
        out[gs] = rows[first]
        return out

    def rank_from_end(self, mask: np.ndarray) -> np.ndarray:
        """Per row, how many ``mask`` rows of its contact come after it (0 = the last)."""
        rows = np.flatnonzero(mask)
        rev = rows[::-1]
        gr = self.g[rev]
        start = np.r_[True, gr[1:] != gr[:-1]]
        grp = np.cumsum(start) - 1
        first_pos = np.flatnonzero(start)
        rank = np.arange(len(rev)) - first_pos[grp]
        out = np.full(len(self.g), -1, np.int64)
        out[rev] = rank
        return out

    def rank_from_start(self, mask: np.ndarray) -> np.ndarray:
        """Per row, how many ``mask`` rows of its contact come before it (0 = the first)."""
        rows = np.flatnonzero(mask)
        gr = self.g[rows]
        start = np.r_[True, gr[1:] != gr[:-1]] if len(rows) else np.zeros(0, bool)
        grp = np.cumsum(start) - 1
        rank = np.arange(len(rows)) - np.flatnonzero(start)[grp]
        out = np.full(len(self.g), -1, np.int64)
        out[rows] = rank
        return out


def from_messages(data: pd.DataFrame | pa.Table) -> Conversations:
    """Chat messages (``contact_id``, ``seq``, ``sender``, ``timestamp``, ``text``) as
    conversations; times are seconds from each conversation's first message (NaN where a
    message has no time). An Arrow table
    must come sorted by contact and ``seq`` (the engine sorts); a DataFrame is sorted here."""
    t = _sorted(data, "seq")
    g, ids = _groups(t.column("contact_id"))
    stamp = t.column("timestamp").cast(pa.timestamp("us"))
    ts = _numpy(pc.fill_null(stamp.cast(pa.int64()), 0)).astype(np.int64) / 1e6
    ts[_numpy(pc.is_null(stamp)).astype(bool)] = np.nan  # an export without times
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.zeros(0, np.int64)
    t0 = np.fmin.reduceat(ts, first)[g] if len(g) else ts
    return Conversations(
        contact_ids=ids,
        channel="chat",
        g=g,
        seq=_numpy(t.column("seq")).astype(np.int64),
        agent=_numpy(pc.equal(t.column("sender"), "agent")).astype(bool),
        t=ts - t0,
        t_end=np.full(len(g), np.nan),
        text=_strings(t.column("text")),
    )


def from_transcripts(data: pd.DataFrame | pa.Table) -> Conversations:
    """Transcript turns (``contact_id``, ``turn``, ``speaker``, ``start_s``, ``end_s``,
    ``text``) as conversations (an Arrow table sorted by contact and turn, or a DataFrame)."""
    t = _sorted(data, "turn")
    g, ids = _groups(t.column("contact_id"))
    return Conversations(
        contact_ids=ids,
        channel="voice",
        g=g,
        seq=_numpy(t.column("turn")).astype(np.int64),
        agent=_numpy(pc.equal(t.column("speaker"), "agent")).astype(bool),
        t=_numpy(t.column("start_s")).astype(float),
        t_end=_numpy(t.column("end_s")).astype(float),
        text=_strings(t.column("text")),
    )


def _sorted(data: pd.DataFrame | pa.Table, order: str) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    df = data.sort_values(["contact_id", order], kind="stable", ignore_index=True)
    return pa.Table.from_pandas(df.astype({"contact_id": str}), preserve_index=False)


def _groups(ids: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Contact index per row (rows sorted by contact) and the contacts' ids."""
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    n = len(ids)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, dtype=object)
    change = np.ones(n, bool)
    change[1:] = _numpy(pc.not_equal(ids.slice(1), ids.slice(0, n - 1))).astype(bool)
    g = np.cumsum(change) - 1
    return g.astype(np.int64), ids.filter(pa.array(change)).to_numpy(zero_copy_only=False)


def _numpy(a) -> np.ndarray:
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    return a.to_numpy(zero_copy_only=False)


def _strings(a) -> pa.Array:
    """One array of strings (no copy when the column is one chunk without nulls)."""
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    return pc.fill_null(a, "") if a.null_count else a
