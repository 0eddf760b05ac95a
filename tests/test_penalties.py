"""Penalties, monthly status and pay (qa-practice.md sections 5 and 6), computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from qaworkbench.errors import QAWError
from qaworkbench.scoring.pay import pay_multiplier
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
