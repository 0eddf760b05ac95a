"""Sentences in each language: counts agree with their nouns."""

from __future__ import annotations

from qaworkbench.reporting.i18n import PHRASES, say


def test_english_counts_agree_with_their_nouns():
    assert say("bottom_line_count", "en", n=1) == "1 new bottom-line violation"
    assert say("bottom_line_count", "en", n=4) == "4 new bottom-line violations"
    assert say("bottom_line_count", "en", n=0) == "0 new bottom-line violations"
    assert say("thin", "en", n=1) == " (only 1 evaluation: thin evidence)"
    assert say("bottom_line_count", "zh", n=4) == "新增底线违规 4 起"
    for key, (_, en) in PHRASES.items():  # no "(s)" reaches a page
        if "(s)" in en:
            assert "{n}" in en, key


def test_a_cases_failed_items_are_listed_in_the_pages_language():
    import pandas as pd

    from qaworkbench.reporting.evidence import case_texts
    from qaworkbench.scoring.penalties import load_penalty_code

    cases = pd.DataFrame([{"case_id": "K1", "source": "evaluation", "rule_id": "critical_item",
                           "points": 20.0, "evidence": "evaluation E0014856 item SEC01,REC02"}])  # fmt: skip
    names = {"zh": pd.Series({"SEC01": "泄露客户信息", "REC02": "工单记录完整"}),
             "en": pd.Series({"SEC01": "Disclosure of customer data", "REC02": "Complete record"})}  # fmt: skip
    zh, en = (case_texts(cases, load_penalty_code(), names[lang], lang)[0] for lang in ("zh", "en"))
    assert "质检 E0014856 泄露客户信息、工单记录完整" in zh
    assert "evaluation E0014856: Disclosure of customer data; Complete record" in en
    assert "、" not in en
