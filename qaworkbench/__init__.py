"""QA Workbench: contact-center quality assurance (质检) in Jupyter.

The public API; everything else is reachable through its module.
"""

from ._version import __version__
from .data.load import Center, load_center, load_table, save_center
from .data.mapping import load_mapping
from .errors import ConfigError, Problem, QAWError, ValidationError
from .privacy import mask_id, masked, pseudonym
from .scoring.scorecard import load_scorecard

__all__ = [
    "Center",
    "ConfigError",
    "Problem",
    "QAWError",
    "ValidationError",
    "__version__",
    "load_center",
    "load_mapping",
    "load_scorecard",
    "load_table",
    "mask_id",
    "masked",
    "pseudonym",
    "save_center",
]
