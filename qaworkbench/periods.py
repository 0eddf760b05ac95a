"""Reporting and sampling periods: a month "2026-10", an ISO week "2026-W43" or a day
"2026-10-21"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

from .errors import QAWError


@dataclass(frozen=True)
class Period:
    """A reporting period [start, end): a month "2026-10", an ISO week "2026-W43" or a day
    "2026-10-21" (kind month, week or day)."""

    label: str
    start: pd.Timestamp
    end: pd.Timestamp
    kind: str

    @property
    def month(self) -> str:
        """The month the period starts in ("YYYY-MM")."""
        return self.start.strftime("%Y-%m")


def parse_period(label: str) -> Period:
    """A Period from "YYYY-MM", "YYYY-Www" or "YYYY-MM-DD"; a clear error otherwise."""
    if m := re.fullmatch(r"(\d{4})-(\d{2})", label):
        start = pd.Timestamp(int(m[1]), int(m[2]), 1)
        return Period(label, start, start + pd.DateOffset(months=1), "month")
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", label):
        start = pd.Timestamp(date.fromisocalendar(int(m[1]), int(m[2]), 1))
        return Period(label, start, start + pd.Timedelta(days=7), "week")
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", label):
        try:
            start = pd.Timestamp(date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            raise QAWError(f"period {label!r}: no such day") from None
        return Period(label, start, start + pd.Timedelta(days=1), "day")
    raise QAWError(
        f"period {label!r}: expected a month like 2026-10, an ISO week like 2026-W43 "
        "or a day like 2026-10-21"
    )


def week_of(day: pd.Timestamp | str) -> Period:
    """The ISO week holding ``day``."""
    y, w, _ = pd.Timestamp(day).isocalendar()
    return parse_period(f"{y}-W{w:02d}")


def previous(period: Period) -> Period:
    """The period before ``period``: the previous ISO week, month or day."""
    if period.kind == "day":
        return parse_period(f"{period.start - pd.Timedelta(days=1):%Y-%m-%d}")
    if period.kind == "week":
        return week_of(period.start - pd.Timedelta(days=7))
    return parse_period(str(pd.Period(period.label, "M") - 1))
