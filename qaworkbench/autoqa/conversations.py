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
    text: pa.Array  # large_string

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


def from_messages(df: pd.DataFrame) -> Conversations:
    """Chat messages (``contact_id``, ``seq``, ``sender``, ``timestamp``, ``text``) as
    conversations; times are seconds from each conversation's first message."""
    df = df.sort_values(["contact_id", "seq"], kind="stable", ignore_index=True)
    codes, ids = pd.factorize(df["contact_id"], sort=False)
    ts = df["timestamp"].to_numpy("datetime64[us]").astype(np.int64) / 1e6
    t0 = pd.Series(ts).groupby(codes).transform("min").to_numpy()
    return Conversations(
        contact_ids=np.asarray(ids, dtype=object),
        channel="chat",
        g=codes.astype(np.int64),
        seq=df["seq"].to_numpy(np.int64),
        agent=(df["sender"] == "agent").to_numpy(bool),
        t=ts - t0,
        t_end=np.full(len(df), np.nan),
        text=_strings(df["text"]),
    )


def from_transcripts(df: pd.DataFrame) -> Conversations:
    """Transcript turns (``contact_id``, ``turn``, ``speaker``, ``start_s``, ``end_s``,
    ``text``) as conversations."""
    df = df.sort_values(["contact_id", "turn"], kind="stable", ignore_index=True)
    codes, ids = pd.factorize(df["contact_id"], sort=False)
    return Conversations(
        contact_ids=np.asarray(ids, dtype=object),
        channel="voice",
        g=codes.astype(np.int64),
        seq=df["turn"].to_numpy(np.int64),
        agent=(df["speaker"] == "agent").to_numpy(bool),
        t=df["start_s"].to_numpy(float),
        t_end=df["end_s"].to_numpy(float),
        text=_strings(df["text"]),
    )


def _strings(s: pd.Series) -> pa.Array:
    return pa.array(s.fillna("").astype(str).to_numpy(object), type=pa.large_string())
