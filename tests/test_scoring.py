"""Hand-computed cases from the rules of qa-practice.md sections 4 and 7."""

from __future__ import annotations

import pandas as pd
import pytest

from qaworkbench import ConfigError, QAWError, load_scorecard
from qaworkbench.config import SCORECARDS_DIR
from qaworkbench.scoring.evaluations import score_evaluations

VOICE = load_scorecard("hotline_voice")
CHAT = load_scorecard("online_chat")
CHAT_V1 = load_scorecard(SCORECARDS_DIR / "online_chat_1.0.yaml")


def evaluation(
    card, results: dict[str, str | tuple[str, float]], eid="E1"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One evaluation on ``card``: every item passes unless ``results`` says otherwise."""
    ev = pd.DataFrame([{
        "evaluation_id": eid, "contact_id": "C1", "agent_id": "A1", "evaluator_id": "Q1",
        "evaluated_at": pd.Timestamp("2026-10-05 10:00"), "mode": "post_call",
        "scorecard_id": card.id, "scorecard_version": card.version, "calibration_session": None,
    }])  # fmt: skip
    rows = []
    for item in card.items().itertuples():
        r = results.get(item.item_id, "pass")
        result, pts = (r, 0.0) if isinstance(r, str) else r
        if result == "fail" and isinstance(r, str):
            pts = item.points
        rows.append(
            {
                "evaluation_id": eid,
                "item_id": item.item_id,
                "result": result,
                "points_deducted": pts,
                "comment": None,
            }
        )
    return ev, pd.DataFrame(rows)


def one(card, results, appeals=None) -> pd.Series:
    ev, items = evaluation(card, results)
    scored, _ = score_evaluations(ev, items, appeals)
    return scored.iloc[0]


def test_all_pass_is_full_marks():
    assert one(VOICE, {})["score"] == 100
    assert one(CHAT, {})["score"] == 100


def test_section_floored_at_zero():
    # attitude (max 20): 5 + 5 + 5 + 10 = 25 deducted -> section 0, not -5; score 0 + 30 + 50
    r = one(
        VOICE, {"ATT01": "fail", "ATT02": "fail", "ATT03": "fail", "ATT04": "fail", "NRM01": "fail"}
    )
    assert r["score"] == 75  # 0 + (30 - 5) + 50
    assert r["points_deducted"] == 30  # what the evaluator recorded, before the floor


def test_the_online_chat_standard_has_its_items_and_points():
    """The standard: response 6 (2/2/2), opening and closing 4 (2/2), service wording 15 (3
    each, 使用快捷话术 among them), attitude 4/3/4/4 (状态积极, 细心, 服务耐心, no hurrying);
    the center's business items complete it to 100."""
    pts = CHAT.items().set_index("item_id")["points"]
    assert pts[["CH01", "CH02", "CH03"]].tolist() == [2, 2, 2]
    assert pts[["CH04", "CH05"]].tolist() == [2, 2]
    assert pts[["CH06", "CH12", "CH07", "CH08", "CH13"]].tolist() == [3] * 5
    assert pts[["CH14", "CH09", "CH15", "CH10"]].tolist() == [4, 3, 4, 4]
    assert pts.sum() == 100 and CHAT.version == "2.0" and CHAT_V1.version == "1.0"


def test_section_scores_are_reported():
    ev, items = evaluation(VOICE, {"ATT04": "fail", "SKL02": ("fail", 8.0)})
    _, sections = score_evaluations(ev, items)
    got = sections.set_index("section_id")["section_score"].to_dict()
    assert got == {"attitude": 10, "norms": 30, "skills": 42}


def test_na_rescales_a_checklist_and_never_lowers_a_score():
    assert one(CHAT, {"CH03": "na"})["score"] == 100
    # version 2.0, the standard's points: CH01 failed (2 of 98 applicable) with CH03 (2) N/A:
    # 100 x 96 / 98
    r = one(CHAT, {"CH01": "fail", "CH03": "na"})
    assert r["score"] == pytest.approx(100 * 96 / 98, abs=1e-3)
    assert r["n_na"] == 1
    # an evaluation on version 1.0 keeps its points: CH01 10 of 95 applicable -> 100 x 85 / 95
    r = one(CHAT_V1, {"CH01": "fail", "CH03": "na"})
    assert r["score"] == pytest.approx(100 * 85 / 95, abs=1e-3)
    # on a deduction scorecard N/A simply deducts nothing
    assert one(VOICE, {"NRM04": "na", "NRM05": "na", "NRM06": "na"})["score"] == 100


def test_partial_deduction_recorded_by_the_evaluator():
    assert one(VOICE, {"SKL02": ("fail", 8.0)})["score"] == 92


def test_critical_item_zeroes_the_evaluation():
    r = one(VOICE, {"CRT01": "fail"})
    assert r["score"] == 0 and r["critical_failed"]
    assert one(CHAT, {"CH11": "fail", "CH01": "fail"})["score"] == 0


def test_upheld_appeal_restores_points_and_keeps_the_original():
    appeals = pd.DataFrame(
        [
            {
                "evaluation_id": "E1",
                "item_id": "NRM01",
                "filed_at": pd.Timestamp("2026-10-06"),
                "decision": "upheld",
            }
        ]
    )
    r = one(VOICE, {"NRM01": "fail", "SKL05": "fail"}, appeals)
    assert (r["score"], r["raw_score"]) == (90, 85)
    assert r["appeals_upheld"] and not r["appeal_pending"]
    rejected = appeals.assign(decision="rejected")
    assert one(VOICE, {"NRM01": "fail"}, rejected)["score"] == 95
    pending = appeals.assign(decision="pending")
    r = one(VOICE, {"NRM01": "fail"}, pending)
    # a disputed deduction counts only once signed off: 100, with its 5 points held apart
    assert (r["score"], r["raw_score"], r["points_pending"]) == (100, 95, 5)
    assert r["appeal_pending"] and not r["appeals_upheld"]


SIGNED = {"first_reviewer": "Q01", "second_reviewer": "Q02", "signed_off_by": "L01"}


@pytest.mark.parametrize(
    ("rows", "score", "pending"),
    [
        # decided after the double review and signed off by the QA lead: it counts (95)
        ([{"decision": "rejected", **SIGNED}], 95, 0),
        ([{"decision": "upheld", **SIGNED}], 100, 0),
        # "双人复核 … 质检主管签字核准后计入": no sign-off yet, so the 5 points are held apart
        ([{"decision": "rejected", **SIGNED, "signed_off_by": None}], 100, 5),
        # one person twice is not a double review
        ([{"decision": "rejected", **SIGNED, "second_reviewer": "Q01"}], 100, 5),
        # a second-level appeal (上诉) against a signed-off rejection reopens it …
        ([{"decision": "rejected", **SIGNED},
          {"decision": "pending", "level": "second_appeal", "filed_at": pd.Timestamp("2026-10-09")}], 100, 5),
        # … and its own signed-off decision is the one that counts
        ([{"decision": "rejected", **SIGNED},
          {"decision": "upheld", "level": "second_appeal", **SIGNED}], 100, 0),
    ],
)  # fmt: skip
def test_a_disputed_deduction_counts_only_after_double_review_and_sign_off(rows, score, pending):
    base = {"evaluation_id": "E1", "item_id": "NRM01", "filed_at": pd.Timestamp("2026-10-06"),
            "level": "appeal"}  # fmt: skip
    appeals = pd.DataFrame([base | r for r in rows])
    r = one(VOICE, {"NRM01": "fail"}, appeals)  # NRM01 deducts 5 of 100
    assert (r["score"], r["points_pending"]) == (score, pending)
    assert r["appeal_pending"] == (pending > 0)


def test_upheld_appeal_on_a_critical_item_lifts_the_zero():
    appeals = pd.DataFrame(
        [
            {
                "evaluation_id": "E1",
                "item_id": "CRT02",
                "filed_at": pd.Timestamp("2026-10-06"),
                "decision": "upheld",
            }
        ]
    )
    r = one(VOICE, {"CRT02": "fail", "NRM02": "fail"}, appeals)
    assert (r["score"], r["raw_score"], r["critical_failed"]) == (95, 0, False)


def test_grades():
    assert one(VOICE, {})["grade"] == "优秀"
    assert one(VOICE, {"SKL02": "fail"})["grade"] == "良好"  # 85
    assert one(VOICE, {"CRT01": "fail"})["grade"] == "不合格"


def test_unknown_item_and_excess_deduction_are_errors():
    ev, items = evaluation(VOICE, {})
    bad = pd.concat([items, items.iloc[[0]].assign(item_id="XYZ99")], ignore_index=True)
    with pytest.raises(QAWError, match=r"XYZ99 on hotline_voice v1\.0"):
        score_evaluations(ev, bad)
    over = items.copy()
    over.loc[0, ["result", "points_deducted"]] = ["fail", 50.0]
    with pytest.raises(QAWError, match="more than the item's"):
        score_evaluations(ev, over)


def test_scorecard_errors_name_file_and_key(tmp_path):
    bad = tmp_path / "card.yaml"
    text = pytest.importorskip("yaml").safe_dump(VOICE.model_dump(), allow_unicode=True)
    bad.write_text(text.replace("max_points: 20.0", "max_points: 25.0", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="add up to 105"):
        load_scorecard(bad)
    data = VOICE.model_dump()
    data["sections"][0]["items"][1]["id"] = "ATT01"
    bad.write_text(
        pytest.importorskip("yaml").safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="repeated: ATT01"):
        load_scorecard(bad)


def test_demo_center_scores(small_tables):
    scored, _sections = score_evaluations(
        small_tables["evaluations"], small_tables["evaluation_items"], small_tables["appeals"]
    )
    assert len(scored) == len(small_tables["evaluations"])
    assert scored["score"].between(0, 100).all()
    assert (scored["score"] >= scored["raw_score"]).all()  # appeals only ever restore points
    assert 80 < scored["score"].mean() < 97


def test_coaching_store_refuses_bad_input_and_reads_back(tmp_path):
    from datetime import date, datetime

    from qaworkbench import coaching

    store = coaching.connect(f"sqlite:///{tmp_path / 'c.db'}")
    with pytest.raises(QAWError) as e:
        coaching.add_action(store, "A0001", [], "", date(2020, 1, 1), "", today=date(2026, 6, 1))
    msg = str(e.value)
    assert "at least one scorecard item" in msg and "write what was agreed" in msg
    assert "in the past" in msg and "who recorded" in msg
    with pytest.raises(QAWError, match="must not start with"):
        coaching.add_action(
            store, "A0001", ["SKL02"], "=HYPERLINK()", date(2026, 7, 1), "L", today=date(2026, 6, 1)
        )
    a = coaching.add_action(store, "A0001", ["SKL02", "NRM01"], "复习口径", date(2026, 7, 1), "L",
                            today=date(2026, 6, 1), created_at=datetime(2026, 6, 1, 9))  # fmt: skip
    got = coaching.actions(store, "A0001")
    assert got["action_id"].tolist() == [a] and got.loc[0, "item_ids"] == "SKL02,NRM01"
    results = pd.DataFrame({
        "agent_id": "A0001", "item_id": "SKL02", "result": ["fail"] * 4 + ["pass"] * 6 + ["pass"] * 20,
        "evaluated_at": [pd.Timestamp("2026-05-15")] * 10 + [pd.Timestamp("2026-06-15")] * 20,
    })  # fmt: skip
    f = coaching.follow_up(got, results).set_index("item_id")
    assert (f.loc["SKL02", "before"], f.loc["SKL02", "after"]) == (0.4, 0.0)
    assert f.loc["SKL02", "verdict"] == "improved"  # 4/10 failed before, 0/20 since
    assert f.loc["NRM01", "verdict"] == "no_evaluations"


def _connect_and_save(url: str) -> int:
    from datetime import date, timedelta

    from qaworkbench import coaching

    store = coaching.connect(url)
    return coaching.add_action(
        store, "A0001", ["SKL02"], "复习资费口径", date.today() + timedelta(days=7), "李"
    )


def test_many_processes_creating_the_coaching_store_at_once_all_succeed(tmp_path):
    """Twenty dashboards starting together on a new store: none fails with "table already
    exists" (7 of 20 did), and every save lands."""
    import multiprocessing

    url = f"sqlite:///{tmp_path / 'new.db'}"
    with multiprocessing.get_context("spawn").Pool(8) as pool:
        ids = pool.map(_connect_and_save, [url] * 20)
    assert sorted(ids) == list(range(1, 21))


def test_the_quality_level_counts_random_picks_and_each_rule_shows_its_yield():
    """Six evaluations: four random (base 90, 100, 95; side by side 85), two complaint picks
    (60 and 70, each with deductions). By hand: quality level = (90 + 100 + 95 + 85) / 4 = 92.5;
    the mean of all six = 500 / 6 = 83.3. Yield: random 3 of 4 with a deduction (100 has
    none) = 75%; complaints 2 of 2 = 100%, Wilson interval 34.2%–100%."""
    from qaworkbench.scoring.level import level_sample, rule_yield

    ev = pd.DataFrame({
        "score": [90.0, 100.0, 95.0, 85.0, 60.0, 70.0],
        "points_deducted": [10.0, 0.0, 5.0, 15.0, 40.0, 30.0],
        "critical_failed": [False] * 6,
        "sample_reason": ["base_post_call", "base_post_call", "base_real_time", "side_by_side",
                          "complaint", "complaint"],
    })  # fmt: skip
    assert level_sample(ev)["score"].mean() == 92.5
    assert round(ev["score"].mean(), 1) == 83.3
    y = rule_yield(ev).set_index("sample_reason")
    assert (y.loc["complaint", "n"], y.loc["complaint", "with_deduction"]) == (2, 2)
    assert y.loc["complaint", "yield"] == 1.0 and round(y.loc["complaint", "yield_lo"], 3) == 0.342
    assert y.loc["base_post_call", "yield"] == 0.5  # 90 deducted, 100 not
    assert level_sample(ev.drop(columns="sample_reason")).equals(ev.drop(columns="sample_reason"))
