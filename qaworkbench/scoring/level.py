"""The quality level of a center or team, apart from problem hunting.

Complaints, short and long calls, repeat callers, auto-QA flags and the neighbours of faulty
calls are sampled because they are likely to be bad: a mean over every evaluation is biased
low and moves with the targeting mix, not with quality. The quality level is therefore read
off the random picks (the base quota and random live monitoring) when evaluations record why
they were sampled (``evaluations.sample_reason``); agents' own scores keep counting every
evaluation, as the centers do. Each targeted rule's yield (the share of its picks with a
deduction) tells a QA lead whether the rule earns its listening time.
"""

from __future__ import annotations

import pandas as pd

from ..stats import wilson

# Reason codes of random picks (sampling.rules): an unbiased sample of an agent's contacts.
RANDOM_REASONS = frozenset({"base_post_call", "base_real_time", "live_random", "side_by_side"})
OUTSIDE = "outside"  # evaluated without a recorded reason (not from the sample)


def recorded(regular: pd.DataFrame) -> bool:
    """Whether the evaluations say why each contact was sampled."""
    return "sample_reason" in regular and regular["sample_reason"].notna().any()


def level_sample(regular: pd.DataFrame) -> pd.DataFrame:
    """The evaluations the quality level is computed from: the random picks where reasons are
    recorded, else every evaluation (and the page says so)."""
    if not recorded(regular):
        return regular
    return regular[regular["sample_reason"].isin(RANDOM_REASONS).to_numpy()]


def rule_yield(regular: pd.DataFrame) -> pd.DataFrame:
    """Per sampling reason: evaluations, those with a deduction (points deducted or a failed
    bottom-line item), their share and its 95% Wilson interval (shares 0-1). Random picks
    first, then targeted rules by yield."""
    cols = ["sample_reason", "random", "n", "with_deduction", "yield", "yield_lo", "yield_hi"]
    if not recorded(regular):
        return pd.DataFrame(columns=cols)
    reason = regular["sample_reason"].fillna(OUTSIDE).astype(str)
    hit = (regular["points_deducted"] > 0) | regular["critical_failed"].astype(bool)
    g = hit.groupby(reason)
    out = pd.DataFrame({"n": g.size(), "with_deduction": g.sum().astype(int)})
    out["yield"] = out["with_deduction"] / out["n"]
    out["yield_lo"], out["yield_hi"] = wilson(out["with_deduction"], out["n"])
    out = out.rename_axis("sample_reason").reset_index()
    out["random"] = out["sample_reason"].isin(RANDOM_REASONS)
    out = out.sort_values(["random", "yield"], ascending=[False, False], kind="stable")
    return out[cols].reset_index(drop=True)
