"""The demo's QA team works from its own sample: each month the real sampler draws the plan
from the month's contacts (before any of the month's evaluations exist), and the team
evaluates what it was allocated, as a working team does: most on time, some late, a few
missed, and the last days' work still open when the center's data ends.

Used by ``qaw demo`` (a folder: the sampler reads the month from the folder being built).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .data.save import save_partition
from .demo import Sampler

MISSED = 0.04  # share of planned evaluations never done (overdue at the center's end)
LATE = 0.08  # share done after their due day, 1-4 days late
LIVE_MODES = ("real_time", "side_by_side")


def folder_sampler(
    folder: str | Path,
    evaluators: pd.DataFrame,
    plan_name: str = "hotline",
    samples_dir: str | Path | None = None,
    schemas: dict | None = None,
) -> Sampler:
    """A sampler for ``demo.build_months``: writes the month's contacts and complaints into
    ``folder`` (the center being built; earlier months are already there), draws the month's
    sample with plan ``plan_name`` and the seed ``qaw sample`` uses (YYYYMM), allocates it to
    ``evaluators``, and, with ``samples_dir``, keeps it as ``qaw sample`` does
    (``<samples_dir>/<month>/sample.csv`` and ``summary.csv``)."""
    from .reporting.publish import write_csv
    from .sampling import sample_month
    from .sampling.allocation import allocate_sample
    from .sampling.plan import load_plan

    plan = load_plan(plan_name)

    def run(month: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        save_partition(tables, folder, month, schemas)
        s = sample_month(folder, month, plan, int(month.replace("-", "")))
        planned = allocate_sample(s, evaluators, plan)
        if samples_dir is not None:
            out = Path(samples_dir) / month
            out.mkdir(parents=True, exist_ok=True)
            write_csv(planned, out / "sample.csv")
            write_csv(s.summary, out / "summary.csv")
        return planned

    return run


def evaluations_of_sample(
    rng: np.random.Generator, planned: pd.DataFrame, answered: pd.DataFrame, end: pd.Timestamp
) -> pd.DataFrame:
    """The evaluations the team did of its ``planned`` sample (``allocate_sample``'s rows):
    one per planned contact and per live slot (a call of the agent that day, listened to as
    it happened), by the allocated evaluator. Each is done on time (by the end of its due day)
    with chance 1 - ``LATE`` - ``MISSED``, 1-4 days late with chance ``LATE``, never with
    ``MISSED``; none done at or after ``end`` (the center's last data) exists yet. Columns as
    ``demo._random_picks``."""
    cols = ["contact_id", "agent_id", "channel", "start_time", "end_time"]
    is_contact = planned["contact_id"].fillna("").astype(str) != ""
    contacts = planned[is_contact][["contact_id", "evaluator_id", "mode", "reasons", "due"]]
    ev = contacts.merge(answered[cols], on="contact_id", how="inner", validate="one_to_one")
    slots = planned[~is_contact]
    if len(slots):
        ev = pd.concat([ev, _slot_calls(rng, slots, answered, set(ev["contact_id"]))])
    ev = ev.sort_values(["end_time", "contact_id"], kind="stable", ignore_index=True)
    n = len(ev)
    fate = rng.random(n)
    live = ev["mode"].isin(LIVE_MODES).to_numpy()
    due_end = pd.to_datetime(ev["due"]) + pd.Timedelta(hours=18)  # the due day's working end
    room = (due_end - ev["end_time"]).dt.total_seconds().clip(lower=600).to_numpy()
    delay = np.where(live, rng.uniform(0, 300, n), rng.uniform(0.05, 1.0, n) * room)
    late = (fate >= MISSED) & (fate < MISSED + LATE) & ~live
    at = ev["end_time"] + pd.to_timedelta(delay, unit="s")
    days_late = pd.to_timedelta(rng.integers(1, 5, n), unit="D")
    at = at.where(~late, due_end + days_late)
    ev["evaluated_at"] = at.dt.floor("s")
    keep = ((fate >= MISSED) | live) & (ev["evaluated_at"] < end).to_numpy()
    ev = ev[keep].copy()
    ev["sample_reason"] = ev["reasons"].astype(str).str.split(";").str[0]
    return ev.drop(columns=["reasons", "due"]).reset_index(drop=True)


def _slot_calls(
    rng: np.random.Generator, slots: pd.DataFrame, answered: pd.DataFrame, taken: set[str]
) -> pd.DataFrame:
    """For each live-listening slot (agent, day) one of the agent's answered voice calls that
    day not already planned, at random; a slot whose agent took no such call is not done."""
    voice = answered[(answered["channel"] == "voice").to_numpy()]
    voice = voice[~voice["contact_id"].isin(taken)]
    voice = voice.assign(day=voice["start_time"].dt.strftime("%Y-%m-%d"))
    voice = voice.assign(key=rng.random(len(voice))).sort_values("key", kind="stable")
    s = slots[["agent_id", "date", "evaluator_id", "mode", "reasons", "due"]].copy()
    s["day"] = pd.to_datetime(s["date"]).dt.strftime("%Y-%m-%d")
    s["k"] = s.groupby(["agent_id", "day"]).cumcount()
    voice["k"] = voice.groupby(["agent_id", "day"]).cumcount()
    cols = ["contact_id", "agent_id", "channel", "start_time", "end_time", "day", "k"]
    out = s.merge(voice[cols], on=["agent_id", "day", "k"], how="inner")
    return out.drop(columns=["date", "day", "k"])
