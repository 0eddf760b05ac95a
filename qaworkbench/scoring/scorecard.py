"""Scorecards as versioned YAML: sections, items, critical (bottom-line) items, grade bands.

Two shapes (qa-practice.md section 4): ``deduction`` — each section has a
maximum and its deductions floor at zero (扣完为止); ``checklist`` — each
item carries its points and N/A items are rescaled away.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..workspace import load_template, template_dirs


class Item(BaseModel):
    """One thing an evaluator checks; ``points`` are deducted (or lost) when it fails."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    name_en: str
    points: float = Field(gt=0, description="points")
    na_allowed: bool = False
    correct_handling: str = ""
    correct_handling_en: str = ""


class Section(BaseModel):
    """A scorecard section with its maximum points."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    name_en: str
    max_points: float = Field(gt=0)
    items: list[Item] = Field(min_length=1)


class CriticalItem(BaseModel):
    """A bottom-line (底线) item: failing it zeroes or flags the whole evaluation."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    name_en: str
    on_fail: Literal["zero", "flag"] = "zero"
    correct_handling: str = ""
    correct_handling_en: str = ""


class Grade(BaseModel):
    """A grade band: scores at or above ``min`` (points) get this grade."""

    model_config = ConfigDict(extra="forbid")

    min: float
    grade: str
    grade_en: str


class Scorecard(BaseModel):
    """A versioned scorecard."""

    model_config = ConfigDict(extra="forbid")

    id: str
    version: str
    name: str
    name_en: str
    shape: Literal["deduction", "checklist"]
    channel: Literal["voice", "chat"]
    max_points: float = 100.0
    sections: list[Section] = Field(min_length=1)
    critical_items: list[CriticalItem] = []
    grades: list[Grade] = []

    @model_validator(mode="after")
    def _consistent(self) -> Scorecard:
        ids = [i.id for s in self.sections for i in s.items] + [c.id for c in self.critical_items]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"item ids must be unique; repeated: {', '.join(dup)}")
        total = sum(s.max_points for s in self.sections)
        if abs(total - self.max_points) > 1e-9:
            raise ValueError(
                f"sections' max_points add up to {total}, not max_points {self.max_points}"
            )
        if self.shape == "checklist":
            for s in self.sections:
                pts = sum(i.points for i in s.items)
                if abs(pts - s.max_points) > 1e-9:
                    raise ValueError(
                        f"section {s.id}: a checklist section's items must add up to its "
                        f"max_points ({s.max_points}), not {pts}"
                    )
        return self

    def items(self) -> pd.DataFrame:
        """One row per item: section, points, N/A allowed, critical, names (zh/en)."""
        rows = [
            {
                "item_id": i.id,
                "section_id": s.id,
                "section": s.name,
                "section_en": s.name_en,
                "item": i.name,
                "item_en": i.name_en,
                "points": i.points,
                "na_allowed": i.na_allowed,
                "critical": False,
                "correct_handling": i.correct_handling,
                "correct_handling_en": i.correct_handling_en,
            }
            for s in self.sections
            for i in s.items
        ]
        rows += [
            {
                "item_id": c.id,
                "section_id": "critical",
                "section": "底线",
                "section_en": "Bottom line",
                "item": c.name,
                "item_en": c.name_en,
                "points": 0.0,
                "na_allowed": False,
                "critical": True,
                "correct_handling": c.correct_handling,
                "correct_handling_en": c.correct_handling_en,
            }
            for c in self.critical_items
        ]
        return pd.DataFrame(rows)


def load_scorecard(path: str | Path) -> Scorecard:
    """Read and validate a scorecard; a bare name is looked up in templates/scorecards/ (the
    workspace's, then the shipped ones)."""
    return load_template("scorecards", path, Scorecard)


def scorecard_versions(folder: str | Path | None = None) -> dict[tuple[str, str], Scorecard]:
    """Every scorecard version in ``folder`` (``*.yaml``; default: the workspace's
    templates/scorecards/ and the shipped ones, a workspace file replacing the shipped one of
    its name), keyed by (id, version); read again only when a file changes (name, size, mtime)."""
    if folder is None:
        paths: dict[str, Path] = {}
        for d in reversed(template_dirs("scorecards")):
            paths |= {p.name: p for p in d.glob("*.yaml")}
        found = [paths[n] for n in sorted(paths)]
    else:
        found = sorted(Path(folder).glob("*.yaml"))
    files = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in found)
    return dict(_versions(files))


@functools.lru_cache(maxsize=8)
def _versions(files: tuple[tuple[str, int, int], ...]) -> tuple:
    out: dict[tuple[str, str], Scorecard] = {}
    for p in (Path(f) for f, _, _ in files):
        c = load_scorecard(p)
        key = (c.id, c.version)
        if key in out:
            raise ValueError(f"{p}: scorecard {c.id} version {c.version} is defined twice")
        out[key] = c
    return tuple(out.items())


def _version_key(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in v.split("."))


def grade(score: pd.Series, card: Scorecard, english: bool = False) -> pd.Series:
    """The grade band of each score (points)."""
    bands = sorted(card.grades, key=lambda g: g.min, reverse=True)
    out = pd.Series(pd.NA, index=score.index, dtype="str")
    for g in reversed(bands):
        out = out.mask(score >= g.min, g.grade_en if english else g.grade)
    return out
