"""Jobs with I/O at the edges: read what a computation needs, run it, return tables.

The CLI and the report notebooks call these; the computations they wrap are
pure (sampling, scoring, statistics).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import engine, penalties, sampling, scoring
from .allocation import allocate
from .load import load_center
from .periods import parse_period
from .plan import SamplingPlan
from .sampling import Sample, draw
from .stats import pooled_sd

SMALL_TABLES = ("agents", "evaluators", "evaluations", "evaluation_items", "complaints", "appeals")


def agent_history(
    center_small, code: str = "cloud_service", until: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per agent and month: full_marks and mean_score; and the scored evaluations (before ``until``)."""
    ev = center_small.evaluations
    items = center_small.evaluation_items
    if until is not None:
        ev = ev[ev["evaluated_at"] < until]
        items = items[items["evaluation_id"].isin(ev["evaluation_id"])]
    scored, _ = scoring.score_evaluations(ev, items, center_small.appeals)
    regular = scored[scored["mode"] != "calibration"]
    if regular.empty:
        return pd.DataFrame(columns=["agent_id", "month", "full_marks", "mean_score"]), scored
    pen = penalties.load_penalty_code(code)
    cases = penalties.most_severe(
        penalties.penalty_events(
            pen, center_small.complaints, scored, center_small.evaluation_items
        ),
        pen,
    )
    months = sorted(regular["evaluated_at"].dt.strftime("%Y-%m").unique())
    frames = []
    for m in months:
        st = penalties.agent_status(cases, scored, pen, m)
        mean = (
            regular[regular["evaluated_at"].dt.strftime("%Y-%m") == m]
            .groupby("agent_id")["score"]
            .mean()
        )
        frames.append(
            st.assign(full_marks=st["status"] == "full_marks", mean_score=st["agent_id"].map(mean))[
                ["agent_id", "month", "full_marks", "mean_score"]
            ]
        )
    return pd.concat(frames, ignore_index=True), scored


def sample_month(
    source: str | Path, month: str, plan: SamplingPlan, seed: int, *, with_neighbours: bool = False
) -> Sample:
    """Draw a month's sample from a data folder.

    The month is never loaded whole: DuckDB picks the candidates any rule
    could take (per agent a uniform random pool of 4x the base quota, ranked
    by a seeded hash; the short, long, complaint, repeat and new-hire
    contacts) and the month's counts; the rules then run on those rows.
    The roster and QA tables are loaded and validated.
    """
    p = parse_period(month)
    if p.kind != "month":
        raise ValueError(f"sampling plans are monthly; got {month!r}")
    small = load_center(source, tables=SMALL_TABLES)
    con = engine.connect(source)
    start, end = p.start.to_pydatetime(), p.end.to_pydatetime()
    previous = engine.handled_per_agent(
        con, (p.start - pd.DateOffset(months=1)).to_pydatetime(), start
    )
    lookback = pd.Timedelta(
        hours=plan.repeat_contacts.within_hours if plan.repeat_contacts.enabled else 0
    )
    cols = (*engine.SAMPLING_COLUMNS, "queue_wait_s")
    month_t = engine.stage(con, "_month", (p.start - lookback).to_pydatetime(), end, cols)
    current = engine.handled_per_agent(con, start, end, month_t)
    history, scored = agent_history(small, until=p.end if with_neighbours else p.start)
    history = history[history["month"] < month]
    regular = scored[scored["mode"] != "calibration"]
    sd = pooled_sd(regular)[0] if len(regular) > 10 else plan.score_sd

    roster = small.agents
    q = sampling.adjust_quotas(
        sampling.base_quotas(roster["agent_id"], previous, current, plan), history, month, plan
    )
    evaluated = pd.DataFrame({"contact_id": small.evaluations["contact_id"].unique()})
    con.register("_evaluated", evaluated)
    parts = []
    for k, rule in enumerate(plan.quotas):
        want = q[q["quota_rule"] == k].assign(k=lambda d: 4 * d["post_call"])
        where = "c.answered AND c.talk_s >= ? AND c.contact_id NOT IN (SELECT contact_id FROM _evaluated)"
        params: list = [plan.exclusions.min_talk_s]
        for col in ("channel", "direction"):
            if getattr(rule, col):
                where += f" AND c.{col} = ?"
                params.append(getattr(rule, col))
        pool = engine.top_per_agent(
            con,
            start,
            end,
            want[want["k"] > 0],
            seed + k,
            where,
            params,
            engine.RULE_COLUMNS,
            month_t,
        )
        parts.append(pool.assign(**{f"_pool_{k}": True}))
    r = plan.long_contacts
    sl = engine.service_level_by_interval(
        con,
        start,
        end,
        interval_min=r.interval_min,
        answer_within_s=r.answer_within_s,
        table=month_t,
    )
    cols = engine.RULE_COLUMNS

    def capped(reason: str, rule, where: str, params: list) -> None:
        """The engine picks the rule's share/cap among all flagged; the rule re-checks them."""
        where = f"({where}) AND t.contact_id NOT IN (SELECT contact_id FROM _evaluated)"
        got = engine.capped_per_agent(
            con,
            start,
            end,
            where,
            params,
            rule.share,
            rule.max_per_agent,
            f"{seed}:{reason}",
            cols,
            month_t,
        )
        parts.append(got.rename(columns={"_n": f"_n_{reason}"}).assign(**{f"_sel_{reason}": True}))

    if plan.short_contacts.enabled:
        capped(
            "short",
            plan.short_contacts,
            "t.answered AND t.talk_s < ?",
            [plan.short_contacts.max_talk_s],
        )
    if r.enabled:
        cond = "t.answered AND t.talk_s > ?"
        if r.only_missed_intervals:
            con.register(
                "_missed", sl.loc[sl["service_level"] < r.target, ["interval_start", "channel"]]
            )
            w = r.interval_min * 60
            cond += (
                f" AND (to_timestamp(floor(epoch(t.start_time) / {w}) * {w})::TIMESTAMP, t.channel)"
                " IN (SELECT (interval_start, channel) FROM _missed)"
            )
        capped("long_missed_sl" if r.only_missed_intervals else "long", r, cond, [r.min_talk_s])
    if plan.complaints.enabled and len(small.complaints):
        kept = small.complaints[
            small.complaints["upheld"].fillna(plan.complaints.include_open).astype(bool)
        ]
        con.register("_complained", kept[["contact_id"]])
        capped(
            "complaint", plan.complaints, "t.contact_id IN (SELECT contact_id FROM _complained)", []
        )
    repeats = None
    if plan.repeat_contacts.enabled:
        repeats = engine.repeat_contacts(
            con, start, end, plan.repeat_contacts.within_hours, month_t
        )
        con.register("_repeats", repeats[["contact_id"]])
        capped(
            "repeat", plan.repeat_contacts, "t.contact_id IN (SELECT contact_id FROM _repeats)", []
        )
    if plan.new_hires.enabled:
        first_days = pd.Timedelta(days=plan.new_hires.first_days)
        con.register(
            "_hires",
            roster.loc[roster["hire_date"] + first_days > p.start, ["agent_id", "hire_date"]],
        )
        where = (
            f"t.contact_id IN (SELECT c.contact_id FROM {month_t} c JOIN _hires h USING (agent_id) "
            f"WHERE c.start_time >= h.hire_date AND c.start_time < h.hire_date + INTERVAL {first_days.days} DAY)"
        )  # uncorrelated: a hash join, not a lookup per row
        parts.append(engine.contacts_where(con, start, end, where, [], cols, month_t))
    faulty = None
    if with_neighbours:
        in_month = regular[
            regular["evaluated_at"] >= p.start - pd.Timedelta(days=plan.deadline_days + 1)
        ]
        bad = in_month[
            (in_month["score"] < plan.neighbours.faulty_below) | in_month["critical_failed"]
        ]
        faulty = bad[["contact_id", "score"]]
        con.register("_faulty_agents", bad[["agent_id"]].drop_duplicates())
        where = "t.agent_id IN (SELECT agent_id FROM _faulty_agents)"
        parts.append(engine.contacts_where(con, start, end, where, [], cols, month_t))
    candidates = _merge_candidates(parts)
    worked = engine.handled_by_day_and_shift(con, start, end, plan.shifts, month_t)
    s = draw(
        month, candidates, roster, previous, plan, seed,
        service_level=sl, complaints=small.complaints, repeats=repeats,
        evaluated=set(evaluated["contact_id"]), history=history, faulty=faulty, score_sd=sd,
        current_handled=current, worked=worked,
    )  # fmt: skip
    extra = engine.contact_columns(
        con, s.contacts["contact_id"], ("customer_id", "recording_ref"), month_t
    )
    s.contacts = s.contacts.merge(extra, on="contact_id", how="left")[_ORDER]
    return s


def _merge_candidates(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per contact, keeping every rule's marks (``_pool_k``, ``_sel_*``, ``_n_*``)."""
    both = pd.concat(parts, ignore_index=True)
    marks = [c for c in both.columns if c.startswith(("_pool_", "_sel_", "_n_"))]
    data = both.drop(columns=marks).drop_duplicates("contact_id", keep="first")
    if not marks:
        return data
    flags = both[["contact_id", *marks]].copy()
    for m in marks:  # numeric, so the group-by runs in C
        flags[m] = flags[m].fillna(0).astype(float)
    flags = flags.groupby("contact_id", sort=False).max()
    return data.join(flags, on="contact_id")


_ORDER = ["contact_id", "agent_id", "name", "team", "start_time", "channel", "direction", "talk_s",
          "customer_id", "recording_ref", "reasons", "details", "mode", "due", "plan", "seed", "month"]  # fmt: skip


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
    return allocate(both, evaluators, plan, sample.seed)
