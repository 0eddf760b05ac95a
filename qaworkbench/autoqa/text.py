"""Matching words and phrases in Chinese messages: a fast regular-expression pass over all
texts finds candidates, Chinese word segmentation (jieba) confirms them, and fuzzy matching
(rapidfuzz) compares messages with standard wordings.

Segmentation is what tells 能不能帮您 (can I help you) from the forbidden 不能 (cannot):
a phrase matches only as whole words. jieba's dictionary ships with the package, so
nothing is fetched at run time.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@lru_cache(maxsize=8)
def tokenizer(words: tuple[str, ...] = ()):
    """A jieba tokenizer that keeps ``words`` whole (the rule set's dictionary)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for w in words:
        tk.add_word(w, freq=10**6)
    return tk


def words(text: str, dictionary: tuple[str, ...] = ()) -> list[str]:
    """``text`` cut into words (jieba, dictionary words kept whole; no HMM: unknown runs stay
    single characters, which keeps the cut stable). The last texts cut are remembered: the
    matchers of one run look at many of the same messages."""
    return _cut(text, dictionary)


@lru_cache(maxsize=200_000)
def _cut(text: str, dictionary: tuple[str, ...]) -> list[str]:
    return tokenizer(dictionary).lcut(text, HMM=False)


# jieba cuts each run of these characters on its own (its ``re_han_default``): a phrase is
# found as whole words by cutting only the runs that hold it, and a run repeats across
# messages far more often than a whole message does.
_BLOCK = re.compile("[\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+")


def words_near(text: str, needles: list[str], dictionary: tuple[str, ...] = ()) -> list[str]:
    """The words (as ``words`` cuts them) of the runs of ``text`` that hold one of
    ``needles``, a separator between runs."""
    out: list[str] = []
    for m in _BLOCK.finditer(text):
        block = m.group(0)
        if any(n in block for n in needles):
            out.extend(_cut(block, dictionary))
            out.append("\x00")
    return out


def candidates(texts: pa.Array, needles: list[str]) -> np.ndarray:
    """Rows of ``texts`` (a string array) containing any of ``needles`` as a substring
    (vectorised RE2 pass; a cheap filter before segmentation)."""
    if not needles or len(texts) == 0:
        return np.zeros(len(texts), bool)
    pattern = "|".join(re.escape(n) for n in needles)
    hit = pc.match_substring_regex(texts, pattern)
    return np.asarray(pc.fill_null(hit, False), dtype=bool)


def pattern_rows(texts: pa.Array, patterns: list[str]) -> np.ndarray:
    """Rows of ``texts`` matching any of the regular expressions ``patterns`` (RE2)."""
    if not patterns or len(texts) == 0:
        return np.zeros(len(texts), bool)
    hit = pc.match_substring_regex(texts, "|".join(f"(?:{p})" for p in patterns))
    return np.asarray(pc.fill_null(hit, False), dtype=bool)


def _per_row(texts: pa.Array, needles: list[str], names: list[str], first) -> np.ndarray:
    """Per row of ``texts``, the index in ``names`` of ``first(text)`` (-1: None), asked only
    of rows holding one of ``needles`` and once per distinct text; int16, so a month of
    millions of rows stays small."""
    out = np.full(len(texts), -1, dtype=np.int16)
    rows = np.flatnonzero(candidates(texts, needles))
    if len(rows):
        index = {n: k for k, n in enumerate(names)}
        memo: dict[str, int] = {}
        for r, t in zip(rows, texts.take(pa.array(rows)).to_pylist(), strict=True):
            if t not in memo:
                hit = first(t)
                memo[t] = -1 if hit is None else index[hit]
            out[r] = memo[t]
    return out


class PhraseMatcher:
    """Finds phrases as whole words: a phrase matches when its words (cut the same way)
    appear in a row of the message's words."""

    def __init__(self, phrases: list[str], dictionary: tuple[str, ...] = ()) -> None:
        self.phrases = list(phrases)
        self.dictionary = dictionary
        self._cut = [tuple(words(p, dictionary)) for p in self.phrases]

    def first(self, text: str) -> str | None:
        """The first phrase ``text`` contains as whole words, or None."""
        present = [p for p in self.phrases if p in text]
        if not present:
            return None
        toks = words_near(text, present, self.dictionary)
        for phrase, cut in zip(self.phrases, self._cut, strict=True):
            k = len(cut)
            if phrase in text and any(
                tuple(toks[i : i + k]) == cut for i in range(len(toks) - k + 1)
            ):
                return phrase
        return None

    def find(self, texts: pa.Array) -> np.ndarray:
        """Per row of ``texts``, the index of the first phrase matched (-1: none)."""
        return _per_row(texts, self.phrases, self.phrases, self.first)


class WordMatcher:
    """Finds single words (e.g. 你) as words of the message, not inside others."""

    def __init__(self, words_: list[str], dictionary: tuple[str, ...] = ()) -> None:
        self.words = list(dict.fromkeys(words_))
        self.needles = sorted(self.words, key=len)
        self.dictionary = dictionary

    def first(self, text: str) -> str | None:
        """The first listed word ``text`` uses as a word, or None."""
        present = [w for w in self.needles if w in text]
        listed = set(self.words)
        return next((w for w in words_near(text, present, self.dictionary) if w in listed), None)

    def find(self, texts: pa.Array) -> np.ndarray:
        """Per row, the index (in ``words``) of the first listed word the message uses (-1:
        none)."""
        return _per_row(texts, self.needles, self.words, self.first)


def normalise_all(texts: pa.Array) -> pa.Array:
    """Texts as fuzzy matching compares them, over an Arrow array (NFKC, then punctuation,
    symbols and spaces removed; vectorised)."""
    t = pc.utf8_normalize(texts, "NFKC")
    return pc.replace_substring_regex(t, r"[\s\p{P}\p{S}_]+", "")


def similarity(texts: list[str], standards: list[str], normalised: bool = False) -> np.ndarray:
    """Per text, its best similarity (0-100) to any of ``standards``, both normalised
    (rapidfuzz, both cores): how well the best-matching stretch of the text matches a
    standard wording, so a message may say more than the standard but not less (a text
    shorter than the standard is compared whole, or 您好 alone would match 您好，很高兴为您服务)."""
    if not texts:
        return np.zeros(0)
    from rapidfuzz import fuzz, process

    norm = texts if normalised else normalise_all(pa.array(texts, pa.string())).to_pylist()
    std = normalise_all(pa.array(standards, pa.string())).to_pylist()
    part = process.cdist(norm, std, scorer=fuzz.partial_ratio, workers=-1, dtype=np.float32)
    whole = process.cdist(norm, std, scorer=fuzz.ratio, workers=-1, dtype=np.float32)
    longer = np.array([len(t) for t in norm])[:, None] >= np.array([len(s) for s in std])[None]
    return np.where(longer, part, whole).max(axis=1)
