"""Calibration: deviations from the QA lead, item agreement, Krippendorff's alpha, leniency, appeals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qaworkbench.scoring import calibration

EVALUATORS = pd.DataFrame(
    {
        "evaluator_id": ["L", "A", "B", "C"],
        "name": list("LABC"),
        "role": ["qa_lead", "qa", "qa", "qa"],
        "team": None,
    }
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 coders x 12 units.
PUBLISHED = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "L": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def published_as_calibration() -> tuple[pd.DataFrame, pd.DataFrame]:
    scored, sections = [], []
    for coder, values in PUBLISHED.items():
        for unit, v in enumerate(values):
            if v is None:
                continue
            eid = f"E{coder}{unit}"
            scored.append({"evaluation_id": eid, "evaluator_id": coder, "contact_id": f"C{unit}", "calibration_session": "CAL-1",
                           "scorecard_id": "hotline_voice", "mode": "calibration", "score": float(v)})  # fmt: skip
            sections.append(
                {"evaluation_id": eid, "section_id": "attitude", "section_score": float(v)}
            )
    return pd.DataFrame(scored), pd.DataFrame(sections)


def test_section_alpha_reproduces_the_published_interval_example():
    scored, sections = published_as_calibration()
    a = calibration.section_alpha(sections, scored).set_index("section_id")
    assert a.loc["attitude", "alpha"] == pytest.approx(0.849, abs=5e-4)
    assert a.loc["attitude", "units"] == 11  # the unit coded once is not pairable
    assert a.loc["attitude", "coders"] == 4


def test_perfect_agreement_is_alpha_one():
    scored, sections = published_as_calibration()
    sections["section_score"] = 3.0
    scored["score"] = 3.0
    a = calibration.section_alpha(sections, scored)
    assert (a["alpha"] == 1.0).all()


def cal_scored() -> pd.DataFrame:
    rows = []
    for contact, ref in [("C1", 90), ("C2", 80)]:
        for ev, delta in [("L", 0), ("A", 5), ("B", -10), ("C", 0)]:
            rows.append({"evaluation_id": f"{ev}{contact}", "evaluator_id": ev, "contact_id": contact, "calibration_session": "CAL-1",
                         "mode": "calibration", "score": ref + delta + (2 if (ev, contact) == ("C", "C2") else 0)})  # fmt: skip
    return pd.DataFrame(rows)


def test_deviation_from_the_qa_lead():
    cs = calibration.calibration_scores(cal_scored(), EVALUATORS)
    assert set(cs["evaluator_id"]) == {"A", "B", "C"}  # the lead is the reference, not a row
    dev = calibration.evaluator_deviation(cs).set_index("evaluator_id")
    assert dev.loc["A", "mean_deviation"] == 5 and dev.loc["B", "mean_deviation"] == -10
    assert dev.loc["C", "mean_abs_deviation"] == 1
    assert dev.loc["A", "within_tolerance"] == 1.0 and dev.loc["B", "within_tolerance"] == 0.0
    assert dev["n"].tolist() == [2, 2, 2]
    # A and B matched their own offset exactly (SD 0): their interval still has a width
    assert (dev["hi"] - dev["lo"] > 0).all()


def test_item_agreement_with_the_reference():
    scored = cal_scored()
    items = pd.DataFrame([{"evaluation_id": e, "item_id": "NRM01", "result": "fail" if e in ("LC1", "AC1", "LC2") else "pass", "points_deducted": 0.0}
                          for e in scored["evaluation_id"]])  # fmt: skip
    ag = calibration.item_agreement(items, scored, EVALUATORS).set_index("item_id")
    # C1: lead fail; A fail (agree), B pass, C pass. C2: lead fail; everyone passes.
    assert ag.loc["NRM01", "n"] == 6 and ag.loc["NRM01", "agreement"] == pytest.approx(1 / 6)


def test_no_qa_lead_in_calibration_is_a_clear_error():
    ev = EVALUATORS.assign(role="qa")
    with pytest.raises(Exception, match="no QA lead"):
        calibration.calibration_scores(cal_scored(), ev)


def test_leniency_compares_with_other_evaluators_on_the_same_agents():
    rows = []
    for agent in ("X", "Y"):
        for k in range(6):
            rows.append(
                {
                    "agent_id": agent,
                    "evaluator_id": "soft",
                    "score": 95.0,
                    "mode": "post_call",
                    "evaluated_at": pd.Timestamp(2026, 10, k + 1),
                }
            )
            rows.append(
                {
                    "agent_id": agent,
                    "evaluator_id": "hard",
                    "score": 85.0,
                    "mode": "post_call",
                    "evaluated_at": pd.Timestamp(2026, 10, k + 1),
                }
            )
    len_ = calibration.leniency(pd.DataFrame(rows)).set_index("evaluator_id")
    assert len_.loc["soft", "leniency"] == 10 and len_.loc["hard", "leniency"] == -10
    assert len_.loc["soft", "n"] == 12


def test_appeal_outcomes_per_evaluator():
    evaluations = pd.DataFrame(
        {"evaluation_id": ["E1", "E2", "E3", "E4"], "evaluator_id": ["A", "A", "A", "B"]}
    )
    appeals = pd.DataFrame(
        {
            "evaluation_id": ["E1", "E2", "E3"],
            "item_id": ["X", "X", "X"],
            "decision": ["upheld", "rejected", "pending"],
        }
    )
    out = calibration.appeal_outcomes(appeals, evaluations).set_index("evaluator_id")
    assert out.loc["A", ["evaluations", "appeals", "upheld", "rejected", "pending"]].tolist() == [
        3,
        3,
        1,
        1,
        1,
    ]
    assert out.loc["A", "upheld_share"] == 0.5
    assert out.loc["B", "appeals"] == 0 and np.isnan(out.loc["B", "upheld_share"])
