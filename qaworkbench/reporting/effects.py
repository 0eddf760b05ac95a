"""Did coaching work? Each saved action's items, the coached agent's fail rate before and
after, and the same change for comparable agents who were not coached.

Agents are coached because they failed an item often; many would fail it less
next month anyway (regression to the mean). So each action is compared with a
comparison group: agents of the same scorecard who also failed the item in the
same window before the action and had no action on it. The effect is the
difference of the two changes (difference in differences), with a 95% interval
(Wald, four independent shares). Rates are shares; changes percentage points
as shares (−0.10 = ten points fewer fails).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import _ndtri

WINDOW = pd.Timedelta(days=30)  # how far before an action its "before" reaches


def _rate(r: pd.DataFrame) -> tuple[int, int]:
    return int((r["result"] == "fail").sum()), len(r)


def action_effects(
    actions: pd.DataFrame | None,
    results: pd.DataFrame | None,
    end: pd.Timestamp,
    names: pd.Series,
    level: float = 0.95,
    every_action: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per action and coached item, for actions saved before ``end``.

    ``results``: agent_id, item_id, result (pass/fail/na), evaluated_at, for every regular
    evaluation up to ``end``. Before = the WINDOW before the action; after = from the action
    to ``end``. ``every_action`` (default: ``actions``) tells who was coached on what, so
    nobody coached on the item is in a comparison group.
    """
    cols = ["created_at", "team", "name", "agent_id", "created_by", "agreed", "item", "n_before", "n_after", "before",
            "after", "rate_change", "comparison_n", "comparison_change", "effect", "effect_lo",
            "effect_hi", "verdict"]  # fmt: skip
    if actions is None or actions.empty:
        return pd.DataFrame(columns=cols)
    acts = actions[actions["created_at"] < end]
    res = results[(results["result"] != "na") & (results["evaluated_at"] < end)]
    every = every_action if every_action is not None else acts
    coached = {(a.agent_id, i) for a in every.itertuples() for i in a.item_ids.split(",")}
    z = _ndtri(0.5 + level / 2)
    rows = []
    for a in acts.itertuples():
        t0 = pd.Timestamp(a.created_at)
        for item in a.item_ids.split(","):
            r = res[res["item_id"] == item]
            before = r[(r["evaluated_at"] >= t0 - WINDOW) & (r["evaluated_at"] < t0)]
            after = r[r["evaluated_at"] >= t0]
            f0, n0 = _rate(before[before["agent_id"] == a.agent_id])
            f1, n1 = _rate(after[after["agent_id"] == a.agent_id])
            failed_before = set(before.loc[before["result"] == "fail", "agent_id"])
            peers = {p for p in failed_before if (p, item) not in coached and p != a.agent_id}
            g0, m0 = _rate(before[before["agent_id"].isin(peers)])
            g1, m1 = _rate(after[after["agent_id"].isin(peers)])
            p0, p1 = _share(f0, n0), _share(f1, n1)
            q0, q1 = _share(g0, m0), _share(g1, m1)
            effect = (p1 - p0) - (q1 - q0)
            se = np.sqrt(sum(_var(p, n) for p, n in ((p0, n0), (p1, n1), (q0, m0), (q1, m1))))
            lo, hi = effect - z * se, effect + z * se
            if not n1:
                verdict = "no_evaluations"
            elif not (n0 and m0 and m1) or not np.isfinite(se):
                verdict = "too_few"
            elif hi < 0:
                verdict = "better_than_comparison"
            elif lo > 0:
                verdict = "worse_than_comparison"
            else:
                verdict = "like_comparison"
            rows.append({
                "created_at": t0.strftime("%Y-%m-%d"), "agent_id": a.agent_id,
                "created_by": a.created_by, "agreed": a.agreed,
                "item": names.get(item, item), "n_before": n0, "n_after": n1, "before": p0,
                "after": p1, "rate_change": p1 - p0, "comparison_n": len(peers),
                "comparison_change": q1 - q0, "effect": effect, "effect_lo": lo, "effect_hi": hi,
                "verdict": verdict,
            })  # fmt: skip
    out = pd.DataFrame(rows)
    return out.reindex(columns=cols)


def _share(k: int, n: int) -> float:
    return k / n if n else float("nan")


def _var(p: float, n: int) -> float:
    return p * (1 - p) / n if n else float("nan")
