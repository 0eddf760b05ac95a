"""Long contacts (超长通话): answered contacts longer than a threshold; by default only those in
intervals whose service level (20秒接通率) missed its target — to find whether slow handling
caused the miss."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from ..counts import interval_rows
from ..plan import SamplingPlan
from ..scan import Month
from . import Draw, MonthPicks, Rule, targeted


def long_contacts(
    contacts: pd.DataFrame, service_level: pd.DataFrame, plan: SamplingPlan, seed: int
) -> pd.DataFrame:
    """Contacts longer than ``min_talk_s``; with ``only_missed_intervals``, only those in
    intervals whose service level (answered within ``answer_within_s``) missed the target."""
    r = plan.long_contacts
    f = contacts[contacts["answered"].astype(bool) & (contacts["talk_s"] > r.min_talk_s)]
    if not r.only_missed_intervals:
        return targeted(
            f,
            r,
            "long",
            seed + 102,
            lambda p: [f"talk {t:.0f} s > {r.min_talk_s:g} s" for t in p["talk_s"]],
        )
    width = pd.Timedelta(minutes=r.interval_min)
    f = f.assign(interval_start=f["start_time"].dt.floor(width))
    sl = service_level[["interval_start", "channel", "service_level"]]
    f = f.merge(sl, on=["interval_start", "channel"], how="inner")
    f = f[f["service_level"] < r.target]

    def explain(p: pd.DataFrame) -> pd.Series:
        i = p["interval_start"]
        return (
            "talk " + p["talk_s"].round().astype(int).astype(str) + f" s > {r.min_talk_s:g} s in "
            + i.dt.strftime("%H:%M") + "-" + (i + width).dt.strftime("%H:%M")
            + ", service level " + (p["service_level"] * 100).round().astype(int).astype(str)
            + f"% < {r.target:.0%}"
        )  # fmt: skip

    picked = targeted(f, r, "long_missed_sl", seed + 103, explain)
    return picked.drop(columns=["interval_start", "service_level"])


class LongContacts(Rule):
    reasons: ClassVar[dict[str, str]] = {
        "long_missed_sl": "接通率未达标时段的长通话 / long contact in a missed service-level interval",
        "long": "超长通话 / over-long contact",
    }

    setting = "long_contacts"

    def enabled(self, plan: SamplingPlan) -> bool:
        return plan.long_contacts.enabled

    def usable(self, m: Month, plan: SamplingPlan) -> bool:
        has = np.isfinite(m.talk_s[m.in_month]).any()
        if plan.long_contacts.only_missed_intervals:
            has = has and np.isfinite(m.queue_wait_s[m.in_month]).any()
        return bool(has)

    def mark(self, p: MonthPicks) -> None:
        r, m = p.plan.long_contacts, p.m
        mask = m.answered & (m.talk_s > r.min_talk_s)
        if r.only_missed_intervals:
            missed = p.service_level[p.service_level["service_level"] < r.target]
            rows = np.flatnonzero(mask)
            mask = np.zeros(len(m), dtype=bool)
            mask[rows[interval_rows(m, missed, r.interval_min, rows)]] = True
        p.capped("long_missed_sl" if r.only_missed_intervals else "long", r, mask)

    def pick(self, d: Draw) -> pd.DataFrame | None:
        if d.service_level is None:
            return None
        return long_contacts(
            d.marked("_sel_long", "_sel_long_missed_sl"), d.service_level, d.plan, d.seed
        )
