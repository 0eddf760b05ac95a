"""What the quality meeting's sections compute, for the whole center (``team`` "") or one team:
the headline against the last month, the common problems (one row per scorecard item, the
bottom-line items apart), a problem's drill-down, the bottom-line cases by severity, the teams
(or a team's agents) compared, and the 12-month trend. Scores are points (0–100)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from ..order import sort_natural
from ..reporting import i18n, pageone
from ..stats import judged, pareto
from .views import DashboardData, months_back

TOP_ITEMS = 10  # Pareto rows shown; the rest folded
EXAMPLES = 5  # contacts a drill-down shows first; "more" adds MORE at a time
MORE = 20
TOP_AGENTS = 5  # agents who failed a problem most, in its drill-down
TREND_MONTHS = 12


def _scope(df: pd.DataFrame, team: str) -> pd.DataFrame:
    return df[df["team"] == team] if team else df


def scope_headline(d: DashboardData, month: str, team: str) -> pd.DataFrame:
    """The headline row (``pageone.headline``'s columns) of the center (the monthly report's
    own) or of one team, computed from the team's evaluations as the team's report does."""
    if not team:
        return d.monthly[month]["headline"]
    ev = d.regular.astype({"agent_id": str, "month": str})
    now = ev[(ev["month"] == month) & (ev["team"] == team)]
    before = ev[(ev["month"] == months_back(month)) & (ev["team"] == team)]
    cases = bottom_line_cases(d, month, team)
    empty = pd.DataFrame(columns=["planned", "done"])  # plan completion is per evaluator
    if now.empty:
        return pd.DataFrame()
    return pageone.headline(SimpleNamespace(evaluations=now), before, team, empty, len(cases))


def problem_pareto(d: DashboardData, month: str, team: str) -> pd.DataFrame:
    """The month's deductions by scorecard item, largest first (points, fails, share and
    cumulative share): one row per item, named with its channel where a name is on several
    scorecards; bottom-line items are left out (``bottom_line_summary`` shows them)."""
    it = d.items
    failed = it[(it["month"] == month) & (it["result"] == "fail")]
    failed = _scope(failed, team)
    critical = set(d.item_names.index[d.item_names["critical"].astype(bool)])
    failed = failed[~failed["item_id"].isin(critical)]
    failed = failed.assign(deduction=failed["points_deducted"], team=team or "(center)")
    p = pareto(failed)
    p["item"] = p["item_id"].map(d.problem_label)
    return p


def problem_agents(d: DashboardData, month: str, team: str, item_id: str) -> pd.DataFrame:
    """The agents who failed ``item_id`` most in the month (at most TOP_AGENTS)."""
    f = _fails(d, month, team, item_id)
    g = f.groupby("agent_id", observed=True).size().rename("fails").reset_index()
    g = g.merge(d.center.agents[["agent_id", "name", "team"]], on="agent_id")
    g = g.sort_values("fails", ascending=False, kind="stable").head(TOP_AGENTS)
    return g[["team", "name", "agent_id", "fails"]]


def problem_agent_count(d: DashboardData, month: str, team: str, item_id: str) -> int:
    """How many agents failed ``item_id`` in the month."""
    return int(_fails(d, month, team, item_id)["agent_id"].nunique())


def problem_examples(d: DashboardData, month: str, team: str, item_id: str) -> pd.DataFrame:
    """The contacts behind one item, the most telling first (with an evaluator's comment,
    then the lowest score, then the newest); customer masked when shown."""
    it = _fails(d, month, team, item_id).astype({"agent_id": str, "team": str})
    it = it.join(d.contacts[["customer_id"]], on="contact_id")
    it = it.merge(d.center.agents[["agent_id", "name"]], on="agent_id")
    names = d.center.evaluators.set_index("evaluator_id")["name"]
    it = it.assign(evaluator=it["evaluator_id"].map(names),
                   _said=it["comment"].fillna("").astype(str).str.len() > 0)  # fmt: skip
    it = it.sort_values(["_said", "score", "evaluated_at"], ascending=[False, True, False],
                        kind="stable")  # fmt: skip
    cols = ["evaluated_at", "team", "name", "contact_id", "customer_id", "score", "comment",
            "evaluator"]  # fmt: skip
    return it[cols].reset_index(drop=True)


def _fails(d: DashboardData, month: str, team: str, item_id: str) -> pd.DataFrame:
    it = d.items
    f = it[(it["month"] == month) & (it["result"] == "fail") & (it["item_id"] == item_id)]
    return _scope(f, team)


def bottom_line_cases(d: DashboardData, month: str, team: str) -> pd.DataFrame:
    """The month's bottom-line cases (红线: one case of ``bottom_line_case_points`` or more, a
    failed bottom-line item …), most severe kind first, then newest."""
    c = d.bottom_line
    c = _scope(c[c["month"] == month], team)
    return c.sort_values(["rank", "at"], ascending=[True, False], kind="stable")


def bottom_line_summary(cases: pd.DataFrame) -> pd.DataFrame:
    """Per kind of bottom-line case: points, cases, agents; most severe first (the rule's
    points, then the scorecard's own bottom-line items, then the most cases)."""
    if cases.empty:
        return pd.DataFrame(columns=["bottom_line_kind", "points", "cases", "agents"])
    g = cases.groupby(["rank", "bottom_line_kind", "points"], sort=True).agg(
        cases=("agent_id", "size"), agents=("agent_id", "nunique")
    )
    return g.reset_index()[["bottom_line_kind", "points", "cases", "agents"]]


def rank_kinds(cases: pd.DataFrame) -> pd.Series:
    """Each case's kind's severity rank (0 the most severe): the rule's points, then a
    scorecard bottom-line item before other rules, then the kind with the most cases."""
    per = cases.groupby("bottom_line_kind").agg(
        points=("points", "max"), item=("scorecard_item", "max"), n=("agent_id", "size")
    )
    per = per.sort_values(["points", "item", "n"], ascending=False, kind="stable")
    order = {k: i for i, k in enumerate(per.index)}
    return cases["bottom_line_kind"].map(order)


def team_comparison(d: DashboardData, month: str, team: str) -> pd.DataFrame:
    """The center: every team's score (the monthly report's table). A team: its agents'
    scores of the month (n, mean, 95% interval; too few to judge below MIN_N)."""
    if not team:
        return d.monthly[month]["team_scores"]
    am = d.agent_month[d.agent_month["month"] == month]
    roster = d.center.agents[d.center.agents["team"] == team][["agent_id", "name", "team"]]
    a = am.merge(roster, on="agent_id")
    a = sort_natural(a, ["agent_id"]).sort_values("mean", kind="stable")
    a = judged(a)
    return a.assign(agent=a["name"])[["agent", "agent_id", "n", "mean", "lo", "hi"]]


def trend(d: DashboardData, month: str, team: str) -> pd.DataFrame:
    """The last TREND_MONTHS months' level of the center (the monthly reports' headline) or
    of one team (its row of the reports' team table): month, n, mean, 95% interval."""
    rows = []
    for m in [months_back(month, k) for k in range(TREND_MONTHS - 1, -1, -1)]:
        if m not in d.monthly:
            continue
        t = d.monthly[m]["headline"] if not team else d.monthly[m]["team_scores"]
        t = _scope(t, team)
        if len(t):
            r = t.iloc[0]
            rows.append({"month": m, "n": int(r["n"]), "mean": r["mean"], "lo": r["lo"],
                         "hi": r["hi"]})  # fmt: skip
    return pd.DataFrame(rows, columns=["month", "n", "mean", "lo", "hi"])


def evaluators_of(d: DashboardData, month: str, team: str) -> set[str] | None:
    """The evaluators who evaluated ``team`` in the month (None for the whole center)."""
    if not team:
        return None
    r = d.regular
    return set(r.loc[(r["month"] == month) & (r["team"] == team), "evaluator_id"])


def scope_label(d: DashboardData, team: str) -> str:
    """What a section covers: the team, or the whole center."""
    return team or i18n.t("center", d.language)
