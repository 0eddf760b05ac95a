"""Item detectors learned from the center's own evaluations (no outside model, nothing fetched):
for a scorecard item with enough evaluator verdicts on contacts that have text, a small text
classifier — character 1-3-grams weighted by TF-IDF and a logistic regression, from
scikit-learn — that says whether the evaluator failed the item.

Each detector is measured like a rule: out-of-fold predictions of a stratified k-fold
cross-validation (seeded) against the evaluators' verdicts give precision and recall with
95% Wilson intervals and Cohen's kappa with its 95% interval. It is trusted (counted) only
when it passes the rule set's thresholds: at least ``agreement.min_n`` verdicts, kappa at
least ``agreement.min_kappa``, and precision (point, or its lower bound with ``review.on:
lower``) at least ``review.min_precision``; otherwise it is advisory. Its explanation is the
n-grams that weigh most towards a fail in the model fitted on every verdict. Texts are masked
(``privacy.mask_text``) before they are read, so no n-gram holds a personal value. The last
measured detectors are kept in ``<data>/autoqa/learned.parquet`` for the monthly report.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import QAWError, writing
from ..stats import cohen_kappa, wilson
from .ruleset import RuleSet

MIN_VERDICTS = 40  # pass / fail verdicts on contacts with text an item needs
MIN_EACH = 8  # and at least this many fails and passes among them
FOLDS = 5
NGRAMS = (1, 3)  # character n-gram lengths
TOP_NGRAMS = 8  # n-grams shown as a detector's explanation
LEARNED_COLUMNS = [
    "item_id", "n", "fails", "detected", "both_fail", "precision", "precision_lo",
    "precision_hi", "recall", "recall_lo", "recall_hi", "kappa", "kappa_lo", "kappa_hi",
    "trusted", "top_ngrams",
]  # fmt: skip


class TooFewVerdicts(QAWError):
    """An item without enough evaluator verdicts to learn from."""


def contact_texts(messages: pd.DataFrame) -> pd.Series:
    """Each contact's text (``review.contact_messages``' masked messages, in order, one line
    each), indexed by ``contact_id``."""
    if messages.empty:
        return pd.Series(dtype=str)
    m = messages.sort_values(["contact_id", "seq"], kind="stable")
    return m.groupby("contact_id", sort=True)["text"].agg("\n".join)


def model(seed: int = 0):
    """A fresh, unfitted detector: character 1-3-gram TF-IDF and a class-balanced logistic
    regression (scikit-learn Pipeline)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, min_df=2, sublinear_tf=True),
        LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed),
    )


def folds(y: np.ndarray, seed: int = 0, k: int = FOLDS):
    """The cross-validation folds: stratified, shuffled with ``seed``."""
    from sklearn.model_selection import StratifiedKFold

    return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(y, y))


def learn_item(
    texts: pd.Series, fails: pd.Series, item_id: str, rules: RuleSet, seed: int = 0
) -> dict:
    """One item's detector, measured: ``texts`` and ``fails`` (True where the evaluator failed
    the item) indexed by contact. A row of LEARNED_COLUMNS; TooFewVerdicts when the item has
    fewer than MIN_VERDICTS verdicts or fewer than MIN_EACH fails or passes."""
    both = pd.concat({"text": texts, "fail": fails}, axis=1, join="inner").dropna()
    n, k = len(both), int(both["fail"].astype(bool).sum())
    if n < MIN_VERDICTS or min(k, n - k) < MIN_EACH:
        raise TooFewVerdicts(
            f"item {item_id}: {n} evaluator verdicts on contacts with text ({k} fail(s), "
            f"{n - k} pass(es)); a detector needs at least {MIN_VERDICTS} verdicts with at least "
            f"{MIN_EACH} fails and {MIN_EACH} passes"
        )
    x = both["text"].astype(str).to_numpy()
    y = both["fail"].astype(bool).to_numpy()
    pred = cross_predict(x, y, seed)
    tp, fp = int((pred & y).sum()), int((pred & ~y).sum())
    fn, tn = int((~pred & y).sum()), int((~pred & ~y).sum())
    p_lo, p_hi = wilson(tp, tp + fp)
    r_lo, r_hi = wilson(tp, tp + fn)
    kappa, k_lo, k_hi = cohen_kappa(tp, fp, fn, tn)
    precision = tp / (tp + fp) if tp + fp else np.nan
    gate = float(p_lo) if rules.review.on == "lower" else precision
    trusted = bool(
        n >= rules.agreement.min_n
        and np.isfinite(kappa)
        and kappa >= rules.agreement.min_kappa
        and np.isfinite(gate)
        and gate >= rules.review.min_precision
    )
    return {
        "item_id": item_id, "n": n, "fails": k, "detected": tp + fp, "both_fail": tp,
        "precision": precision, "precision_lo": float(p_lo), "precision_hi": float(p_hi),
        "recall": tp / (tp + fn), "recall_lo": float(r_lo), "recall_hi": float(r_hi),
        "kappa": kappa, "kappa_lo": k_lo, "kappa_hi": k_hi, "trusted": trusted,
        "top_ngrams": top_ngrams(x, y, seed),
    }  # fmt: skip


def cross_predict(x: np.ndarray, y: np.ndarray, seed: int = 0) -> np.ndarray:
    """Out-of-fold predictions (True: a fail) of a detector trained on the other folds."""
    pred = np.zeros(len(y), dtype=bool)
    for train, test in folds(y, seed):
        m = model(seed).fit(x[train], y[train])
        pred[test] = m.predict(x[test]).astype(bool)
    return pred


def top_ngrams(x: np.ndarray, y: np.ndarray, seed: int = 0, top: int = TOP_NGRAMS) -> str:
    """The n-grams that weigh most towards a fail in the detector fitted on every verdict,
    heaviest first, joined by " · "."""
    m = model(seed).fit(x, y)
    vec, lr = m.steps[0][1], m.steps[-1][1]
    names = vec.get_feature_names_out()
    coef = lr.coef_[0]
    order = np.argsort(-coef)[:top]
    return " · ".join(names[i].replace("\n", "⏎") for i in order if coef[i] > 0)


def learn(
    texts: pd.Series,
    human: pd.DataFrame,
    rules: RuleSet,
    items: list[str] | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, list[str]]:
    """A detector per item of ``human`` (the evaluators' ``contact_id``, ``item_id``,
    ``human`` pass / fail / na; N/A left out) on the contacts of ``texts``, or of ``items``:
    the measured detectors (LEARNED_COLUMNS) and, for each item refused, why."""
    h = human[human["human"].astype(str) != "na"].astype({"contact_id": str, "item_id": str})
    h = h.drop_duplicates(["contact_id", "item_id"], keep="last")
    wanted = items if items is not None else sorted(h["item_id"].unique())
    rows, refused = [], []
    for item in wanted:
        one = h[h["item_id"] == item].set_index("contact_id")["human"] == "fail"
        try:
            rows.append(learn_item(texts, one, item, rules, seed))
        except TooFewVerdicts as e:
            refused.append(str(e))
    return pd.DataFrame(rows, columns=LEARNED_COLUMNS), refused


def learned_path(source: str | Path) -> Path:
    """Where a data folder's measured detectors are kept: ``<data>/autoqa/learned.parquet``."""
    if not Path(str(source)).is_dir():
        raise QAWError(f"{source}: learned detectors are kept in a data folder; give a folder")
    return Path(source) / "autoqa" / "learned.parquet"


def save_learned(source: str | Path, table: pd.DataFrame, months: list[str]) -> Path:
    """Keep the measured detectors (LEARNED_COLUMNS) and the months they learned from,
    replacing the last ones (written beside, then renamed)."""
    path = learned_path(source)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            table.assign(months=" ".join(months)).to_parquet(tmp, index=False)
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_learned(source: str | Path) -> pd.DataFrame | None:
    """The detectors ``qaw autoqa learn`` last kept for ``source`` (None: none, or a database)."""
    try:
        path = learned_path(source)
    except QAWError:
        return None
    return pd.read_parquet(path) if path.exists() else None
