"""STC-3 dialogue quality from the text: the learned-detector approach (character n-grams and
a linear model) predicting the 19 raters' A / S / E score distributions, under k-fold
cross-validation on the 3,700 Chinese training dialogues, scored with the task's own eval.py.

    .venv/bin/python bench/stc3_quality.py [--zip ../shared/data/external/stc3-weibo/data.zip]
                                           [--folds 5] [--seed 0] [--c 1.0] [--features 50000]

Read in place: the dialogues and eval.py are read from the corpus's data.zip (eval.py is
imported from the zip, never copied). Compared, on the same folds, with the trivial
baselines: the uniform distribution (as the task's BL-uniform) and the training folds' mean
distribution (as BL-popularity). Prints the machine, the date, mean NMD and RSNOD per score
(lower is better) and, for the model, the paired difference from the mean-distribution
baseline with a 95% bootstrap interval over dialogues.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

ROOT = Path(__file__).resolve().parents[1]
ZIP = ROOT.parent / "shared" / "data" / "external" / "stc3-weibo" / "data.zip"
SCORES = ("A", "S", "E")


def load(zip_path: Path) -> tuple[list[dict], object]:
    """The training dialogues and the task's eval module, both read from the zip in place."""
    with zipfile.ZipFile(zip_path) as z:
        dialogues = json.loads(z.read("data/train_data_cn.json"))
    argv, sys.argv = sys.argv, sys.argv[:1]  # eval.py parses the command line on import
    sys.path.insert(0, f"{zip_path}/data")
    try:
        stc3_eval = importlib.import_module("eval")
    finally:
        sys.argv = argv
        sys.path.pop(0)
    return dialogues, stc3_eval


def text_of(d: dict) -> str:
    """A dialogue as one text: each turn on a line, C: customer, H: helpdesk."""
    return "\n".join(
        ("C:" if t["sender"] == "customer" else "H:") + " ".join(t["utterances"])
        for t in d["turns"]
    )


def truth(dialogues: list[dict], scales: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Per score, the raters' distribution over ``scales`` (eval.py's order), one row each."""
    out = {}
    for s in SCORES:
        m = np.array(
            [[sum(str(a["quality"][s]) == v for a in d["annotations"]) for v in scales]
             for d in dialogues], dtype=float)  # fmt: skip
        out[s] = m / m.sum(axis=1, keepdims=True)
    return out


def fit_predict(x_tr, p_tr: np.ndarray, x_te, c: float, seed: int) -> np.ndarray:
    """A multinomial logistic regression fitted on soft labels (each dialogue once per score
    level, weighted by the raters' share), predicting a distribution for each test row."""
    k = p_tr.shape[1]
    xs = sp.vstack([x_tr] * k)
    ys = np.repeat(np.arange(k), x_tr.shape[0])
    ws = p_tr.T.reshape(-1)
    keep = ws > 0
    lr = LogisticRegression(C=c, max_iter=3000, random_state=seed)
    lr.fit(xs[keep], ys[keep], sample_weight=ws[keep])
    out = np.zeros((x_te.shape[0], k))
    out[:, lr.classes_] = lr.predict_proba(x_te)
    return out


def scored(stc3_eval, dialogues, preds: dict[str, np.ndarray], scales) -> dict[str, dict]:
    """eval.py's evaluate_quality on out-of-fold predictions: {"nmd": {A,S,E}, "rsnod": …}."""
    id2pred = {}
    for i, d in enumerate(dialogues):
        dist = {s: dict(zip(scales, preds[s][i].tolist(), strict=True)) for s in SCORES}
        id2pred[d["id"]] = {"quality": dist}
    id2truth = {d["id"]: d for d in dialogues}
    return stc3_eval.evaluate_quality(id2pred, id2truth)


def per_dialogue(stc3_eval, pred: np.ndarray, true: np.ndarray, measure: str) -> np.ndarray:
    """eval.py's measure for each dialogue (its normalized_match_dist or rsnod)."""
    f = stc3_eval.normalized_match_dist if measure == "nmd" else stc3_eval.rsnod
    return np.array([f(p, t) for p, t in zip(pred, true, strict=True)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zip", type=Path, default=ZIP)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    ap.add_argument("--features", type=int, default=50_000, help="n-grams kept (most frequent)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    dialogues, stc3_eval = load(args.zip)
    scales = tuple(stc3_eval.QUALITY_SCALES)
    texts = np.array([text_of(d) for d in dialogues], dtype=object)
    true = truth(dialogues, scales)
    n = len(dialogues)
    runs = {name: {s: np.zeros((n, len(scales))) for s in SCORES}
            for name in ("uniform", "mean distribution", "char n-grams + LR")}  # fmt: skip
    cv = KFold(args.folds, shuffle=True, random_state=args.seed).split(texts)
    for fold, (train, test) in enumerate(cv, start=1):
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True,
                              max_features=args.features)  # fmt: skip
        x_tr, x_te = vec.fit_transform(texts[train]), vec.transform(texts[test])
        for s in SCORES:
            runs["uniform"][s][test] = 1 / len(scales)
            runs["mean distribution"][s][test] = true[s][train].mean(axis=0)
            runs["char n-grams + LR"][s][test] = fit_predict(
                x_tr, true[s][train], x_te, args.c, args.seed
            )
        print(f"fold {fold}/{args.folds} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    cpu = platform.processor() or platform.machine()
    print(f"machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; date {time.strftime('%Y-%m-%d')}")  # fmt: skip
    print(f"STC-3 Chinese training dialogues: {n:,d}; {args.folds}-fold CV (seed {args.seed}); "
          f"C = {args.c:g}, {args.features:,d} n-grams; eval.py read from {args.zip}")  # fmt: skip
    print(f"\n{'run':22s} " + " ".join(f"{m}-{s:>1s}".rjust(9) for m in ("NMD", "RSNOD")
                                        for s in SCORES))  # fmt: skip
    results = {name: scored(stc3_eval, dialogues, p, scales) for name, p in runs.items()}
    for name, r in results.items():
        cells = [r[m][s] for m in ("nmd", "rsnod") for s in SCORES]
        print(f"{name:22s} " + " ".join(f"{v:9.4f}" for v in cells))
    rng = np.random.default_rng(args.seed)
    boots = rng.integers(0, n, size=(2000, n))
    print("\nchar n-grams + LR minus mean distribution, per dialogue (95% bootstrap interval):")
    for m in ("nmd", "rsnod"):
        for s in SCORES:
            d = per_dialogue(stc3_eval, runs["char n-grams + LR"][s], true[s], m) - per_dialogue(
                stc3_eval, runs["mean distribution"][s], true[s], m
            )
            lo, hi = np.percentile(d[boots].mean(axis=1), [2.5, 97.5])
            print(f"  {m.upper()}-{s}: {d.mean():+.4f} ({lo:+.4f} to {hi:+.4f})")
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
