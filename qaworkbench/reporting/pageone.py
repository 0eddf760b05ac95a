"""Page one of the weekly and monthly reports: the Monday answer.

The headline against the last period (with the interval of the change and a
verdict), the new bottom-line cases, the top common problems and the agents
to coach with what to coach and the evidence. Scores are points; rates shares.
"""

from __future__ import annotations

import pandas as pd

from ..scoring.level import level_sample, recorded
from ..scoring.penalties import PenaltyCode
from ..scoring.period import ScoreTables
from ..stats import MIN_AGENTS, clustered_intervals, judged, mean_change
from . import evidence, i18n


def _scope(df: pd.DataFrame, team: str) -> pd.DataFrame:
    return df[df["team"] == team] if team and "team" in df else df


def _regular(st: ScoreTables, team: str) -> pd.DataFrame:
    ev = st.evaluations
    return _scope(ev[ev["mode"] != "calibration"], team)


def headline(
    st: ScoreTables, previous: pd.DataFrame, team: str, completion: pd.DataFrame,
    bottom_line: int,
) -> pd.DataFrame:  # fmt: skip
    """One row: the period's quality level (``level``: the random picks' mean score where the
    evaluations say why they were sampled) with n, agents, 95% interval (judged at MIN_AGENTS
    agents), the mean of every evaluation beside it (``all_mean``, ``all_n``),
    the change on the previous period with its interval and verdict, bottom-line cases and plan
    completion."""
    every = _regular(st, team)
    now = clustered_intervals(level_sample(every), None).iloc[0]
    row = {
        "n": int(now["n"]), "agents": int(now["agents"]), "mean": now["mean"],
        "basis": "random" if recorded(every) else "all",
        "all_n": len(every), "all_mean": float(every["score"].mean()),
        "lo": now["lo"], "hi": now["hi"], "prev_mean": float("nan"), "prev_n": 0,
        "score_change": float("nan"), "score_change_lo": float("nan"),
        "score_change_hi": float("nan"), "verdict": "no_evaluations",
    }  # fmt: skip
    if now["agents"] < MIN_AGENTS:
        row["lo"] = row["hi"] = float("nan")
    before = level_sample(_scope(previous, team))  # the previous period's, alike
    if len(before):
        prev = clustered_intervals(before, None).iloc[0]
        row["prev_mean"], row["prev_n"] = prev["mean"], int(prev["n"])
        ch = mean_change(prev["mean"], prev["se"], now["mean"], now["se"])
        if min(prev["agents"], now["agents"]) < MIN_AGENTS:
            ch["verdict"] = "too_few"
        row |= {"score_change": ch["change"], "score_change_lo": ch["change_lo"],
                "score_change_hi": ch["change_hi"], "verdict": ch["verdict"]}  # fmt: skip
    row["bottom_line"] = bottom_line
    if "planned" in completion and len(completion):
        row["planned"] = int(completion["planned"].sum())
        row["done"] = int(completion["done"].sum())
        for k in ("overdue", "not_due"):
            row[k] = int(completion[k].sum()) if k in completion else 0
    out = pd.DataFrame([row])
    if "planned" not in row and completion.attrs.get("no_sample"):
        out.attrs["no_sample"] = completion.attrs["no_sample"]  # the month to sample
    return out


def bottom_line_cases(
    st: ScoreTables, agents: pd.DataFrame, start: pd.Timestamp, team: str,
    code: PenaltyCode, names: pd.Series, lang: str,
) -> pd.DataFrame:  # fmt: skip
    """Bottom-line cases (frozen-level: a critical item failed, an upheld attitude complaint …)
    that arose in the period, newest first, with what was found where."""
    c = st.cases
    if not len(c):
        return pd.DataFrame(columns=["team", "name", "agent_id", "at", "case", "contact_id"])
    c = c[c["bottom_line"].astype(bool) & (pd.to_datetime(c["at"]) >= start)]
    c = c.merge(agents[["agent_id", "name", "team"]], on="agent_id", how="left")
    c = _scope(c, team).sort_values("at", ascending=False, kind="stable")
    ref = c["evidence"].astype(str).str.split().str[1]
    return pd.DataFrame({
        "team": c["team"], "name": c["name"], "agent_id": c["agent_id"],
        "at": pd.to_datetime(c["at"]).dt.strftime("%Y-%m-%d"),
        "case": evidence.case_texts(c, code, names, lang),
        "contact_id": c["case_id"].where(c["case_id"] != ref, ""),  # an event without a contact
    }).reset_index(drop=True)  # fmt: skip


def top_problems(
    failed: pd.DataFrame, applicable: pd.DataFrame, lang: str, top: int = 5
) -> pd.DataFrame:
    """The items that lost the most points: fails, the share of evaluations where the item
    applied that failed it, points lost, and the correct handling."""
    if failed.empty:
        return pd.DataFrame(columns=["item", "fails", "fail_rate", "points", "correct_handling"])
    g = failed.groupby("item_id").agg(fails=("item_id", "size"), points=("deduction", "sum"))
    g["fail_rate"] = g["fails"] / applicable.groupby("item_id").size().reindex(g.index)
    g = g.sort_values(["points", "fails"], ascending=False, kind="stable").head(top)
    meta = failed.drop_duplicates("item_id").set_index("item_id")
    zh = lang == "zh"
    g["item"] = meta["item" if zh else "item_en"].reindex(g.index)
    g["correct_handling"] = meta["correct_handling" if zh else "correct_handling_en"].reindex(
        g.index
    )
    return g.reset_index()[["item", "fails", "fail_rate", "points", "correct_handling"]]


def agents_to_coach(
    st: ScoreTables, failed: pd.DataFrame, team: str, names: pd.Series, lang: str,
    status_evidence: pd.Series,
) -> pd.DataFrame:  # fmt: skip
    """Agents clearly below their team (the pooled interval's top under the team mean), with a
    bottom-line failure, or frozen/demoted: why, what to coach (their most failed items) and
    the evidence (one contact, customer masked; else the penalty case by ``status_evidence``,
    by agent). Lowest pooled score first."""
    a = _scope(st.agents, team)
    team_mean = a["team"].map(st.teams.set_index("team")["mean"])
    reasons = pd.DataFrame({
        "below_team": a["pooled_hi"] < team_mean,
        "bottom_line": a["critical_fails"].fillna(0) > 0,
        "frozen": a["status"] == "frozen",
        "demoted": a["status"] == "demoted",
    })  # fmt: skip
    pick = reasons.any(axis=1)
    a, reasons = a[pick], reasons[pick]
    sep = "、" if lang == "zh" else "; "
    mine = failed[failed["agent_id"].isin(a["agent_id"])]
    items = evidence.counted_by(mine, "agent_id", names, lang).to_dict()
    examples = evidence.latest_evidence(mine, lang).to_dict()
    status_evidence = status_evidence.to_dict()
    said = {k: i18n.value("reason", k, lang) for k in reasons.columns}
    rows = []
    for r, why in zip(a.to_dict("records"), reasons.to_dict("records"), strict=True):
        rows.append({
            "team": r["team"], "name": r["name"], "agent_id": r["agent_id"], "n": r["n"],
            "mean": r["mean"], "lo": r["lo"], "hi": r["hi"], "pooled": r["pooled"],
            "reasons": sep.join(said[k] for k, v in why.items() if v),
            "coach_items": items.get(r["agent_id"], ""),
            "example": examples.get(r["agent_id"], status_evidence.get(r["agent_id"], "")),
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=["team", "name", "agent_id", "n", "mean", "lo", "hi", "pooled",
                                      "reasons", "coach_items", "example"])  # fmt: skip
    return judged(out).sort_values("pooled", kind="stable").reset_index(drop=True)
