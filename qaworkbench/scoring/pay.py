"""From quality score to pay (qa-practice.md section 6): the bonus ratio and the month's pay
factor of penalties, set in versioned YAML under templates/pay/."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..workspace import load_template


class PayRules(BaseModel):
    """A versioned pay scheme: which quality value, the ratio's thresholds, its cap and the
    penalty effects on the month's pay. Shares are 0-1; money in yuan."""

    model_config = ConfigDict(extra="forbid")

    id: str
    version: str
    name: str
    name_en: str
    quality: Literal["mean_score", "pass_share"] = "mean_score"
    pass_mark: float = Field(70, ge=0, le=100, description="points; for pass_share")
    baseline: float = Field(0.70, gt=0, le=1)
    target: float = Field(0.80, gt=0, le=1)
    factor: float = Field(5.0, gt=0)
    floor: float = Field(0.0, ge=0)
    bonus_max: float = Field(500, gt=0, description="yuan a month")
    bonus_average: float = Field(300, gt=0, description="yuan a month")
    month_pay_factor: dict[str, float] = Field(
        default_factory=dict, description="penalty rule id -> factor on the month's pay"
    )

    @model_validator(mode="after")
    def _order(self) -> PayRules:
        if self.target < self.baseline:
            raise ValueError(f"target ({self.target}) is below baseline ({self.baseline})")
        if self.bonus_max < self.bonus_average:
            raise ValueError("bonus_max is below bonus_average")
        return self

    @property
    def cap(self) -> float:
        """The highest ratio: bonus_max / bonus_average."""
        return self.bonus_max / self.bonus_average


def load_pay_rules(path: str | Path | None = None) -> PayRules:
    """Read and validate pay rules (default: the workspace's ``pay_rules`` setting); a bare
    name is looked up in templates/pay/ (the workspace's, then the shipped ones)."""
    from ..settings import get

    return load_template("pay", get("pay_rules", path), PayRules)


def pay_multiplier(
    quality: float | pd.Series | np.ndarray,
    baseline: float = 0.70,
    target: float = 0.80,
    factor: float = 5.0,
    floor: float = 0.0,
    cap: float = float("inf"),
) -> float | pd.Series | np.ndarray:
    """Bonus ratio for a quality share (0-1): 1 - (baseline - q)·factor below the
    baseline, 1 + (q - target)·factor above the target, 1 in between; within [floor, cap].

    >>> round(pay_multiplier(0.65), 4), pay_multiplier(0.75), round(pay_multiplier(0.85), 4)
    (0.75, 1.0, 1.25)
    """
    q = np.asarray(quality, dtype=float)
    m = np.where(
        q < baseline,
        1 - (baseline - q) * factor,
        np.where(q > target, 1 + (q - target) * factor, 1.0),
    )
    m = np.clip(m, floor, cap)
    if isinstance(quality, pd.Series):
        return pd.Series(m, index=quality.index)
    return float(m) if m.ndim == 0 else m


def bonus_ratio(quality: float | pd.Series | np.ndarray, rules: PayRules):
    """``pay_multiplier`` with ``rules``' thresholds, floor and cap."""
    return pay_multiplier(
        quality, rules.baseline, rules.target, rules.factor, rules.floor, rules.cap
    )


def quality_value(regular: pd.DataFrame, rules: PayRules) -> pd.Series:
    """Per agent, the quality share (0-1) the ratio is read off: mean score / 100, or the share
    of evaluations at or above the pass mark."""
    if rules.quality == "pass_share":
        return (regular["score"] >= rules.pass_mark).groupby(regular["agent_id"]).mean()
    return regular.groupby("agent_id")["score"].mean() / 100


def month_pay_factor(cases: pd.DataFrame, month: str, rules: PayRules) -> pd.Series:
    """Per agent with a case of the month under a rule in ``rules.month_pay_factor``: the
    factor on that month's pay (the smallest when several apply)."""
    if cases.empty or not rules.month_pay_factor:
        return pd.Series(dtype=float)
    c = cases[pd.to_datetime(cases["at"]).dt.to_period("M") == pd.Period(month, "M")]
    c = c[c["rule_id"].isin(list(rules.month_pay_factor))]
    return c["rule_id"].map(rules.month_pay_factor).groupby(c["agent_id"]).min()
