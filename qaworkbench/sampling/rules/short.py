"""Short contacts (短通话): answered contacts shorter than a threshold — possible hang-ups or
refusals to serve."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from ..plan import SamplingPlan
from ..scan import Month
from . import Draw, MonthPicks, Rule, targeted


def short_contacts(contacts: pd.DataFrame, plan: SamplingPlan, seed: int) -> pd.DataFrame:
    """Answered contacts shorter than ``max_talk_s`` (possible hang-ups, refusals to serve)."""
    r = plan.short_contacts
    f = contacts[contacts["answered"].astype(bool) & (contacts["talk_s"] < r.max_talk_s)]
    return targeted(
        f,
        r,
        "short",
        seed + 101,
        lambda p: [f"talk {t:.0f} s < {r.max_talk_s:g} s" for t in p["talk_s"]],
    )


class ShortContacts(Rule):
    reasons: ClassVar[dict[str, str]] = {"short": "短通话 / contact shorter than the threshold"}

    setting = "short_contacts"

    def enabled(self, plan: SamplingPlan) -> bool:
        return plan.short_contacts.enabled

    def usable(self, m: Month, plan: SamplingPlan) -> bool:
        return bool(np.isfinite(m.talk_s[m.in_month]).any())

    def mark(self, p: MonthPicks) -> None:
        r, m = p.plan.short_contacts, p.m
        p.capped("short", r, m.answered & (m.talk_s < r.max_talk_s))

    def pick(self, d: Draw) -> pd.DataFrame:
        return short_contacts(d.marked("_sel_short"), d.plan, d.seed)
