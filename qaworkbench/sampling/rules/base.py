"""Base quota (基础抽样): each agent's post-call quota, spread over days and shifts; the
real-time part becomes live-monitoring slots (``live``)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from ...data.schema import CHANNELS, DIRECTIONS
from ..picks import keys, random_key, spread_pick, spread_rows
from ..plan import SamplingPlan
from ..quotas import _matches
from . import Draw, MonthPicks, Rule


def base_draw(
    contacts: pd.DataFrame, quotas: pd.DataFrame, plan: SamplingPlan, seed: int
) -> pd.DataFrame:
    """Post-call contacts for each agent's base quota, excluding contacts too short to judge."""
    eligible = contacts["answered"].astype(bool) & (
        contacts["talk_s"].fillna(0) >= plan.exclusions.min_talk_s
    )
    picks = []
    for k, q in enumerate(plan.quotas):
        cand = contacts.loc[eligible.to_numpy() & _matches(contacts, q)]
        if f"_pool_{k}" in cand:  # engine path: the engine already spread-picked from its pool
            cand = cand[cand[f"_pool_{k}"].fillna(False).astype(bool)]
        want = quotas[quotas["quota_rule"] == k].set_index("agent_id")["post_call"]
        p = spread_pick(cand, want, random_key(cand["contact_id"], seed + k), plan)
        picks.append(
            p.assign(
                reason="base_post_call",
                detail=f"quota rule {k + 1}: {q.rate:.2%} of {q.basis.replace('_', ' ')}",
            )
        )
    return pd.concat(picks, ignore_index=True)


class BaseQuota(Rule):
    reasons: ClassVar[dict[str, str]] = {
        "base_post_call": "基础抽样（事后调听）/ base quota, post-call review",
        "base_real_time": "基础抽样（实时监听）/ base quota, live listening",
    }

    def mark(self, p: MonthPicks) -> None:
        """Per quota rule, the spread picks (``spread_rows``) from each agent's 4 x post-call
        quota eligible contacts with the smallest keys (``_pool_<k>``): only they become
        candidates, and ``pick``, given them, takes them all."""
        m, plan = p.m, p.plan
        for k, rule in enumerate(plan.quotas):
            mask = p.open & m.answered & (m.talk_s >= plan.exclusions.min_talk_s)
            if rule.channel:
                mask &= m.channel == CHANNELS.index(rule.channel)
            if rule.direction:
                mask &= m.direction == DIRECTIONS.index(rule.direction)
            want = p.quotas[p.quotas["quota_rule"] == k].groupby("agent_id")["post_call"].sum()
            want = want.reindex(m.agents, fill_value=0).to_numpy()
            pool = p.smallest(f"_pool_{k}", mask, 4 * want, f"pool{k}")
            key = keys(m.h[pool], f"pool{k}")
            u = (key >> np.uint64(11)).astype(np.float64) * 2.0**-53  # [0, 1), as random_key
            p.marks[f"_pool_{k}"] = pool[spread_rows(m.a[pool], want, u, m.t[pool], plan)]

    def pick(self, d: Draw) -> pd.DataFrame:
        pools = [f"_pool_{k}" for k in range(len(d.plan.quotas))]
        return base_draw(d.marked(*pools), d.quotas, d.plan, d.seed)
