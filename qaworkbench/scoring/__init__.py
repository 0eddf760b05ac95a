"""Score: scorecards, evaluations, penalties (扣罚), pay, calibration (校准), period tables.

Scores are points out of 100; intervals are 95%.
"""

from .evaluations import item_table, score_evaluations

__all__ = ["item_table", "score_evaluations"]
