"""What the automatic results say about people and teams, with how sure it is: coverage,
violation rates with Wilson intervals, and the automatic score, kept apart from the human
score (never in pay or penalties).

Only rules that are not advisory count towards violation rates and the automatic score;
advisory rules are reported beside, marked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scoring.scorecard import load_scorecard
from ..stats import MAX_POINTS, t_half_width, wilson
from . import tally
from .ruleset import RuleSet
from .tally import Results


def coverage(
    results: Results, answered: pd.Series, agents: pd.DataFrame | None = None, team: str = ""
) -> pd.DataFrame:
    """Per channel: answered contacts (``answered``: counts by channel), those of them checked
    automatically, and the share (0-1). A conversation no agent took part in (no agent on its
    contact: not answered) is checked but not counted, so the share never passes 100%.
    ``results``: a frame or its Parquet file (``tally``); ``team``: its agents' alone, by
    ``agents`` (``agent_id``, ``team``)."""
    with tally.opened(results, agents, team) as con:
        checked = tally.query(
            con,
            "SELECT channel, count(DISTINCT contact_id) AS checked FROM r "
            "WHERE agent_id IS NOT NULL GROUP BY channel",
        )
    checked = checked.set_index("channel")["checked"]
    out = pd.DataFrame({"answered": answered, "checked": checked}).fillna(0).astype(int)
    out["share"] = out["checked"] / out["answered"].where(out["answered"] > 0)
    return out.rename_axis("channel").reset_index()


def checked_by(results: Results, key: str) -> pd.Series:
    """Contacts checked automatically per value of ``key`` (e.g. ``agent_id``), named
    ``checked``; rows without one are left out."""
    with tally.opened(results) as con:
        out = tally.query(
            con,
            f'SELECT "{key}", count(DISTINCT contact_id)::BIGINT AS checked FROM r '
            f'WHERE "{key}" IS NOT NULL GROUP BY "{key}" ORDER BY "{key}"',
        )
    return out.set_index(key)["checked"]


def counted(results: pd.DataFrame, advisory: set[tuple[str, str]]) -> pd.DataFrame:
    """The results of rules that are not advisory."""
    keep = np.ones(len(results), dtype=bool)
    for rule_id, channel in advisory:  # a few pairs; millions of rows compared in place
        keep &= ~((results["rule_id"] == rule_id) & (results["channel"] == channel)).to_numpy(bool)
    return results[keep]


def violation_rates(
    results: Results,
    by: list[str],
    advisory: set[tuple[str, str]],
    agents: pd.DataFrame | None = None,
    team: str = "",
) -> pd.DataFrame:
    """Per group of ``by`` (e.g. ["team"], ["agent_id"]): contacts checked (``n``), contacts
    with at least one violation of a counted rule (``violations``), the rate (0-1) and its
    95% Wilson interval. ``results``: a frame or its Parquet file; ``agents`` (``agent_id``,
    ``team``) gives each row its ``team`` (for ``by``, and ``team`` to keep one team's)."""
    keys = ", ".join(f'"{c}"' for c in by)
    known = " AND ".join(f'"{c}" IS NOT NULL' for c in by)  # (a row without its group: left out)
    with tally.opened(results, agents, team, advisory) as con:
        out = tally.query(
            con,
            f"SELECT {keys}, count(*)::BIGINT AS n, sum(failed::INT)::BIGINT AS violations FROM ("
            f"  SELECT {keys}, contact_id, bool_or(result = 'fail') AS failed"
            "   FROM r ANTI JOIN advisory USING (rule_id, channel)"
            f"  WHERE result <> 'na' AND {known} GROUP BY {keys}, contact_id"
            f") GROUP BY {keys} ORDER BY {keys}",
        )
    out["rate"] = out["violations"] / out["n"]
    out["lo"], out["hi"] = wilson(out["violations"].to_numpy(), out["n"].to_numpy())
    return out


def rule_rates(
    results: Results,
    advisory: set[tuple[str, str]],
    agents: pd.DataFrame | None = None,
    team: str = "",
) -> pd.DataFrame:
    """Per rule and channel: contacts it applied to, its fails, the rate with its 95% Wilson
    interval, and whether it is advisory. ``results``: a frame or its Parquet file; ``team``:
    its agents' alone, by ``agents`` (``agent_id``, ``team``)."""
    with tally.opened(results, agents, team) as con:
        out = tally.query(
            con,
            "SELECT rule_id, item_id, channel, count(*) FILTER (result <> 'na')::BIGINT AS n, "
            "count(*) FILTER (result = 'fail')::BIGINT AS fails FROM r "
            "GROUP BY rule_id, item_id, channel HAVING n > 0 ORDER BY channel, rule_id, item_id",
        )
    out["rate"] = out["fails"] / out["n"]
    out["lo"], out["hi"] = wilson(out["fails"].to_numpy(), out["n"].to_numpy())
    pairs = zip(out["rule_id"], out["channel"], strict=True)
    out["advisory"] = [p in advisory for p in pairs]
    return out


def in_rule_order(table: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """``table``'s rows (``rule_id``, ``channel``) in the rule set's order: by channel as its
    scorecards are listed, then as its rules are (a rule it no longer holds, last)."""
    channels = {c: i for i, c in enumerate(rules.scorecards)}
    order = {r.id: i for i, r in enumerate(rules.rules)}
    key = pd.DataFrame({
        "c": table["channel"].map(channels).fillna(len(channels)),
        "r": table["rule_id"].map(order).fillna(len(order)),
    })  # fmt: skip
    return table.iloc[np.lexsort((key["r"].to_numpy(), key["c"].to_numpy()))].reset_index(drop=True)


def contact_scores(
    results: pd.DataFrame, rules: RuleSet, advisory: set[tuple[str, str]]
) -> pd.DataFrame:
    """The automatic score of each contact (0-100) over the scorecard items its counted
    rules check: an item fails when any of its rules fails, N/A items are left out, and the
    score is the points of the passed items over the points of the applicable ones."""
    r = counted(results[["contact_id", "agent_id", "channel", "rule_id", "item_id", "result"]],
                advisory)  # fmt: skip
    r = r[(r["result"] != "na").to_numpy(bool)]
    item = (
        r.assign(fail=r["result"] == "fail")
        .groupby(["contact_id", "agent_id", "channel", "item_id"], sort=False)["fail"]
        .any()
        .reset_index()
    )
    cards = {ch: load_scorecard(card).items() for ch, card in rules.scorecards.items()}
    pts = pd.concat(
        [c[["item_id", "points"]].assign(channel=ch) for ch, c in cards.items()]
    ).dropna(subset=["points"])
    item = item.merge(pts, on=["channel", "item_id"], how="inner")
    item["kept"] = np.where(item["fail"], 0.0, item["points"])
    g = item.groupby(["contact_id", "agent_id", "channel"], sort=False)
    out = g[["kept", "points"]].sum().reset_index()
    out["auto_score"] = MAX_POINTS * out["kept"] / out["points"]
    return out[["contact_id", "agent_id", "channel", "auto_score"]]


def group_scores(scores: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean automatic score per group (points) with n and a 95% t interval within 0-100."""
    g = scores.groupby(by, sort=False, observed=True)["auto_score"]
    out = pd.DataFrame({"n": g.size(), "mean": g.mean(), "sd": g.std()}).reset_index()
    hw = t_half_width(out["sd"], out["n"])
    out["lo"] = (out["mean"] - hw).clip(0, MAX_POINTS)
    out["hi"] = (out["mean"] + hw).clip(0, MAX_POINTS)
    return out.drop(columns="sd")
