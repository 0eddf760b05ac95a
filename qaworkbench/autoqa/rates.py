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
from .ruleset import RuleSet


def coverage(results: pd.DataFrame, answered: pd.Series) -> pd.DataFrame:
    """Per channel: answered contacts (``answered``: counts by channel), those of them checked
    automatically, and the share (0-1). A conversation no agent took part in (no agent on its
    contact: not answered) is checked but not counted, so the share never passes 100%."""
    took = results["agent_id"].notna() if "agent_id" in results else True
    checked = results.loc[took, ["contact_id", "channel"]].drop_duplicates("contact_id")
    checked = checked.groupby("channel", observed=True).size()
    out = pd.DataFrame({"answered": answered, "checked": checked}).fillna(0).astype(int)
    out["share"] = out["checked"] / out["answered"].where(out["answered"] > 0)
    return out.rename_axis("channel").reset_index()


def counted(results: pd.DataFrame, advisory: set[tuple[str, str]]) -> pd.DataFrame:
    """The results of rules that are not advisory."""
    keep = np.ones(len(results), dtype=bool)
    for rule_id, channel in advisory:  # a few pairs; millions of rows compared in place
        keep &= ~((results["rule_id"] == rule_id) & (results["channel"] == channel)).to_numpy(bool)
    return results[keep]


def violation_rates(
    results: pd.DataFrame, by: list[str], advisory: set[tuple[str, str]]
) -> pd.DataFrame:
    """Per group of ``by`` (e.g. ["team"], ["agent_id"]): contacts checked (``n``), contacts
    with at least one violation of a counted rule (``violations``), the rate (0-1) and its
    95% Wilson interval."""
    cols = list(dict.fromkeys([*by, "contact_id", "rule_id", "channel", "result"]))
    r = counted(results[cols], advisory)
    r = r[(r["result"] != "na").to_numpy(bool)]
    fail = (r["result"] == "fail").to_numpy(bool)
    per = r.assign(fail=fail).groupby([*by, "contact_id"], sort=False, observed=True)["fail"].any()
    g = per.astype(int).groupby(level=list(range(len(by))), observed=True)
    out = pd.DataFrame({"n": g.size(), "violations": g.sum().astype(int)}).reset_index()
    out["rate"] = out["violations"] / out["n"]
    out["lo"], out["hi"] = wilson(out["violations"].to_numpy(), out["n"].to_numpy())
    return out


def rule_rates(results: pd.DataFrame, advisory: set[tuple[str, str]]) -> pd.DataFrame:
    """Per rule and channel: contacts it applied to, its fails, the rate with its 95% Wilson
    interval, and whether it is advisory."""
    res = results["result"]
    r = pd.DataFrame(  # only the small columns: a month's results are millions of rows
        {
            "rule_id": results["rule_id"],
            "item_id": results["item_id"],
            "channel": results["channel"],
            "n": (res != "na").to_numpy(np.int32),
            "fails": (res == "fail").to_numpy(np.int32),
        }
    )
    out = r.groupby(["rule_id", "item_id", "channel"], sort=False, observed=True)[["n", "fails"]]
    out = out.sum().reset_index()
    out = out[out["n"] > 0]
    out["rate"] = out["fails"] / out["n"]
    out["lo"], out["hi"] = wilson(out["fails"].to_numpy(), out["n"].to_numpy())
    pairs = zip(out["rule_id"], out["channel"], strict=True)
    out["advisory"] = [p in advisory for p in pairs]
    return out


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
