"""Statistics that do not lie: every score with its n and interval.

Pure functions over DataFrames of scored evaluations (``scoring.score_evaluations``).
Scores are points (0-100).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .order import sort_natural

PRIOR_DF = 4  # weight of the pooled SD in a group's own SD (degrees of freedom)
MAX_POINTS = 100.0  # a score's range is [0, MAX_POINTS]
# Below these a page says "too few to judge" instead of an interval: an agent's mean on fewer
# than MIN_N evaluations, a team's on fewer than MIN_AGENTS agents (its spread is unknown).
MIN_N = 3
MIN_AGENTS = 3


def pooled_sd(
    scored: pd.DataFrame, by: str | list[str] = "agent_id", value: str = "score"
) -> tuple[float, int]:
    """Within-group standard deviation pooled over groups (points), and its degrees of freedom."""
    g = scored.groupby(by)[value]
    n = g.size()
    var = g.var(ddof=1)
    df = (n - 1).clip(lower=0)
    dof = int(df.sum())
    if dof == 0:
        return float("nan"), 0
    return float(np.sqrt((df * var.fillna(0)).sum() / dof)), dof


def score_intervals(
    scored: pd.DataFrame,
    by: str | list[str] = "agent_id",
    value: str = "score",
    level: float = 0.95,
    method: str = "pooled",
    max_points: float = 100.0,
) -> pd.DataFrame:
    """Mean score per group with n, SD and a ``level`` interval (points).

    ``pooled`` (default) takes the wider of two: the within-group SD pooled over
    all groups, and the group's own SD shrunk toward it (``PRIOR_DF`` degrees of
    freedom), so a group with 1-3 evaluations still gets an honest interval and
    a weak agent among many at 100 is not judged by their small spread
    (coverage simulated in tests/test_stats_coverage.py); ``t`` uses each
    group's own SD (no interval below n = 2). Ends are clipped to [0, ``max_points``].
    """
    by = [by] if isinstance(by, str) else list(by)
    g = scored.groupby(by)[value]
    out = g.agg(n="size", mean="mean", sd="std").reset_index()
    if method == "pooled":
        sp, dof = pooled_sd(scored, by, value)
        tq = t_quantile(0.5 + level / 2, dof) if dof > 0 else np.nan
        # A group's own spread, shrunk toward the pooled SD with PRIOR_DF degrees of freedom:
        # scores pile up at 100, so a weak agent varies more than the pooled SD says.
        own_df = (out["n"] - 1).clip(lower=0)
        var = (own_df * out["sd"].fillna(0) ** 2 + PRIOR_DF * sp**2) / (own_df + PRIOR_DF)
        own = t_quantile(0.5 + level / 2, own_df + PRIOR_DF) * np.sqrt(var / out["n"])
        hw = np.fmax(tq * sp / np.sqrt(out["n"]), own)
    elif method == "t":
        hw = t_half_width(out["sd"], out["n"], level)
    else:
        raise ValueError(f"method must be 'pooled' or 't', not {method!r}")
    out["half_width"] = hw
    out["lo"] = (out["mean"] - hw).clip(lower=0)
    out["hi"] = (out["mean"] + hw).clip(upper=max_points)
    return out


def partial_pooling(
    scored: pd.DataFrame,
    agent: str = "agent_id",
    group: str = "team",
    value: str = "score",
    level: float = 0.95,
) -> pd.DataFrame:
    """Reliability-aware agent scores: each raw mean shrunk toward its team's mean.

    Empirical Bayes (normal-normal): reliability = τ²/(τ² + σ²/n), with σ the
    pooled within-agent SD and τ² the between-agent variance in the team
    (method of moments, center-wide, around the team means). An agent
    with 3 evaluations moves most of the way to the team mean; one with 30
    barely moves. Columns: raw (n, mean, lo, hi) and pooled (estimate, lo, hi),
    with ranks for both (1 = best).
    """
    raw = score_intervals(scored, [group, agent], value, level)
    sigma, _ = pooled_sd(scored, agent, value)
    raw["se2"] = sigma**2 / raw["n"]
    team_mean = raw.groupby(group).apply(
        lambda d: np.average(d["mean"], weights=d["n"]), include_groups=False
    )
    raw["team_mean"] = raw[group].map(team_mean)

    # Between-agent variance around team means, estimated center-wide (method of moments):
    # stable even for small teams, where a per-team estimate often collapses to zero.
    dev = raw["mean"] - raw["team_mean"]
    k, g = len(raw), raw[group].nunique()
    between = float((dev**2).sum() / max(k - g, 1))
    raw["tau2"] = max(between - float(raw["se2"].mean()), 0.0)
    raw["reliability"] = raw["tau2"] / (raw["tau2"] + raw["se2"])
    raw["pooled"] = raw["team_mean"] + raw["reliability"] * (raw["mean"] - raw["team_mean"])
    # no within-agent spread to judge by (every agent evaluated once): nothing to shrink by
    raw["pooled"] = raw["pooled"].fillna(raw["mean"])
    z = _ndtri(0.5 + level / 2)
    post_sd = np.sqrt(raw["reliability"] * raw["se2"])
    raw["pooled_lo"] = (raw["pooled"] - z * post_sd).clip(lower=0)
    raw["pooled_hi"] = (raw["pooled"] + z * post_sd).clip(upper=MAX_POINTS)
    raw["rank_raw"] = raw["mean"].rank(ascending=False, method="min").astype(int)
    raw["rank_pooled"] = raw["pooled"].rank(ascending=False, method="min").astype(int)
    return raw.drop(columns=["se2", "tau2"])


def pareto(
    failed: pd.DataFrame,
    by: str | list[str] = "team",
    item: str = "item_id",
    points: str = "deduction",
    vital: float = 0.8,
) -> pd.DataFrame:
    """Deduction Pareto per group: items by points lost, share, cumulative share, the vital few.

    ``failed`` has one row per failed item with its group and points lost.
    The vital few are the items that together make up the first ``vital`` of
    the points (the item that crosses the line included).
    """
    by = [by] if isinstance(by, str) else list(by)
    g = failed.groupby([*by, item]).agg(fails=(item, "size"), points=(points, "sum")).reset_index()
    g = g.sort_values(
        [*by, "points", "fails"], ascending=[True] * len(by) + [False, False], kind="stable"
    )
    total = g.groupby(by)["points"].transform("sum")
    g["share"] = g["points"] / total
    g["cum_share"] = g.groupby(by)["share"].cumsum()
    g["vital_few"] = (g["cum_share"] - g["share"]) < vital - 1e-12
    return g.reset_index(drop=True)


def control_limits(
    scored: pd.DataFrame,
    group: str = "team",
    value: str = "score",
    freq: str = "W-SUN",
    sigmas: float = 3.0,
    run: int = 8,
) -> pd.DataFrame:
    """Weekly mean score per group with X-bar control limits and signals.

    Center line: the group's mean over the window; limits: ± ``sigmas`` ×
    pooled within-week SD / √n (n varies by week), kept within [0, 100] points. Signals: a
    week beyond a limit, or ``run`` consecutive weeks on one side of the center line.
    """
    d = scored.assign(week=scored["evaluated_at"].dt.to_period(freq))
    out = d.groupby([group, "week"])[value].agg(n="size", mean="mean").reset_index()
    center = d.groupby(group)[value].mean()
    # within-week SD pooled over each group's weeks (one pass for every group)
    wk = d.groupby([group, "week"])[value].agg(["size", "var"])
    dof = (wk["size"] - 1).clip(lower=0)
    ss = (dof * wk["var"].fillna(0)).groupby(level=0).sum()
    dof_g = dof.groupby(level=0).sum()
    sd = np.sqrt(ss / dof_g.where(dof_g > 0))
    out["center"] = out[group].map(center)
    se = out[group].map(sd) / np.sqrt(out["n"])
    out["lcl"] = out["center"] - sigmas * se
    out["ucl"] = out["center"] + sigmas * se
    out["signal"] = np.select(
        [out["mean"] > out["ucl"], out["mean"] < out["lcl"]], ["above UCL", "below LCL"], ""
    )
    side = np.sign(out["mean"] - out["center"])
    for _, idx in out.groupby(group).groups.items():
        s = side.loc[idx].to_numpy()
        streak = 0
        for k in range(len(s)):
            streak = streak + 1 if k and s[k] == s[k - 1] and s[k] != 0 else 1
            if streak >= run and out.at[idx[k], "signal"] == "":
                out.at[idx[k], "signal"] = f"run of {run} {'above' if s[k] > 0 else 'below'}"
    # limits beyond the scale mean no signal is possible on that side: shown at its end
    out["lcl"] = out["lcl"].clip(lower=0)
    out["ucl"] = out["ucl"].clip(upper=MAX_POINTS)
    out["week"] = out["week"].astype(str)
    return out


def expected_half_width(sd: float, n: int | np.ndarray, level: float = 0.95) -> float | np.ndarray:
    """Expected half-width (points) of a ``level`` interval on a mean of n evaluations."""
    n = np.asarray(n, dtype=float)
    tq = t_quantile(0.5 + level / 2, np.maximum(n - 1, 1))
    return tq * sd / np.sqrt(n)


def required_n(sd: float, half_width: float, level: float = 0.95, n_max: int = 10_000) -> int:
    """Fewest evaluations whose ``level`` interval is at most ± ``half_width`` points."""
    ns = np.arange(2, n_max + 1)
    ok = np.flatnonzero(expected_half_width(sd, ns, level) <= half_width)
    if not len(ok):
        raise ValueError(f"more than {n_max} evaluations needed for ±{half_width} points")
    return int(ns[ok[0]])


def clustered_intervals(
    scored: pd.DataFrame,
    by: str | list[str] | None = "team",
    cluster: str = "agent_id",
    value: str = "score",
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean score per group with an interval that respects clustering within agents (points).

    Evaluations of one agent are not independent evidence about a team, so the
    standard error comes from per-agent residual totals (cluster-robust, CR1)
    with (agents - 1) degrees of freedom, never below the center's pooled within-agent SD
    over √n (with scores piled at 100, three agents can agree by chance: coverage simulated in
    tests/test_stats_coverage.py); ends clipped to [0, 100]. ``by=None`` gives one
    center-wide row.
    """
    d = scored if by is not None else scored.assign(_all="center")
    keys = ["_all"] if by is None else ([by] if isinstance(by, str) else list(by))
    within, _ = pooled_sd(scored, cluster, value)  # the center's within-agent spread
    rows = []
    for key, g in d.groupby(keys):
        y = g[value].to_numpy(dtype=float)
        n, mean = len(y), float(y.mean())
        resid = (g[value] - mean).groupby(g[cluster]).sum().to_numpy()
        k = len(resid)
        se = np.sqrt(k / (k - 1) * np.sum(resid**2)) / n if k > 1 else np.nan
        if np.isfinite(within):  # a few agents can agree by chance (all at 100): floor the SE
            se = max(se, within / np.sqrt(n))
        hw = t_quantile(0.5 + level / 2, k - 1) * se if k > 1 else np.nan
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        row |= {
            "n": n,
            "agents": k,
            "mean": mean,
            "half_width": hw,
            "se": se,
            "lo": max(mean - hw, 0.0),
            "hi": min(mean + hw, MAX_POINTS),
        }
        rows.append(row)
    out = pd.DataFrame(rows)
    # groups in natural order (话务二组 < 话务十组), for every table and chart built on them
    return (
        out.drop(columns=["_all"]) if by is None else sort_natural(out, keys).reset_index(drop=True)
    )


def t_quantile(p: float, df: float | np.ndarray | pd.Series) -> np.ndarray:
    """Quantile ``p`` of Student's t with ``df`` degrees of freedom (NaN where df < 1)."""
    df = np.asarray(df, dtype=float)
    from scipy.special import stdtrit  # scipy.special on first use (0.1 s to import)

    return np.where(df >= 1, stdtrit(np.maximum(df, 1), p), np.nan)


def t_half_width(sd: pd.Series, n: pd.Series, level: float = 0.95) -> pd.Series:
    """Half-width of a ``level`` t-interval on a mean of n values with SD ``sd`` (NaN below n = 2)."""
    return t_quantile(0.5 + level / 2, (n - 1).where(n > 1)) * sd / np.sqrt(n)


def rate_change(
    fails_before: int, n_before: int, fails_after: int, n_after: int, level: float = 0.95
) -> dict:
    """A fail rate before and after (shares), the change with its ``level`` interval (Wald,
    unpooled) and a verdict code (improved, worse, no_clear_change, no_evaluations, too_few):
    improved only when the whole interval is below zero."""
    p0 = fails_before / n_before if n_before else np.nan
    p1 = fails_after / n_after if n_after else np.nan
    change = p1 - p0
    se = (
        np.sqrt(p0 * (1 - p0) / n_before + p1 * (1 - p1) / n_after)
        if n_before and n_after
        else np.nan
    )
    z = _ndtri(0.5 + level / 2)
    lo, hi = change - z * se, change + z * se
    if not n_after:
        verdict = "no_evaluations"
    elif not n_before:
        verdict = "too_few"
    elif hi < 0:
        verdict = "improved"
    elif lo > 0:
        verdict = "worse"
    else:
        verdict = "no_clear_change"
    return {
        "before": p0,
        "after": p1,
        "change": change,
        "change_lo": lo,
        "change_hi": hi,
        "verdict": verdict,
    }


def judged(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its interval (``lo``, ``hi``) removed where there is too little to judge:
    a group of agents (an ``agents`` column) below MIN_AGENTS agents, else below MIN_N
    evaluations (``n``). Pages then say "too few to judge"."""
    few = df["agents"] < MIN_AGENTS if "agents" in df else df["n"] < MIN_N
    return df.assign(lo=df["lo"].mask(few), hi=df["hi"].mask(few))


def mean_change(
    mean_before: float, se_before: float, mean_after: float, se_after: float, level: float = 0.95
) -> dict:
    """The change of a mean score between two periods (points) with its ``level`` interval
    (independent periods, normal) and a verdict: higher / lower only when the interval
    excludes zero."""
    change = mean_after - mean_before
    hw = _ndtri(0.5 + level / 2) * float(np.hypot(se_before, se_after))
    lo, hi = change - hw, change + hw
    if not np.isfinite(hw):
        verdict = "too_few"
    elif lo > 0:
        verdict = "higher"
    elif hi < 0:
        verdict = "lower"
    else:
        verdict = "no_clear_change"
    return {"change": change, "change_lo": lo, "change_hi": hi, "verdict": verdict}


def _ndtri(p: float) -> float:
    """The standard normal quantile (scipy.special on first use: scipy.stats costs 1 s)."""
    from scipy.special import ndtri

    return float(ndtri(p))


def wilson(k: np.ndarray | float, n: np.ndarray | float, level: float = 0.95) -> tuple:
    """Wilson score interval of a share k/n (lo, hi as shares; NaN where n = 0). Keeps to
    0-1 and covers near 0 and 1, where most violation rates and agreement shares sit."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _ndtri(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        den = 1 + z**2 / n
        mid = (p + z**2 / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    lo = np.where(k == 0, 0.0, np.clip(mid - half, 0, 1))  # exact at the ends
    hi = np.where(k == n, 1.0, np.clip(mid + half, 0, 1))
    return np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


def cohen_kappa(tp: int, fp: int, fn: int, tn: int, level: float = 0.95) -> tuple:
    """Cohen's kappa of two yes/no raters from their 2x2 counts, with a ``level`` interval
    (large-sample standard error sqrt(po (1 - po) / (n (1 - pe)^2)), clipped to -1..1).
    NaN when n = 0 or when both raters say the same thing every time (pe = 1)."""
    n = tp + fp + fn + tn
    if n == 0:
        return np.nan, np.nan, np.nan
    po = (tp + tn) / n
    pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / n**2
    if pe >= 1:
        return np.nan, np.nan, np.nan
    kappa = (po - pe) / (1 - pe)
    se = np.sqrt(po * (1 - po) / (n * (1 - pe) ** 2))
    z = _ndtri(0.5 + level / 2)
    return kappa, max(-1.0, kappa - z * se), min(1.0, kappa + z * se)
