"""The getting-started notebook's steps: a raw export and its mapping to a sample and scores.

Each step says plainly what it could not do and why (no roster, no evaluations) instead of
failing, so a first look at a center's own export always ends with what to add next.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..data.load import load_center, load_export, load_table, present_tables, save_center
from ..errors import QAWError
from ..periods import parse_period
from ..sampling import sample_month
from ..sampling.plan import load_plan
from ..scoring.period import ScoreTables, score_period


@dataclass
class Readiness:
    """What a data folder allows: drawing a sample, scoring; and what is missing, in words."""

    sample: bool
    score: bool
    missing: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.missing:
            return "Everything needed to draw a sample and score is there."
        return "\n".join(self.missing)


def prepare(
    export_path: str = "",
    mapping: str = "",
    roster_path: str = "",
    evaluations_path: str = "",
    evaluations_mapping: str = "",
    data_dir: str | Path = "",
) -> tuple[Path, pd.DataFrame]:
    """Load a raw export (and a roster, evaluations) through their mappings into a data folder.

    Returns the folder and one row per table loaded: file, rows read, kept and rejected, notes.
    Without ``export_path`` the folder is ``data_dir`` as it is. The tables are written as
    Parquet into ``data_dir`` (a new temporary folder when empty); a table the folder already
    has is an error naming it (``qaw import --append`` adds to one).
    """
    if not export_path:
        if not data_dir:
            raise QAWError("give export_path (and its mapping), or data_dir: a data folder")
        return Path(data_dir), pd.DataFrame(
            columns=["table", "file", "rows_read", "rows_kept", "rejected", "notes"]
        )
    if not mapping:
        raise QAWError(
            f"{export_path}: give its mapping (a name from `qaw templates list`, or a YAML path)"
        )
    if evaluations_path and not evaluations_mapping:
        raise QAWError(
            f"{evaluations_path}: give evaluations_mapping (qa_sheet_cn, qa_tool_en or a YAML path)"
        )
    loaded = dict(load_export(export_path, mapping))
    if evaluations_path:
        loaded.update(load_export(evaluations_path, evaluations_mapping))
    if roster_path:
        loaded["agents"] = load_table(roster_path, "agents")
    folder = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="qaw-first-steps-"))
    folder.mkdir(parents=True, exist_ok=True)
    there = present_tables(folder)
    clash = sorted(set(loaded) & set(there))
    if clash:
        raise QAWError(
            f"{folder} already has {', '.join(clash)}: use another data_dir, or qaw import --append"
        )
    save_center({name: frame for name, (frame, _) in loaded.items()}, folder)
    rows = [
        {"table": name, "file": rep.file, "rows_read": rep.rows_read, "rows_kept": rep.rows_kept,
         "rejected": rep.rejected, "notes": "; ".join(rep.notes)}
        for name, (_, rep) in loaded.items()
    ]  # fmt: skip
    return folder, pd.DataFrame(rows)


def readiness(folder: str | Path) -> Readiness:
    """Whether the folder's tables allow a sample and scores; what is missing, one line each."""
    have = set(present_tables(folder))
    missing = []
    if "contacts" not in have:
        missing.append("No contacts: the sample is drawn from the call-detail (or chat) export. "
                       "Give export_path with a contacts mapping such as hotline_cn_contacts.")  # fmt: skip
    if "agents" not in have:
        missing.append("No roster: sampling and scoring need every agent's team. Give roster_path: "
                       "a CSV with agent_id, name, team, hire_date (docs/samples/roster.csv).")  # fmt: skip
    if not {"evaluations", "evaluation_items"} <= have:
        missing.append("No evaluations: nothing to score yet. Give evaluations_path and "
                       "evaluations_mapping (qa_sheet_cn, qa_tool_en) once the sample is evaluated.")  # fmt: skip
    can_sample = {"contacts", "agents"} <= have
    return Readiness(sample=can_sample, score=can_sample and "evaluations" in have, missing=missing)


def draw_sample(folder: str | Path, month: str, seed: int, plan: str = "hotline") -> pd.DataFrame:
    """The month's sample by ``plan``: one row per contact to evaluate, with its reasons.

    Empty when the folder does not allow a sample (``readiness`` says why).
    """
    if not readiness(folder).sample:
        return pd.DataFrame(columns=["contact_id", "agent_id", "reasons", "details"])
    s = sample_month(folder, month, load_plan(plan), seed)
    cols = ["contact_id", "agent_id", "name", "team", "start_time", "talk_s", "reasons", "details"]
    return s.contacts[[c for c in cols if c in s.contacts.columns]].reset_index(drop=True)


def sample_counts(sample: pd.DataFrame) -> pd.DataFrame:
    """Contacts per reason code (a contact picked by several rules counts under each)."""
    reasons = sample["reasons"].astype("string").str.split(";").explode().str.strip()
    return reasons.value_counts().rename_axis("reason").reset_index(name="contacts")


def scores(folder: str | Path, month: str) -> ScoreTables | None:
    """The month's score tables (points out of 100, 95% intervals); None when nothing to score."""
    if not readiness(folder).score:
        return None

    return score_period(load_center(folder), parse_period(month))


def service_level(folder: str | Path, month: str) -> pd.DataFrame:
    """Inbound service level (share answered within 20 s) per half hour of the day and channel.

    Columns: ``time`` (hour of the day, 9.5 = 09:30), ``channel``, ``offered``,
    ``answered_in_time``, ``service_level`` (0–1). Empty without a contacts table.
    """
    from ..data import engine

    cols = ["time", "channel", "offered", "answered_in_time", "service_level"]
    if "contacts" not in present_tables(folder):
        return pd.DataFrame(columns=cols)
    p = parse_period(month)
    con = engine.connect(folder)
    sl = engine.service_level_by_interval(con, p.start.to_pydatetime(), p.end.to_pydatetime())
    sl["time"] = sl["interval_start"].dt.hour + sl["interval_start"].dt.minute / 60
    by_time = sl.groupby(["time", "channel"], as_index=False)[["offered", "answered_in_time"]].sum()
    by_time["service_level"] = by_time["answered_in_time"] / by_time["offered"]
    return by_time[cols]
