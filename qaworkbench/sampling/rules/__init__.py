"""The sampling rules of qa-practice.md section 3, one module each.

A rule says which contacts it takes and why, in two steps that sit side by side
in its module:

- ``mark(picks)``: on a month of millions (the month's arrays, ``MonthPicks``),
  the rows it could take: each agent's random pool or the share and cap of the
  flagged contacts, smallest keys first. Only those rows become a DataFrame.
- ``pick(draw)``: on the contacts as a DataFrame (``Draw``), the contacts it
  takes, each with its reason code and a detail that explains it. Given the
  marked rows it takes exactly those; given a whole month in memory it finds
  them itself.

A new rule is one module here with a ``Rule`` subclass, its settings in
``plan.py`` (the plan's YAML keys) and its place in ``RULES``.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import numpy as np
import pandas as pd

from ..picks import keys, random_key, smallest_per_agent, smallest_where
from ..plan import SamplingPlan, Targeted
from ..scan import Month

Repeats = tuple[np.ndarray, np.ndarray, np.ndarray]  # rows, previous rows, hours between


@dataclass
class MonthPicks:
    """What the rules mark on the month's arrays: rows by mark name (``_pool_<k>``,
    ``_sel_<reason>``, ...), each agent's flagged count per targeted rule (``_n_<reason>``),
    rows fetched without a mark (``extra``), and the tables the rules hand to ``pick``."""

    m: Month
    plan: SamplingPlan
    quotas: pd.DataFrame
    service_level: pd.DataFrame
    roster: pd.DataFrame
    month_start: pd.Timestamp
    faulty: pd.DataFrame | None = None
    repeats: Repeats | Future[Repeats] | None = None
    marks: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    extra: list[np.ndarray] = field(default_factory=list)

    @cached_property
    def mine(self) -> np.ndarray:
        """Rows of the month (not the look-back) by roster agents."""
        return self.m.in_month & (self.m.a >= 0)

    @cached_property
    def open(self) -> np.ndarray:
        """``mine``, without the contacts already evaluated when the plan excludes them."""
        return self.mine & ~self.m.done if self.plan.exclusions.already_evaluated else self.mine

    def smallest(self, name: str, mask: np.ndarray, take: np.ndarray, salt: str) -> np.ndarray:
        """Mark as ``name`` each agent's ``take[agent]`` rows of ``mask`` with the smallest keys
        (salted with ``salt``); returns them."""
        m = self.m
        if np.count_nonzero(mask) * 4 > len(m):  # a pool: most rows are eligible
            self.marks[name] = smallest_where(mask, m.a, keys(m.h, salt), take)
        else:
            rows = np.flatnonzero(mask)
            self.marks[name] = smallest_per_agent(rows, m.a[rows], keys(m.h[rows], salt), take)
        return self.marks[name]

    def capped(self, reason: str, rule: Targeted, mask: np.ndarray) -> None:
        """Mark a targeted rule's share and per-agent cap of the open rows in ``mask``."""
        mask = mask & self.open
        n = np.bincount(self.m.a[mask], minlength=len(self.m.agents))
        take = np.ceil(n * rule.share - 1e-9)
        if rule.max_per_agent is not None:
            take = np.minimum(take, rule.max_per_agent)
        self.smallest(f"_sel_{reason}", mask, take, reason)
        self.counts[f"_n_{reason}"] = n


@dataclass
class Draw:
    """What the rules decide on: the open contacts (roster agents; without the already
    evaluated when the plan excludes them), every contact of the roster agents, and the
    month's other inputs."""

    contacts: pd.DataFrame
    all_contacts: pd.DataFrame
    roster: pd.DataFrame
    plan: SamplingPlan
    seed: int
    quotas: pd.DataFrame
    service_level: pd.DataFrame | None = None
    complaints: pd.DataFrame | None = None
    repeats: pd.DataFrame | None = None
    faulty: pd.DataFrame | None = None
    autoqa: pd.DataFrame | None = None  # auto-QA findings, one per contact (rules.autoqa)

    def marked(self, *marks: str) -> pd.DataFrame:
        """The rows the engine fetched for a rule (marked by any of ``marks``), or all rows
        when the contacts carry no marks (the whole month in memory); the rule still checks
        each."""
        c = self.contacts
        cols = [m for m in marks if m in c]
        if not cols:
            return c
        return c[(c[cols].fillna(0).to_numpy() > 0).any(axis=1)]


class Rule:
    """A sampling rule: its reason codes (Chinese / English labels), when it is on, what it
    marks on the month's arrays and what it picks from the marked contacts."""

    reasons: ClassVar[dict[str, str]] = {}
    setting: ClassVar[str | None] = None  # the plan's field that switches and tunes the rule

    def enabled(self, plan: SamplingPlan) -> bool:
        return True

    def usable(self, m: Month, plan: SamplingPlan) -> bool:
        """Whether the month's data has what the rule needs (an optional column may be empty)."""
        return True

    def mark(self, p: MonthPicks) -> None:
        """Mark the rows this rule could take (engine path)."""

    def hand_over(self, p: MonthPicks, rows: np.ndarray) -> dict[str, object]:
        """Tables ``pick`` needs besides the marked rows (``Draw`` fields), given the rows
        fetched."""
        return {}

    def pick(self, d: Draw) -> pd.DataFrame | None:
        """The contacts this rule takes, with ``reason`` and ``detail`` columns."""
        raise NotImplementedError


def fit_plan(plan: SamplingPlan, m: Month) -> SamplingPlan:
    """The plan with the rules the month's data cannot serve switched off, and without the
    base draw's minimum talk time when there are no talk times (``Month.limits`` says why)."""
    for rule in RULES:
        if rule.setting and rule.enabled(plan) and not rule.usable(m, plan):
            off = getattr(plan, rule.setting).model_copy(update={"enabled": False})
            plan = plan.model_copy(update={rule.setting: off})
    if not np.isfinite(m.talk_s[m.in_month]).any():
        plan = plan.model_copy(
            update={"exclusions": plan.exclusions.model_copy(update={"min_talk_s": 0.0})}
        )
    return plan


def targeted(
    flagged: pd.DataFrame, rule: Targeted, reason: str, seed: int, explain=None
) -> pd.DataFrame:
    """Apply a targeted rule's share and per-agent cap to the flagged contacts (random choice);
    ``explain(picked)`` then writes the detail of the picked rows only."""
    if flagged.empty:
        return flagged.assign(reason=pd.Series(dtype=str), detail=pd.Series(dtype=str))
    sel = f"_sel_{reason}"
    if sel in flagged:  # engine path: the engine chose among all flagged; n is their count
        flagged = flagged[flagged[sel].fillna(False).astype(bool)]
    f = flagged.assign(_key=random_key(flagged["contact_id"], seed))
    f = f.sort_values(["agent_id", "_key"], kind="stable")
    if sel in f:
        n = f[f"_n_{reason}"].astype(float)
    else:
        n = f.groupby("agent_id")["contact_id"].transform("size")
    take = np.ceil(n * rule.share - 1e-9)
    if rule.max_per_agent is not None:
        take = np.minimum(take, rule.max_per_agent)
    picked = f[f.groupby("agent_id").cumcount() < take].assign(reason=reason)
    if explain is not None:
        picked = picked.assign(detail=explain(picked) if len(picked) else pd.Series(dtype=str))
    return picked


def empty_picks(contacts: pd.DataFrame) -> pd.DataFrame:
    """No contacts picked, with the columns a pick has."""
    return contacts.iloc[0:0].assign(reason=pd.Series(dtype=str), detail=pd.Series(dtype=str))


from . import autoqa, base, complaints, live, long, neighbours, new_hires, repeats, short  # noqa: E402

# The order the rules run in: a contact two rules take lists their reasons in this order.
RULES: tuple[Rule, ...] = (
    base.BaseQuota(),
    short.ShortContacts(),
    long.LongContacts(),
    complaints.Complaints(),
    repeats.RepeatContacts(),
    new_hires.NewHires(),
    neighbours.Neighbours(),
    autoqa.AutoQA(),
)

# Every reason code with its label (Chinese / English), live-monitoring slots included.
REASONS: dict[str, str] = {
    **base.BaseQuota.reasons,
    **short.ShortContacts.reasons,
    **long.LongContacts.reasons,
    **complaints.Complaints.reasons,
    **repeats.RepeatContacts.reasons,
    **neighbours.Neighbours.reasons,
    **new_hires.NewHires.reasons,
    **autoqa.AutoQA.reasons,
    **live.REASONS,
}
