"""Score: scorecards, evaluations, penalties (扣罚), pay, calibration (校准), period tables.

Scores are points out of 100; intervals are 95%.
"""

from ..data import validate as _validate
from .evaluations import item_table, score_evaluations
from .penalties import penalty_kinds as _penalty_kinds
from .scorecard import scorecard_versions as _scorecard_versions

# what validating the data needs to know of the scorecards and penalty codes
_validate.KNOWN["scorecard_items"] = lambda: item_table(_scorecard_versions())
_validate.KNOWN["penalty_kinds"] = _penalty_kinds
_validate.KNOWN["scorecard_channels"] = lambda: {
    f"{i} {v}": c.channel for (i, v), c in _scorecard_versions().items()
}

__all__ = ["item_table", "score_evaluations"]
