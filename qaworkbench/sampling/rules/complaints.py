"""Complaints (投诉): contacts with an upheld complaint (or, if the plan says so, one still
open)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from ...frames import isin
from ..plan import SamplingPlan
from . import Draw, MonthPicks, Rule, targeted


def complaint_contacts(
    contacts: pd.DataFrame, complaints: pd.DataFrame, plan: SamplingPlan, seed: int
) -> pd.DataFrame:
    """Contacts with an upheld (or, if set, still open) complaint."""
    r = plan.complaints
    keep = complaints["upheld"].fillna(r.include_open).astype(bool)
    c = complaints[keep.to_numpy()]
    f = contacts[isin(contacts["contact_id"], c["contact_id"])]
    c = c[isin(c["contact_id"], f["contact_id"])]  # detail only for the contacts at hand
    status = c["upheld"].map({True: "upheld", False: "rejected"}).fillna("open")
    detail = (
        (c["complaint_id"] + " " + c["category"] + ", " + status)
        .groupby(c["contact_id"])
        .agg("; ".join)
    )
    f = f.assign(detail="complaint " + f["contact_id"].map(detail))
    return targeted(f, r, "complaint", seed + 104)


def counted(complaints: pd.DataFrame, plan: SamplingPlan) -> pd.DataFrame:
    """The complaints the plan counts: upheld ones, and open ones when ``include_open``."""
    return complaints[complaints["upheld"].fillna(plan.complaints.include_open).astype(bool)]


class Complaints(Rule):
    reasons: ClassVar[dict[str, str]] = {"complaint": "投诉 / complaint"}

    setting = "complaints"

    def enabled(self, plan: SamplingPlan) -> bool:
        return plan.complaints.enabled

    def mark(self, p: MonthPicks) -> None:
        if p.m.complained.any():  # the scan flagged the counted complaints' contacts
            p.capped("complaint", p.plan.complaints, p.m.complained)

    def pick(self, d: Draw) -> pd.DataFrame | None:
        if d.complaints is None:
            return None
        return complaint_contacts(d.marked("_sel_complaint"), d.complaints, d.plan, d.seed)
