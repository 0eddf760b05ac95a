"""Jobs with I/O at the edges: read what a computation needs, run it, return tables.

The CLI and the report notebooks call these; the computations they wrap are
pure (sampling, scoring, statistics).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import engine, penalties, scoring
from .allocation import allocate
from .load import load_center
from .periods import parse_period
from .plan import SamplingPlan
from .sampling import Sample, draw
from .stats import pooled_sd

SMALL_TABLES = ("agents", "evaluators", "evaluations", "evaluation_items", "complaints", "appeals")


def agent_history(center_small, code: str = "cloud_service") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per agent and month: full_marks and mean_score; and every scored evaluation."""
    scored, _ = scoring.score_evaluations(
        center_small.evaluations, center_small.evaluation_items, center_small.appeals
    )
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
    """Draw a month's sample from a data folder: heavy scans through DuckDB, small tables validated."""
    p = parse_period(month)
    if p.kind != "month":
        raise ValueError(f"sampling plans are monthly; got {month!r}")
    small = load_center(source, tables=SMALL_TABLES)  # validated; contacts go through the engine
    con = engine.connect(source)
    prev_start = p.start - pd.DateOffset(months=1)
    previous = engine.handled_per_agent(con, prev_start.to_pydatetime(), p.start.to_pydatetime())
    contacts = engine.month_contacts(con, p.start.to_pydatetime(), p.end.to_pydatetime())
    r = plan.long_contacts
    sl = engine.service_level_by_interval(
        con,
        p.start.to_pydatetime(),
        p.end.to_pydatetime(),
        interval_min=r.interval_min,
        answer_within_s=r.answer_within_s,
    )
    repeats = (
        engine.repeat_contacts(
            con, p.start.to_pydatetime(), p.end.to_pydatetime(), plan.repeat_contacts.within_hours
        )
        if plan.repeat_contacts.enabled
        else None
    )
    history, scored = agent_history(small)
    history = history[history["month"] < month]
    regular = scored[scored["mode"] != "calibration"]
    sd = pooled_sd(regular)[0] if len(regular) > 10 else plan.score_sd
    faulty = None
    if with_neighbours:
        in_month = regular[regular["contact_id"].isin(contacts["contact_id"])]
        bad = in_month[
            (in_month["score"] < plan.neighbours.faulty_below) | in_month["critical_failed"]
        ]
        faulty = bad[["contact_id", "score"]]
    return draw(
        month, contacts, small.agents, previous, plan, seed,
        service_level=sl, complaints=small.complaints, repeats=repeats,
        evaluated=set(small.evaluations["contact_id"]), history=history, faulty=faulty, score_sd=sd,
    )  # fmt: skip


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
