"""Assign a sample to evaluators, balanced by workload, and track completion (planned vs done)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import QAWError
from .picks import random_key
from .plan import SamplingPlan

if TYPE_CHECKING:
    from .draw import Sample


def allocate(
    items: pd.DataFrame,
    evaluators: pd.DataFrame,
    plan: SamplingPlan,
    seed: int,
    *,
    slot_talk_s: float = 240.0,
    weakness: pd.Series | None = None,
) -> pd.DataFrame:
    """Add ``evaluator_id`` and ``workload_s`` to each planned evaluation (contact or slot).

    Without evaluators (an empty table) the rows are planned but not allocated
    (``evaluator_id`` empty). Rows go to roles by the plan's shares, then within a role to the eligible
    evaluator with the least work so far, longest work first (LPT). With
    ``never_own_team`` nobody evaluates their own team — except the team leads' spot checks:
    with ``team_lead_share``, that share of each team's rows goes to the team's own lead, the
    agents with the lowest ``weakness`` score (last month's, points; by agent_id) first.
    Workload: talk time (slots: ``slot_talk_s``) plus the plan's overhead per evaluation, seconds.
    """
    out = items.copy()
    talk = out["talk_s"] if "talk_s" in out else pd.Series(np.nan, index=out.index)
    out["workload_s"] = talk.fillna(slot_talk_s).to_numpy() + plan.allocation.overhead_s
    ids = out.get("contact_id", pd.Series("", index=out.index)).fillna("").astype(str)
    key = random_key(
        ids + "|" + out["agent_id"].astype(str) + "|" + out.index.astype(str), seed + 201
    )
    roles = list(plan.allocation.roles.items())
    edges = np.cumsum([s for _, s in roles])
    out["role"] = [
        roles[int(np.searchsorted(edges, u, side="right"))][0] if u < edges[-1] else roles[-1][0]
        for u in key
    ]
    out["evaluator_id"] = pd.Series(pd.NA, index=out.index, dtype="str")
    if evaluators.empty:  # no evaluators table: planned, not allocated (the CLI says so)
        return out
    spot = _team_lead_checks(out, evaluators, plan, key, weakness)
    for role, _ in roles:
        pool = evaluators[evaluators["role"] == role].reset_index(drop=True)
        rows = out.index[(out["role"] == role) & ~spot]
        if len(rows) and pool.empty:
            raise QAWError(
                f"the plan {plan.id} gives role {role!r} a share of the evaluations but no "
                f"evaluator in the evaluators table has that role"
            )
        _lpt(out, rows, pool, plan.allocation.never_own_team)
    if out["evaluator_id"].isna().any():
        raise QAWError(
            f"{int(out['evaluator_id'].isna().sum())} planned evaluation(s) have no eligible evaluator "
            "(every evaluator of their role is on the agent's own team)"
        )
    return out


def _team_lead_checks(
    out: pd.DataFrame,
    evaluators: pd.DataFrame,
    plan: SamplingPlan,
    key: np.ndarray,
    weakness: pd.Series | None,
) -> pd.Series:
    """ "班长不定时抽查，重点抽查业务弱、服务质量低下的坐席" (hotline code): give each team lead
    ``team_lead_share`` of their own team's rows (rounded up), the weakest agents' first (their
    last month's score, lowest first; agents without one last), at random within an agent.
    Marks the rows taken (role ``team_lead_check``); returns which rows they are."""
    share = plan.allocation.team_lead_share
    taken = pd.Series(False, index=out.index)
    if share <= 0 or "team" not in evaluators:
        return taken
    leads = evaluators[(evaluators["role"] == "team_lead") & evaluators["team"].notna()]
    lead_of = leads.drop_duplicates("team").set_index("team")["evaluator_id"]
    score = out["agent_id"].map(weakness) if weakness is not None else pd.Series(np.nan, out.index)
    order = pd.DataFrame({"team": out["team"], "score": score.astype(float), "key": key})
    order = order.sort_values(["team", "score", "key"], na_position="last", kind="stable")
    for team, rows in order.groupby("team", sort=False):
        if team not in lead_of.index:
            continue
        pick = rows.index[: int(np.ceil(len(rows) * share - 1e-9))]
        out.loc[pick, "evaluator_id"] = lead_of[team]
        out.loc[pick, "role"] = "team_lead_check"
        taken[pick] = True
    return taken


def _lpt(out: pd.DataFrame, rows: pd.Index, pool: pd.DataFrame, never_own_team: bool) -> None:
    load = np.zeros(len(pool))
    own = (
        pool["team"].fillna("").astype(str).to_numpy() if "team" in pool else np.full(len(pool), "")
    )
    order = out.loc[rows].sort_values("workload_s", ascending=False, kind="stable").index
    assigned = {}
    for r in order:
        cand = load.copy()
        if never_own_team:
            cand[own == str(out.at[r, "team"])] = np.inf
        j = int(np.argmin(cand))
        if np.isinf(cand[j]):
            continue
        assigned[r] = pool.at[j, "evaluator_id"]
        load[j] += out.at[r, "workload_s"]
    out.loc[list(assigned), "evaluator_id"] = list(assigned.values())


def completion(
    planned: pd.DataFrame,
    evaluations: pd.DataFrame,
    contacts_end: pd.Series | None = None,
    deadline_days: int = 2,
    as_of: pd.Timestamp | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Planned against done, per evaluator and per agent.

    A planned contact is ``done`` when an evaluation of it exists (by anyone); ``late`` when
    evaluated after its ``due`` day. Live slots are done when the agent has as many live
    evaluations (real_time/side_by_side) in the month as slots. Not done: ``overdue`` when its
    due day ended before ``as_of`` (default: the latest evaluation's time, the data's "now"),
    else ``not_due`` (not yet due). Returns (per evaluator, per agent) with planned, done,
    late, overdue, not_due and the completion share (done / planned).
    """
    ev = evaluations[evaluations["mode"] != "calibration"]
    first = (
        ev.sort_values("evaluated_at")
        .drop_duplicates("contact_id")
        .set_index("contact_id")["evaluated_at"]
    )
    p = planned.copy()
    is_contact = p["contact_id"].notna() & (p["contact_id"].astype(str) != "")
    p["done"] = False
    p.loc[is_contact, "done"] = p.loc[is_contact, "contact_id"].isin(first.index)
    done_at = (  # no evaluation yet: none done
        p["contact_id"].map(first) if len(first) else pd.Series(pd.NaT, index=p.index)
    )
    due = pd.to_datetime(p["due"])
    p["late"] = p["done"] & (done_at.dt.normalize() > due)
    live = ev[ev["mode"].isin(["real_time", "side_by_side"])].groupby("agent_id").size()
    slot = ~is_contact
    if slot.any():
        rank = p[slot].groupby("agent_id").cumcount()
        p.loc[slot, "done"] = (rank < p.loc[slot, "agent_id"].map(live).fillna(0)).to_numpy()
    if as_of is None:
        as_of = ev["evaluated_at"].max() if len(ev) else pd.Timestamp.now()
    p["overdue"] = ~p["done"].astype(bool) & (due + pd.Timedelta(days=1) <= as_of)
    p["not_due"] = ~p["done"].astype(bool) & ~p["overdue"]

    def agg(by: str) -> pd.DataFrame:
        g = p.groupby(by).agg(
            planned=("done", "size"), done=("done", "sum"), late=("late", "sum"),
            overdue=("overdue", "sum"), not_due=("not_due", "sum"),
        )  # fmt: skip
        g["completion"] = (g["done"] / g["planned"]).round(3)
        return g.reset_index()

    return agg("evaluator_id"), agg("agent_id")


def allocate_sample(sample: Sample, evaluators: pd.DataFrame, plan: SamplingPlan) -> pd.DataFrame:
    """Contacts and live slots in one list, each with its evaluator."""
    slots = sample.slots.merge(
        sample.summary[["agent_id", "name", "team"]], on="agent_id", how="left"
    )
    slots = slots.rename(columns={"reason": "reasons", "detail": "details"})
    slots["due"] = slots["date"].dt.strftime("%Y-%m-%d")
    slots["plan"], slots["seed"], slots["month"] = (
        f"{plan.id} v{plan.version}",
        sample.seed,
        sample.month,
    )
    both = pd.concat([sample.contacts, slots], ignore_index=True)
    weakness = None
    if "previous_mean" in sample.summary:
        weakness = sample.summary.set_index("agent_id")["previous_mean"]
    return allocate(both, evaluators, plan, sample.seed, weakness=weakness)
