"""Penalties, monthly status and pay (qa-practice.md sections 5 and 6), computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from qaworkbench.errors import ConfigError, QAWError
from qaworkbench.scoring.pay import (
    bonus_ratio,
    load_pay_rules,
    month_pay_factor,
    pay_multiplier,
    quality_value,
)
from qaworkbench.scoring.penalties import (
    agent_status,
    load_penalty_code,
    most_severe,
    penalty_events,
)

CODE = load_penalty_code("cloud_service")
T = pd.Timestamp


def complaints(*rows):
    return pd.DataFrame(
        [
            dict(
                zip(
                    ["complaint_id", "contact_id", "agent_id", "received_at", "category", "upheld"],
                    r,
                    strict=True,
                )
            )
            for r in rows
        ]
    ).astype({"upheld": "boolean"})


def scored(*rows):
    cols = [
        "evaluation_id",
        "contact_id",
        "agent_id",
        "evaluated_at",
        "mode",
        "score",
        "critical_failed",
    ]
    return pd.DataFrame(list(rows), columns=cols).astype({"evaluated_at": "datetime64[us]"})


NO_SCORES = scored()


def events(*rows) -> pd.DataFrame:
    """A penalty_events table (the data model's columns)."""
    cols = ["event_id", "agent_id", "contact_id", "occurred_at", "kind", "amount", "note"]
    return pd.DataFrame(list(rows), columns=cols)


def status_of(events: pd.DataFrame, sc: pd.DataFrame = NO_SCORES, month="2026-10") -> pd.DataFrame:
    return agent_status(most_severe(events, CODE), sc, CODE, month).set_index("agent_id")


def test_two_rule_breaks_on_one_case_count_only_the_worse():
    # contact C1: a business complaint (10) and a financial loss (15) -> only 15 counts
    c = complaints(("T1", "C1", "A1", T("2026-10-03"), "business", True))
    extra = events(("E1", "A1", "C1", T("2026-10-04"), "financial_loss", 300.0, "refund 300 元"))
    ev = penalty_events(CODE, complaints=c, events=extra)
    assert sorted(ev["points"]) == [10, 15]
    cases = most_severe(ev, CODE)
    assert len(cases) == 1
    assert (cases.loc[0, "rule_id"], cases.loc[0, "points"]) == ("financial_loss", 15)
    assert cases.loc[0, "also_broken"] == "business_complaint"
    st = status_of(ev)
    assert st.loc["A1", "penalty_points"] == 15 and st.loc["A1", "status"] == "normal"


def test_twenty_points_in_a_month_demotes():
    c = complaints(
        ("T1", "C1", "A1", T("2026-10-03"), "business", True),
        ("T2", "C2", "A1", T("2026-10-20"), "business", True),
        ("T3", "C3", "A1", T("2026-10-21"), "business", False),  # not upheld: no points
        ("T4", "C4", "A1", T("2026-11-01"), "business", True),  # next month
        ("T5", "C5", "A2", T("2026-10-05"), "business", True),
    )
    st = status_of(penalty_events(CODE, complaints=c))
    assert st.loc["A1", "penalty_points"] == 20 and st.loc["A1", "status"] == "demoted"
    assert "T1" in st.loc["A1", "evidence"] and "T2" in st.loc["A1", "evidence"]
    assert st.loc["A2", "status"] == "normal"


def test_bottom_line_case_freezes():
    c = complaints(("T1", "C1", "A1", T("2026-10-03"), "attitude", True))  # 20 points in one case
    st = status_of(penalty_events(CODE, complaints=c))
    assert st.loc["A1", "status"] == "frozen"
    assert "attitude_complaint 20 pts (complaint T1)" in st.loc["A1", "evidence"]


def test_failed_critical_item_freezes_and_calibration_does_not():
    sc = scored(
        ("E1", "C1", "A1", T("2026-10-03"), "post_call", 0.0, True),
        ("E2", "C2", "A2", T("2026-10-03"), "calibration", 0.0, True),
        ("E3", "C3", "A2", T("2026-10-04"), "post_call", 100.0, False),
    )
    st = status_of(penalty_events(CODE, scored=sc), sc)
    assert st.loc["A1", "status"] == "frozen" and "evaluation E1" in st.loc["A1", "evidence"]
    assert st.loc["A2", "status"] == "full_marks"


def test_full_marks_needs_every_evaluation_perfect_and_no_penalty():
    sc = scored(
        ("E1", "C1", "A1", T("2026-10-03"), "post_call", 100.0, False),
        ("E2", "C2", "A1", T("2026-10-09"), "real_time", 100.0, False),
        ("E3", "C3", "A2", T("2026-10-03"), "post_call", 100.0, False),
        ("E4", "C4", "A2", T("2026-10-04"), "post_call", 95.0, False),
        ("E5", "C5", "A3", T("2026-10-04"), "post_call", 100.0, False),
    )
    c = complaints(("T1", "C9", "A3", T("2026-10-05"), "business", True))
    st = status_of(penalty_events(CODE, complaints=c, scored=sc), sc)
    assert st["status"].to_dict() == {"A1": "full_marks", "A2": "normal", "A3": "normal"}


@pytest.mark.parametrize(
    ("quality", "expected"), [(0.65, 0.75), (0.70, 1.0), (0.75, 1.0), (0.80, 1.0), (0.85, 1.25)]
)
def test_pay_multiplier(quality, expected):
    assert pay_multiplier(quality) == pytest.approx(expected)


def test_pay_multiplier_settings_and_series():
    assert pay_multiplier(0.5, floor=0.2) == pytest.approx(0.2)  # 1 - 0.2 x 5 = 0 -> floor
    assert pay_multiplier(0.9, baseline=0.6, target=0.7, factor=2) == pytest.approx(1.4)
    s = pay_multiplier(pd.Series([0.65, 0.85], index=["a", "b"]))
    assert s.round(4).to_dict() == {"a": 0.75, "b": 1.25}


def test_recorded_events_count_with_the_code_and_name_an_unknown_kind():
    """A bottom-line finding made by hand freezes; an event without a contact is its own case;
    a kind the code has no rule for is an error naming the event, the column and the kinds."""
    ev = events(
        ("E1", "A1", None, T("2026-10-04"), "bottom_line_finding", None, "found in review"),
        ("E2", "A2", None, T("2026-10-05"), "financial_loss", 120.0, None),
        ("E3", "A2", None, T("2026-10-06"), "financial_loss", 80.0, None),
    )
    cases = most_severe(penalty_events(CODE, events=ev), CODE)
    assert sorted(cases["case_id"]) == ["E1", "E2", "E3"]
    st = status_of(penalty_events(CODE, events=ev))
    assert st.loc["A1", "status"] == "frozen" and st.loc["A2", "penalty_points"] == 30
    assert st.loc["A2", "status"] == "demoted"
    assert "event E2 financial_loss 120" in st.loc["A2", "evidence"]
    bad = events(("E9", "A1", "C1", T("2026-10-04"), "lost_headset", None, None))
    with pytest.raises(
        QAWError, match=r"event 'E9', column 'kind': expected one of .*financial_loss"
    ):
        penalty_events(CODE, events=bad)


def test_a_freeze_lasts_until_a_lift_is_recorded():
    """ "针对服务底线性行为，绝不容忍，保持永久冻结": frozen in September by an upheld attitude
    complaint (20 points, one case), A1 is still frozen in October and November with nothing
    new, since 2026-09-12; a lift recorded on 2026-11-20 ends it from that month on. A new
    bottom-line case after the lift freezes again, since its own day."""
    c = complaints(
        ("T1", "C1", "A1", T("2026-09-12"), "attitude", True),
        ("T2", "C2", "A1", T("2027-01-08"), "attitude", True),
    )
    lift = events(("L1", "A1", None, T("2026-11-20"), "freeze_lifted", None, "主管批准解冻"))
    cases = most_severe(penalty_events(CODE, complaints=c), CODE)

    def at(month, ev=None):  # an agent with nothing to say this month is not listed: normal
        st = agent_status(cases, NO_SCORES, CODE, month, ev).set_index("agent_id")
        return st.loc["A1"] if "A1" in st.index else pd.Series({"status": "normal"})

    for month in ("2026-09", "2026-10", "2026-11"):
        st = at(month)
        assert st["status"] == "frozen" and st["since"] == T("2026-09-12")
        assert "since 2026-09-12" in st["evidence"] and "complaint T1" in st["evidence"]
    assert at("2026-10", lift)["status"] == "frozen"  # before the lift
    lifted = at("2026-11", lift)  # lifted on 11-20, and the month says so
    assert lifted["status"] == "normal" and lifted["evidence"] == "freeze lifted 2026-11-20"
    assert at("2026-12", lift)["status"] == "normal"
    again = at("2027-01", lift)
    assert again["status"] == "frozen" and again["since"] == T("2027-01-08")
    assert "complaint T2" in again["evidence"] and "complaint T1" not in again["evidence"]


def test_a_demotion_lasts_until_re_qualified_and_counts_the_rules_the_code_says():
    """ "月累计扣分在20分及以上…降为初入云门，有返岗机会可以重新报名": two upheld business
    complaints (10 + 10 = 20) on 10-03 and 10-20 demote A1 from 10-20; November, with no new
    case, is still demoted; re-qualified on 2026-12-02, December is normal. A rule the code
    marks as not counting toward demotion adds nothing to the month's 20."""
    c = complaints(
        ("T1", "C1", "A1", T("2026-10-03"), "business", True),
        ("T2", "C2", "A1", T("2026-10-20"), "business", True),
    )
    requal = events(("R1", "A1", None, T("2026-12-02"), "requalified", None, "重新报名合格"))
    cases = most_severe(penalty_events(CODE, complaints=c), CODE)

    def at(month, code=CODE):
        st = agent_status(cases, NO_SCORES, code, month, requal).set_index("agent_id")
        return (
            st.loc["A1"]
            if "A1" in st.index
            else pd.Series({"status": "normal", "penalty_points": 0})
        )

    oct_, nov = at("2026-10"), at("2026-11")
    assert (oct_["status"], oct_["penalty_points"], oct_["since"]) == (
        "demoted",
        20,
        T("2026-10-20"),
    )
    assert (nov["status"], nov["penalty_points"], nov["since"]) == ("demoted", 0, T("2026-10-20"))
    assert at("2026-12")["status"] == "normal"
    rules = [r.model_copy(update={"counts_toward_demotion": r.id != "business_complaint"})
             for r in CODE.rules]  # fmt: skip
    lenient = CODE.model_copy(update={"rules": rules})
    assert (at("2026-10", lenient)["status"], at("2026-10", lenient)["penalty_points"]) == (
        "normal",
        0,
    )


def test_pay_rules_cap_the_ratio_at_the_documented_bonus_range_and_cut_a_loss_month():
    """online_team.yaml: baseline 70%, target 80%, factor 5 (the source's sign slip written as
    1 + (actual - 80%) x 5), bonus 0-500 on an average of 300 -> the ratio is capped at
    500 / 300 = 1.667. By hand: 0.92 -> 1 + 0.12 x 5 = 1.6; 0.95 -> 1.75, capped 1.6667;
    0.62 -> 1 - 0.08 x 5 = 0.6. A financial loss in October: that month's pay x 0.8."""
    rules = load_pay_rules("online_team")
    assert rules.cap == pytest.approx(500 / 300)
    got = bonus_ratio(pd.Series([0.92, 0.95, 0.62, 0.75]), rules).round(4).tolist()
    assert got == [1.6, 1.6667, 0.6, 1.0]
    ev = events(("E1", "A1", "C1", T("2026-10-04"), "financial_loss", 300.0, None),
                ("E2", "A2", "C2", T("2026-09-30"), "financial_loss", 50.0, None))  # fmt: skip
    cases = most_severe(penalty_events(CODE, events=ev), CODE)
    assert month_pay_factor(cases, "2026-10", rules).to_dict() == {"A1": 0.8}


def test_pay_rules_on_pass_share_and_a_bad_file_named(tmp_path):
    """pass_share: A1 has 3 of 4 evaluations at 70 or more -> 0.75 -> ratio 1 (between the
    baseline and the target); a target below the baseline is refused, naming the file."""
    rules = load_pay_rules("online_team").model_copy(
        update={"quality": "pass_share", "pass_mark": 70}
    )
    sc = pd.DataFrame({"agent_id": ["A1"] * 4, "score": [95.0, 70.0, 69.5, 88.0]})
    q = quality_value(sc, rules)
    assert q["A1"] == 0.75 and bonus_ratio(q, rules)["A1"] == 1.0
    bad = tmp_path / "pay.yaml"
    bad.write_text(
        "id: x\nversion: '1'\nname: x\nname_en: x\nbaseline: 0.8\ntarget: 0.7\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"(?s)pay.yaml.*target \(0.7\) is below baseline"):
        load_pay_rules(bad)
