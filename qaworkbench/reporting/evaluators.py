"""The monthly evaluator view: leniency against peers and calibration, each with a verdict.

Leniency (points): an evaluator's score minus the same agents' scores by other
evaluators that month; lenient or strict only when the 95% interval excludes 0.
Calibration: Krippendorff's alpha per scorecard section with the usual
thresholds (≥ 0.80 reliable, 0.667–0.80 tentative, below: not reliable).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import MIN_N, judged

RELIABLE = 0.80
TENTATIVE = 0.667


def leniency_verdicts(leniency: pd.DataFrame, evaluators: pd.DataFrame) -> pd.DataFrame:
    """Per evaluator: name, n (evaluations compared), leniency with its interval and a verdict."""
    d = leniency.merge(
        evaluators[["evaluator_id", "name"]].rename(columns={"name": "evaluator"}),
        on="evaluator_id",
        how="left",
    )
    d["evaluator"] = d["evaluator"].fillna(d["evaluator_id"])
    few = d["n"] < MIN_N
    d["verdict"] = np.select(
        [few, d["lo"] > 0, d["hi"] < 0], ["too_few", "lenient", "strict"], "in_line"
    )
    cols = ["evaluator", "evaluator_id", "n", "leniency", "lo", "hi", "verdict"]
    d = judged(d)
    return d.sort_values("leniency", ascending=False, kind="stable")[cols].reset_index(drop=True)


def alpha_verdict(alpha: float, units: int) -> str:
    """Krippendorff's thresholds for one alpha: reliable, tentative, not_reliable or too_few."""
    if units < 2 or not np.isfinite(alpha):
        return "too_few"
    return (
        "reliable" if alpha >= RELIABLE else "tentative" if alpha >= TENTATIVE else "not_reliable"
    )


def calibration_verdicts(
    section_alpha: pd.DataFrame, names: dict[tuple[str, str], str]
) -> pd.DataFrame:
    """Section alphas with the section's name (``names[(scorecard, section)]``) and a verdict."""
    cols = ["section", "units", "coders", "alpha", "verdict"]
    if section_alpha.empty:  # no calibration session in the period
        return pd.DataFrame(columns=cols)
    d = section_alpha.copy()
    d["section"] = [
        names.get((c, s), s) for c, s in zip(d["scorecard_id"], d["section_id"], strict=True)
    ]
    d["verdict"] = [alpha_verdict(a, u) for a, u in zip(d["alpha"], d["units"], strict=True)]
    return d[cols]
