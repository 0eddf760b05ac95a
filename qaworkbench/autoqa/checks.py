"""The checks of a rule set, one function per kind of check (``Rule.check``).

Each takes the conversations and a rule and returns, per contact, a ``Verdicts``: whether
the rule applies, whether it failed, the row it rests on (the message or turn quoted as
evidence) and what was measured (seconds, a similarity 0-100, a count) or matched (the word
or phrase found). Only the agent's utterances are judged, except where a check reads the
customer's (repeats, replies).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .conversations import Conversations
from .ruleset import Rule
from .text import PhraseMatcher, WordMatcher, normalise_all, pattern_rows, similarity


@dataclass
class Verdicts:
    """Per contact: applies, failed, evidence row (-1: none), measure (NaN: none), match."""

    applies: np.ndarray
    failed: np.ndarray
    row: np.ndarray
    measure: np.ndarray
    matched: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Verdicts:
        return cls(
            applies=np.zeros(n, bool),
            failed=np.zeros(n, bool),
            row=np.full(n, -1, np.int64),
            measure=np.full(n, np.nan),
            matched=np.full(n, None, dtype=object),
        )


def _has_agent(c: Conversations) -> np.ndarray:
    return np.bincount(c.g[c.agent], minlength=c.n) > 0


def _replies(c: Conversations) -> tuple[np.ndarray, np.ndarray]:
    """Agent rows that answer a customer (the row before is the customer's, same contact),
    and each one's wait: from the first message of the customer's run, s."""
    run_start = c.customer & ~(c.same_as_previous & np.r_[False, c.customer[:-1]])
    idx = np.where(run_start, np.arange(len(c)), -1)
    started = np.maximum.accumulate(idx) if len(idx) else idx
    prev_customer = c.same_as_previous & np.r_[False, c.customer[:-1]]
    reply = np.flatnonzero(c.agent & prev_customer)
    wait = c.t[reply] - c.t[started[reply - 1]]
    return reply, wait


def first_response(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """The agent's first reply to the customer within ``max_s``; fails when the customer
    wrote and no reply came. Not applicable when the customer never wrote, or the messages
    have no times."""
    v = Verdicts.empty(c.n)
    reply, wait = _replies(c)
    first_c = c.first_where(c.customer)
    v.applies = (first_c >= 0) & c.timed
    gs, pos = np.unique(c.g[reply], return_index=True)
    got = np.zeros(c.n, bool)
    got[gs] = True
    v.measure[gs] = wait[pos]
    v.row[gs] = reply[pos]
    v.failed = v.applies & (~got | (v.measure > r.max_s))
    v.row = np.where(v.applies & ~got, first_c, v.row)
    return v


def average_response(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """The mean wait for the agent's replies within ``max_s``; the slowest reply is the
    evidence. Not applicable without a reply, or without message times."""
    v = Verdicts.empty(c.n)
    reply, wait = _replies(c)
    g = c.g[reply]
    n = np.bincount(g, minlength=c.n)
    total = np.bincount(g, weights=np.nan_to_num(wait), minlength=c.n)
    v.applies = (n > 0) & c.timed
    v.measure = np.where(v.applies, total / np.maximum(n, 1), np.nan)
    order = np.lexsort((-wait, g))  # per contact, slowest first
    gs, pos = np.unique(g[order], return_index=True)
    v.row[gs] = reply[order[pos]]
    v.failed = v.applies & (v.measure > r.max_s)
    return v


def lookup_reply(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """After the agent says they are looking something up (one of ``phrases``, in a message
    matching none of ``unless``), their next message within ``max_s``; fails too when no
    message follows. Not applicable without a look-up; where messages have no times, only a
    look-up never followed fails."""
    v = Verdicts.empty(c.n)
    look = c.agent & (ctx.phrases(r.phrases, c) >= 0)
    if r.unless:  # an offer or a request ("send us your number and we will check") is no hold
        look &= ~ctx.matches(r.unless, c)
    rows = np.flatnonzero(look)
    agent_rows = np.flatnonzero(c.agent)
    nxt_pos = np.searchsorted(agent_rows, rows, side="right")
    nxt = np.where(
        nxt_pos < len(agent_rows), agent_rows[np.minimum(nxt_pos, len(agent_rows) - 1)], -1
    )
    ok_next = (nxt >= 0) & (c.g[np.maximum(nxt, 0)] == c.g[rows])
    wait = np.where(ok_next, c.t[np.maximum(nxt, 0)] - c.t[rows], np.inf)
    g = c.g[rows]
    v.applies[g] = True
    worst = np.full(c.n, -np.inf)
    np.fmax.at(worst, g, wait)  # NaN: the wait is unknown (no times)
    order = np.lexsort((-wait, g))
    gs, pos = np.unique(g[order], return_index=True)
    v.row[gs] = rows[order[pos]]
    v.measure = np.where(v.applies & np.isfinite(worst), worst, np.nan)
    v.failed = v.applies & (np.nan_to_num(worst, nan=-np.inf) > r.max_s)
    return v


def _standard(c: Conversations, r: Rule, ctx: Context, rank: np.ndarray, within: int) -> Verdicts:
    v = Verdicts.empty(c.n)
    rows = np.flatnonzero(c.agent & (rank >= 0) & (rank < within))
    sim = ctx.similarity(r.phrases, c, rows)[rows]
    g = c.g[rows]
    best = np.full(c.n, -1.0)
    np.maximum.at(best, g, sim)
    keyed = np.zeros(c.n, bool)
    if r.key_patterns:
        keyed[g[ctx.matches(r.key_patterns, c)[rows]]] = True
    v.applies = _has_agent(c)
    v.measure = np.where(v.applies, best, np.nan)
    v.failed = v.applies & (best < r.min_similarity) & ~keyed
    return v


def greeting(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """One of the agent's first ``first_messages`` messages is the standard greeting
    (similarity at least ``min_similarity``, 0-100) or holds its key parts (one of
    ``key_patterns``: 您好 and an offer of service, words between allowed); evidence: the
    agent's first message."""
    v = _standard(c, r, ctx, c.rank_from_start(c.agent), r.first_messages)
    v.row = c.first_where(c.agent)
    return v


def closing(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """One of the agent's last ``last_messages`` messages is a standard closing (similarity
    at least ``min_similarity``) or holds a closing's key part (``key_patterns``: thanks for
    the contact, a wish, an invitation to come back or to rate); evidence: the agent's last
    message."""
    v = _standard(c, r, ctx, c.rank_from_end(c.agent), r.last_messages)
    v.row = c.last_where(c.agent)
    return v


def _first_match(c: Conversations, found: np.ndarray, names: list[str]) -> Verdicts:
    """``found``: per row the index in ``names`` of what matched (-1: nothing)."""
    v = Verdicts.empty(c.n)
    v.applies = _has_agent(c)
    v.row = c.first_where(c.agent & (found >= 0))
    v.failed = v.row >= 0
    v.matched[v.failed] = np.asarray(names, dtype=object)[found[v.row[v.failed]]]
    return v


def words(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """The agent uses none of ``words`` (as whole words); evidence: the first that does."""
    return _first_match(c, ctx.words(r.words, c), list(dict.fromkeys(r.words)))


def phrases(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """The agent says none of ``phrases`` (as whole words); evidence: the first that does."""
    return _first_match(c, ctx.phrases(r.phrases, c), r.phrases)


def patterns(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """No agent message matches ``patterns`` (RE2), leaving out messages that match one of
    ``unless`` (a condition, a question about the customer's fault); evidence: the first that
    does, and as the match the pattern's group ``w`` where it has one (the word alone)."""
    hit = np.full(len(c), -1, dtype=np.int16)
    agent = c.agent & ~ctx.matches(r.unless, c) if r.unless else c.agent
    rows = np.flatnonzero(agent)
    hit[rows[pattern_rows(c.text.take(rows), r.patterns)]] = 0
    v = _first_match(c, hit, ["pattern"])
    compiled = [re.compile(p) for p in r.patterns]
    for k in np.flatnonzero(v.failed):  # the words that matched, for the evidence
        text = c.texts(np.array([v.row[k]]))[0]
        m = next((m for p in compiled if (m := p.search(text))), None)
        v.matched[k] = None if m is None else (m.groupdict().get("w") or m.group(0))
    return v


def customer_repeats(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """The customer never has to write the same thing again: a customer message of at
    least ``min_chars`` characters as similar as ``min_similarity`` (0-100) to one of their
    ``window`` earlier ones, with an agent message between (a double post is no repeat), fails;
    messages matching ``ignore`` (system cards) are left out. Evidence: the first repeat. Not
    applicable without customer messages."""
    from rapidfuzz import fuzz, process

    v = Verdicts.empty(c.n)
    v.applies = np.bincount(c.g[c.customer], minlength=c.n) > 0
    rows = np.flatnonzero(c.customer)
    norm = normalise_all(c.text.take(pa.array(rows, type=pa.int64())))
    keep = np.asarray(pc.utf8_length(norm)) >= r.min_chars
    if r.ignore:  # system cards (an order, a product link) are not the customer's words
        keep &= ~ctx.matches(r.ignore, c)[rows]
    rows, texts = rows[keep], norm.filter(pa.array(keep)).to_pylist()
    g = c.g[rows]
    replies = np.cumsum(c.agent)[rows]  # agent messages so far: a repeat needs one between
    first = np.full(c.n, np.iinfo(np.int64).max)
    score = np.full(c.n, np.nan)
    for k in range(1, r.window + 1):
        if len(rows) <= k:
            break
        later = np.flatnonzero((g[k:] == g[:-k]) & (replies[k:] > replies[:-k])) + k
        if not len(later):
            continue
        s = process.cpdist([texts[i] for i in later], [texts[i - k] for i in later],
                           scorer=fuzz.ratio, workers=-1, score_cutoff=r.min_similarity)  # fmt: skip
        hit = later[s >= r.min_similarity]
        for i, val in zip(hit, s[s >= r.min_similarity], strict=True):
            if rows[i] < first[g[i]]:
                first[g[i]], score[g[i]] = rows[i], val
    v.failed = first < np.iinfo(np.int64).max
    v.row = np.where(v.failed, first, -1)
    v.measure = score
    return v


def closing_before_solution(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """The agent closes (a standard closing or a hurrying phrase) only after offering a
    solution; not applicable when the agent never closed. Evidence: the closing message."""
    v = Verdicts.empty(c.n)
    sol = c.agent & (ctx.phrases(r.solution, c) >= 0)
    hurry = c.agent & (ctx.phrases(r.hurry, c) >= 0) if r.hurry else np.zeros(len(c), bool)
    closing_rule = ctx.closing_rule
    first_sol = c.first_where(sol)
    closes = hurry.copy()
    if closing_rule is not None:  # a closing before the first solution, or at the end
        before = np.where(first_sol >= 0, first_sol, len(c))[c.g] > np.arange(len(c))
        last = c.rank_from_end(c.agent)
        ending = (last >= 0) & (last < closing_rule.last_messages)
        rows = np.flatnonzero(c.agent & (before | ending))
        sim = ctx.similarity(closing_rule.phrases, c, rows)
        closes[rows] |= sim[rows] >= closing_rule.min_similarity
    first_close = c.first_where(closes)
    v.applies = first_close >= 0
    v.failed = v.applies & ((first_sol < 0) | (first_sol > first_close))
    v.row = np.where(v.applies, first_close, -1)
    return v


def silence(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """No silence between turns longer than ``max_s`` (a hold the agent announced with one
    of ``hold_phrases`` may last ``hold_max_s``); measure: the longest silence, s; evidence:
    the turn that ends it."""
    v = Verdicts.empty(c.n)
    v.applies = np.bincount(c.g, minlength=c.n) > 1
    end_so_far = _running_max_end(c)
    gap = np.where(c.same_as_previous, c.t - np.r_[np.nan, end_so_far[:-1]], np.nan)
    hold = c.agent & (ctx.phrases(r.hold_phrases, c) >= 0) if r.hold_phrases else None
    limit = np.full(len(c), r.max_s)
    if hold is not None and r.hold_max_s:
        after_hold = np.r_[False, hold[:-1]] & c.same_as_previous
        limit = np.where(after_hold, max(r.hold_max_s, r.max_s), limit)
    over = np.nan_to_num(gap, nan=-1.0) - limit
    rows = np.flatnonzero(c.same_as_previous)
    longest = np.full(c.n, np.nan)
    if len(rows):
        g = c.g[rows]
        order = np.lexsort((-over[rows], g))
        gs, pos = np.unique(g[order], return_index=True)
        worst = rows[order[pos]]
        v.row[gs] = worst
        longest_all = np.full(c.n, -np.inf)
        np.maximum.at(longest_all, g, np.nan_to_num(gap[rows], nan=-np.inf))
        longest = np.where(np.isfinite(longest_all), np.maximum(longest_all, 0.0), np.nan)
        v.failed[gs] = over[worst] > 0
    v.measure = longest
    return v


def _running_max_end(c: Conversations) -> np.ndarray:
    """Per row, the latest end of any turn of its call up to and including it."""
    end = np.where(np.isfinite(c.t_end), c.t_end, c.t)
    out = end.copy()
    for i in np.flatnonzero(c.same_as_previous):  # calls are short: a plain pass is fine
        if out[i - 1] > out[i]:
            out[i] = out[i - 1]
    return out


def talk_over(c: Conversations, r: Rule, ctx: Context) -> Verdicts:
    """The agent starts talking while the customer still speaks (by ``min_overlap_s`` or
    more) at most ``max_count`` times; measure: how many times; evidence: the first."""
    v = Verdicts.empty(c.n)
    v.applies = _has_agent(c) & (np.bincount(c.g[c.customer], minlength=c.n) > 0)
    prev_customer = c.same_as_previous & np.r_[False, c.customer[:-1]]
    prev_end = np.r_[np.nan, c.t_end[:-1]]
    over = c.agent & prev_customer & ((prev_end - c.t) >= r.min_overlap_s)
    v.measure = np.where(v.applies, np.bincount(c.g[over], minlength=c.n), np.nan).astype(float)
    v.row = c.first_where(over)
    v.failed = v.applies & (v.measure > r.max_count)
    return v


class Context:
    """Matchers shared by a run's checks, each built once (segmentation is the slow part)."""

    def __init__(self, dictionary: tuple[str, ...], closing_rule: Rule | None) -> None:
        self.dictionary = dictionary
        self.closing_rule = closing_rule
        self._found: dict[tuple, np.ndarray] = {}

    def phrases(self, phrases_: list[str], c: Conversations) -> np.ndarray:
        """Per row, the index of the first of ``phrases_`` the text holds as whole words
        (-1: none)."""
        key = ("p", tuple(phrases_), id(c))
        if key not in self._found:
            self._found[key] = PhraseMatcher(phrases_, self.dictionary).find(c.text)
        return self._found[key]

    def similarity(
        self, standards: list[str], c: Conversations, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Per row, the agent message's similarity to ``standards`` (0-100), computed for
        ``rows`` (default: every agent message) when first asked, once per distinct text;
        NaN where not computed."""
        key = ("s", tuple(standards), id(c))
        out = self._found.setdefault(key, np.full(len(c), np.nan, dtype=np.float32))
        rows = np.flatnonzero(c.agent) if rows is None else rows
        todo = rows[np.isnan(out[rows])]
        if len(todo):
            norm = normalise_all(c.text.take(pa.array(todo, type=pa.int64())))
            enc = pc.dictionary_encode(norm)
            scores = similarity(enc.dictionary.to_pylist(), standards, normalised=True)
            out[todo] = scores[enc.indices.to_numpy(zero_copy_only=False)]
        return out

    def matches(self, patterns_: list[str], c: Conversations) -> np.ndarray:
        """Per row, whether the text matches one of the RE2 ``patterns_``."""
        key = ("m", tuple(patterns_), id(c))
        if key not in self._found:
            self._found[key] = pattern_rows(c.text, patterns_)
        return self._found[key]

    def words(self, words_: list[str], c: Conversations) -> np.ndarray:
        """Per row, the index of the first of ``words_`` the text uses as a word (-1: none)."""
        key = ("w", tuple(words_), id(c))
        if key not in self._found:
            self._found[key] = WordMatcher(words_, self.dictionary).find(c.text)
        return self._found[key]


CHECKS: dict[str, Callable[[Conversations, Rule, Context], Verdicts]] = {
    "first_response": first_response,
    "average_response": average_response,
    "lookup_reply": lookup_reply,
    "greeting": greeting,
    "closing": closing,
    "words": words,
    "phrases": phrases,
    "patterns": patterns,
    "customer_repeats": customer_repeats,
    "closing_before_solution": closing_before_solution,
    "silence": silence,
    "talk_over": talk_over,
}
