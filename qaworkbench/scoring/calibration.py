"""Calibration (校准): do evaluators apply the standard the same way?

For contacts scored by several evaluators in a calibration session, the QA
lead's score is the reference. Also: evaluator leniency in regular work and
appeal outcomes per evaluator. Scores are points.
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd

from ..errors import QAWError
from ..frames import isin
from ..stats import pooled_sd, t_half_width


def calibration_scores(scored: pd.DataFrame, evaluators: pd.DataFrame) -> pd.DataFrame:
    """One row per calibration evaluation with the reference (QA lead) score and the deviation."""
    cal = scored[scored["calibration_session"].notna() & (scored["mode"] == "calibration")]
    cal = cal.merge(evaluators[["evaluator_id", "role"]], on="evaluator_id", how="left")
    ref = cal[cal["role"] == "qa_lead"]
    if cal.empty or evaluators.empty:  # no evaluators table: nobody to compare with (noted)
        cal = cal.iloc[0:0]
        return cal.assign(reference=pd.Series(dtype=float), deviation=pd.Series(dtype=float))
    if ref.empty:
        raise QAWError(
            "calibration sessions have no QA lead (role qa_lead) evaluation to compare with"
        )
    ref_score = (
        ref.groupby(["calibration_session", "contact_id"])["score"].first().rename("reference")
    )
    out = cal.join(ref_score, on=["calibration_session", "contact_id"])
    out["deviation"] = out["score"] - out["reference"]
    return out[out["role"] != "qa_lead"].reset_index(drop=True)


def evaluator_deviation(
    cal: pd.DataFrame, by: str | list[str] = "evaluator_id", tolerance: float = 5.0
) -> pd.DataFrame:
    """Per evaluator: n, mean deviation from the reference (with 95% interval; the spread at
    least the SD pooled over evaluators), mean absolute deviation, and the share of contacts
    within ± ``tolerance`` points."""
    by = [by] if isinstance(by, str) else list(by)
    if cal.empty:  # no calibration sessions (or no QA lead to compare with)
        cols = ["n", "mean_deviation", "sd", "mean_abs_deviation", "within_tolerance", "lo", "hi"]
        return pd.DataFrame(columns=[*by, *cols])
    g = cal.groupby(by)["deviation"]
    out = g.agg(n="size", mean_deviation="mean", sd="std").reset_index()
    out["mean_abs_deviation"] = g.apply(lambda d: d.abs().mean()).to_numpy()
    out["within_tolerance"] = g.apply(lambda d: (d.abs() <= tolerance).mean()).to_numpy()
    # An evaluator who matched the lead on all of a few contacts has SD 0, not certainty: the
    # spread is never taken below the deviations' SD pooled over evaluators.
    pooled, _ = pooled_sd(cal, by, "deviation")
    sd = out["sd"].fillna(0).clip(lower=pooled if pooled == pooled else 0)
    hw = t_half_width(sd, out["n"])
    out["lo"], out["hi"] = out["mean_deviation"] - hw, out["mean_deviation"] + hw
    return out


def item_agreement(
    items: pd.DataFrame, scored: pd.DataFrame, evaluators: pd.DataFrame
) -> pd.DataFrame:
    """Per item: how often evaluators' result (pass/fail/na) matches the QA lead's on the same contact."""
    cal = scored[scored["mode"] == "calibration"][
        ["evaluation_id", "evaluator_id", "contact_id", "calibration_session"]
    ]
    cal = cal.merge(evaluators[["evaluator_id", "role"]], on="evaluator_id")
    it = items[isin(items["evaluation_id"], cal["evaluation_id"])].merge(cal, on="evaluation_id")
    ref = it[it["role"] == "qa_lead"][["calibration_session", "contact_id", "item_id", "result"]]
    ref = ref.rename(columns={"result": "reference_result"})
    other = it[it["role"] != "qa_lead"].merge(
        ref, on=["calibration_session", "contact_id", "item_id"]
    )
    other["agree"] = other["result"] == other["reference_result"]
    return (
        other.groupby("item_id")
        .agg(n=("agree", "size"), agreement=("agree", "mean"))
        .reset_index()
        .sort_values("agreement", kind="stable")
    )


def section_alpha(sections: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """Krippendorff's alpha (interval) per scorecard section over calibration contacts.

    Units are (session, contact), coders are evaluators (the QA lead included),
    values are section scores; also the whole score. Alpha 1 = perfect
    agreement, 0 = no better than chance; 0.8 is the usual bar, 0.667 the floor.
    """
    cal = scored[scored["mode"] == "calibration"][
        [
            "evaluation_id",
            "evaluator_id",
            "contact_id",
            "calibration_session",
            "scorecard_id",
            "score",
        ]
    ]
    sec = sections.merge(cal, on="evaluation_id")
    whole = cal.assign(section_id="(total)", section_score=cal["score"])
    rows = []
    for (card, section), d in pd.concat([sec, whole]).groupby(["scorecard_id", "section_id"]):
        m = d.pivot_table(
            index="evaluator_id",
            columns=["calibration_session", "contact_id"],
            values="section_score",
            aggfunc="first",
        )
        units = int((m.notna().sum() >= 2).sum())
        values = m.to_numpy(dtype=float)
        alpha = np.nan
        if units >= 2 and len(np.unique(values[~np.isnan(values)])) > 1:
            alpha = float(
                krippendorff.alpha(
                    reliability_data=m.to_numpy(dtype=float), level_of_measurement="interval"
                )
            )
        elif units >= 2:
            alpha = 1.0  # every coder gave every unit the same value
        rows.append(
            {
                "scorecard_id": card,
                "section_id": section,
                "units": units,
                "coders": len(m),
                "alpha": alpha,
            }
        )
    return pd.DataFrame(rows)


def leniency(scored: pd.DataFrame, freq: str = "M") -> pd.DataFrame:
    """Per evaluator and period: mean difference between their score and the same agents'
    scores by other evaluators in that period (points; + = lenient), with n and 95% interval."""
    s = scored[scored["mode"] != "calibration"].copy()
    s["period"] = s["evaluated_at"].dt.to_period(freq).astype(str)
    am = s.groupby(["agent_id", "period"])["score"].agg(["sum", "count"])
    ame = s.groupby(["agent_id", "period", "evaluator_id"])["score"].agg(["sum", "count"])
    ame.columns = ["sum_own", "count_own"]
    j = s.join(am, on=["agent_id", "period"]).join(ame, on=["agent_id", "period", "evaluator_id"])
    others_n = j["count"] - j["count_own"]
    j["others_mean"] = (j["sum"] - j["sum_own"]) / others_n.where(others_n > 0)
    j["diff"] = j["score"] - j["others_mean"]
    g = j.dropna(subset=["diff"]).groupby(["evaluator_id", "period"])["diff"]
    out = g.agg(n="size", leniency="mean", sd="std").reset_index()
    hw = t_half_width(out["sd"], out["n"])
    out["lo"], out["hi"] = out["leniency"] - hw, out["leniency"] + hw
    return out


def appeal_outcomes(
    appeals: pd.DataFrame, evaluations: pd.DataFrame, as_of: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Per evaluator: evaluations, appeals filed, upheld, rejected, pending (not yet settled:
    undecided, or decided without the double review and the QA lead's sign-off), upheld share
    of settled, and the oldest pending appeal's age at ``as_of`` (days)."""
    from .evaluations import settle_appeals

    settled = settle_appeals(appeals)
    a = settled.merge(evaluations[["evaluation_id", "evaluator_id"]], on="evaluation_id")
    counts = a.pivot_table(
        index="evaluator_id", columns="status", values="item_id", aggfunc="size", fill_value=0
    )
    for col in ("upheld", "rejected", "pending"):
        if col not in counts:
            counts[col] = 0
    out = (
        evaluations.groupby("evaluator_id")
        .size()
        .rename("evaluations")
        .to_frame()
        .join(counts[["upheld", "rejected", "pending"]])
        .fillna(0)
    )
    out = out.astype(int)
    out["appeals"] = out[["upheld", "rejected", "pending"]].sum(axis=1)
    decided = out["upheld"] + out["rejected"]
    out["upheld_share"] = (out["upheld"] / decided.where(decided > 0)).round(3)
    open_ = a[a["status"] == "pending"]
    if as_of is not None and len(open_):
        age = (as_of - pd.to_datetime(open_["filed_at"])).dt.total_seconds() / 86400
        out["oldest_pending_days"] = age.groupby(open_["evaluator_id"]).max().round(0)
    else:
        out["oldest_pending_days"] = float("nan")
    return out.reset_index()
