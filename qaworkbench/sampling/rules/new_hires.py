"""New hires (新员工): at least a number of contacts on each working day of an agent's first
days."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from ..picks import random_key
from ..plan import SamplingPlan
from ..scan import US_PER_DAY
from . import Draw, MonthPicks, Rule, empty_picks


def new_hire_contacts(
    contacts: pd.DataFrame, agents: pd.DataFrame, plan: SamplingPlan, seed: int
) -> pd.DataFrame:
    """At least ``per_working_day`` contacts on each working day of a new hire's first days."""
    r = plan.new_hires
    if contacts.empty:
        return empty_picks(contacts)
    first_day, last_day = contacts["start_time"].min().normalize(), contacts["start_time"].max()
    recent = agents[
        (agents["hire_date"] + pd.Timedelta(days=r.first_days) > first_day)
        & (agents["hire_date"] <= last_day)
    ]
    a = recent.set_index("agent_id")["hire_date"]
    contacts = contacts[contacts["agent_id"].isin(a.index)]
    if contacts.empty:
        return empty_picks(contacts)
    hired = contacts["agent_id"].map(a).astype("datetime64[us]")
    day = contacts["start_time"].dt.normalize()
    first = (
        (day >= hired)
        & (day < hired + pd.Timedelta(days=r.first_days))
        & contacts["answered"].astype(bool)
    )
    f = contacts[first.to_numpy()].assign(_day=day[first])
    f = f.assign(_key=random_key(f["contact_id"], seed + 106)).sort_values(
        ["agent_id", "_day", "_key"], kind="stable"
    )
    f = f[f.groupby(["agent_id", "_day"]).cumcount() < r.per_working_day]
    hired_f = f["agent_id"].map(a).astype("datetime64[us]")
    nth = (f["_day"] - hired_f) // pd.Timedelta(days=1) + 1  # (whole days, as Timedelta.days)
    detail = ("day " + nth.astype(str) + f" of {r.first_days} since hire on "
              + hired_f.dt.strftime("%Y-%m-%d")).astype(object)  # fmt: skip
    return f.drop(columns=["_day"]).assign(reason="new_hire", detail=detail.to_numpy())


class NewHires(Rule):
    reasons: ClassVar[dict[str, str]] = {"new_hire": "新员工首周 / new hire's first week"}

    setting = "new_hires"

    def enabled(self, plan: SamplingPlan) -> bool:
        return plan.new_hires.enabled

    def mark(self, p: MonthPicks) -> None:
        """Every contact of the agents hired within ``first_days`` before the month's start,
        in their first days (``_hire``)."""
        m, first_days = p.m, p.plan.new_hires.first_days
        hires = p.roster.loc[p.roster["hire_date"] + pd.Timedelta(days=first_days) > p.month_start]
        if not len(hires):
            return
        hired = np.zeros(len(m.agents), dtype=np.int64)
        at = pd.Index(m.agents).get_indexer(hires["agent_id"])
        hired[at[at >= 0]] = (
            hires["hire_date"].to_numpy()[at >= 0].astype("datetime64[us]").astype(np.int64)
        )
        is_hire = np.zeros(len(m.agents) + 1, dtype=bool)  # the last: agent code -1
        is_hire[at[at >= 0]] = True
        theirs = np.flatnonzero(p.mine & is_hire.take(m.a))
        since = m.t[theirs] - hired[m.a[theirs]]
        p.marks["_hire"] = theirs[(since >= 0) & (since < first_days * US_PER_DAY)]

    def pick(self, d: Draw) -> pd.DataFrame:
        return new_hire_contacts(d.marked("_hire"), d.roster, d.plan, d.seed)
