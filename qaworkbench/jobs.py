"""Jobs with I/O at the edges: read what a computation needs, run it, return tables.

The CLI and the report notebooks call these; the computations they wrap are
pure (sampling, scoring, statistics).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import engine, penalties, sampling, scoring
from .allocation import allocate
from .load import find_table_file, load_center
from .parse import isin
from .periods import parse_period
from .plan import SamplingPlan
from .sampling import Sample, draw

HISTORY_TABLES = ("evaluations", "evaluation_items", "appeals", "complaints")
CHECKED = ("evaluations", "complaints")  # what the rules check contacts against
HISTORY_COLUMNS = ["agent_id", "month", "full_marks", "mean_score", "n", "ss"]


def agent_history(
    center_small, code: str = "cloud_service", until: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per agent and month: full_marks, mean_score (points), n evaluations and ss, the sum of
    squared deviations from the agent-month mean (points²); and the scored evaluations
    (before ``until``)."""
    ev = center_small.evaluations
    items = center_small.evaluation_items
    if until is not None:
        ev = ev[ev["evaluated_at"] < until]
        items = items[isin(items["evaluation_id"], ev["evaluation_id"])]
    scored, _ = scoring.score_evaluations(ev, items, center_small.appeals)
    regular = scored[scored["mode"] != "calibration"]
    if regular.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS), scored
    pen = penalties.load_penalty_code(code)
    cases = penalties.most_severe(
        penalties.penalty_events(
            pen, center_small.complaints, scored, center_small.evaluation_items
        ),
        pen,
    )
    month = regular["evaluated_at"].dt.strftime("%Y-%m")
    g = regular["score"].groupby([regular["agent_id"], month.rename("month")])
    spread = pd.DataFrame({"mean_score": g.mean(), "n": g.size(), "ss": g.var(ddof=0) * g.size()})
    frames = [penalties.agent_status(cases, scored, pen, m) for m in sorted(month.unique())]
    st = pd.concat(frames, ignore_index=True)
    out = st.assign(full_marks=st["status"] == "full_marks").join(spread, on=["agent_id", "month"])
    out["n"] = out["n"].fillna(0).astype(int)
    return out[HISTORY_COLUMNS], scored


def history_before(
    source: str | Path, until: pd.Timestamp, code: str = "cloud_service"
) -> pd.DataFrame:
    """``agent_history`` of the evaluations before ``until``, kept in the data folder's cache
    (keyed by the QA tables, the scorecards, the penalty code and ``until``): closed months
    are scored once, not at every sampling run."""
    from .cache import cached_frame, stamp
    from .config import SCORECARDS_DIR, TEMPLATES_DIR
    from .readers import is_url

    def build() -> pd.DataFrame:
        return agent_history(load_center(source, tables=HISTORY_TABLES), code, until)[0]

    if is_url(source):
        return build()
    folder = Path(source)
    files = [find_table_file(folder, n) or folder / n for n in HISTORY_TABLES]
    files += [SCORECARDS_DIR, TEMPLATES_DIR / "penalties", Path(code)]  # code: a name or a path
    return cached_frame(folder, "history", stamp(files, code, str(until)), build)


def pooled_history_sd(history: pd.DataFrame) -> tuple[float, int]:
    """The within-agent-month score SD (points) pooled over the history, and its degrees of
    freedom: the spread a monthly score's interval is built from."""
    dof = int((history["n"] - 1).clip(lower=0).sum())
    if dof == 0:
        return float("nan"), 0
    return float(np.sqrt(history["ss"].sum() / dof)), dof


def sample_month(
    source: str | Path, month: str, plan: SamplingPlan, seed: int, *, with_neighbours: bool = False
) -> Sample:
    """Draw a month's sample from a data folder.

    The month is never loaded whole: DuckDB picks the candidates any rule
    could take (per agent a uniform random pool of 4x the base quota, ranked
    by a seeded hash; the short, long, complaint, repeat and new-hire
    contacts) and the month's counts; the rules then run on those rows.
    The roster and QA tables are loaded and validated; the adaptive rule's
    history of closed months comes from the data folder's cache when the QA
    tables have not changed since it was scored (``history_before``).
    """
    p = parse_period(month)
    if p.kind != "month":
        raise ValueError(f"sampling plans are monthly; got {month!r}")
    small = load_center(
        source, tables=("agents", *HISTORY_TABLES) if with_neighbours else ("agents", *CHECKED)
    )
    con = engine.connect(source)
    start, end = p.start.to_pydatetime(), p.end.to_pydatetime()
    previous = engine.handled_per_agent(
        con, (p.start - pd.DateOffset(months=1)).to_pydatetime(), start
    )
    lookback = pd.Timedelta(
        hours=plan.repeat_contacts.within_hours if plan.repeat_contacts.enabled else 0
    )
    staged = (*engine.RULE_COLUMNS, "queue_wait_s", "customer_id", "recording_ref")
    evaluated = pd.DataFrame({"contact_id": small.evaluations["contact_id"].unique()})
    engine.keep_table(con, "_evaluated", evaluated)
    kept = small.complaints[
        small.complaints["upheld"].fillna(plan.complaints.include_open).astype(bool)
    ]
    engine.keep_table(con, "_complained", kept[["contact_id"]])
    marks = {"_done": "_evaluated", "_complained": "_complained"}
    month_t = engine.stage(
        con, "_month", (p.start - lookback).to_pydatetime(), end, staged, seed, marks
    )
    current = engine.handled_per_agent(con, start, end, month_t)
    if with_neighbours:  # this month's evaluations too: the faulty ones have neighbours
        history, scored = agent_history(small, until=p.end)
        regular = scored[scored["mode"] != "calibration"]
    else:
        history = history_before(source, p.start)
    sd, dof = pooled_history_sd(history)
    sd = sd if dof > 10 else plan.score_sd
    history = history[history["month"] < month]

    roster = small.agents
    q = sampling.adjust_quotas(
        sampling.base_quotas(roster["agent_id"], previous, current, plan), history, month, plan
    )
    not_evaluated = "NOT t._done" if plan.exclusions.already_evaluated else "TRUE"
    # the picks' own columns, and the staged row id that merges them (an int, not the id)
    cols = (*engine.RULE_COLUMNS, "customer_id", "recording_ref", "rowid")
    parts = []
    for k, rule in enumerate(plan.quotas):
        want = q[q["quota_rule"] == k].assign(k=lambda d: 4 * d["post_call"])
        where = f"t.answered AND t.talk_s >= ? AND {not_evaluated}"
        params: list = [plan.exclusions.min_talk_s]
        for col in ("channel", "direction"):
            if getattr(rule, col):
                where += f" AND t.{col} = ?"
                params.append(getattr(rule, col))
        pool = engine.smallest_per_agent(
            con, start, end, where, params, f"pool{k}", cols, month_t, want=want[want["k"] > 0]
        )
        parts.append(pool.drop(columns="_n").assign(**{f"_pool_{k}": True}))
    r = plan.long_contacts
    sl = engine.service_level_by_interval(
        con,
        start,
        end,
        interval_min=r.interval_min,
        answer_within_s=r.answer_within_s,
        table=month_t,
    )

    def capped(reason: str, rule, where: str, params: list) -> None:
        """The engine picks the rule's share/cap among all flagged; the rule re-checks them."""
        got = engine.smallest_per_agent(
            con, start, end, f"({where}) AND {not_evaluated}", params, reason, cols, month_t,
            share=rule.share, cap=rule.max_per_agent,
        )  # fmt: skip
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
            cond += " AND " + engine.in_interval("t.start_time", r.interval_min, "_missed")
        capped("long_missed_sl" if r.only_missed_intervals else "long", r, cond, [r.min_talk_s])
    if plan.complaints.enabled and len(small.complaints):
        capped("complaint", plan.complaints, "t._complained", [])
    if plan.repeat_contacts.enabled:
        engine.stage_repeat_contacts(
            con, "_repeats", start, end, plan.repeat_contacts.within_hours, month_t
        )
        capped("repeat", plan.repeat_contacts, "t.rowid IN (SELECT _r FROM _repeats)", [])
    if plan.new_hires.enabled:
        first_days = pd.Timedelta(days=plan.new_hires.first_days)
        hires = roster.loc[roster["hire_date"] + first_days > p.start, ["agent_id", "hire_date"]]
        parts.append(
            engine.first_days_contacts(
                con, start, end, hires, first_days.days, cols, month_t
            ).assign(_hire=True)
        )
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
    repeats = (
        engine.contact_columns(
            con, candidates["contact_id"], ("previous_contact_id", "hours_since"), "_repeats"
        )
        if plan.repeat_contacts.enabled
        else None
    )
    worked = engine.handled_by_day_and_shift(con, start, end, plan.shifts, month_t)
    s = draw(
        month, candidates, roster, previous, plan, seed,
        service_level=sl, complaints=small.complaints, repeats=repeats,
        evaluated=evaluated["contact_id"], history=history, faulty=faulty, score_sd=sd,
        current_handled=current, worked=worked,
    )  # fmt: skip
    return s


def _merge_candidates(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per staged contact (``rowid``), keeping every rule's marks (``_pool_k``,
    ``_sel_*``, ``_n_*``, ``_hire``)."""
    both = pd.concat(parts, ignore_index=True)
    marks = [c for c in both.columns if c.startswith(("_pool_", "_sel_", "_n_", "_hire"))]
    row = both["rowid"].to_numpy()
    data = both.drop(columns=marks)[~pd.Series(row).duplicated().to_numpy()]
    if not marks:
        return data
    flags = pd.DataFrame({m: both[m].fillna(0).to_numpy(dtype=float) for m in marks})
    flags = flags.groupby(row, sort=False).max()  # numeric on an int key: runs in C
    return data.join(flags, on="rowid")


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
