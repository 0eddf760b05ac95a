"""Score: scorecards, evaluations, penalties (扣罚), pay, calibration (校准), period tables.

Scores are points out of 100; intervals are 95%.
"""

from ..data import validate as _validate
from .evaluations import item_table, score_evaluations
from .penalties import penalty_kinds as _penalty_kinds
from .scorecard import scorecard_versions as _scorecard_versions

# what validating the data needs to know of the scorecards and penalty codes
_ITEMS: dict[tuple, object] = {}


def _scorecard_items():
    """Every scorecard version's items, built once per set of scorecard files (the versions are
    cached by file stamp: the same objects while the files are unchanged)."""
    versions = _scorecard_versions()
    key = tuple((k, id(v)) for k, v in versions.items())
    if key not in _ITEMS:
        _ITEMS.clear()
        _ITEMS[key] = item_table(versions)
    return _ITEMS[key]


_validate.KNOWN["scorecard_items"] = _scorecard_items
_validate.KNOWN["penalty_kinds"] = _penalty_kinds
_validate.KNOWN["scorecard_channels"] = lambda: {
    f"{i} {v}": c.channel for (i, v), c in _scorecard_versions().items()
}

__all__ = ["item_table", "score_evaluations"]
