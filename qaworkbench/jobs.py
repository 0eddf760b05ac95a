"""Jobs with I/O at the edges: read what a computation needs, run it, return tables.

The CLI and the report notebooks call these; the computations they wrap are
pure (sampling, scoring, statistics).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from . import engine, monthscan, penalties, sampling, scoring
from .allocation import allocate
from .load import find_table_file, load_center
from .parse import isin
from .periods import parse_period
from .plan import SamplingPlan
from .problems import QAWError
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

    DuckDB reads the month once into arrays (``monthscan.scan_month``: codes,
    keys and flags; the text columns stay in Arrow), the candidates any rule
    could take are chosen there (each agent's spread base picks, the short,
    long, complaint, repeat and new-hire contacts) with the month's counts, and
    only those rows become a DataFrame for the rules.
    The roster and QA tables are loaded and validated; the adaptive rule's
    history of closed months comes from the data folder's cache when the QA
    tables have not changed since it was scored (``history_before``).
    """
    p = parse_period(month)
    if p.kind != "month":
        raise ValueError(f"sampling plans are monthly; got {month!r}")
    con = engine.connect(source)
    start, end = p.start.to_pydatetime(), p.end.to_pydatetime()
    with ThreadPoolExecutor(1) as pool:  # DuckDB counts last month while pandas loads tables
        counting = pool.submit(
            engine.handled_per_agent,
            con.cursor(),
            (p.start - pd.DateOffset(months=1)).to_pydatetime(),
            start,
        )
        small = load_center(
            source,
            tables=("agents", *HISTORY_TABLES) if with_neighbours else ("agents", *CHECKED),
        )
        previous = counting.result()
    lookback = pd.Timedelta(
        hours=plan.repeat_contacts.within_hours if plan.repeat_contacts.enabled else 0
    )
    roster = small.agents
    evaluated = small.evaluations["contact_id"]
    kept = small.complaints[
        small.complaints["upheld"].fillna(plan.complaints.include_open).astype(bool)
    ]
    m = monthscan.scan_month(
        con, start, end, lookback=lookback, agents=roster["agent_id"], seed=seed,
        evaluated=evaluated, complained=kept["contact_id"],
    )  # fmt: skip
    if not m.in_month.any():
        raise QAWError(f"{source}: no contacts in {month} (the contacts table has none)")
    repeats = None
    with ThreadPoolExecutor(1) as pool:  # repeat callers on the second core (numpy sorts)
        if plan.repeat_contacts.enabled:
            repeats = pool.submit(monthscan.repeat_rows, m, plan.repeat_contacts.within_hours)
        current = monthscan.handled_per_agent(m)
        if with_neighbours:  # this month's evaluations too: the faulty ones have neighbours
            history, scored = agent_history(small, until=p.end)
            regular = scored[scored["mode"] != "calibration"]
        else:
            history = history_before(source, p.start)
        sd, dof = pooled_history_sd(history)
        sd = sd if dof > 10 else plan.score_sd
        history = history[history["month"] < month]

        q = sampling.adjust_quotas(
            sampling.base_quotas(roster["agent_id"], previous, current, plan), history, month, plan
        )
        r = plan.long_contacts
        sl = monthscan.service_level(m, r.interval_min, r.answer_within_s)
        hires = None
        if plan.new_hires.enabled:
            first_days = pd.Timedelta(days=plan.new_hires.first_days)
            hires = roster.loc[
                roster["hire_date"] + first_days > p.start, ["agent_id", "hire_date"]
            ]
        faulty = faulty_agents = None
        if with_neighbours:
            in_month = regular[
                regular["evaluated_at"] >= p.start - pd.Timedelta(days=plan.deadline_days + 1)
            ]
            bad = in_month[
                (in_month["score"] < plan.neighbours.faulty_below) | in_month["critical_failed"]
            ]
            faulty, faulty_agents = bad[["contact_id", "score"]], bad["agent_id"]
        worked = monthscan.worked(m, plan)
        candidates, repeats = monthscan.candidates(
            m, q, plan, service_level=sl, hires=hires, faulty_agents=faulty_agents, repeats=repeats
        )
    return draw(
        month, candidates, roster, previous, plan, seed,
        service_level=sl, complaints=small.complaints, repeats=repeats,
        evaluated=evaluated, history=history, faulty=faulty, score_sd=sd,
        current_handled=current, worked=worked,
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
