"""Intervals that hold their promise, pooling, Pareto and control limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qaworkbench import stats


def simulate(rng, agents=400, n_range=(3, 25), true_sd=6.0, noise_sd=9.0):
    """Agents with lasting true scores; evaluations = truth + noise, clipped to 0-100.

    Returns the evaluations and each agent's true expected (clipped) score.
    """
    truth = rng.normal(86, true_sd, agents)
    n = rng.integers(*n_range, agents)
    agent = np.repeat(np.arange(agents), n)
    score = np.clip(truth[agent] + rng.normal(0, noise_sd, agent.size), 0, 100)
    # the expected clipped score, by a large sample per agent
    big = np.clip(truth[:, None] + rng.normal(0, noise_sd, (agents, 20000)), 0, 100).mean(axis=1)
    df = pd.DataFrame({"agent_id": agent, "team": agent % 8, "score": score})
    return df, pd.Series(big)


def test_nominal_95_interval_covers_93_to_97_percent_of_simulated_agents():
    rng = np.random.default_rng(7)
    hits = []
    for _ in range(10):
        df, truth = simulate(rng)
        iv = stats.score_intervals(df, "agent_id")
        t = truth.loc[iv["agent_id"]].to_numpy()
        hits.append(((iv["lo"] <= t) & (t <= iv["hi"])).to_numpy())
    coverage = np.concatenate(hits).mean()
    assert 0.93 <= coverage <= 0.97, coverage


def test_intervals_narrow_with_n_and_name_their_n():
    df = pd.DataFrame(
        {"agent_id": ["a"] * 4 + ["b"] * 16, "score": [80, 90, 85, 95] + [80, 90, 85, 95] * 4}
    )
    iv = stats.score_intervals(df).set_index("agent_id")
    assert iv.loc["a", "n"] == 4 and iv.loc["b", "n"] == 16
    # 1/sqrt(n), widened for the agent with 4 by its own SD on fewer degrees of freedom
    ratio = iv.loc["a", "half_width"] / iv.loc["b", "half_width"]
    assert 2 <= ratio <= 2.5
    assert iv.loc["a", "mean"] == 87.5


def test_partial_pooling_keeps_three_evaluations_from_being_called_worst():
    rng = np.random.default_rng(3)
    rows = [("t", f"a{i}", s) for i in range(20) for s in np.clip(rng.normal(88, 8, 30), 0, 100)]
    rows += [("t", "lucky3", s) for s in (70, 72, 75)]  # three mediocre days of an unknown agent
    rows += [
        ("t", "steady", s) for s in 76 + rng.normal(0, 8, 30)
    ]  # thirty evaluations, truly weak
    df = pd.DataFrame(rows, columns=["team", "agent_id", "score"])
    pp = stats.partial_pooling(df).set_index("agent_id")
    assert pp.loc["lucky3", "rank_raw"] == pp["rank_raw"].max()  # worst on the raw mean
    assert pp.loc["steady", "rank_pooled"] == pp["rank_pooled"].max()  # the evidence says steady
    assert pp.loc["lucky3", "reliability"] < pp.loc["steady", "reliability"]
    assert pp.loc["lucky3", "pooled"] > pp.loc["lucky3", "mean"]


def test_clustered_interval_is_wider_than_naive_when_agents_differ():
    rng = np.random.default_rng(1)
    agent = np.repeat(np.arange(10), 20)
    score = rng.normal(85, 8, 10)[agent] + rng.normal(0, 3, agent.size)
    df = pd.DataFrame({"team": "t", "agent_id": agent, "score": score})
    cl = stats.clustered_intervals(df, "team").iloc[0]
    naive = 1.96 * df["score"].std() / np.sqrt(len(df))
    assert cl["agents"] == 10 and cl["n"] == 200
    assert cl["half_width"] > 2 * naive


def test_pareto_shares_and_the_vital_few():
    failed = pd.DataFrame(
        {"team": "t", "item_id": list("AAAABBC"), "deduction": [10, 10, 10, 10, 5, 5, 1]}
    )
    p = stats.pareto(failed).set_index("item_id")
    assert p["points"].to_dict() == {"A": 40, "B": 10, "C": 1}
    assert p.loc["A", "share"] == pytest.approx(40 / 51)
    assert p.loc["B", "cum_share"] == pytest.approx(50 / 51)
    assert p["vital_few"].to_dict() == {"A": True, "B": True, "C": False}


def test_control_limits_flag_a_real_shift_and_not_noise():
    rng = np.random.default_rng(5)
    weeks = pd.date_range("2026-05-04", periods=20, freq="W-MON")
    rows = []
    for k, w in enumerate(weeks):
        shift = -15 if k == 17 else 0
        for s in rng.normal(88 + shift, 6, 25):
            rows.append({"team": "t", "evaluated_at": w + pd.Timedelta(hours=10), "score": s})
    cl = stats.control_limits(pd.DataFrame(rows))
    assert cl.loc[17, "signal"] == "below LCL"
    assert (cl.drop(index=17)["signal"] == "").all()


def test_control_limits_catch_a_run_of_eight():
    weeks = pd.date_range("2026-05-04", periods=16, freq="W-MON")
    rows = [
        {"team": "t", "evaluated_at": w, "score": s}
        for k, w in enumerate(weeks)
        for s in ((90, 80) if k < 8 else (87, 86))
    ]
    cl = stats.control_limits(pd.DataFrame(rows))
    assert "run of 8" in cl.loc[15, "signal"]


def test_control_limits_stay_on_the_score_scale():
    """A team whose weeks sit near 100 with few evaluations: the limits would leave the scale
    (an upper limit of 106 is an impossible score); they end at 0 and 100, signals unchanged."""
    weeks = pd.date_range("2026-05-04", periods=10, freq="W-MON")
    rows = [{"team": "t", "evaluated_at": w, "score": s}
            for k, w in enumerate(weeks) for s in ((100, 80) if k % 2 else (100, 95, 60))]  # fmt: skip
    cl = stats.control_limits(pd.DataFrame(rows))
    assert cl["ucl"].max() == 100 and cl["lcl"].min() >= 0
    assert (cl["lcl"] <= cl["center"]).all() and (cl["center"] <= cl["ucl"]).all()


def test_required_n_and_expected_half_width():
    n = stats.required_n(sd=10, half_width=5)
    assert stats.expected_half_width(10, n) <= 5 < stats.expected_half_width(10, n - 1)
    assert n == 18
