"""Do the 95% intervals cover the truth 95% of the time where it is hard: few evaluations
(2-5) per agent or agents per team, and scores piled up at 100 (most evaluations perfect)?

Each case simulates centers whose true agent means are known and counts how often the
interval holds them. Coverage is checked overall and for the weaker half of agents (whose
spread the pooled SD understates when most scores are 100)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qaworkbench import stats

DEDUCTIONS = np.array([2, 3, 5, 10, 20])
DEDUCTION_P = np.array([0.3, 0.3, 0.2, 0.15, 0.05])  # expected deduction 5 points


def _center(rng, agents: int, n: int, ceiling: bool) -> pd.DataFrame:
    """``agents`` agents with ``n`` evaluations each and their true means."""
    if ceiling:  # each evaluation perfect with the agent's own probability, else one deduction
        p_full = rng.uniform(0.5, 0.95, agents)
        truth = 100 - (1 - p_full) * float(DEDUCTIONS @ DEDUCTION_P)
        full = rng.random((agents, n)) < p_full[:, None]
        lost = rng.choice(DEDUCTIONS, size=(agents, n), p=DEDUCTION_P)
        scores = np.where(full, 100.0, 100.0 - lost)
    else:
        truth = rng.normal(85, 5, agents)
        scores = rng.normal(truth[:, None], 8, (agents, n))  # rarely past 100 at these means
    return pd.DataFrame({
        "agent_id": np.repeat([f"A{i}" for i in range(agents)], n),
        "team": np.repeat([f"T{i % 6}" for i in range(agents)], n),
        "score": scores.ravel(),
        "truth": np.repeat(truth, n),
    })  # fmt: skip


@pytest.mark.parametrize("ceiling", [False, True], ids=["spread", "ceiling-heavy"])
@pytest.mark.parametrize("n", [2, 3, 5])
def test_agent_intervals_cover_at_small_n(n, ceiling):
    rng = np.random.default_rng(100 * n + ceiling)
    hits, weak_hits, widths = [], [], []
    for _ in range(150):
        d = _center(rng, 30, n, ceiling)
        iv = stats.score_intervals(d, "agent_id").join(
            d.groupby("agent_id")["truth"].first(), on="agent_id"
        )
        assert (iv["lo"] >= 0).all() and (iv["hi"] <= 100).all()  # never off the scale
        hit = (iv["lo"] <= iv["truth"]) & (iv["truth"] <= iv["hi"])
        hits.append(hit.mean())
        weak_hits.append(hit[iv["truth"] < iv["truth"].median()].mean())
        widths.append((iv["hi"] - iv["lo"]).mean())
    assert np.mean(hits) >= 0.94, f"coverage {np.mean(hits):.3f}"
    assert np.mean(weak_hits) >= 0.93, f"weaker half coverage {np.mean(weak_hits):.3f}"
    assert np.mean(widths) < (30 if not ceiling else 10)  # honest, not uselessly wide


@pytest.mark.parametrize("ceiling", [False, True], ids=["spread", "ceiling-heavy"])
def test_team_intervals_cover_at_the_minimum_number_of_agents(ceiling):
    """Six teams of MIN_AGENTS agents (the least a page judges), 3-5 evaluations each."""
    rng = np.random.default_rng(7 + ceiling)
    hits = []
    for _ in range(150):
        d = _center(rng, 6 * stats.MIN_AGENTS, int(rng.integers(3, 6)), ceiling)
        iv = stats.clustered_intervals(d, "team").set_index("team")
        # each team's true mean: its agents' true means weighted by their evaluations
        truth = d.groupby("team")["truth"].mean()
        assert (iv["agents"] == stats.MIN_AGENTS).all()
        assert ((iv["lo"] >= 0) & (iv["lo"] <= iv["hi"]) & (iv["hi"] <= 100)).all()
        hits.extend((iv["lo"] <= truth) & (truth <= iv["hi"]))
    assert np.mean(hits) >= 0.94, f"coverage {np.mean(hits):.3f}"


def test_a_team_below_the_minimum_is_not_judged():
    """Two agents give a t interval on one degree of freedom (once −7.8 to 182.8 on a page):
    it is clipped to the scale, and reports show "too few to judge" instead."""
    d = pd.DataFrame({"team": "T", "agent_id": ["a", "b"], "score": [60.0, 100.0]})
    iv = stats.clustered_intervals(d, "team").iloc[0]
    assert iv["agents"] < stats.MIN_AGENTS
    assert iv["lo"] >= 0 and iv["hi"] <= 100
