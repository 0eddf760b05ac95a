"""Penalties and monthly agent status (qa-practice.md section 5).

Penalty events come from upheld complaints, failed bottom-line scorecard
items and events recorded elsewhere (the ``penalty_events`` table: a
financial-loss register, bottom-line findings made by hand). One
case counts only its most severe rule. Status lasts:

- frozen: a bottom-line case, "针对服务底线性行为，绝不容忍，保持永久冻结" — until a lift is
  recorded (a ``penalty_events`` row of the code's ``lift_freeze_event`` kind);
- demoted: the month's points of the rules that count toward demotion reach the threshold,
  "月累计扣分在20分及以上…降为初入云门，有返岗机会可以重新报名" — until re-qualification is
  recorded (the ``requalify_event`` kind);
- full marks: every evaluation of the month at full marks and no penalty (exemption candidate).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import QAWError
from ..workspace import load_template


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
    counts_toward_demotion: bool = Field(
        True, description="its points add to the month's total that demotes (月累计扣分)"
    )


class PenaltyCode(BaseModel):
    """A versioned penalty code."""

    model_config = ConfigDict(extra="forbid")

    id: str
    version: str
    name: str
    name_en: str
    bottom_line_case_points: float = Field(gt=0)
    monthly_demotion_points: float = Field(gt=0)
    lift_freeze_event: str = Field(
        "freeze_lifted", description="penalty_events kind that lifts a freeze (解冻)"
    )
    requalify_event: str = Field(
        "requalified", description="penalty_events kind that ends a demotion (重新报名合格)"
    )
    rules: list[Rule] = Field(min_length=1)

    def status_kinds(self) -> set[str]:
        """Event kinds that change status without points."""
        return {self.lift_freeze_event, self.requalify_event}


def load_penalty_code(path: str | Path | None = None) -> PenaltyCode:
    """Read and validate a penalty code (default: the workspace's ``penalty_code`` setting); a
    bare name is looked up in templates/penalties/ (the workspace's, then the shipped ones)."""
    from ..settings import get

    return load_template("penalties", get("penalty_code", path), PenaltyCode)


def penalty_kinds() -> set[str]:
    """The penalty_events kinds any penalty code knows (the workspace's and the shipped ones):
    the rules' events and the status events; read again only when a file changes (name, size,
    mtime: every load of penalty events asks)."""
    from ..workspace import all_templates

    files = tuple(
        (str(p), p.stat().st_size, p.stat().st_mtime_ns)
        for p in all_templates("penalties").values()
    )
    return set(_kinds(files))


@functools.lru_cache(maxsize=8)
def _kinds(files: tuple[tuple[str, int, int], ...]) -> frozenset[str]:
    kinds: set[str] = set()
    for p in (Path(f) for f, _, _ in files):
        code = load_penalty_code(p)
        kinds |= {r.trigger.event for r in code.rules if r.trigger.event} | code.status_kinds()
    return frozenset(kinds)


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
    kinds = {r.trigger.event for r in code.rules if r.trigger.event} | code.status_kinds()
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
    cases: pd.DataFrame,
    scored: pd.DataFrame,
    code: PenaltyCode,
    month: str,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Status per agent at the end of ``month`` ("YYYY-MM"), with its evidence and ``since``
    (when the freeze or demotion began): frozen, demoted, full_marks or normal.

    ``cases`` is most_severe's output over every month so far (a freeze or a demotion of an
    earlier month lasts); ``events`` the ``penalty_events`` table, whose lift and
    re-qualification rows end them. Agents with evaluations or penalties in the month, and
    those still frozen or demoted, appear. ``penalty_points``: the month's points of the
    rules that count toward demotion.
    """
    period = pd.Period(month, freq="M")
    end = period.end_time
    all_c = cases[pd.to_datetime(cases["at"]) <= end] if not cases.empty else cases
    at = pd.to_datetime(all_c["at"]) if len(all_c) else pd.Series(dtype="datetime64[ns]")
    c = all_c[at.dt.to_period("M") == period] if len(all_c) else all_c
    s = scored[
        (scored["mode"] != "calibration") & (scored["evaluated_at"].dt.to_period("M") == period)
    ]
    lifted = _last_event(events, code.lift_freeze_event, end)
    requalified = _last_event(events, code.requalify_event, end)
    frozen_since = _since(all_c[all_c["bottom_line"].astype(bool)] if len(all_c) else all_c, lifted)
    demoted_since = _since(_demotions(all_c, code), requalified)
    ended = {
        a: f"{word} {t:%Y-%m-%d}"
        for word, last in (("freeze lifted", lifted), ("re-qualified", requalified))
        for a, t in last.items()
        if pd.Period(t, "M") == period
    }  # shown this month as what changed their status
    agents = sorted(set(c["agent_id"]) | set(s["agent_id"]) | set(frozen_since.index)
                    | set(demoted_since.index) | set(ended))  # fmt: skip
    counting = {r.id for r in code.rules if r.counts_toward_demotion}
    cc = c[c["rule_id"].isin(counting)] if len(c) else c
    pts = cc.groupby("agent_id")["points"].sum() if len(cc) else pd.Series(dtype=float)
    if c.empty:
        ev_by = pd.Series(dtype=str)
    else:
        text = c["rule_id"] + " " + c["points"].map("{:g}".format) + " pts (" + c["evidence"] + ")"
        ev_by = text.groupby(c["agent_id"]).agg("; ".join)
    bl = _case_texts(
        all_c[all_c["bottom_line"].astype(bool)] if len(all_c) else all_c, frozen_since
    )
    n_eval = s.groupby("agent_id").size()
    perfect = s.groupby("agent_id")["score"].min() >= 100 - 1e-9
    out = pd.DataFrame({"agent_id": pd.Series(agents, dtype="str")})
    out["month"] = month
    out["penalty_points"] = out["agent_id"].map(pts).fillna(0.0)
    out["evaluations"] = out["agent_id"].map(n_eval).fillna(0).astype(int)
    frozen = out["agent_id"].isin(frozen_since.index)
    demoted = ~frozen & out["agent_id"].isin(demoted_since.index)
    full = (
        ~frozen
        & ~demoted
        & (out["penalty_points"] == 0)
        & ~out["agent_id"].isin(c["agent_id"])
        & out["agent_id"].isin(perfect.index[perfect.to_numpy(dtype=bool)])
    )
    out["status"] = np.select(
        [frozen, demoted, full], ["frozen", "demoted", "full_marks"], "normal"
    )
    began_frozen = pd.Series(pd.to_datetime(frozen_since.reindex(out["agent_id"])).to_numpy())
    began_demoted = pd.Series(pd.to_datetime(demoted_since.reindex(out["agent_id"])).to_numpy())
    out["since"] = began_frozen.where(frozen, began_demoted.where(demoted))
    day = out["since"].dt.strftime("%Y-%m-%d").fillna("")
    out["evidence"] = np.select(
        [frozen, demoted, full],
        [
            "bottom-line since " + day + ": " + _text(out["agent_id"], bl),
            f"≥ {code.monthly_demotion_points:g} points in a month, since "
            + day
            + ": "
            + _text(out["agent_id"], ev_by),
            "every evaluation at full marks (" + out["evaluations"].astype(str) + "), no penalty",
        ],
        (
            out["agent_id"].map(lambda a: ended.get(a, "")).astype(str)
            + "; "
            + _text(out["agent_id"], ev_by)
        ).str.strip("; "),
    )
    return out


def _last_event(events: pd.DataFrame | None, kind: str, end: pd.Timestamp) -> pd.Series:
    """Per agent, the time of the last ``kind`` event up to ``end``."""
    if events is None or events.empty:
        return pd.Series(dtype="datetime64[ns]")
    e = events[(events["kind"] == kind) & (pd.to_datetime(events["occurred_at"]) <= end)]
    return pd.to_datetime(e["occurred_at"]).groupby(e["agent_id"]).max()


def _since(starts: pd.DataFrame, ended: pd.Series) -> pd.Series:
    """Per agent, the first start (``at``) after the agent's last end (lift, re-qualification):
    the status holds from then; agents whose every start was ended are left out."""
    if starts.empty:
        return pd.Series(dtype="datetime64[ns]")
    at = pd.to_datetime(starts["at"])
    last_end = pd.to_datetime(
        pd.Series(ended.reindex(starts["agent_id"]).to_numpy(), index=starts.index)
    )
    open_ = last_end.isna().to_numpy() | (at > last_end).to_numpy()
    return at[open_].groupby(starts["agent_id"][open_]).min()


def _demotions(cases: pd.DataFrame, code: PenaltyCode) -> pd.DataFrame:
    """The moments (agent_id, at) a month's points of the counting rules reached the threshold:
    "针对非服务底线行为" — a bottom-line case freezes instead, and is not counted here."""
    if cases.empty:
        return pd.DataFrame(columns=["agent_id", "at"])
    counting = {r.id for r in code.rules if r.counts_toward_demotion}
    c = cases[cases["rule_id"].isin(counting) & ~cases["bottom_line"].astype(bool)]
    c = c.assign(at=pd.to_datetime(c["at"]))
    c = c.sort_values(["agent_id", "at"], kind="stable")
    month = c["at"].dt.to_period("M")
    total = c.groupby([c["agent_id"], month])["points"].cumsum()
    crossed = (total >= code.monthly_demotion_points) & (
        total - c["points"] < code.monthly_demotion_points
    )
    return c.loc[crossed, ["agent_id", "at"]]


def _case_texts(cases: pd.DataFrame, since: pd.Series) -> pd.Series:
    """Per agent, the cases from ``since`` on, as "rule points (evidence)"."""
    if cases.empty or since.empty:
        return pd.Series(dtype=str)
    from_ = pd.Series(since.reindex(cases["agent_id"]).to_numpy(), index=cases.index)
    c = cases[(pd.to_datetime(cases["at"]) >= pd.to_datetime(from_)).to_numpy()]
    text = c["rule_id"] + " " + c["points"].map("{:g}".format) + " pts (" + c["evidence"] + ")"
    return text.groupby(c["agent_id"]).agg("; ".join)


def _text(keys: pd.Series, lookup: pd.Series) -> pd.Series:
    """``lookup[key]`` for each key, "" where there is none."""
    return keys.map(lookup).fillna("").astype(object) if len(lookup) else keys.map(lambda k: "")
