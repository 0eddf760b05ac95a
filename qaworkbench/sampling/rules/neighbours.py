"""Neighbours (问题录音前后通话): when a problem is found on a contact, the same agent's
contacts just before and after it."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from ...frames import isin
from ..plan import SamplingPlan
from . import Draw, MonthPicks, Rule, empty_picks


def faulty_evaluations(
    scored: pd.DataFrame, month_start: pd.Timestamp, plan: SamplingPlan
) -> pd.DataFrame:
    """The faulty evaluations whose neighbours the month samples: scored evaluations (no
    calibration) since the month's start less the evaluation deadline, under
    ``faulty_below`` points or with a critical item failed (contact_id, score, agent_id)."""
    regular = scored[scored["mode"] != "calibration"]
    recent = regular[
        regular["evaluated_at"] >= month_start - pd.Timedelta(days=plan.deadline_days + 1)
    ]
    bad = recent[(recent["score"] < plan.neighbours.faulty_below) | recent["critical_failed"]]
    return bad[["contact_id", "score", "agent_id"]]


def neighbours(contacts: pd.DataFrame, faulty: pd.DataFrame, plan: SamplingPlan) -> pd.DataFrame:
    """The same agent's answered contacts just before and after each faulty contact.

    ``faulty`` has contact_id and score (points) of the faulty evaluations.
    """
    r = plan.neighbours
    c = (
        contacts[contacts["answered"].astype(bool)]
        .sort_values(["agent_id", "start_time"], kind="stable")
        .reset_index(drop=True)
    )
    pos = pd.Series(c.index, index=c["contact_id"])
    f = faulty[faulty["contact_id"].isin(pos.index)]
    rows = []
    for cid, score in zip(f["contact_id"], f["score"], strict=True):
        p = pos[cid]
        for q in [*range(p - r.before, p), *range(p + 1, p + 1 + r.after)]:
            if 0 <= q < len(c) and c.at[q, "agent_id"] == c.at[p, "agent_id"]:
                rows.append((q, f"{'before' if q < p else 'after'} {cid} (score {score:.0f})"))
    if not rows:
        return empty_picks(c)
    idx, detail = zip(*rows, strict=True)
    out = c.loc[list(idx)].assign(reason="neighbour", detail=list(detail))
    return out[~out["contact_id"].isin(faulty["contact_id"])]


class Neighbours(Rule):
    reasons: ClassVar[dict[str, str]] = {
        "neighbour": "问题录音前后通话 / neighbour of a faulty contact"
    }

    setting = "neighbours"

    def enabled(self, plan: SamplingPlan) -> bool:
        return plan.neighbours.enabled

    def mark(self, p: MonthPicks) -> None:
        """Every contact of the agents with a faulty evaluation: ``pick`` finds the neighbours."""
        if p.faulty is None or not len(p.faulty):
            return
        m = p.m
        codes = pd.Index(m.agents).get_indexer(pd.unique(p.faulty["agent_id"]))
        p.extra.append(np.flatnonzero(p.mine & np.isin(m.a, codes[codes >= 0])))

    def pick(self, d: Draw) -> pd.DataFrame | None:
        if d.faulty is None or d.faulty.empty:
            return None
        nb = neighbours(d.all_contacts, d.faulty, d.plan)  # faulty contacts are evaluated
        return nb[isin(nb["contact_id"], d.contacts["contact_id"])]
