"""Auto-QA's counts read where the month's results lie (``autoqa.tally``): the same figures
from the kept Parquet file as from the frame, worked out by hand on a small month, and the
monthly section never reading a month's results whole into pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from qaworkbench.autoqa import agreement, load_ruleset, save_results
from qaworkbench.autoqa.rates import checked_by, coverage, rule_rates, violation_rates

RULES = load_ruleset("hotline")

# Five contacts, two rules on chat. Teams: A1, A2 in T1; A3 in T2; A4 has no team; C5 no agent.
#   contact agent  greeting  closing
#   C1      A1     fail      pass
#   C2      A1     pass      pass
#   C3      A2     na        fail
#   C4      A3     fail      fail
#   C5      -      pass      na
#   C6      A4     fail      na
ROWS = [
    ("C1", "A1", "greeting", "fail"), ("C1", "A1", "closing", "pass"),
    ("C2", "A1", "greeting", "pass"), ("C2", "A1", "closing", "pass"),
    ("C3", "A2", "greeting", "na"), ("C3", "A2", "closing", "fail"),
    ("C4", "A3", "greeting", "fail"), ("C4", "A3", "closing", "fail"),
    ("C5", None, "greeting", "pass"), ("C5", None, "closing", "na"),
    ("C6", "A4", "greeting", "fail"), ("C6", "A4", "closing", "na"),
]  # fmt: skip
AGENTS = pd.DataFrame({"agent_id": ["A1", "A2", "A3", "A4"], "team": ["T1", "T1", "T2", None]})


def _results() -> pd.DataFrame:
    df = pd.DataFrame(ROWS, columns=["contact_id", "agent_id", "rule_id", "result"])
    df["channel"] = "chat"
    df["item_id"] = df["rule_id"].map({"greeting": "CH04", "closing": "CH05"})
    for c in ("channel", "rule_id", "item_id", "result"):  # as check_month gives them
        df[c] = df[c].astype("category")
    df["seq"] = pd.array([1] * len(df), dtype="Int64")
    df["quote"] = "…"
    return df


@pytest.fixture(params=["frame", "file"])
def results(request, tmp_path):
    """The month as a frame, or as the Parquet file ``qaw autoqa`` keeps."""
    df = _results()
    if request.param == "frame":
        return df
    path = tmp_path / "2026-10.parquet"
    save_results(df, path, RULES)
    return path


def test_rule_rates_by_hand(results):
    got = rule_rates(results, {("closing", "chat")}).set_index("rule_id")
    # greeting: applies to C1 C2 C4 C5 C6 (C3 is na) = 5, fails C1 C4 C6 = 3
    # closing: applies to C1 C2 C3 C4 = 4, fails C3 C4 = 2
    assert got.loc["greeting", ["n", "fails"]].tolist() == [5, 3]
    assert got.loc["closing", ["n", "fails"]].tolist() == [4, 2]
    assert got.loc["greeting", "rate"] == 0.6 and got.loc["closing", "advisory"]
    assert not got.loc["greeting", "advisory"]
    t1 = rule_rates(results, set(), AGENTS, "T1").set_index("rule_id")  # C1 C2 C3
    assert t1.loc["greeting", ["n", "fails"]].tolist() == [2, 1]
    assert t1.loc["closing", ["n", "fails"]].tolist() == [3, 1]


def test_violation_rates_by_team_leave_out_advisory_rules_and_rows_without_a_team(results):
    got = violation_rates(results, ["channel", "team"], set(), AGENTS)
    # T1: C1 (greeting), C2 (none), C3 (closing) -> 3 checked, 2 with a violation
    # T2: C4 -> 1 of 1; C5 (no agent) and C6 (agent without a team) are in no team
    assert got[["team", "n", "violations"]].values.tolist() == [["T1", 3, 2], ["T2", 1, 1]]
    counted = violation_rates(results, ["channel", "team"], {("closing", "chat")}, AGENTS)
    # closing advisory: T1 is C1 (fail), C2 (pass); C3 has no counted check left
    assert counted[["team", "n", "violations"]].values.tolist() == [["T1", 2, 1], ["T2", 1, 1]]
    one = violation_rates(results, ["channel", "team"], set(), AGENTS, "T2")
    assert one[["team", "n", "violations"]].values.tolist() == [["T2", 1, 1]]
    lo, hi = one.loc[0, ["lo", "hi"]]
    assert lo == pytest.approx(0.2065, abs=1e-4) and hi == 1.0  # Wilson, 1 of 1
    per_agent = violation_rates(results, ["agent_id"], set())  # C5 has no agent: left out
    assert per_agent["agent_id"].tolist() == ["A1", "A2", "A3", "A4"]
    assert per_agent[["n", "violations"]].values.tolist() == [[2, 1], [1, 1], [1, 1], [1, 1]]


def test_coverage_and_contacts_checked(results):
    got = coverage(results, pd.Series({"chat": 10})).set_index("channel").loc["chat"]
    assert (got["answered"], got["checked"], got["share"]) == (10, 5, 0.5)  # C5: no agent
    t1 = coverage(results, pd.Series({"chat": 4}), AGENTS, "T1").set_index("channel")
    assert t1.loc["chat", "checked"] == 3 and t1.loc["chat", "share"] == 0.75
    assert checked_by(results, "agent_id").to_dict() == {"A1": 2, "A2": 1, "A3": 1, "A4": 1}


def test_agreement_by_hand(results):
    # the evaluators scored C1, C2, C4 on CH04 (greeting): fail, fail, pass; C3 on CH05: fail
    human = pd.DataFrame({"contact_id": ["C1", "C2", "C4", "C3"],
                          "item_id": ["CH04", "CH04", "CH04", "CH05"],
                          "human": ["fail", "fail", "pass", "fail"]})  # fmt: skip
    got = agreement(results, human, RULES).set_index("rule_id")
    # greeting: C1 both fail (tp), C2 rule passed (fn), C4 rule failed (fp)
    g = got.loc["greeting"]
    assert (g["n"], g["both_fail"], g["auto_fails"], g["human_fails"]) == (3, 1, 2, 2)
    assert g["precision"] == 0.5 and g["recall"] == 0.5
    c = got.loc["closing"]  # C3: both fail
    assert (c["n"], c["both_fail"]) == (1, 1)
    assert set(got.index) == {"greeting", "closing"}
    fewer = agreement(results, human, RULES, exclude={"C1"}).set_index("rule_id")
    assert fewer.loc["greeting", "n"] == 2 and fewer.loc["greeting", "both_fail"] == 0


def test_the_monthly_section_counts_the_results_where_they_lie(small_dir, tmp_path, monkeypatch):
    """The auto-QA section of a monthly report reads no month's results into pandas (5 M rows
    at 2,000 agents: the report's peak memory), and shows what the frame would show."""
    import shutil

    from qaworkbench.autoqa import check_month, results_path
    from qaworkbench.data.load import load_center
    from qaworkbench.periods import parse_period
    from qaworkbench.reporting import autoqa_tables as section

    data = tmp_path / "data"
    shutil.copytree(small_dir, data)
    p = parse_period("2026-06")
    res = check_month(data, p, RULES)
    save_results(res, results_path(data, p), RULES)
    c = load_center(data)
    read = pd.read_parquet

    def refuse(path, *a, **k):
        assert "autoqa" not in str(path), f"the month's results read whole: {path}"
        return read(path, *a, **k)

    monkeypatch.setattr(pd, "read_parquet", refuse)
    tables = section.autoqa_tables(data, c, p, "", "en")
    monkeypatch.setattr(pd, "read_parquet", read)
    rates = tables["autoqa"].set_index(["channel", "rule"])
    frame = rule_rates(res, set()).set_index(["channel", "rule_id"])
    for (channel, rule_id), r in frame.iterrows():
        shown = rates.loc[(channel, RULES.rule(rule_id).label("en"))]
        assert (shown["checked"], shown["violations"]) == (r["n"], r["fails"])
    assert len(rates) == len(frame) > 0
    expected = [(ch, r.label("en")) for ch in RULES.scorecards for r in RULES.rules
                if (ch, r.id) in frame.index]  # fmt: skip
    assert list(rates.index) == expected  # in the rule set's order
