"""How often each automatic check agrees with the evaluators, measured like an instrument.

On contacts that evaluators also scored, each rule's result is compared with the human
result of the item it checks: precision (of the contacts the rule failed, the share the
evaluator failed too), recall (of the contacts the evaluator failed on that item, the share
the rule caught) and Cohen's kappa, each with its 95% interval. A rule below the rule set's
agreement (kappa below ``min_kappa``, or fewer than ``min_n`` contacts compared) is advisory
(仅供参考) in every output, and so is a rule the rule set marks ``advisory: true`` (one that
misfires on real wording, whatever its agreement on a center's own evaluations), and so is a
rule whose reviewed precision (a QA lead's reading of its findings, ``review.py``) does not
pass the rule set's ``review`` thresholds: a rule counts only when both figures pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import cohen_kappa, wilson
from . import tally
from .ruleset import RuleSet
from .tally import Results

AGREEMENT_COLUMNS = [
    "rule_id", "item_id", "channel", "n", "auto_fails", "human_fails", "both_fail",
    "precision", "precision_lo", "precision_hi", "recall", "recall_lo", "recall_hi",
    "kappa", "kappa_lo", "kappa_hi", "agreement_ok", "reviewed", "reviewed_true",
    "reviewed_precision", "reviewed_lo", "reviewed_hi", "review_ok", "advisory",
]  # fmt: skip


def human_items(evaluations: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The evaluators' item results per contact (``contact_id``, ``item_id``, ``human``:
    pass / fail / na): the latest evaluation of each contact outside calibration."""
    ev = evaluations[evaluations["mode"].astype(str) != "calibration"]
    ev = ev.sort_values("evaluated_at", kind="stable").drop_duplicates("contact_id", keep="last")
    out = items.merge(ev[["evaluation_id", "contact_id"]], on="evaluation_id", how="inner")
    return out[["contact_id", "item_id", "result"]].rename(columns={"result": "human"})


def agreement(
    results: Results,
    human: pd.DataFrame,
    rules: RuleSet,
    exclude: set[str] | None = None,
    reviewed: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per rule and channel: the 2x2 counts against the human item result (contacts where
    both gave a pass or fail), precision, recall and kappa with 95% intervals, whether that
    agreement passes (``agreement_ok``), the reviewed precision from ``reviewed``
    (``review.reviewed_precision``; None: nothing reviewed) and whether it passes
    (``review_ok``), and whether the rule is advisory: unless both pass, it is. ``exclude``:
    contacts left out, those the sample took only because auto-QA flagged them
    (``targeted_by_autoqa``): evaluating flagged contacts on purpose would make the rule
    look better at finding what evaluators fail than it is. ``results``: a frame or its
    Parquet file (``tally``)."""
    human = human[human["human"] != "na"]
    if exclude:
        human = human[~human["contact_id"].isin(exclude)]
    with tally.opened(results) as con:  # (the evaluated contacts' rows alone leave DuckDB)
        con.register("evaluated", pd.DataFrame({"contact_id": human["contact_id"].astype(str)}))
        scored = tally.query(
            con,
            "SELECT contact_id, rule_id, item_id, channel, result FROM r "
            "SEMI JOIN evaluated USING (contact_id) WHERE result <> 'na'",
        )
        keys = tally.query(con, "SELECT DISTINCT rule_id, item_id, channel FROM r "
                                "ORDER BY channel, rule_id, item_id")  # fmt: skip
    both = scored.merge(human.astype({"contact_id": str, "item_id": str}),
                        on=["contact_id", "item_id"])  # fmt: skip
    a = both["result"].to_numpy() == "fail"
    h = both["human"].to_numpy() == "fail"
    both = both.assign(tp=a & h, fp=a & ~h, fn=~a & h, tn=~a & ~h)
    counts = both.groupby(["rule_id", "item_id", "channel"], sort=False)[
        ["tp", "fp", "fn", "tn"]
    ].sum()
    counts = keys.merge(counts.reset_index(), how="left").fillna(0)
    by_rule = {r.id: r for r in rules.rules}
    rows = []
    for r in counts.itertuples(index=False):
        rule = by_rule.get(r.rule_id)
        tp, fp, fn, tn = (int(x) for x in (r.tp, r.fp, r.fn, r.tn))
        n = tp + fp + fn + tn
        p_lo, p_hi = wilson(tp, tp + fp)
        r_lo, r_hi = wilson(tp, tp + fn)
        k, k_lo, k_hi = cohen_kappa(tp, fp, fn, tn)
        rows.append(
            {
                "rule_id": r.rule_id,
                "item_id": r.item_id,
                "channel": r.channel,
                "n": n,
                "auto_fails": tp + fp,
                "human_fails": tp + fn,
                "both_fail": tp,
                "precision": tp / (tp + fp) if tp + fp else np.nan,
                "precision_lo": float(p_lo),
                "precision_hi": float(p_hi),
                "recall": tp / (tp + fn) if tp + fn else np.nan,
                "recall_lo": float(r_lo),
                "recall_hi": float(r_hi),
                "kappa": k,
                "kappa_lo": k_lo,
                "kappa_hi": k_hi,
                "agreement_ok": bool(
                    n >= rules.agreement.min_n and np.isfinite(k) and k >= rules.agreement.min_kappa
                ),
                "marked": rule is not None and rule.advisory,
            }
        )
    if not rows:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    if reviewed is None:
        from .review import PRECISION_COLUMNS

        reviewed = pd.DataFrame(columns=PRECISION_COLUMNS)
    rv = reviewed.astype({"rule_id": str, "channel": str})
    out = pd.DataFrame(rows).merge(rv, on=["rule_id", "channel"], how="left")
    out["reviewed"] = out["reviewed"].fillna(0).astype(int)
    out["reviewed_true"] = out["reviewed_true"].fillna(0).astype(int)
    out["review_ok"] = out["review_ok"].astype("boolean").fillna(False).astype(bool)
    out["advisory"] = ~(out["agreement_ok"].astype(bool) & out["review_ok"]) | out["marked"]
    return out[AGREEMENT_COLUMNS]


def targeted_by_autoqa(sample: pd.DataFrame | None) -> set[str]:
    """Contacts a month's sample (``sample.csv``: ``contact_id``, ``reasons``) took for the
    auto-QA rule alone."""
    if sample is None or sample.empty or "reasons" not in sample:
        return set()
    only = sample["reasons"].fillna("").astype(str) == "autoqa"
    return set(sample.loc[only, "contact_id"].astype(str))


def advisory_rules(table: pd.DataFrame) -> set[tuple[str, str]]:
    """(rule_id, channel) pairs that are advisory by an agreement table."""
    adv = table[table["advisory"]]
    return set(zip(adv["rule_id"], adv["channel"], strict=True))
