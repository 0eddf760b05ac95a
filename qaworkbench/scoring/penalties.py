"""Penalties and monthly agent status (qa-practice.md section 5).

Penalty events come from upheld complaints, failed bottom-line scorecard
items and events recorded elsewhere (the ``penalty_events`` table: a
financial-loss register, bottom-line findings made by hand). One
case counts only its most severe rule. Monthly status: any bottom-line case
→ frozen; otherwise ≥ the demotion threshold in the month → demoted; every
evaluation at full marks and no penalty → full marks (exemption candidate).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..config import TEMPLATES_DIR
from ..errors import QAWError
from ..yamlconf import load_model

PENALTIES_DIR = TEMPLATES_DIR / "penalties"


class Trigger(BaseModel):
    """What makes a rule apply: an upheld complaint category, a critical item, or an event."""

    model_config = ConfigDict(extra="forbid")

    complaint: str | None = None
    critical_item: bool | None = None
    event: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Trigger:
        if sum(x is not None for x in (self.complaint, self.critical_item, self.event)) != 1:
            raise ValueError("a trigger names exactly one of complaint, critical_item, event")
        return self


class Rule(BaseModel):
    """One penalty rule and its points."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    name_en: str
    points: float = Field(gt=0, description="points")
    trigger: Trigger


class PenaltyCode(BaseModel):
    """A versioned penalty code."""

    model_config = ConfigDict(extra="forbid")

    id: str
    version: str
    name: str
    name_en: str
    bottom_line_case_points: float = Field(gt=0)
    monthly_demotion_points: float = Field(gt=0)
    rules: list[Rule] = Field(min_length=1)


def load_penalty_code(path: str | Path = "cloud_service") -> PenaltyCode:
    """Read and validate a penalty code; a bare name is looked up in templates/penalties/."""
    p = Path(path)
    if not p.exists() and not p.suffix:
        p = PENALTIES_DIR / f"{p.name}.yaml"
    return load_model(p, PenaltyCode)


EVENT_COLUMNS = ["case_id", "agent_id", "at", "rule_id", "points", "source", "evidence"]


def penalty_events(
    code: PenaltyCode,
    complaints: pd.DataFrame | None = None,
    scored: pd.DataFrame | None = None,
    items: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every rule break: one row per (case, rule), before the most-severe principle.

    ``scored`` is score_evaluations' output (for critical failures after
    appeals); ``events`` is the ``penalty_events`` table (a kind the code has no rule
    for is an error that names the event). An event on a contact is one case with
    that contact's complaints and evaluations; one without a contact is a case of its own.
    """
    if events is not None and not events.empty:
        _known_kinds(events, code)
    rows = []
    for rule in code.rules:
        t = rule.trigger
        if t.complaint and complaints is not None and not complaints.empty:
            c = complaints[
                (complaints["category"] == t.complaint)
                & complaints["upheld"].fillna(False).astype(bool)
            ]
            rows.append(pd.DataFrame({
                "case_id": c["contact_id"], "agent_id": c["agent_id"], "at": c["received_at"],
                "rule_id": rule.id, "points": rule.points, "source": "complaint",
                "evidence": "complaint " + c["complaint_id"].astype(str),
            }))  # fmt: skip
        if t.critical_item and scored is not None and not scored.empty:
            e = scored[scored["critical_failed"].astype(bool) & (scored["mode"] != "calibration")]
            which = _critical_items(items, e["evaluation_id"]) if items is not None else None
            ev_text = "evaluation " + e["evaluation_id"].astype(str)
            if which is not None:
                ev_text = ev_text + " item " + e["evaluation_id"].map(which).fillna("?")
            rows.append(pd.DataFrame({
                "case_id": e["contact_id"], "agent_id": e["agent_id"], "at": e["evaluated_at"],
                "rule_id": rule.id, "points": rule.points, "source": "evaluation", "evidence": ev_text,
            }))  # fmt: skip
        if t.event and events is not None and not events.empty:
            x = events[events["kind"] == t.event]
            amount = x["amount"].map(lambda a: "" if pd.isna(a) else f" {a:g}").astype(str)
            rows.append(pd.DataFrame({
                "case_id": x["contact_id"].fillna(x["event_id"]), "agent_id": x["agent_id"],
                "at": x["occurred_at"], "rule_id": rule.id, "points": rule.points, "source": "event",
                "evidence": "event " + x["event_id"].astype(str) + " " + x["kind"] + amount,
            }))  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    return out.astype({"points": "float64"})[EVENT_COLUMNS]


def _known_kinds(events: pd.DataFrame, code: PenaltyCode) -> None:
    kinds = {r.trigger.event for r in code.rules if r.trigger.event}
    unknown = events[~events["kind"].isin(kinds)]
    if len(unknown):
        first = unknown.iloc[0]
        raise QAWError(
            f"penalty_events: {len(unknown)} event(s) of a kind the penalty code {code.id!r} has "
            f"no rule for, e.g. event {first['event_id']!r}, column 'kind': expected one of "
            f"{', '.join(sorted(kinds))}, got {first['kind']!r}"
        )


def _critical_items(items: pd.DataFrame, evaluation_ids: pd.Series) -> pd.Series:
    crit = items[items["evaluation_id"].isin(evaluation_ids) & (items["result"] == "fail")]
    return crit.groupby("evaluation_id")["item_id"].agg(",".join)


def most_severe(events: pd.DataFrame, code: PenaltyCode) -> pd.DataFrame:
    """One row per case: its most severe rule only (no double counting), with what it outranked."""
    if events.empty:
        out = events.copy()
        out["bottom_line"] = pd.Series(dtype=bool)
        out["also_broken"] = pd.Series(dtype=str)
        return out
    ev = events.sort_values(
        ["case_id", "points", "at"], ascending=[True, False, True], kind="stable"
    )
    rest = ev[ev.groupby("case_id").cumcount().to_numpy() > 0]
    others = rest.groupby("case_id")["rule_id"].agg(",".join)
    top = ev.drop_duplicates("case_id", keep="first").copy()
    also = top["case_id"].map(others)  # float NaN where a case broke one rule only
    top["also_broken"] = pd.array([a if isinstance(a, str) else "" for a in also], dtype="str")
    top["bottom_line"] = top["points"] >= code.bottom_line_case_points
    return top.reset_index(drop=True)


def agent_status(
    cases: pd.DataFrame, scored: pd.DataFrame, code: PenaltyCode, month: str
) -> pd.DataFrame:
    """Monthly status per agent with its evidence: frozen, demoted, full_marks or normal.

    ``cases`` is most_severe's output; ``month`` is "YYYY-MM". Agents with
    evaluations or penalties in the month appear.
    """
    period = pd.Period(month, freq="M")
    c = cases[pd.to_datetime(cases["at"]).dt.to_period("M") == period] if not cases.empty else cases
    s = scored[
        (scored["mode"] != "calibration") & (scored["evaluated_at"].dt.to_period("M") == period)
    ]
    agents = sorted(set(c["agent_id"]) | set(s["agent_id"]))
    pts = c.groupby("agent_id")["points"].sum() if not c.empty else pd.Series(dtype=float)
    if c.empty:
        bl = ev_by = pd.Series(dtype=str)
    else:
        text = c["rule_id"] + " " + c["points"].map("{:g}".format) + " pts (" + c["evidence"] + ")"
        bl = text[c["bottom_line"].to_numpy(bool)].groupby(c["agent_id"]).agg("; ".join)
        ev_by = text.groupby(c["agent_id"]).agg("; ".join)
    n_eval = s.groupby("agent_id").size()
    perfect = s.groupby("agent_id")["score"].min() >= 100 - 1e-9
    out = pd.DataFrame({"agent_id": agents})
    out["month"] = month
    out["penalty_points"] = out["agent_id"].map(pts).fillna(0.0)
    out["evaluations"] = out["agent_id"].map(n_eval).fillna(0).astype(int)
    frozen = out["agent_id"].isin(bl.index)
    demoted = ~frozen & (out["penalty_points"] >= code.monthly_demotion_points)
    full = (
        ~frozen
        & ~demoted
        & (out["penalty_points"] == 0)
        & out["agent_id"].isin(perfect.index[perfect.to_numpy(dtype=bool)])
    )
    out["status"] = np.select(
        [frozen, demoted, full], ["frozen", "demoted", "full_marks"], "normal"
    )
    out["evidence"] = np.select(
        [frozen, demoted, full],
        [
            "bottom-line: " + _text(out["agent_id"], bl),
            f"≥ {code.monthly_demotion_points:g} points in the month: "
            + _text(out["agent_id"], ev_by),
            "every evaluation at full marks (" + out["evaluations"].astype(str) + "), no penalty",
        ],
        _text(out["agent_id"], ev_by),
    )
    return out


def _text(keys: pd.Series, lookup: pd.Series) -> pd.Series:
    """``lookup[key]`` for each key, "" where there is none."""
    return keys.map(lookup).fillna("").astype(object) if len(lookup) else keys.map(lambda k: "")
