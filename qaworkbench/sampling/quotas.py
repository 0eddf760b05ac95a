"""Quotas per agent (qa-practice.md section 3): the base percentage of handled contacts, split
into real-time and post-call parts, and the adaptive adjustment (exemption after full marks,
more for poor results). Counts are contacts; rates are shares."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .plan import Quota, SamplingPlan

FIRST_MONTH = "first month: no contacts last month"


def _round(x: np.ndarray, how: str) -> np.ndarray:
    if how == "ceil":
        return np.ceil(x - 1e-9)
    if how == "floor":
        return np.floor(x + 1e-9)
    return np.floor(x + 0.5 + 1e-9)  # half up: 2.5 -> 3


def _matches(df: pd.DataFrame, q: Quota) -> np.ndarray:
    m = np.ones(len(df), dtype=bool)
    if q.channel:
        m &= (df["channel"] == q.channel).to_numpy()
    if q.direction:
        m &= (df["direction"] == q.direction).to_numpy()
    return m


def base_quotas(
    agents: pd.Series, previous: pd.DataFrame, current: pd.DataFrame, plan: SamplingPlan
) -> pd.DataFrame:
    """Quota per agent and quota rule: basis count (contacts), quota, real-time and post-call
    parts (contacts), and ``quota_basis``: which month's contacts the quota is a share of.

    ``previous`` and ``current`` are handled counts per agent, channel and
    direction (columns agent_id, channel, direction, handled). With no contacts at all last
    month (the center's first month in the data), a ``previous_month`` quota falls back to
    the quota's ``first_month``: this month's contacts, or none.
    """
    rows = []
    first = previous.empty or previous["handled"].sum() == 0
    for k, q in enumerate(plan.quotas):
        src = previous if q.basis == "previous_month" else current
        used = q.basis
        if q.basis == "previous_month" and first:
            src = current if q.first_month == "current_month" else previous.iloc[:0]
            used = f"{q.first_month} ({FIRST_MONTH})"
        counts = src.loc[_matches(src, q)].groupby("agent_id")["handled"].sum()
        basis = agents.map(counts).fillna(0).to_numpy(dtype=float)
        quota = _round(basis * q.rate, q.rounding)
        quota = np.where(basis > 0, np.maximum(quota, q.minimum), 0)
        if q.maximum is not None:
            quota = np.minimum(quota, q.maximum)
        rows.append(
            pd.DataFrame(
                {
                    "agent_id": agents.to_numpy(),
                    "quota_rule": k,
                    "basis": basis.astype(int),
                    "quota": quota.astype(int),
                    "quota_basis": used,
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    return _split(out, plan)


def _split(quotas: pd.DataFrame, plan: SamplingPlan) -> pd.DataFrame:
    share = quotas["quota_rule"].map(lambda k: plan.quotas[k].real_time_share).to_numpy(dtype=float)
    rt = _round(quotas["quota"].to_numpy(dtype=float) * share, "half_up").astype(int)
    quotas["real_time"] = rt
    quotas["post_call"] = quotas["quota"] - rt
    return quotas


def exemptions(history: pd.DataFrame, months: list[str], plan: SamplingPlan) -> pd.DataFrame:
    """Which agents are exempt in each of ``months`` (in order).

    Exempt in month m when each of the previous ``full_marks_months`` months was
    at full marks and the agent was not exempt in month m-1 (the exemption
    lasts one month; the next month returns to the normal quota).
    ``history`` has agent_id, month ("YYYY-MM") and full_marks (bool).
    """
    k = plan.adaptive.full_marks_months
    full = history.pivot_table(
        index="agent_id", columns="month", values="full_marks", aggfunc="any"
    )
    exempt: dict[str, pd.Series] = {}
    for m in months:
        prev = [str(pd.Period(m, "M") - i) for i in range(1, k + 1)]
        ok = pd.Series(True, index=full.index)
        for p in prev:
            ok &= full[p].fillna(False).astype(bool) if p in full else False
        last = str(pd.Period(m, "M") - 1)
        if last in exempt:
            ok &= ~exempt[last].reindex(full.index, fill_value=False)
        exempt[m] = ok
    return (
        pd.DataFrame(exempt)
        .rename_axis("agent_id")
        .reset_index()
        .melt(id_vars="agent_id", var_name="month", value_name="exempt")
    )


def _largest_remainder(x: pd.Series, by: pd.Series) -> pd.Series:
    """``x`` rounded to whole numbers whose sum per ``by`` is the rounded sum of ``x``."""
    low = np.floor(x + 1e-9)
    short = (x.groupby(by).transform("sum").round() - low.groupby(by).transform("sum")).astype(int)
    rank = (x - low).groupby(by).rank(method="first", ascending=False)
    return (low + (rank <= short)).astype(int)


def adjust_quotas(
    quotas: pd.DataFrame, history: pd.DataFrame, month: str, plan: SamplingPlan
) -> pd.DataFrame:
    """Adaptive quota: exempt agents get ``exempt_quota`` in total, poor agents × ``poor_factor``."""
    q = quotas.copy()
    q["adjustment"] = ""
    if not plan.adaptive.enabled or history.empty:
        return q
    months = sorted({*history["month"], month})
    ex = exemptions(history, months, plan)
    exempt = set(ex.loc[(ex["month"] == month) & ex["exempt"], "agent_id"])
    prev = str(pd.Period(month, "M") - 1)
    h = history[history["month"] == prev].set_index("agent_id")["mean_score"]
    poor = set(h.index[h < plan.adaptive.poor_below])
    total = q.groupby("agent_id")["quota"].transform("sum")
    is_ex = q["agent_id"].isin(exempt) & (total > 0)
    # the exemption quota is shared across an agent's quota rules in proportion, by largest
    # remainder so the shares add up to the quota exactly (2.5 + 2.5, never 3 + 3)
    q.loc[is_ex, "quota"] = _largest_remainder(
        q.loc[is_ex, "quota"] / total[is_ex] * plan.adaptive.exempt_quota, q.loc[is_ex, "agent_id"]
    )
    q.loc[is_ex, "adjustment"] = (
        f"exempt: full marks {plan.adaptive.full_marks_months} months running"
    )
    is_poor = q["agent_id"].isin(poor) & ~is_ex
    q.loc[is_poor, "quota"] = np.ceil(
        q.loc[is_poor, "quota"] * plan.adaptive.poor_factor - 1e-9
    ).astype(int)
    q.loc[is_poor, "adjustment"] = q.loc[is_poor, "agent_id"].map(
        lambda a: f"poor: {prev} mean {h[a]:.1f} < {plan.adaptive.poor_below:g}"
    )
    return _split(q.drop(columns=["real_time", "post_call"]), plan)
