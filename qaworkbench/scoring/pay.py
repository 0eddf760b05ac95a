"""From quality score to pay (qa-practice.md section 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def pay_multiplier(
    quality: float | pd.Series | np.ndarray,
    baseline: float = 0.70,
    target: float = 0.80,
    factor: float = 5.0,
    floor: float = 0.0,
) -> float | pd.Series | np.ndarray:
    """Bonus multiplier for a quality share (0-1): 1 - (baseline - q)·factor below the
    baseline, 1 + (q - target)·factor above the target, 1 in between; never below ``floor``.

    >>> round(pay_multiplier(0.65), 4), pay_multiplier(0.75), round(pay_multiplier(0.85), 4)
    (0.75, 1.0, 1.25)
    """
    q = np.asarray(quality, dtype=float)
    m = np.where(
        q < baseline,
        1 - (baseline - q) * factor,
        np.where(q > target, 1 + (q - target) * factor, 1.0),
    )
    m = np.maximum(m, floor)
    if isinstance(quality, pd.Series):
        return pd.Series(m, index=quality.index)
    return float(m) if m.ndim == 0 else m
