"""The monthly report's auto-QA section (自动质检): coverage, each rule's violation rate, its
agreement with the evaluators and its reviewed precision (``qaw autoqa review``), and violation
rates per team, all with intervals. Read from
the results ``qaw autoqa`` keeps beside the data; automatic results never enter the scores.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..autoqa import advisory_rules, agreement_for, load_ruleset
from ..autoqa.agreement import targeted_by_autoqa
from ..autoqa.rates import coverage, in_rule_order, rule_rates, violation_rates
from ..autoqa.run import answered_counts, kept_results, month_sample
from ..data.load import Center
from ..order import sort_natural
from ..periods import Period
from ..scoring.scorecard import load_scorecard


def autoqa_tables(
    source: str | Path, center: Center, p: Period, team: str, lang: str
) -> dict[str, pd.DataFrame]:
    """The section's tables, or empty ones when ``qaw autoqa`` has not run for ``p``. The
    month's results are counted where they lie (``autoqa.tally``: millions of rows)."""
    path = kept_results(source, p)
    if path is None:
        return {"autoqa_coverage": pd.DataFrame(), "autoqa": pd.DataFrame(),
                "autoqa_teams": pd.DataFrame()}  # fmt: skip
    rules = load_ruleset()
    roster = center.agents[["agent_id", "team"]]
    exclude = targeted_by_autoqa(month_sample(p))
    agree = agreement_for(path, center, rules, exclude)
    advisory = advisory_rules(agree)
    members = roster.loc[roster["team"] == team, "agent_id"].tolist() if team else None
    cov = coverage(path, answered_counts(source, p, members), roster, team)
    rates = rule_rates(path, advisory, roster, team).merge(
        agree[["rule_id", "channel", "n", "kappa", "kappa_lo", "kappa_hi", "precision",
               "recall", "reviewed", "reviewed_precision", "reviewed_lo", "reviewed_hi"]]
        .rename(columns={"n": "n_compared"}),
        on=["rule_id", "channel"], how="left",
    )  # fmt: skip
    rates = in_rule_order(rates, rules)
    names = _item_names(rules, lang)
    rates["rule"] = [rules.rule(r).label(lang) for r in rates["rule_id"]]
    rates["item"] = [
        names.get((c, i), i) for c, i in zip(rates["channel"], rates["item_id"], strict=True)
    ]
    rates["trust"] = rates["advisory"].map({True: "advisory", False: "counted"})
    rules_table = rates.rename(columns={"n": "checked", "fails": "violations", "rate": "violation_rate",
                                        "lo": "rate_lo", "hi": "rate_hi"})[
        ["channel", "rule", "item", "checked", "violations", "violation_rate", "rate_lo", "rate_hi",
         "n_compared", "kappa", "kappa_lo", "kappa_hi", "reviewed", "reviewed_precision",
         "reviewed_lo", "reviewed_hi", "trust"]
    ]  # fmt: skip
    teams = violation_rates(path, ["channel", "team"], advisory, roster, team)
    teams = teams.rename(columns={"n": "checked", "rate": "violation_rate", "lo": "rate_lo",
                                  "hi": "rate_hi"})  # fmt: skip
    return {
        "autoqa_coverage": cov.rename(columns={"share": "coverage"}),
        "autoqa": rules_table,
        "autoqa_learned": learned_table(source, rules, lang),
        "autoqa_teams": sort_natural(teams, ["channel", "team"]),
    }


RATE_COLUMNS = ["channel", "rule", "item", "checked", "violations", "violation_rate", "rate_lo",
                "rate_hi", "trust"]  # fmt: skip
TRUST_COLUMNS = ["channel", "rule", "n_compared", "kappa", "kappa_lo", "kappa_hi", "reviewed",
                 "reviewed_precision", "reviewed_lo", "reviewed_hi", "trust"]  # fmt: skip


def split_rules(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rules table as a page shows it, in two tables that fit its width: each rule's
    violation rate, and how far it is trusted (agreement with the evaluators and reviewed
    precision, each with n and its interval)."""
    return table[RATE_COLUMNS], table[TRUST_COLUMNS]


LEARNED_SHOWN = ["item", "n_verdicts", "precision", "precision_lo", "precision_hi", "recall",
                 "recall_lo", "recall_hi", "kappa", "kappa_lo", "kappa_hi", "detector_use",
                 "top_ngrams"]  # fmt: skip


def learned_table(source: str | Path, rules, lang: str) -> pd.DataFrame:
    """The item detectors ``qaw autoqa learn`` last kept (cross-validated against the
    evaluators, with n and intervals), items named in ``lang``; empty when none."""
    from ..autoqa.learned import load_learned

    learned = load_learned(source)
    if learned is None or learned.empty:
        return pd.DataFrame(columns=LEARNED_SHOWN)
    names = {i: n for (_, i), n in _item_names(rules, lang).items()}
    out = learned.assign(
        item=[names.get(i, i) for i in learned["item_id"]],
        n_verdicts=learned["n"],
        detector_use=learned["trusted"].map({True: "trusted", False: "advisory"}),
    )
    return out[LEARNED_SHOWN]


def empty_note(tables: dict[str, pd.DataFrame], key: str, lang: str) -> str | None:
    """Why an auto-QA table is empty, in ``lang`` (None when it is not): auto-QA has not run
    for the month, or no rule is trusted enough to count violations."""
    from . import i18n

    if not tables[key].empty:
        return None
    ran = not tables["autoqa"].empty
    return i18n.t(
        "autoqa_none_counted" if ran and key == "autoqa_teams" else "autoqa_not_run", lang
    )


def autoqa_note(lang: str) -> str:
    """What the section is and when a rule is only advisory, in ``lang``."""
    from . import i18n

    rs = load_ruleset()
    a, rv = rs.agreement, rs.review
    bound = i18n.t("review_on_lower" if rv.on == "lower" else "review_on_point", lang)
    return i18n.say("autoqa_note", lang, kappa=f"{a.min_kappa:g}", n=a.min_n,
                    precision=f"{rv.min_precision:.0%}", n_review=rv.min_n, bound=bound)  # fmt: skip


# How a finding's measure reads, per kind of check: (zh, en) with {m} the measure.
_MEASURES = {
    "first_response": ("{m:.0f} 秒", "{m:.0f} s"),
    "average_response": ("平均 {m:.0f} 秒", "mean {m:.0f} s"),
    "lookup_reply": ("{m:.0f} 秒后回复", "replied after {m:.0f} s"),
    "greeting": ("与标准相似度 {m:.0f}", "similarity to the standard {m:.0f}"),
    "closing": ("与标准相似度 {m:.0f}", "similarity to the standard {m:.0f}"),
    "customer_repeats": ("与前文相似度 {m:.0f}", "similarity to an earlier message {m:.0f}"),
    "silence": ("静默 {m:.0f} 秒", "{m:.0f} s of silence"),
    "talk_over": ("{m:.0f} 次", "{m:.0f} times"),
}


def finding_text(check: str, measure: float, matched: object, lang: str) -> str:
    """What an automatic finding rests on, in ``lang``: the word matched (“不清楚”) or the
    measure (52 秒, similarity 40)."""
    if isinstance(matched, str) and matched:
        return f"“{matched}”"
    if check in _MEASURES and pd.notna(measure):
        return _MEASURES[check][0 if lang == "zh" else 1].format(m=measure)
    return ""


def _item_names(rules, lang: str) -> dict[tuple[str, str], str]:
    """(channel, item_id) -> the item's name in ``lang``."""
    out = {}
    for channel, card in rules.scorecards.items():
        items = load_scorecard(card).items()
        col = "item" if lang == "zh" else "item_en"
        out |= {(channel, i): n for i, n in zip(items["item_id"], items[col], strict=True)}
    return out
