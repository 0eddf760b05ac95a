"""Auto-QA findings (自动质检发现): contacts where an automatic check found a violation, so
evaluators hear what the machine flagged. Needs ``qaw autoqa`` to have run for the month;
each pick names the rule and quotes the evidence (masked)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from ...frames import isin, positions
from ..plan import SamplingPlan
from ..scan import Month
from . import Draw, MonthPicks, Rule, targeted

# The results' columns the rule reads: which rule failed, where, and the quote that shows it.
FINDING_COLUMNS = ["contact_id", "rule_id", "item_id", "result", "seq", "quote"]


def autoqa_contacts(
    contacts: pd.DataFrame, findings: pd.DataFrame, plan: SamplingPlan, seed: int
) -> pd.DataFrame:
    """The plan's share of the flagged contacts (at most ``max_per_agent`` each), each with
    the rule and its evidence."""
    f = contacts[isin(contacts["contact_id"], findings["contact_id"])]
    by = findings.set_index("contact_id")

    def explain(picked: pd.DataFrame) -> pd.Series:
        at = positions(picked["contact_id"], by.index)  # (one finding a contact)
        if (at < 0).any():
            raise ValueError(
                "auto-QA picks a contact without a finding"
            )  # (never: picked from them)
        rows = by.iloc[at]
        seq = rows["seq"].astype("Int64").astype(str).replace("<NA>", "-")
        quote = rows["quote"].fillna("")
        detail = ("auto-QA " + rows["rule_id"].astype(str) + " (" + rows["item_id"].astype(str)
                  + "), message " + seq + ": " + quote)  # fmt: skip
        return pd.Series(detail.to_numpy(), index=picked.index)

    return targeted(f, plan.autoqa, "autoqa", seed + 105, explain)


class AutoQA(Rule):
    reasons: ClassVar[dict[str, str]] = {"autoqa": "自动质检发现违规 / auto-QA found a violation"}

    setting = "autoqa"

    def enabled(self, plan: SamplingPlan) -> bool:
        return plan.autoqa.enabled

    def usable(self, m: Month, plan: SamplingPlan) -> bool:
        return m.autoqa is not None

    def mark(self, p: MonthPicks) -> None:
        p.capped("autoqa", p.plan.autoqa, p.m.autoqa)

    def pick(self, d: Draw) -> pd.DataFrame | None:
        if d.autoqa is None or d.autoqa.empty:
            return None
        return autoqa_contacts(d.marked("_sel_autoqa"), d.autoqa, d.plan, d.seed)
