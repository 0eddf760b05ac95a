"""Auto-QA (自动质检): rule checks on every chat and call transcript, measured against the
evaluators like an instrument, and kept apart from the human score.

    rules = load_ruleset("hotline")
    results = check_month("data/demo", parse_period("2026-10"), rules)
    table = agreement_for(results, load_center("data/demo"), rules)
"""

from __future__ import annotations

import pandas as pd

from .agreement import advisory_rules, agreement, human_items, targeted_by_autoqa
from .review import load_reviews, reviewed_precision
from .ruleset import RuleSet, load_ruleset
from .run import check, check_month, load_results, results_path, save_results
from .tally import Results


def agreement_for(
    results: Results, center, rules: RuleSet, exclude: set[str] | None = None
) -> pd.DataFrame:
    """Each rule's agreement with the evaluators of ``center`` (a loaded Center; without
    evaluations every rule is advisory, compared on n = 0), leaving out ``exclude``, and its
    reviewed precision from the verdicts kept in the center's data folder (``qaw autoqa
    review``; none read: every rule is advisory)."""
    ev = center.tables.get("evaluations")
    items = center.tables.get("evaluation_items")
    if ev is None or items is None:
        human = pd.DataFrame(columns=["contact_id", "item_id", "human"])
    else:
        human = human_items(ev, items)
    reviewed = reviewed_precision(load_reviews(center.source), rules)
    return agreement(results, human, rules, exclude, reviewed)


__all__ = [
    "RuleSet",
    "advisory_rules",
    "agreement",
    "agreement_for",
    "check",
    "check_month",
    "human_items",
    "load_results",
    "load_reviews",
    "load_ruleset",
    "results_path",
    "reviewed_precision",
    "save_results",
    "targeted_by_autoqa",
]
