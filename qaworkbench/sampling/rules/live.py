"""Live monitoring (实时监听, 现场旁听): slots with no contact yet — the base quota's real-time
part spread over the agent's working days, and the plan's weekly random and side-by-side
listening."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..picks import random_key, shift_of
from ..plan import SamplingPlan

REASONS = {
    "live_random": "随机实时监听 / weekly random live monitoring",
    "side_by_side": "现场旁听 / weekly side-by-side monitoring",
}


def slots(
    agents_q: pd.DataFrame,
    contacts: pd.DataFrame,
    month: str,
    plan: SamplingPlan,
    seed: int,
    worked: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Live-monitoring slots (no contact yet): base real-time quota spread over the agent's
    working days and shifts, and the plan's weekly random and side-by-side listening."""
    period = pd.Period(month, "M")
    if worked is None:  # answered contacts per agent, day and shift
        answered = contacts[contacts["answered"].astype(bool)]
        worked = (
            pd.DataFrame({"agent_id": answered["agent_id"], "date": answered["start_time"].dt.normalize(),
                          "shift": shift_of(answered["start_time"], plan)})
            .groupby(["agent_id", "date", "shift"]).size().rename("n").reset_index()
        )  # fmt: skip
    worked = worked.sort_values(["agent_id", "date", "n"], ascending=[True, True, False])
    days = worked.drop_duplicates(["agent_id", "date"])  # each working day with its main shift
    agent = days["agent_id"].to_numpy(dtype=object)
    dates, shifts = days["date"].to_numpy(), days["shift"].to_numpy(dtype=object)
    names, first, count = np.unique(agent, return_index=True, return_counts=True)
    span = dict(zip(names, zip(first, count, strict=True), strict=True))  # agent: its days' rows
    rows = []
    rt = agents_q.groupby("agent_id")["real_time"].sum()
    for a, n in rt[rt > 0].items():
        if a not in span:
            continue
        f, k = span[a]
        for i in f + np.linspace(0, k - 1, n).round().astype(int):  # evenly over the month
            rows.append(
                (a, dates[i], shifts[i], "real_time", "base_real_time", "live listening slot")
            )
    lm = plan.live_monitoring
    if lm.random_per_week or lm.side_by_side_per_week:
        mine = np.isin(agent, agents_q["agent_id"].unique())
        d = days.loc[mine, ["agent_id", "date", "shift"]]
        d = d[(d["date"] >= period.start_time) & (d["date"] <= period.end_time)]
        d = d.assign(week=d["date"].dt.to_period("W-SUN").dt.start_time)
        for mode, reason, k in (("real_time", "live_random", lm.random_per_week),
                                ("side_by_side", "side_by_side", lm.side_by_side_per_week)):  # fmt: skip
            if not k or d.empty:
                continue
            labels = d["agent_id"] + "|" + d["date"].dt.strftime("%F") + "|" + reason
            w = d.assign(_key=random_key(labels, seed + 107)).sort_values(
                ["agent_id", "week", "_key"], kind="stable"
            )
            w = w[w.groupby(["agent_id", "week"]).cumcount() < k]
            rows.extend(
                (a, dt.to_datetime64(), sh, mode, reason, f"week {wk:%m-%d}")
                for a, dt, sh, wk in zip(
                    w["agent_id"], w["date"], w["shift"], w["week"], strict=True
                )
            )
    out = pd.DataFrame(rows, columns=["agent_id", "date", "shift", "mode", "reason", "detail"])
    out["date"] = pd.to_datetime(out["date"])
    return out.sort_values(["agent_id", "date", "reason"], kind="stable", ignore_index=True)
