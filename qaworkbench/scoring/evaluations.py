"""Evaluation scores from item results (qa-practice.md section 4).

Rules: a failed item deducts its recorded ``points_deducted`` (its full points
when none is recorded); in a ``deduction`` scorecard each section is floored
at zero (扣完为止); in a ``checklist`` N/A items are left out and the score is
rescaled, so N/A never lowers a score; a failed critical (bottom-line) item
zeroes or flags the evaluation; an upheld appeal voids its item's deduction,
and the original score is kept beside the final one for audit.

A disputed deduction counts nowhere until its appeal is settled: "如发生有争议的录音，要做到
双人复核录音并要质检主管签字核准后计入坐席考核评分" (hotline code). An appeal is settled when
it is decided, reviewed by two different people and signed off by the QA lead (where the
register records reviewers and sign-off at all); a second-level appeal (上诉) reopens it.
Until then its item deducts nothing and its points are kept as ``points_pending``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import QAWError
from .scorecard import Scorecard, grade, scorecard_versions


def item_table(cards: dict[tuple[str, str], Scorecard]) -> pd.DataFrame:
    """Every item of every scorecard version: points, section maximum, shape, critical rule."""
    frames = []
    for (cid, ver), card in cards.items():
        items = card.items()
        section_max = {s.id: s.max_points for s in card.sections}
        on_fail = {c.id: c.on_fail for c in card.critical_items}
        items["scorecard_id"] = cid
        items["scorecard_version"] = ver
        items["shape"] = card.shape
        items["section_max"] = items["section_id"].map(section_max).fillna(0.0)
        items["on_fail"] = items["item_id"].map(on_fail)
        frames.append(items)
    return pd.concat(frames, ignore_index=True)


def score_evaluations(
    evaluations: pd.DataFrame,
    items: pd.DataFrame,
    appeals: pd.DataFrame | None = None,
    cards: dict[tuple[str, str], Scorecard] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every evaluation; returns (one row per evaluation, one row per evaluation section).

    Per evaluation: ``score`` (points, after upheld appeals and without deductions under
    appeal), ``raw_score`` (before appeals), ``points_deducted``, ``critical_failed``,
    ``appeals_upheld``, ``appeal_pending``, ``points_pending`` (deductions under appeal,
    points), ``grade``, ``n_items``, ``n_na``.
    """
    cards = cards if cards is not None else scorecard_versions()
    meta = item_table(cards)
    ev_keys = evaluations[["evaluation_id", "scorecard_id", "scorecard_version"]]
    it = items.merge(ev_keys, on="evaluation_id", how="left", validate="many_to_one")
    it = it.merge(meta, on=["scorecard_id", "scorecard_version", "item_id"], how="left")
    _check_items(it)
    _check_complete(evaluations, it, meta)
    fail = (it["result"] == "fail").to_numpy()
    na = (it["result"] == "na").to_numpy()
    critical = it["critical"].to_numpy(dtype=bool)
    pts = it["points"].to_numpy(dtype=float)
    recorded = it["points_deducted"].to_numpy(dtype=float)
    deduction = np.where(fail & ~critical, np.where(recorded > 0, recorded, pts), 0.0)
    settled = settle_appeals(appeals)
    upheld = _appeal_mask(it, settled, "upheld")
    pending = _appeal_mask(it, settled, "pending")
    voided = upheld | pending  # a disputed deduction counts only once signed off
    it["deduction_raw"] = deduction
    it["deduction"] = np.where(voided, 0.0, deduction)
    it["upheld_fail"] = upheld & fail
    it["deduction_pending"] = np.where(
        pending, deduction + np.where(fail & critical, pts, 0.0), 0.0
    )
    it["critical_fail_raw"] = fail & critical
    it["critical_fail"] = fail & critical & ~voided
    it["zeroes"] = it["critical_fail"] & (it["on_fail"] == "zero")
    it["zeroes_raw"] = it["critical_fail_raw"] & (it["on_fail"] == "zero")
    it["applicable"] = np.where(na | critical, 0.0, pts)
    it["is_na"] = na
    sections = _sections(it)
    per_ev = _evaluation_scores(it, sections)
    out = evaluations.merge(per_ev, on="evaluation_id", how="left", validate="one_to_one")
    out["appeal_pending"] = out["points_pending"] > 0
    out["grade"] = pd.Series(pd.NA, index=out.index, dtype="str")
    for (cid, ver), card in cards.items():
        m = (out["scorecard_id"] == cid) & (out["scorecard_version"] == ver)
        if m.any():
            out.loc[m, "grade"] = grade(out.loc[m, "score"], card)
    return out, sections


def _check_items(it: pd.DataFrame) -> None:
    no_ev = it["scorecard_id"].isna()
    if no_ev.any():
        ids = it.loc[no_ev, "evaluation_id"].unique()[:5]
        raise QAWError(f"evaluation items of unknown evaluations: {', '.join(ids)}")
    unknown = it["points"].isna()
    if unknown.any():
        bad = it.loc[unknown, ["evaluation_id", "scorecard_id", "scorecard_version", "item_id"]]
        first = bad.drop_duplicates(["scorecard_id", "scorecard_version", "item_id"]).head(5)
        desc = "; ".join(
            f"{r.item_id} on {r.scorecard_id} v{r.scorecard_version} (e.g. {r.evaluation_id})"
            for r in first.itertuples()
        )
        raise QAWError(
            f"{int(unknown.sum())} evaluation item(s) name an item or scorecard version that "
            f"templates/scorecards/ does not define: {desc}"
        )
    critical = it["critical"].astype(bool)
    for bad, what in (
        ((it["result"] == "pass") & (it["points_deducted"] > 0), "points deducted on a pass"),
        ((it["result"] == "fail") & (it["points_deducted"] == 0) & ~critical,
         "a fail with 0 points deducted (only a bottom-line item fails with none)"),
    ):  # fmt: skip
        bad = bad.fillna(False).to_numpy(dtype=bool)
        if bad.any():
            r = it[bad].iloc[0]
            raise QAWError(
                f"evaluation {r.evaluation_id}, item {r.item_id}: {what} ({int(bad.sum())} such "
                "item(s)); record the item's result and points so they agree"
            )
    over = (it["points_deducted"] > it["points"] + 1e-9) & ~critical
    if over.any():
        r = it[over].iloc[0]
        raise QAWError(
            f"evaluation {r.evaluation_id}, item {r.item_id}: {r.points_deducted:g} points deducted, "
            f"more than the item's {r.points:g} ({int(over.sum())} such item(s))"
        )


def _check_complete(evaluations: pd.DataFrame, it: pd.DataFrame, meta: pd.DataFrame) -> None:
    """Every evaluation holds a row for every item of its scorecard version (result na where
    an item does not apply): one with none would score as no number, one with some as if the
    others had passed."""
    if evaluations.empty:  # a center before its first evaluation
        return
    size = meta.groupby(["scorecard_id", "scorecard_version"]).size().rename("want")
    want = evaluations[["evaluation_id", "scorecard_id", "scorecard_version"]].join(
        size, on=["scorecard_id", "scorecard_version"]
    )
    if want.empty:  # no evaluations (e.g. before the first month): nothing to check
        return
    unknown = want["want"].isna()
    if unknown.any():
        r = want[unknown].iloc[0]
        raise QAWError(
            f"{int(unknown.sum())} evaluation(s) on a scorecard version templates/scorecards/ "
            f"does not define, e.g. evaluation {r.evaluation_id}: {r.scorecard_id} "
            f"v{r.scorecard_version}"
        )
    if want.empty:  # no evaluations (a center's first month has no history before it)
        return
    have = want["evaluation_id"].map(it["evaluation_id"].value_counts()).fillna(0)
    short = want[(have < want["want"]).to_numpy()]
    if short.empty:
        return
    lines = []
    for r in short.head(5).itertuples():
        card = meta[(meta["scorecard_id"] == r.scorecard_id)
                    & (meta["scorecard_version"] == r.scorecard_version)]["item_id"]  # fmt: skip
        held = set(it.loc[it["evaluation_id"] == r.evaluation_id, "item_id"])
        gone = [x for x in card if x not in held]
        lines.append(f"evaluation {r.evaluation_id} lacks {len(gone)} of {len(card)} items: "
                     f"{', '.join(gone[:8])}{' …' if len(gone) > 8 else ''}")  # fmt: skip
    raise QAWError(
        f"{len(short):,d} evaluation(s) do not hold every item of their scorecard (an item that "
        "does not apply needs a row with result na); no score is computed from part of a form:\n  "
        + "\n  ".join(lines)
    )


SIGN_OFF = ("first_reviewer", "second_reviewer", "signed_off_by")


def settle_appeals(appeals: pd.DataFrame | None) -> pd.DataFrame:
    """One row per appealed item (evaluation_id, item_id, level, filed_at, status): its latest
    level (上诉 over 申诉), and ``status`` upheld or rejected only when settled — decided, two
    different reviewers and a sign-off recorded — else pending. A register without reviewer
    and sign-off columns (all empty) records decisions only: they are taken as settled."""
    cols = ["evaluation_id", "item_id", "level", "filed_at", "status"]
    if appeals is None or appeals.empty:
        return pd.DataFrame(columns=cols)
    a = appeals.copy()
    level = a["level"] if "level" in a else pd.Series(pd.NA, index=a.index)
    a["level"] = level.fillna("appeal").astype(str)
    if "filed_at" not in a:
        a["filed_at"] = pd.NaT
    a = a.sort_values(["evaluation_id", "item_id", "level", "filed_at"], kind="stable")
    a = a.drop_duplicates(["evaluation_id", "item_id"], keep="last")  # "second_appeal" > "appeal"
    decided = a["decision"].isin(["upheld", "rejected"]).to_numpy().copy()
    recorded = [c for c in SIGN_OFF if c in a and a[c].notna().any()]
    if recorded:
        signed = np.ones(len(a), dtype=bool)
        for c in SIGN_OFF:
            signed &= a[c].notna().to_numpy() if c in a else False
        if "first_reviewer" in a and "second_reviewer" in a:
            signed &= (
                a["first_reviewer"].astype(str) != a["second_reviewer"].astype(str)
            ).to_numpy()
        decided &= signed
    a["status"] = np.where(decided, a["decision"].astype(str), "pending")
    return a[cols].reset_index(drop=True)


def _appeal_mask(it: pd.DataFrame, settled: pd.DataFrame, status: str) -> np.ndarray:
    if settled.empty:
        return np.zeros(len(it), dtype=bool)
    s = settled.loc[settled["status"] == status, ["evaluation_id", "item_id"]]
    key = it["evaluation_id"].astype(str) + "\x1f" + it["item_id"].astype(str)
    s_key = s["evaluation_id"].astype(str) + "\x1f" + s["item_id"].astype(str)
    return key.isin(set(s_key)).to_numpy()


def _sections(it: pd.DataFrame) -> pd.DataFrame:
    """Section scores per evaluation (critical items excluded)."""
    sec = it[~it["critical"].astype(bool)]
    g = sec.groupby(["evaluation_id", "section_id"], sort=False)
    out = g.agg(
        shape=("shape", "first"),
        section_max=("section_max", "first"),
        deducted=("deduction", "sum"),
        deducted_raw=("deduction_raw", "sum"),
        applicable=("applicable", "sum"),
    ).reset_index()
    for suffix in ("", "_raw"):  # after appeals, and as first scored
        out[f"section_score{suffix}"] = _section_score(out, out[f"deducted{suffix}"])
    return out


def _section_score(sec: pd.DataFrame, deducted: pd.Series) -> np.ndarray:
    """Deduction shape: the maximum less the deductions, floored at zero; checklist: the
    maximum times the share of applicable points earned (the maximum when all are N/A)."""
    applicable = sec["applicable"]
    floored = (sec["section_max"] - deducted).clip(lower=0)
    rescaled = sec["section_max"] * (applicable - deducted) / applicable.where(applicable > 0, 1)
    checklist = np.where(applicable > 0, rescaled, sec["section_max"])
    return np.where(sec["shape"] == "deduction", floored, checklist)


def _evaluation_scores(it: pd.DataFrame, sections: pd.DataFrame) -> pd.DataFrame:
    g = it.groupby("evaluation_id", sort=False)
    per = g.agg(
        points_deducted=("deduction", "sum"),
        points_deducted_raw=("deduction_raw", "sum"),
        critical_failed=("critical_fail", "any"),
        critical_failed_raw=("critical_fail_raw", "any"),
        zeroes=("zeroes", "any"),
        zeroes_raw=("zeroes_raw", "any"),
        n_items=("item_id", "size"),
        n_na=("is_na", "sum"),
        appeals_upheld=("upheld_fail", "any"),
        points_pending=("deduction_pending", "sum"),
    )
    s = sections.groupby("evaluation_id", sort=False).agg(
        shape=("shape", "first"),
        total=("section_score", "sum"),
        total_raw=("section_score_raw", "sum"),
        applicable=("applicable", "sum"),
        deducted=("deducted", "sum"),
        deducted_raw=("deducted_raw", "sum"),
        max_points=("section_max", "sum"),
    )
    checklist = s["shape"] == "checklist"
    denom = s["applicable"].where(s["applicable"] > 0, np.nan)
    rescaled = s["max_points"] * (s["applicable"] - s["deducted"]) / denom
    rescaled_raw = s["max_points"] * (s["applicable"] - s["deducted_raw"]) / denom
    score = s["total"].where(~checklist, rescaled.fillna(s["max_points"]))
    score_raw = s["total_raw"].where(~checklist, rescaled_raw.fillna(s["max_points"]))
    per = per.join(pd.DataFrame({"score": score, "raw_score": score_raw}))
    per["score"] = per["score"].where(~per["zeroes"], 0.0).round(4)
    per["raw_score"] = per["raw_score"].where(~per["zeroes_raw"], 0.0).round(4)
    cols = ["score", "raw_score", "points_deducted", "points_deducted_raw", "critical_failed",
            "appeals_upheld", "points_pending", "n_items", "n_na"]  # fmt: skip
    return per[cols].reset_index()
