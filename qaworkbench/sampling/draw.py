"""Draw the month's sample: every rule of the plan (``rules``), each contact once with all
its reasons and details, the live-monitoring slots, and a summary per agent.

Two ways in: ``draw`` takes the month's contacts as a DataFrame (whole, or the
candidates the engine marked); ``candidates`` marks those candidates on the
month's arrays (``scan.Month``) so a month of millions never becomes a DataFrame.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..frames import isin
from ..stats import expected_half_width
from .plan import SamplingPlan
from .quotas import adjust_quotas, base_quotas
from .rules import REASONS, RULES, Draw, MonthPicks, Repeats
from .rules.live import slots
from .scan import Month, frame


@dataclass
class Sample:
    """A drawn sample: contacts with reasons, live slots, and the per-agent summary."""

    contacts: pd.DataFrame
    slots: pd.DataFrame
    summary: pd.DataFrame
    plan_id: str
    plan_version: str
    month: str
    seed: int
    notes: list[str] = field(default_factory=list)  # what the data did not allow, one line each


def draw(
    month: str,
    contacts: pd.DataFrame,
    agents: pd.DataFrame,
    previous_handled: pd.DataFrame,
    plan: SamplingPlan,
    seed: int,
    *,
    service_level: pd.DataFrame | None = None,
    complaints: pd.DataFrame | None = None,
    repeats: pd.DataFrame | None = None,
    evaluated: pd.Series | set[str] | None = None,
    history: pd.DataFrame | None = None,
    faulty: pd.DataFrame | None = None,
    score_sd: float | None = None,
    current_handled: pd.DataFrame | None = None,
    worked: pd.DataFrame | None = None,
    autoqa: pd.DataFrame | None = None,
) -> Sample:
    """Draw the month's sample: every rule of the plan, each contact with its reasons.

    ``contacts`` are the month's contacts; ``previous_handled`` the previous
    month's handled counts per agent, channel and direction; ``history`` per
    agent and month: full_marks and mean_score (adaptive quota); ``faulty``
    evaluations (contact_id, score) for neighbours; ``score_sd`` the
    within-agent score SD (points) for the precision column; ``autoqa`` the auto-QA
    findings the plan samples on (``autoqa.run.first_violations``).
    """
    period = pd.Period(month, "M")
    roster = agents.copy()
    if plan.exclusions.on_leave:
        roster = roster[roster["leave_date"].isna() | (roster["leave_date"] >= period.start_time)]
    roster = roster[roster["hire_date"] <= period.end_time]
    excluded_agents = set(agents["agent_id"]) - set(roster["agent_id"])
    c_all = contacts[isin(contacts["agent_id"], roster["agent_id"])]
    c = c_all
    if evaluated is not None and len(evaluated) and plan.exclusions.already_evaluated:
        done = evaluated if isinstance(evaluated, pd.Series) else pd.Series(sorted(evaluated))
        c = c_all[~isin(c_all["contact_id"], done)]
    current = (
        current_handled
        if current_handled is not None
        else (
            c_all[c_all["answered"].astype(bool)]  # every handled contact, evaluated or not
            .groupby(["agent_id", "channel", "direction"])
            .size()
            .rename("handled")
            .reset_index()
        )
    )
    q = base_quotas(roster["agent_id"], previous_handled, current, plan)
    q = adjust_quotas(q, history if history is not None else pd.DataFrame(), month, plan)
    d = Draw(
        c, c_all, roster, plan, seed, q,
        service_level=service_level, complaints=complaints, repeats=repeats, faulty=faulty,
        autoqa=autoqa,
    )  # fmt: skip
    picks = [rule.pick(d) for rule in RULES if rule.enabled(plan)]
    picked = pd.concat([p for p in picks if p is not None and not p.empty], ignore_index=True)
    picked = _exemption_cap(picked, q, plan)
    sample = _combine(picked, roster, plan, seed, month)
    sl = slots(q, c, month, plan, seed, worked)
    summary = _summary(q, sample, sl, roster, current, plan, score_sd or plan.score_sd)
    if history is not None and len(history):  # last month's score: team leads check the weakest
        last = history[history["month"] == str(period - 1)].set_index("agent_id")
        summary["previous_mean"] = summary["agent_id"].map(last["mean_score"]).round(1)
        if "status" in last:  # frozen or demoted agents who still take contacts: sampled, flagged
            lasting = last["status"].where(last["status"].isin(["frozen", "demoted"]))
            summary["status"] = summary["agent_id"].map(lasting).fillna("")
    summary.attrs["score_sd"] = score_sd or plan.score_sd
    if excluded_agents:
        summary.attrs["excluded_agents"] = sorted(excluded_agents)
    return Sample(sample, sl, summary, plan.id, plan.version, month, seed)


def candidates(
    m: Month,
    quotas: pd.DataFrame,
    plan: SamplingPlan,
    *,
    service_level: pd.DataFrame,
    roster: pd.DataFrame,
    month_start: pd.Timestamp,
    faulty: pd.DataFrame | None = None,
    repeats: Repeats | Future[Repeats] | None = None,
) -> tuple[pd.DataFrame, dict[str, object]]:
    """The contacts any rule could take, as a DataFrame for ``draw``, and the tables the
    rules hand over to it (e.g. ``repeats``).

    Each rule of the plan marks its rows on the month's arrays (``Rule.mark``); only the
    marked rows (and ``extra``) become the DataFrame, each mark a boolean column and each
    targeted rule's flagged count per agent ``_n_<reason>``. Only roster agents' contacts.
    """
    p = MonthPicks(
        m, plan, quotas, service_level, roster, month_start, faulty=faulty, repeats=repeats
    )
    active = [rule for rule in RULES if rule.enabled(plan)]
    for rule in active:
        rule.mark(p)
    marks = p.marks
    rows = np.unique(np.concatenate([*marks.values(), *p.extra, np.empty(0, dtype=np.int64)]))
    out = frame(m, rows)
    scratch = np.zeros(len(m), dtype=bool)
    for name, picked in marks.items():
        scratch[picked] = True
        out[name] = scratch[rows]
        scratch[picked] = False
        if name.startswith("_sel_"):
            n = p.counts["_n_" + name.removeprefix("_sel_")]
            out["_n_" + name.removeprefix("_sel_")] = np.where(out[name], n[m.a[rows]], np.nan)
    handed: dict[str, object] = {}
    for rule in active:
        handed |= rule.hand_over(p, rows)
    return out, handed


def _exemption_cap(picked: pd.DataFrame, q: pd.DataFrame, plan: SamplingPlan) -> pd.DataFrame:
    """An exempt agent's sample is the exemption's quota in all: "连续两个月满分的，第三个月起只
    抽取5条录音" (hotline code). Targeted picks of an exempt agent are dropped, except those of a
    rule the plan marks ``overrides_exemption``, which say so in their detail."""
    exempt = pd.Series(q.loc[q["adjustment"].str.startswith("exempt"), "agent_id"].unique())
    if not len(exempt) or picked.empty:
        return picked
    overriding = {
        reason
        for rule in RULES
        if rule.setting and getattr(getattr(plan, rule.setting), "overrides_exemption", False)
        for reason in rule.reasons
    }
    theirs = isin(picked["agent_id"], exempt)
    base = picked["reason"].str.startswith("base").to_numpy()
    keep = picked["reason"].isin(overriding).to_numpy()
    out = picked[~theirs | base | keep].copy()
    said = isin(out["agent_id"], exempt) & out["reason"].isin(overriding).to_numpy()
    note = "overrides the full-marks exemption"
    out.loc[said, "detail"] = (
        out.loc[said, "detail"].fillna("").astype(str) + "; " + note
    ).str.lstrip("; ")
    return out


def _combine(
    picked: pd.DataFrame, roster: pd.DataFrame, plan: SamplingPlan, seed: int, month: str
) -> pd.DataFrame:
    cols = [c for c in picked.columns if c not in ("reason", "detail", "_key")]
    picked = picked.assign(detail=picked["detail"].fillna("").astype(str))
    dup = picked["contact_id"].duplicated(keep=False).to_numpy()
    single = picked.loc[~dup, cols].assign(
        reasons=picked.loc[~dup, "reason"], details=picked.loc[~dup, "detail"]
    )
    many = picked.loc[dup]
    if len(many):  # one row per contact; its reasons and details in order, each once
        joined = many.drop_duplicates("contact_id")[cols].set_index("contact_id", drop=False)
        r = many.drop_duplicates(["contact_id", "reason"])
        joined["reasons"] = r.groupby("contact_id", sort=False)["reason"].agg(";".join)
        d = many[many["detail"] != ""].drop_duplicates(["contact_id", "detail"])
        details = d.groupby("contact_id", sort=False)["detail"].agg("; ".join)
        joined["details"] = details.reindex(joined.index, fill_value="")
        single = pd.concat([single, joined.reset_index(drop=True)], ignore_index=True)
    out = single
    out = out.merge(roster[["agent_id", "name", "team"]], on="agent_id", how="left")
    out["mode"] = "post_call"
    out["due"] = (
        out["start_time"].dt.normalize() + pd.Timedelta(days=plan.deadline_days)
    ).dt.strftime("%Y-%m-%d")
    out["plan"] = f"{plan.id} v{plan.version}"
    out["seed"] = seed
    out["month"] = month
    out = out.sort_values(["team", "agent_id", "start_time"], kind="stable").reset_index(drop=True)
    keep = ["contact_id", "agent_id", "name", "team", "start_time", "channel", "direction", "talk_s",
            "customer_id", "recording_ref", "reasons", "details", "mode", "due", "plan", "seed", "month"]  # fmt: skip
    return out[[k for k in keep if k in out.columns]]


def _summary(q, sample, sl, roster, current, plan, sd) -> pd.DataFrame:
    per = q.groupby("agent_id").agg(
        basis=("basis", "sum"), quota=("quota", "sum"), quota_real_time=("real_time", "sum"),
        quota_post_call=("post_call", "sum"), adjustment=("adjustment", "first"),
        quota_basis=("quota_basis", lambda b: "; ".join(dict.fromkeys(b))),
    )  # fmt: skip
    combos = sample.groupby(["agent_id", "reasons"]).size().rename("n").reset_index()
    reasons = combos.assign(reason=combos["reasons"].str.split(";")).explode("reason")
    counts = reasons.pivot_table(
        index="agent_id", columns="reason", values="n", aggfunc="sum", fill_value=0
    )
    counts.columns = [f"n_{c}" for c in counts.columns]
    slot_n = sl.groupby("agent_id").size().rename("live_slots")
    contacts_n = sample.groupby("agent_id").size().rename("contacts")
    answered = current.groupby("agent_id")["handled"].sum().rename("handled_this_month")
    out = (
        roster[["agent_id", "name", "team"]]
        .set_index("agent_id")
        .join([per, counts, contacts_n, slot_n, answered])
        .fillna(0)
    )
    for col in out.columns:
        if col not in ("name", "team", "adjustment", "quota_basis"):
            out[col] = out[col].astype(int)
    out["adjustment"] = out["adjustment"].replace(0, "").astype(str)
    out["quota_basis"] = out["quota_basis"].replace(0, "").astype(str)
    for reason in REASONS:  # every reason gets a column, zero when the rule picked nothing
        if f"n_{reason}" not in out and not reason.startswith(("base_real", "live", "side")):
            out[f"n_{reason}"] = 0
    base_n = out["n_base_post_call"]
    short = out["quota_post_call"] - base_n
    out["shortfall"] = short.clip(lower=0)
    out["why_short"] = np.where(
        out["shortfall"] > 0,
        "only "
        + (base_n).astype(str)
        + " eligible contacts this month (answered, ≥ "
        + f"{plan.exclusions.min_talk_s:g} s, not already evaluated)",
        "",
    )
    out["evaluations_planned"] = out["contacts"] + out["live_slots"]
    n = out["evaluations_planned"].to_numpy()
    out["expected_half_width"] = np.where(
        n >= 2, expected_half_width(sd, np.maximum(n, 2)), np.nan
    ).round(1)
    return out.reset_index()
