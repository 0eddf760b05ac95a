"""The scoring tables for one reporting period: agents, teams, center, common problems,
control limits, penalty status, calibration (shared by the CLI, the reports and the dashboards)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd

from .. import stats
from ..data.load import Center
from ..errors import QAWError
from ..frames import isin
from ..order import sort_natural
from ..periods import Period
from . import calibration, evaluations, level, penalties
from .pay import bonus_ratio, load_pay_rules, month_pay_factor
from .scorecard import scorecard_versions


@dataclass
class ScoreTables:
    """Everything scoring says about one period. Scores are points; intervals 95%."""

    evaluations: pd.DataFrame  # every scored evaluation in the period (calibration included)
    sections: pd.DataFrame
    agents: pd.DataFrame
    teams: pd.DataFrame
    center: pd.DataFrame
    pareto: pd.DataFrame
    control: pd.DataFrame
    status: pd.DataFrame
    calibration: pd.DataFrame
    section_alpha: pd.DataFrame
    item_agreement: pd.DataFrame
    leniency: pd.DataFrame
    appeals: pd.DataFrame
    cases: pd.DataFrame  # penalty cases (most severe rule each) up to the period's end
    rule_yield: pd.DataFrame  # per sampling reason: share of picks with a deduction

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The tables to publish, by sheet name."""
        skip = {"evaluations", "sections", "cases"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}


def score_period(
    center: Center,
    period: Period,
    code: str | None = None,
    scored: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    pay: str | None = None,
) -> ScoreTables:
    """Score every evaluation and compute the period's agent, team and calibration tables.

    Control limits use every week available up to the period's end, so the
    period's weeks are judged against their history. ``scored``: every evaluation already
    scored (``score_evaluations``' two tables), to score several periods once. ``pay``: the
    pay rules (templates/pay/) for each agent's bonus ratio and the month's pay factor. ``code``
    and ``pay`` default to the workspace's settings (penalty_code, pay_rules).
    """
    cards = scorecard_versions()
    scored_all, sections_all = scored or evaluations.score_evaluations(
        center.evaluations, center.evaluation_items, center.appeals, cards
    )
    roster = center.agents.set_index("agent_id")  # mapped, not merged: a year of evaluations
    scored_all = scored_all.reset_index(drop=True).assign(
        name=scored_all["agent_id"].map(roster["name"]).to_numpy(),
        team=scored_all["agent_id"].map(roster["team"]).to_numpy(),
    )
    in_p = (scored_all["evaluated_at"] >= period.start) & (scored_all["evaluated_at"] < period.end)
    scored = scored_all[in_p]
    regular = scored[scored["mode"] != "calibration"]
    if regular.empty:
        raise QAWError(
            f"no evaluations in {period.label} ({period.start:%Y-%m-%d} to {period.end:%Y-%m-%d})"
        )
    sections = sections_all[isin(sections_all["evaluation_id"], scored["evaluation_id"])]

    pp = stats.partial_pooling(regular)
    crit = regular.groupby("agent_id")["critical_failed"].sum().rename("critical_fails")
    pen = penalties.load_penalty_code(code)
    cases = penalties.most_severe(
        penalties.penalty_events(
            pen, center.complaints, scored_all, center.evaluation_items, center.penalty_events
        ),
        pen,
    )
    status = penalties.agent_status(cases, scored_all, pen, period.month, center.penalty_events)
    agents = (
        pp.merge(center.agents[["agent_id", "name"]], on="agent_id", how="left")
        .join(crit, on="agent_id")
        .merge(
            status[["agent_id", "status", "penalty_points", "evidence"]], on="agent_id", how="left"
        )
    )
    rules = load_pay_rules(pay)
    if rules.quality == "pass_share":
        passed = (regular["score"] >= rules.pass_mark).groupby(regular["agent_id"]).sum()
        k, n = agents["agent_id"].map(passed).fillna(0), agents["n"]
        q, (q_lo, q_hi) = k / n, stats.wilson(k.to_numpy(), n.to_numpy())
    else:
        q, q_lo, q_hi = agents["mean"] / 100, agents["lo"] / 100, agents["hi"] / 100
    agents["quality"] = q
    agents["pay_multiplier"] = bonus_ratio(q, rules)
    agents["pay_multiplier_lo"] = bonus_ratio(pd.Series(q_lo, index=agents.index).clip(0, 1), rules)
    agents["pay_multiplier_hi"] = bonus_ratio(pd.Series(q_hi, index=agents.index).clip(0, 1), rules)
    cut = month_pay_factor(cases, period.month, rules)
    agents["month_pay_factor"] = agents["agent_id"].map(cut).fillna(1.0)
    order = ["agent_id", "name", "team", "n", "mean", "lo", "hi", "half_width", "pooled", "pooled_lo",
             "pooled_hi", "reliability", "rank_raw", "rank_pooled", "critical_fails", "status",
             "penalty_points", "evidence", "quality", "pay_multiplier", "pay_multiplier_lo", "pay_multiplier_hi",
             "month_pay_factor"]  # fmt: skip
    agents = sort_natural(agents[order], ["team", "agent_id"]).reset_index(drop=True)

    items = center.evaluation_items
    items = items[isin(items["evaluation_id"], regular["evaluation_id"])].merge(
        regular[["evaluation_id", "team", "scorecard_id", "scorecard_version"]], on="evaluation_id"
    )  # the period's items only: a year holds millions
    meta = evaluations.item_table(cards)[
        ["scorecard_id", "scorecard_version", "item_id", "item", "item_en", "points"]
    ]
    failed = items[items["result"] == "fail"].merge(
        meta, on=["scorecard_id", "scorecard_version", "item_id"]
    )
    failed["deduction"] = failed["points_deducted"].where(
        failed["points_deducted"] > 0, failed["points"]
    )
    names = meta.drop_duplicates("item_id").set_index("item_id")[["item", "item_en"]]
    par = stats.pareto(failed, by="team").join(names, on="item_id")
    par_center = stats.pareto(failed.assign(team="(center)"), by="team").join(names, on="item_id")

    history = level.level_sample(
        scored_all[
            (scored_all["mode"] != "calibration") & (scored_all["evaluated_at"] < period.end)
        ]
    )  # the quality level: random picks, where the evaluations say why they were sampled
    quality = level.level_sample(regular)
    cal = calibration.calibration_scores(scored, center.evaluators)
    return ScoreTables(
        evaluations=scored,
        sections=sections,
        agents=agents,
        teams=stats.clustered_intervals(quality, "team"),
        center=stats.clustered_intervals(quality, None),
        pareto=pd.concat([par_center, sort_natural(par, ["team"])], ignore_index=True),
        control=sort_natural(stats.control_limits(history, "team"), ["team", "week"]),
        status=sort_natural(status, ["agent_id"]),
        calibration=calibration.evaluator_deviation(cal),
        section_alpha=calibration.section_alpha(sections, scored),
        item_agreement=calibration.item_agreement(
            center.evaluation_items, scored, center.evaluators
        ),
        leniency=calibration.leniency(regular),
        appeals=calibration.appeal_outcomes(
            center.appeals[isin(center.appeals["evaluation_id"], regular["evaluation_id"])],
            regular,
            as_of=period.end,
        ),
        cases=cases[pd.to_datetime(cases["at"]) < period.end] if len(cases) else cases,
        rule_yield=level.rule_yield(regular),
    )
