"""The month's sample from a data folder: read what the rules need, mark the candidates on
the month's arrays, draw (I/O here; the rules and the draw are pure)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from ..autoqa.run import first_violations
from ..config import engine_setting
from ..data import engine
from ..data.load import load_center
from ..errors import QAWError
from ..periods import parse_period
from ..scoring.history import HISTORY_TABLES, agent_history, history_before, pooled_history_sd
from . import counts
from .draw import Sample, candidates, draw
from .plan import SamplingPlan
from .quotas import adjust_quotas, base_quotas
from .rules import fit_plan
from .rules.autoqa import FINDING_COLUMNS
from .rules.complaints import counted
from .rules.neighbours import faulty_evaluations
from .rules.repeats import repeat_rows
from .scan import flagged, scan_month

CHECKED = ("evaluations", "complaints")  # what the rules check contacts against


def sample_month(
    source: str | Path,
    month: str,
    plan: SamplingPlan,
    seed: int,
    *,
    with_neighbours: bool = False,
    engine_name: str | None = None,
    master: str | None = None,
) -> Sample:
    """Draw a month's sample from a data folder.

    DuckDB reads the month once into arrays (``scan.scan_month``: codes, keys
    and flags; the text columns stay in Arrow), each rule marks the candidates
    it could take there (``draw.candidates``) with the month's counts, and only
    those rows become a DataFrame for ``draw``. The roster and QA tables are
    loaded and validated; the adaptive rule's history of closed months comes
    from the data folder's cache when the QA tables have not changed since it
    was scored (``history_before``). ``with_neighbours`` scores this month's
    evaluations too, so the faulty ones' neighbours are sampled. A rule whose data
    the month lacks (an optional table or column) is switched off; ``Sample.notes``
    says so, one line each, and says what was converted for the engine.

    On Spark (``engine_name``, or the ``QAW_ENGINE`` setting) last month's counts run
    there; the month's scan stays on DuckDB on this machine, because the draw's random keys
    are DuckDB's hash of the contact id (the same seed, the same sample on either engine).
    """
    p = parse_period(month)
    if p.kind != "month":
        raise ValueError(f"sampling plans are monthly; got {month!r}")
    notes: list[str] = []
    con = engine.connect(source, notes, tables=("contacts",))
    which, master = engine_setting(engine_name, master)
    counter = con.cursor()
    if which == "spark":
        counter = engine.open_engine(source, ("contacts",), engine="spark", master=master)
        notes.append(f"last month's counts ran on Spark ({master}); the month's scan on DuckDB")
    start, end = p.start.to_pydatetime(), p.end.to_pydatetime()
    lookback = pd.Timedelta(
        hours=plan.repeat_contacts.within_hours if plan.repeat_contacts.enabled else 0
    )
    # The roster first (it codes the agents); then DuckDB scans the month and counts last
    # month on the second core while pandas loads the QA tables and auto-QA's findings.
    roster = load_center(source, tables=("agents",)).agents
    pool = ThreadPoolExecutor(2)  # (shut down in ``finally``, after the repeat callers)
    try:
        scanning = pool.submit(
            scan_month, con.cursor(), start, end, lookback=lookback, agents=roster["agent_id"],
            seed=seed,
        )  # fmt: skip
        counting = pool.submit(
            engine.handled_per_agent,
            counter,
            (p.start - pd.DateOffset(months=1)).to_pydatetime(),
            start,
        )
        small = load_center(
            source,
            tables=("agents", *HISTORY_TABLES) if with_neighbours else ("agents", *CHECKED),
        )
        evaluated = small.evaluations["contact_id"]
        findings = None
        if plan.autoqa.enabled:
            findings = first_violations(source, p, FINDING_COLUMNS, plan.autoqa.rules)
            if findings is None:
                notes.append(f"no auto-QA results for {month}: contacts auto-QA flags are not "
                             f"sampled (run qaw autoqa --month {month} first)")  # fmt: skip
        previous = counting.result()
        month_rows = scanning.result()
        repeats = None  # repeat callers on the second core (numpy sorts), from the scan on
        if plan.repeat_contacts.enabled:
            repeats = pool.submit(repeat_rows, month_rows, plan.repeat_contacts.within_hours)
        m = flagged(
            month_rows, con, seed, evaluated=evaluated,
            complained=counted(small.complaints, plan)["contact_id"],
            autoqa=None if findings is None else findings["contact_id"],
        )  # fmt: skip
        if not m.in_month.any():
            raise QAWError(f"{source}: no contacts in {month} (the contacts table has none)")
        notes += small.limits() + m.limits()
        plan = fit_plan(plan, m)
        current = counts.handled_per_agent(m)
        faulty = None
        if with_neighbours:  # this month's evaluations too: the faulty ones have neighbours
            history, scored = agent_history(small, until=p.end)
            faulty = faulty_evaluations(scored, p.start, plan)
        else:
            history = history_before(source, p.start)
        sd, dof = pooled_history_sd(history)
        sd = sd if dof > 10 else plan.score_sd
        history = history[history["month"] < month]

        q = adjust_quotas(
            base_quotas(roster["agent_id"], previous, current, plan), history, month, plan
        )
        r = plan.long_contacts
        sl = counts.service_level(
            m, r.interval_min, r.answer_within_s, r.abandoned_before_threshold
        )
        worked = counts.worked(m, plan)
        contacts, handed = candidates(
            m, q, plan, service_level=sl, roster=roster, month_start=p.start, faulty=faulty,
            repeats=repeats if plan.repeat_contacts.enabled else None,  # (fit_plan may drop it)
        )  # fmt: skip
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    sample = draw(
        month, contacts, roster, previous, plan, seed,
        service_level=sl, complaints=small.complaints, evaluated=evaluated, history=history,
        faulty=faulty, score_sd=sd, current_handled=current, worked=worked, autoqa=findings,
        **handed,
    )  # fmt: skip
    sample.notes = notes
    return sample
