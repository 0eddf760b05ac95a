"""Auto-QA rule sets (自动质检规则) as versioned YAML under templates/autoqa/, validated on load.

Each rule is one check with its settings and the scorecard item it checks per scorecard.
Units: seconds; similarities 0-100 (rapidfuzz scores); shares 0-1.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import ConfigError
from ..workspace import find_template
from ..yamlconf import load_model

Check = Literal[
    "first_response",
    "average_response",
    "lookup_reply",
    "greeting",
    "closing",
    "words",
    "phrases",
    "patterns",
    "customer_repeats",
    "closing_before_solution",
    "silence",
    "talk_over",
]
# What each check needs besides the texts: message times (chat) or turn offsets (calls).
NEEDS_TIMES = {"first_response", "average_response", "lookup_reply"}
NEEDS_OFFSETS = {"silence", "talk_over"}
# The settings each check must have.
REQUIRED: dict[str, tuple[str, ...]] = {
    "first_response": ("max_s",),
    "average_response": ("max_s",),
    "lookup_reply": ("max_s", "phrases"),
    "greeting": ("phrases",),
    "closing": ("phrases",),
    "words": ("words",),
    "phrases": ("phrases",),
    "patterns": ("patterns",),
    "customer_repeats": (),
    "closing_before_solution": ("solution",),
    "silence": ("max_s",),
    "talk_over": (),
}


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rule(_M):
    """One automatic check tied to scorecard items (scorecard id -> item id)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    check: Check
    name: str
    name_en: str
    items: dict[str, str] = Field(min_length=1)
    max_s: float | None = Field(None, gt=0, description="longest allowed wait, s")
    phrases: list[str] = []
    words: list[str] = []
    patterns: list[str] = []
    key_patterns: list[str] = Field(
        [], description="greeting / closing: a message matching one also counts (RE2)"
    )
    unless: list[str] = Field(
        [], description="lookup_reply, patterns: messages matching one are not judged (RE2)"
    )
    ignore: list[str] = Field(
        [], description="customer_repeats: customer messages matching one are left out (RE2)"
    )
    solution: list[str] = []
    hurry: list[str] = []
    hold_phrases: list[str] = []
    hold_max_s: float | None = Field(None, gt=0, description="longest allowed hold, s")
    min_similarity: float = Field(85, ge=0, le=100)
    first_messages: int = Field(1, ge=1)
    last_messages: int = Field(2, ge=1)
    min_chars: int = Field(
        5, ge=1, description="shortest customer message compared, characters without punctuation"
    )
    window: int = Field(4, ge=1, description="earlier customer messages compared")
    min_overlap_s: float = Field(1.0, gt=0)
    max_count: int = Field(2, ge=0, description="talk-overs allowed per call")
    advisory: bool = Field(
        False, description="advisory (仅供参考) whatever its agreement: never counted in rates"
    )
    advisory_reason: str = ""

    @field_validator("patterns", "key_patterns", "unless", "ignore")
    @classmethod
    def _compiles(cls, v: list[str]) -> list[str]:
        for p in v:
            try:
                re.compile(p)
            except re.error as e:
                raise ValueError(f"pattern {p!r} is not a regular expression: {e}") from None
        return v

    @model_validator(mode="after")
    def _has_settings(self) -> Rule:
        missing = [k for k in REQUIRED[self.check] if not getattr(self, k)]
        if missing:
            raise ValueError(f"check {self.check!r} needs {', '.join(missing)}")
        if self.advisory and not self.advisory_reason.strip():
            raise ValueError("advisory: true needs an advisory_reason")
        return self

    def label(self, lang: str) -> str:
        """The rule's name in ``lang`` (zh or en)."""
        return self.name if lang == "zh" else self.name_en


class Agreement(_M):
    """When a rule is only advisory: agreement with the evaluators below ``min_kappa`` (Cohen's
    kappa) or measured on fewer than ``min_n`` contacts that both scored."""

    min_kappa: float = Field(0.6, ge=-1, le=1)
    min_n: int = Field(30, ge=1)


class Review(_M):
    """When a rule's reviewed precision (a QA lead's reading of its findings on the center's
    own data, ``qaw autoqa review``) lets it count: at least ``min_n`` findings read and the
    share of true faults at least ``min_precision`` (0-1), taken as the point estimate
    (``on: point``) or, stricter, the lower end of its 95% Wilson interval (``on: lower``)."""

    min_precision: float = Field(0.8, ge=0, le=1)
    min_n: int = Field(30, ge=1)
    on: Literal["point", "lower"] = "point"


class RuleSet(_M):
    """A center's auto-QA rules."""

    id: str
    version: str
    name: str
    name_en: str
    scorecards: dict[Literal["chat", "voice"], str]
    agreement: Agreement = Agreement()
    review: Review = Review()
    dictionary: list[str] = []
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        ids = [r.id for r in self.rules]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"rule ids repeat: {', '.join(sorted(dup))}")
        cards = set(self.scorecards.values())
        for r in self.rules:
            unknown = set(r.items) - cards
            if unknown:
                raise ValueError(
                    f"rule {r.id}: items name scorecard(s) {', '.join(sorted(unknown))} "
                    f"not in scorecards ({', '.join(sorted(cards))})"
                )
            if r.check in NEEDS_TIMES and self.scorecards.get("chat") not in r.items:
                raise ValueError(f"rule {r.id}: check {r.check} runs on chats only")
            if r.check in NEEDS_OFFSETS and self.scorecards.get("voice") not in r.items:
                raise ValueError(f"rule {r.id}: check {r.check} runs on calls only")
        return self

    def for_channel(self, channel: str) -> list[tuple[Rule, str]]:
        """The rules that run on ``channel`` with the item each checks there."""
        card = self.scorecards.get(channel)  # type: ignore[call-overload]
        return [(r, r.items[card]) for r in self.rules if card in r.items]

    def rule(self, rule_id: str) -> Rule:
        """The rule called ``rule_id``."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(f"rule set {self.id} has no rule {rule_id!r}")


def load_ruleset(name_or_path: str | Path | None = None) -> RuleSet:
    """Load and validate a rule set by name (templates/autoqa/<name>.yaml, the workspace's then
    the shipped ones) or path (default: the workspace's ``autoqa_rules`` setting); the item
    ids are checked against the scorecards they name."""
    from ..scoring.scorecard import load_scorecard
    from ..settings import get

    name_or_path = get("autoqa_rules", name_or_path)
    p = Path(name_or_path)
    if p.suffix not in (".yaml", ".yml"):
        p = find_template("autoqa", str(name_or_path))
    rs = load_model(p, RuleSet)
    for card_id in set(rs.scorecards.values()):
        known = set(load_scorecard(card_id).items()["item_id"])
        for r in rs.rules:
            item = r.items.get(card_id)
            if item is not None and item not in known:
                raise ConfigError(
                    f"{p}: rule {r.id}: item {item} is not on scorecard {card_id} "
                    f"(items: {', '.join(sorted(known))})"
                )
    return rs
