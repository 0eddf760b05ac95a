"""Sample: the month's QA sample (抽样) drawn by the centers' own rules, explained contact by
contact, allocated to evaluators, and its completion tracked.

``plan`` (the YAML settings), ``quotas`` (base and adaptive), ``rules/`` (one module per
rule), ``picks`` (random keys and per-agent picks), ``scan`` and ``counts`` (the month as
arrays), ``draw`` (the rules combined), ``monthly`` (from a data folder), ``allocation``.
"""

from .draw import Sample, draw
from .monthly import sample_month
from .plan import SamplingPlan, load_plan
from .rules import REASONS

__all__ = ["REASONS", "Sample", "SamplingPlan", "draw", "load_plan", "sample_month"]
