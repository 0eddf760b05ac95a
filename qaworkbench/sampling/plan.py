"""Sampling plans (抽样方案) as versioned YAML under templates/sampling/, validated on load.

Every rule of qa-practice.md section 3 is a setting; a plan switches rules on
and tunes them. Units: rates are shares (0.01 = 1%), durations seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..workspace import load_template

# How a service level counts an inbound contact abandoned before the threshold.
Abandoned = Literal["missed", "excluded", "met"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Quota(_M):
    """A percentage quota per agent over the agent's contacts of one kind."""

    rate: float = Field(gt=0, le=1, description="share of the basis contacts")
    basis: Literal["previous_month", "current_month"] = "previous_month"
    first_month: Literal["current_month", "none"] = Field(
        "current_month",
        description="a previous_month basis when the data has no contacts last month (a "
        "center's first month): this month's own contacts, or no base quota",
    )
    channel: Literal["voice", "chat"] | None = None
    direction: Literal["inbound", "outbound"] | None = None
    real_time_share: float = Field(
        0.0, ge=0, le=1, description="share of the quota listened to live"
    )
    rounding: Literal["half_up", "ceil", "floor"] = "half_up"
    minimum: int = Field(0, ge=0)
    maximum: int | None = Field(None, ge=1)


class Targeted(_M):
    """A targeted rule: take ``share`` of the flagged contacts, at most ``max_per_agent`` each."""

    enabled: bool = True
    share: float = Field(1.0, gt=0, le=1)
    max_per_agent: int | None = Field(None, ge=1)
    overrides_exemption: bool = Field(
        False,
        description="also sampled for an agent in a full-marks exemption month (each such pick "
        "says so); otherwise the exemption's quota is the agent's whole sample",
    )


class ShortRule(Targeted):
    max_talk_s: float = Field(20, gt=0, description="talk time below this, s")


class LongRule(Targeted):
    min_talk_s: float = Field(200, gt=0, description="talk time above this, s")
    only_missed_intervals: bool = Field(
        True, description="only in intervals whose service level missed"
    )
    interval_min: int = Field(30, gt=0)
    answer_within_s: float = Field(20, gt=0)
    target: float = Field(0.80, gt=0, le=1, description="service-level target (share)")
    abandoned_before_threshold: Abandoned = Field(
        "missed",
        description="an inbound contact abandoned within answer_within_s: 'missed' (offered, not "
        "answered in time), 'excluded' (not counted as offered) or 'met' (counted in time)",
    )


class ComplaintRule(Targeted):
    include_open: bool = True


class RepeatRule(Targeted):
    within_hours: float = Field(24, gt=0)


class AutoQARule(Targeted):
    """Contacts where auto-QA found a violation (``qaw autoqa`` must have run)."""

    rules: list[str] = Field(
        default_factory=list, description="rule ids sampled on; empty: every rule"
    )


class NeighbourRule(_M):
    enabled: bool = True
    before: int = Field(1, ge=0)
    after: int = Field(1, ge=0)
    faulty_below: float = Field(80, description="an evaluation under this score (points) is faulty")
    overrides_exemption: bool = False


class Adaptive(_M):
    enabled: bool = True
    full_marks_months: int = Field(
        2, ge=1, description="consecutive full-mark months for an exemption"
    )
    exempt_quota: int = Field(5, ge=0)
    poor_below: float = Field(80, description="previous month's mean score (points) under which…")
    poor_factor: float = Field(1.5, ge=1, description="…the quota is multiplied by this")


class NewHires(_M):
    enabled: bool = True
    first_days: int = Field(7, ge=1)
    per_working_day: int = Field(5, ge=1)


class LiveMonitoring(_M):
    """Weekly live-monitoring slots per agent (insurer rules)."""

    random_per_week: int = Field(0, ge=0)
    side_by_side_per_week: int = Field(0, ge=0)


class Exclusions(_M):
    already_evaluated: bool = True
    on_leave: bool = True
    min_talk_s: float = Field(10, ge=0, description="base draws skip contacts shorter than this, s")


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)  # Monday first, as pandas' weekday() counts


class ComplaintsReport(_M):
    """How the weekly and monthly reports summarise complaints (投诉工单)."""

    week_ends: Weekday = Field(
        "sunday",
        description="the weekly report's complaint week is the 7 days ending on this weekday, "
        "the last one on or before the report week's Sunday (sunday: the ISO week itself)",
    )
    repeat_days: int = Field(
        90, ge=1, description="a repeat complainant complained again within this many days"
    )
    trend_weeks: int = Field(8, ge=2, le=52, description="complaint weeks in the weekly trend")
    trend_months: int = Field(6, ge=2, le=24, description="months in the monthly trend")


class Allocation(_M):
    roles: dict[str, float] = Field(
        default_factory=lambda: {"qa": 1.0}, description="role -> share"
    )
    never_own_team: bool = True
    team_lead_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of each team's planned evaluations its own team lead spot-checks, "
        "weakest agents first (last month's score); the other roles never take their own team",
    )
    overhead_s: float = Field(
        180, ge=0, description="evaluation work per contact on top of its talk time, s"
    )

    @model_validator(mode="after")
    def _shares(self) -> Allocation:
        if abs(sum(self.roles.values()) - 1) > 1e-9:
            raise ValueError(f"role shares must add up to 1, not {sum(self.roles.values())}")
        return self


class SamplingPlan(_M):
    """A versioned sampling plan."""

    id: str
    version: str
    name: str
    name_en: str
    quotas: list[Quota] = Field(min_length=1)
    short_contacts: ShortRule = ShortRule(enabled=False)
    long_contacts: LongRule = LongRule(enabled=False)
    complaints: ComplaintRule = ComplaintRule(enabled=False)
    repeat_contacts: RepeatRule = RepeatRule(enabled=False)
    neighbours: NeighbourRule = NeighbourRule()
    autoqa: AutoQARule = AutoQARule(enabled=False)
    adaptive: Adaptive = Adaptive(enabled=False)
    new_hires: NewHires = NewHires(enabled=False)
    live_monitoring: LiveMonitoring = LiveMonitoring()
    exclusions: Exclusions = Exclusions()
    shifts: dict[str, tuple[int, int]] = Field(
        default_factory=lambda: {"夜班": (0, 8), "早班": (8, 16), "晚班": (16, 24)},
        description="shift name -> [start hour, end hour); draws spread over days and shifts",
    )
    deadline_days: int = Field(2, ge=0, description="evaluate within this many days of the contact")
    allocation: Allocation = Allocation()
    complaints_report: ComplaintsReport = ComplaintsReport()
    score_sd: float = Field(
        10.0, gt=0, description="default within-agent score SD (points) for precision"
    )

    @model_validator(mode="after")
    def _shifts_cover_the_day(self) -> SamplingPlan:
        hours = sorted(h for a, b in self.shifts.values() for h in range(a, b))
        if hours != list(range(24)):
            raise ValueError(
                "shifts must cover the 24 hours once each (e.g. 夜班 [0, 8], 早班 [8, 16], 晚班 [16, 24])"
            )
        return self


def load_plan(path: str | Path | None = None) -> SamplingPlan:
    """Read and validate a plan (default: the workspace's ``sampling_plan`` setting); a bare
    name is looked up in templates/sampling/ (the workspace's, then the shipped ones)."""
    from ..settings import get

    return load_template("sampling", get("sampling_plan", path), SamplingPlan)
