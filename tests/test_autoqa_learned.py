"""Learned item detectors: trained on a small labelled set, their cross-validated agreement is
the one sklearn's own metrics give on the same folds (computed here independently, not
assumed), trust follows the rule set's thresholds, and an item with too few verdicts is
refused with a message."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold

from qaworkbench.autoqa import load_ruleset
from qaworkbench.autoqa.learned import TooFewVerdicts, learn, learn_item
from qaworkbench.cli import main

RULES = load_ruleset("hotline")
REFUSALS = ["这个我不清楚", "这个不能办", "我也不知道", "不了解这个", "这边办不了"]
POLITE = [
    "已为您查询到",
    "请您稍等，马上为您处理",
    "感谢您的耐心",
    "已经为您办理好了",
    "您的话费是58元",
]
TOPICS = ["宽带", "话费", "套餐", "流量", "漫游", "积分", "发票", "停机"]


def _labelled(n: int = 80, noise: int = 6, seed: int = 3) -> tuple[pd.Series, pd.Series]:
    """``n`` chats about a topic, the failed ones holding a refusal; ``noise`` labels flipped
    (evaluators disagree with the words sometimes), so the detector cannot be perfect."""
    rnd = random.Random(seed)
    ids, texts, fails = [], [], []
    for i in range(n):
        fail = i % 3 == 0
        topic = rnd.choice(TOPICS)
        agent = rnd.choice(REFUSALS if fail else POLITE)
        texts.append(f"我想问一下{topic}的事\n您好，{agent}。\n好的\n{rnd.choice(POLITE)}")
        ids.append(f"C{i:04d}")
        fails.append(fail)
    for i in rnd.sample(range(n), noise):
        fails[i] = not fails[i]
    idx = pd.Index(ids, name="contact_id")
    return pd.Series(texts, index=idx), pd.Series(fails, index=idx)


def _wilson(k: int, n: int) -> tuple[float, float]:
    z, p = 1.959964, k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (0.0 if k == 0 else mid - half), (1.0 if k == n else mid + half)


def test_the_cross_validated_agreement_is_computed_on_the_folds():
    texts, fails = _labelled()
    row = learn_item(texts, fails, "CH07", RULES, seed=11)
    # the same folds and model, built here from sklearn, and sklearn's own metrics
    x, y = texts.to_numpy(), fails.to_numpy()
    pred = np.zeros(len(y), dtype=bool)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=11).split(x, y):
        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
        lr = LogisticRegression(class_weight="balanced", max_iter=2000, random_state=11)
        lr.fit(vec.fit_transform(x[train]), y[train])
        pred[test] = lr.predict(vec.transform(x[test]))
    assert row["n"] == 80 and row["fails"] == int(y.sum())
    assert row["precision"] == pytest.approx(precision_score(y, pred))
    assert row["recall"] == pytest.approx(recall_score(y, pred))
    assert row["kappa"] == pytest.approx(cohen_kappa_score(y, pred))
    assert 0.5 < row["kappa"] < 1.0  # learned something, and not a perfect (assumed) answer
    tp, det = int((pred & y).sum()), int(pred.sum())
    assert (row["both_fail"], row["detected"]) == (tp, det)
    assert (row["precision_lo"], row["precision_hi"]) == pytest.approx(_wilson(tp, det), abs=1e-5)
    assert (row["recall_lo"], row["recall_hi"]) == pytest.approx(
        _wilson(tp, int(y.sum())), abs=1e-5
    )
    assert row["kappa_lo"] < row["kappa"] < row["kappa_hi"]
    assert any(w in row["top_ngrams"] for w in ("不", "办不", "不清", "不能", "知道"))
    # trusted exactly when the rule set's thresholds pass
    passes = (row["n"] >= RULES.agreement.min_n and row["kappa"] >= RULES.agreement.min_kappa
              and row["precision"] >= RULES.review.min_precision)  # fmt: skip
    assert row["trusted"] == passes


def test_a_detector_below_the_thresholds_stays_advisory():
    texts, fails = _labelled(noise=22)  # evaluators and words disagree a lot
    row = learn_item(texts, fails, "CH07", RULES, seed=11)
    assert not row["trusted"]
    assert row["kappa"] < RULES.agreement.min_kappa or row["precision"] < RULES.review.min_precision


def test_an_item_with_too_few_verdicts_is_refused_with_a_message():
    texts, fails = _labelled(n=30)
    with pytest.raises(TooFewVerdicts, match=r"item CH07: 30 evaluator verdicts .* at least 40"):
        learn_item(texts, fails, "CH07", RULES)
    human = pd.DataFrame({"contact_id": texts.index, "item_id": "CH07",
                          "human": np.where(fails, "fail", "pass")})  # fmt: skip
    table, refused = learn(texts, human, RULES)
    assert table.empty and len(refused) == 1 and refused[0].startswith("item CH07: 30 ")
    one_sided = pd.Series(False, index=texts.index)  # no fail at all: nothing to learn
    with pytest.raises(TooFewVerdicts, match=r"\(0 fail\(s\), 30 pass\(es\)\)"):
        learn_item(texts, one_sided, "CH07", RULES)


def test_qaw_autoqa_learn_refuses_the_small_centers_items(small_dir):
    out = CliRunner().invoke(
        main, ["autoqa", "learn", "--month", "2026-06", "--data", str(small_dir), "--item", "CH07"]
    )
    assert out.exit_code == 1, out.output
    assert "refused: item CH07:" in out.output and "needs at least 40 verdicts" in out.output


def test_the_monthly_report_shows_the_detectors_beside_the_rules(small_dir, tmp_path, monkeypatch):
    """A detector kept by `qaw autoqa learn` is in the monthly report's auto-QA section, below
    the rules' trust, in each language, and in the Excel appendix with every column named."""
    import shutil

    from qaworkbench.autoqa import check_month, results_path, save_results
    from qaworkbench.autoqa.learned import load_learned, save_learned
    from qaworkbench.periods import parse_period
    from qaworkbench.reporting import contents, display, i18n

    data = tmp_path / "center"
    shutil.copytree(small_dir, data)
    p = parse_period("2026-06")
    save_results(check_month(data, p, RULES), results_path(data, p), RULES)
    texts, fails = _labelled()
    row = learn_item(texts, fails, "CH07", RULES, seed=11)
    save_learned(data, pd.DataFrame([row]), ["2026-06"])
    assert load_learned(data).iloc[0]["months"] == "2026-06"
    for lang in ("zh", "en"):
        ctx = contents.build("monthly", data, "2026-06", language=lang)
        t = ctx.tables["autoqa_learned"]
        assert len(t) == 1 and t.iloc[0]["n_verdicts"] == 80
        assert t.iloc[0]["precision"] == pytest.approx(row["precision"])
        assert t.iloc[0]["item"] == ("无服务禁语（不知道、不清楚、不了解、不能）" if lang == "zh"
                                     else "No forbidden phrases")  # fmt: skip
        display.present(t, lang)
        assert i18n.t("autoqa_learned_title", lang) in ctx.appendix()
        shown: list = []
        monkeypatch.setattr("IPython.display.display", lambda *objs, out=shown: out.extend(objs))
        contents.section(ctx, "autoqa")
        html = "".join(getattr(o, "data", "") or "" for o in shown)
        assert i18n.t("autoqa_learned", lang) in html and t.iloc[0]["item"] in html
