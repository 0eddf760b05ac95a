"""The month's QA sample, drawn by the centers' own rules (qa-practice.md section 3).

Each rule is a small pure function over DataFrames and returns the contacts
(or live-monitoring slots) it picks, each with a reason code and a detail
that explains it. ``draw`` combines them. Randomness comes from a keyed hash
of (contact id, seed), so the same inputs and seed give the same sample
whatever order the export arrives in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .parse import isin
from .plan import Quota, SamplingPlan, Targeted

REASONS = {
    "base_post_call": "基础抽样（事后调听）/ base quota, post-call review",
    "base_real_time": "基础抽样（实时监听）/ base quota, live listening",
    "short": "短通话 / contact shorter than the threshold",
    "long_missed_sl": "接通率未达标时段的长通话 / long contact in a missed service-level interval",
    "long": "超长通话 / over-long contact",
    "complaint": "投诉 / complaint",
    "repeat": "重复来电 / repeat contact by the same customer",
    "neighbour": "问题录音前后通话 / neighbour of a faulty contact",
    "new_hire": "新员工首周 / new hire's first week",
    "live_random": "随机实时监听 / weekly random live monitoring",
    "side_by_side": "现场旁听 / weekly side-by-side monitoring",
}


def random_key(ids: pd.Series, seed: int) -> np.ndarray:
    """A uniform [0, 1) number per id, fixed by (id, seed) and independent of row order."""
    h = pd.util.hash_pandas_object(ids.astype(str), index=False, hash_key=f"{seed % 10**16:016d}")
    return (h.to_numpy() >> np.uint64(11)).astype(np.float64) / float(2**53)


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
    """Quota per agent and quota rule: basis count, quota, real-time and post-call parts.

    ``previous`` and ``current`` are handled counts per agent, channel and
    direction (columns agent_id, channel, direction, handled).
    """
    rows = []
    for k, q in enumerate(plan.quotas):
        src = previous if q.basis == "previous_month" else current
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
    # the exemption quota is shared across an agent's quota rules in proportion
    q.loc[is_ex, "quota"] = _round(
        q.loc[is_ex, "quota"] / total[is_ex] * plan.adaptive.exempt_quota, "half_up"
    ).astype(int)
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


def shift_of(start: pd.Series, plan: SamplingPlan) -> pd.Series:
    """The shift (band of hours) each start time falls in."""
    names = np.array([*plan.shifts, None], dtype=object)[_shift_codes(plan)]  # -1: no shift
    return pd.Series(names[start.dt.hour.to_numpy()], index=start.index, dtype="str")


def _shift_codes(plan: SamplingPlan) -> np.ndarray:
    """The shift number of each hour 0-23 (hours in no shift get -1)."""
    codes = np.full(24, -1)
    for i, (a, b) in enumerate(plan.shifts.values()):
        codes[a:b] = i
    return codes


def spread_pick(
    cand: pd.DataFrame, want: pd.Series, key: np.ndarray, plan: SamplingPlan
) -> pd.DataFrame:
    """Pick want[agent] contacts per agent, spread over days and shifts.

    Round-robin over (day, shift) strata in random order: everyone's first
    pick comes from a different stratum before any stratum gives a second.
    The candidates are a random pool of about 8x the wanted count per agent
    (the contacts with the smallest keys), so a month of millions is never
    sorted whole; an agent whose pool falls short gets all its contacts.
    """
    if cand.empty:
        return cand.assign(_key=pd.Series(dtype=float))
    codes, names = pd.factorize(cand["agent_id"], sort=True)
    w = want.reindex(names).fillna(0).to_numpy()
    us = cand["start_time"].to_numpy().astype("datetime64[us]").astype(np.int64)
    i = spread_rows(codes, w, key, us, plan)
    return cand.iloc[i].assign(_key=key[i])


def spread_rows(
    codes: np.ndarray, want: np.ndarray, key: np.ndarray, start_us: np.ndarray, plan: SamplingPlan
) -> np.ndarray:
    """``spread_pick`` on arrays: the positions picked, given each row's agent code, the
    wanted count per code, each row's random key in [0, 1) and its start (µs since 1970)."""
    w = want
    n = np.bincount(codes, minlength=len(w))
    frac = np.minimum(1.0, 8 * w / np.maximum(n, 1))
    pool = key < frac[codes]
    got = np.bincount(codes[pool], minlength=len(w))
    short = (got < np.minimum(4 * w, n)) & (w > 0)
    pool |= short[codes]
    i = np.flatnonzero(pool & (w[codes] > 0))
    i = i[np.lexsort((key[i], codes[i]))]  # each agent's pool, smallest keys first
    i = i[_rank(codes[i]) < 4 * w[codes[i]]]
    us = start_us[i]
    day, hour = us // 86_400_000_000, us // 3_600_000_000 % 24
    shift = _shift_codes(plan)[hour]
    by = np.lexsort((key[i], shift, day, codes[i]))  # round: the pick's turn in its stratum
    turn = np.empty(len(i), dtype=np.int64)
    stratum = np.r_[True, np.diff(codes[i][by]) != 0] | np.r_[True, np.diff(day[by]) != 0]
    stratum |= np.r_[True, np.diff(shift[by]) != 0]
    turn[by] = np.arange(len(by)) - np.maximum.accumulate(np.where(stratum, np.arange(len(by)), 0))
    i = i[np.lexsort((key[i], turn, codes[i]))]
    return i[_rank(codes[i]) < w[codes[i]]]


def _rank(sorted_codes: np.ndarray) -> np.ndarray:
    """Each row's position within its run of equal codes (the codes sorted)."""
    starts = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]]
    at = np.arange(len(sorted_codes))
    return at - np.maximum.accumulate(np.where(starts, at, 0))


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
        if (
            f"_pool_{k}" in cand
        ):  # engine path: the engine already spread-picked from its random pool
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


def _targeted(
    flagged: pd.DataFrame, rule: Targeted, reason: str, seed: int, explain=None
) -> pd.DataFrame:
    """Apply a targeted rule's share and per-agent cap to the flagged contacts (random choice);
    ``explain(picked)`` then writes the detail of the picked rows only."""
    if flagged.empty:
        return flagged.assign(reason=pd.Series(dtype=str), detail=pd.Series(dtype=str))
    sel = f"_sel_{reason}"
    if sel in flagged:  # engine path: the engine chose among all flagged; n is their count
        flagged = flagged[flagged[sel].fillna(False).astype(bool)]
    f = flagged.assign(_key=random_key(flagged["contact_id"], seed))
    f = f.sort_values(["agent_id", "_key"], kind="stable")
    if sel in f:
        n = f[f"_n_{reason}"].astype(float)
    else:
        n = f.groupby("agent_id")["contact_id"].transform("size")
    take = np.ceil(n * rule.share - 1e-9)
    if rule.max_per_agent is not None:
        take = np.minimum(take, rule.max_per_agent)
    picked = f[f.groupby("agent_id").cumcount() < take].assign(reason=reason)
    if explain is not None:
        picked = picked.assign(detail=explain(picked) if len(picked) else pd.Series(dtype=str))
    return picked


def short_contacts(contacts: pd.DataFrame, plan: SamplingPlan, seed: int) -> pd.DataFrame:
    """Answered contacts shorter than ``max_talk_s`` (possible hang-ups, refusals to serve)."""
    r = plan.short_contacts
    f = contacts[contacts["answered"].astype(bool) & (contacts["talk_s"] < r.max_talk_s)]
    return _targeted(
        f,
        r,
        "short",
        seed + 101,
        lambda p: [f"talk {t:.0f} s < {r.max_talk_s:g} s" for t in p["talk_s"]],
    )


def long_contacts(
    contacts: pd.DataFrame, service_level: pd.DataFrame, plan: SamplingPlan, seed: int
) -> pd.DataFrame:
    """Contacts longer than ``min_talk_s``; with ``only_missed_intervals``, only those in
    intervals whose service level (answered within ``answer_within_s``) missed the target."""
    r = plan.long_contacts
    f = contacts[contacts["answered"].astype(bool) & (contacts["talk_s"] > r.min_talk_s)]
    if not r.only_missed_intervals:
        return _targeted(
            f,
            r,
            "long",
            seed + 102,
            lambda p: [f"talk {t:.0f} s > {r.min_talk_s:g} s" for t in p["talk_s"]],
        )
    width = pd.Timedelta(minutes=r.interval_min)
    f = f.assign(interval_start=f["start_time"].dt.floor(width))
    sl = service_level[["interval_start", "channel", "service_level"]]
    f = f.merge(sl, on=["interval_start", "channel"], how="inner")
    f = f[f["service_level"] < r.target]

    def explain(p: pd.DataFrame) -> pd.Series:
        i = p["interval_start"]
        return (
            "talk " + p["talk_s"].round().astype(int).astype(str) + f" s > {r.min_talk_s:g} s in "
            + i.dt.strftime("%H:%M") + "-" + (i + width).dt.strftime("%H:%M")
            + ", service level " + (p["service_level"] * 100).round().astype(int).astype(str)
            + f"% < {r.target:.0%}"
        )  # fmt: skip

    picked = _targeted(f, r, "long_missed_sl", seed + 103, explain)
    return picked.drop(columns=["interval_start", "service_level"])


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
    return _targeted(f, r, "complaint", seed + 104)


def repeat_contacts(
    contacts: pd.DataFrame, repeats: pd.DataFrame, plan: SamplingPlan, seed: int
) -> pd.DataFrame:
    """Contacts whose customer called within ``within_hours`` before (``repeats`` from the engine)."""
    r = plan.repeat_contacts
    f = contacts.merge(repeats, on="contact_id", how="inner")
    f = f.assign(
        detail=[
            f"again {h:.1f} h after {p}"
            for h, p in zip(f["hours_since"], f["previous_contact_id"], strict=True)
        ]
    )
    return _targeted(
        f.drop(columns=["hours_since", "previous_contact_id"]), r, "repeat", seed + 105
    )


def new_hire_contacts(
    contacts: pd.DataFrame, agents: pd.DataFrame, plan: SamplingPlan, seed: int
) -> pd.DataFrame:
    """At least ``per_working_day`` contacts on each working day of a new hire's first days."""
    r = plan.new_hires
    if contacts.empty:
        return contacts.assign(reason=pd.Series(dtype=str), detail=pd.Series(dtype=str))
    first_day, last_day = contacts["start_time"].min().normalize(), contacts["start_time"].max()
    recent = agents[
        (agents["hire_date"] + pd.Timedelta(days=r.first_days) > first_day)
        & (agents["hire_date"] <= last_day)
    ]
    a = recent.set_index("agent_id")["hire_date"]
    contacts = contacts[contacts["agent_id"].isin(a.index)]
    if contacts.empty:
        return contacts.assign(reason=pd.Series(dtype=str), detail=pd.Series(dtype=str))
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
    hired_f = f["agent_id"].map(a)
    detail = [
        f"day {(d - h).days + 1} of {r.first_days} since hire on {h:%Y-%m-%d}"
        for d, h in zip(f["_day"], hired_f, strict=True)
    ]
    return f.drop(columns=["_day"]).assign(reason="new_hire", detail=detail)


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
        return c.iloc[0:0].assign(reason=pd.Series(dtype=str), detail=pd.Series(dtype=str))
    idx, detail = zip(*rows, strict=True)
    out = c.loc[list(idx)].assign(reason="neighbour", detail=list(detail))
    return out[~out["contact_id"].isin(faulty["contact_id"])]


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
) -> Sample:
    """Draw the month's sample: every rule of the plan, each contact with its reasons.

    ``contacts`` are the month's contacts; ``previous_handled`` the previous
    month's handled counts per agent, channel and direction; ``history`` per
    agent and month: full_marks and mean_score (adaptive quota); ``faulty``
    evaluations (contact_id, score) for neighbours; ``score_sd`` the
    within-agent score SD (points) for the precision column.
    """
    from .stats import expected_half_width

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
    pools = [f"_pool_{k}" for k in range(len(plan.quotas))]
    picks = [base_draw(_marked(c, *pools), q, plan, seed)]
    if plan.short_contacts.enabled:
        picks.append(short_contacts(_marked(c, "_sel_short"), plan, seed))
    if plan.long_contacts.enabled and service_level is not None:
        long_c = _marked(c, "_sel_long", "_sel_long_missed_sl")
        picks.append(long_contacts(long_c, service_level, plan, seed))
    if plan.complaints.enabled and complaints is not None:
        picks.append(complaint_contacts(_marked(c, "_sel_complaint"), complaints, plan, seed))
    if plan.repeat_contacts.enabled and repeats is not None:
        picks.append(repeat_contacts(_marked(c, "_sel_repeat"), repeats, plan, seed))
    if plan.new_hires.enabled:
        picks.append(new_hire_contacts(_marked(c, "_hire"), roster, plan, seed))
    if plan.neighbours.enabled and faulty is not None and not faulty.empty:
        nb = neighbours(c_all, faulty, plan)  # faulty contacts are evaluated: find them in all
        picks.append(nb[isin(nb["contact_id"], c["contact_id"])])
    picked = pd.concat([p for p in picks if not p.empty], ignore_index=True)
    sample = _combine(picked, roster, plan, seed, month)
    sl = slots(q, c, month, plan, seed, worked)
    summary = _summary(
        q, sample, sl, roster, current, plan, score_sd or plan.score_sd, expected_half_width
    )
    summary.attrs["score_sd"] = score_sd or plan.score_sd
    if excluded_agents:
        summary.attrs["excluded_agents"] = sorted(excluded_agents)
    return Sample(sample, sl, summary, plan.id, plan.version, month, seed)


def _marked(contacts: pd.DataFrame, *marks: str) -> pd.DataFrame:
    """The rows the engine fetched for a rule (marked by any of ``marks``), or all rows when
    the contacts carry no marks (the whole month in memory); the rule still checks each."""
    cols = [m for m in marks if m in contacts]
    if not cols:
        return contacts
    return contacts[(contacts[cols].fillna(0).to_numpy() > 0).any(axis=1)]


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


def _summary(q, sample, sl, roster, current, plan, sd, ehw) -> pd.DataFrame:
    per = q.groupby("agent_id").agg(
        basis=("basis", "sum"), quota=("quota", "sum"), quota_real_time=("real_time", "sum"),
        quota_post_call=("post_call", "sum"), adjustment=("adjustment", "first"),
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
        if col not in ("name", "team", "adjustment"):
            out[col] = out[col].astype(int)
    out["adjustment"] = out["adjustment"].replace(0, "").astype(str)
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
    out["expected_half_width"] = np.where(n >= 2, ehw(sd, np.maximum(n, 2)), np.nan).round(1)
    return out.reset_index()
