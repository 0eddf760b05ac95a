"""Column mappings: how a foreign export becomes a canonical table.

A mapping is versioned YAML under ``templates/mappings/``. Each canonical
column says where it comes from (``from``, one or two source columns) or a
constant (``value``), and how to parse it. Applying a mapping is pure.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import ConfigError, Problem
from ..workspace import find_template
from ..yamlconf import load_model
from . import parse
from .schema import Column, Table, table

ParseKind = Literal["id", "text", "datetime", "date", "duration", "number", "flag", "category"]


class ColumnRule(BaseModel):
    """Where one canonical column comes from and how it is read."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str | list[str] | None = Field(default=None, alias="from")
    value: str | float | int | bool | None = None
    parse: ParseKind | None = None
    format: str | None = Field(default=None, description="strftime format of the date part")
    dayfirst: bool | None = None
    unit: Literal["s", "min", "h", "day"] = "s"
    values: dict[str, str] | None = Field(default=None, description="export word -> canonical")
    true: list[str] | None = None
    false: list[str] | None = None
    unknown: list[str] | None = Field(default=None, description="flag words for not decided")

    @model_validator(mode="after")
    def _one_source(self) -> ColumnRule:
        if (self.from_ is None) == (self.value is None):
            raise ValueError("give exactly one of `from` (source column) or `value` (constant)")
        if isinstance(self.from_, list) and len(self.from_) != 2:
            raise ValueError("`from` as a list takes exactly two columns: [date, time]")
        return self

    @property
    def sources(self) -> list[str]:
        """The source columns this rule reads."""
        if self.from_ is None:
            return []
        return [self.from_] if isinstance(self.from_, str) else list(self.from_)


class Source(BaseModel):
    """How to read the file itself; everything is detected when left out."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "excel", "parquet", "sql"] | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    query: str | None = None


Result = Literal["pass", "fail", "na"]
# What a verdict cell says about an item (达标? met the standard?), and a bottom-line cell
# (违规? violated?), in the words Chinese and English QA sheets use.
VERDICT_WORDS: dict[str, Result] = {
    "是": "pass", "达标": "pass", "合格": "pass", "√": "pass", "否": "fail", "不达标": "fail",
    "不合格": "fail", "×": "fail", "不适用": "na", "无": "na", "Y": "pass", "Yes": "pass",
    "Pass": "pass", "N": "fail", "No": "fail", "Fail": "fail", "N/A": "na", "NA": "na",
}  # fmt: skip
CRITICAL_WORDS: dict[str, Result] = {
    "是": "fail", "有": "fail", "违规": "fail", "否": "pass", "无": "pass", "Y": "fail",
    "Yes": "fail", "1": "fail", "N": "pass", "No": "pass", "0": "pass",
}  # fmt: skip


class ItemCells(BaseModel):
    """A wide evaluation export: one row per evaluation, one column per scorecard item.

    ``cells`` says what an item's cell holds: ``points_lost`` (a number of points, 0 =
    passed; a word of ``na_words`` = not applicable) or ``verdict`` (a word of ``values``:
    passed, failed or not applicable; a failed item loses its full points). ``critical``
    columns hold whether a bottom-line item was violated (``critical_values``). A blank cell
    counts as ``blank``. ``comment`` is a column with the evaluator's remark, kept on each
    failed item of the row.
    """

    model_config = ConfigDict(extra="forbid")

    cells: Literal["points_lost", "verdict"]
    columns: dict[str, str] = Field(min_length=1, description="item id -> source column")
    critical: dict[str, str] = Field(default_factory=dict, description="item id -> column")
    values: dict[str, Result] = Field(default_factory=lambda: dict(VERDICT_WORDS))
    critical_values: dict[str, Result] = Field(default_factory=lambda: dict(CRITICAL_WORDS))
    na_words: list[str] = ["不适用", "N/A", "NA", "n/a", "-"]
    blank: Literal["pass", "na"] = "pass"
    comment: str | None = None

    @property
    def sources(self) -> list[str]:
        """Every source column the item cells are read from."""
        comment = [self.comment] if self.comment else []
        return [*self.columns.values(), *self.critical.values(), *comment]


class Mapping(BaseModel):
    """A column mapping file."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    name: str
    description: str = ""
    table: str
    source: Source = Source()
    columns: dict[str, ColumnRule]
    ignore: list[str] = []
    items: ItemCells | None = None  # a wide evaluations export also gives evaluation_items

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand(cls, v: Any) -> Any:
        # `agent_id: 工号` is short for `agent_id: {from: 工号}`
        if isinstance(v, dict):
            return {k: ({"from": r} if isinstance(r, (str, list)) else r) for k, r in v.items()}
        return v

    @model_validator(mode="after")
    def _fits_table(self) -> Mapping:
        t = table(self.table)
        unknown = [c for c in self.columns if c not in t.names]
        if unknown:
            raise ValueError(
                f"columns {unknown} are not in table {t.name!r}; it has {', '.join(t.names)}"
            )
        missing = [
            c.name
            for c in t.columns
            if c.required and c.name not in self.columns and c.name not in DERIVED
        ]
        if missing:
            raise ValueError(f"required columns of {t.name!r} not mapped: {', '.join(missing)}")
        if self.items is not None and self.table != "evaluations":
            raise ValueError("`items` (one column per item) belongs to an evaluations mapping")
        return self


# Canonical columns that can be derived when a mapping leaves them out.
DERIVED = {"answered"}


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping YAML; a bare name is looked up in templates/mappings/."""
    p = Path(path)
    if not p.exists() and not p.suffix:
        p = find_template("mappings", p.name)
    return load_model(p, Mapping)


def canonical(t: Table) -> Mapping:
    """The identity mapping for files already in canonical form."""
    cols = {c.name: ColumnRule(**{"from": c.name}) for c in t.columns}
    return Mapping.model_construct(
        version=1,
        name=f"canonical-{t.name}",
        table=t.name,
        source=Source(),
        columns=cols,
        ignore=[],
    )


@dataclass
class Applied:
    """A mapped frame with its row problems and notes for the load report."""

    frame: pd.DataFrame
    bad: dict[str, tuple[np.ndarray, str]] = field(
        default_factory=dict
    )  # column -> (mask, expected)
    raw: dict[str, pd.Series] = field(default_factory=dict)  # column -> source cells, for messages
    fatal: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def apply_mapping(
    raw: pd.DataFrame,
    m: Mapping,
    *,
    file: str,
    row_offset: int | np.ndarray,
    lenient_columns: bool = False,
) -> Applied:
    """Turn ``raw`` (as read) into the canonical columns of ``m.table``.

    ``row_offset`` turns a 0-based position into the row number a user sees.
    With ``lenient_columns`` (canonical files) optional columns may be absent.
    """
    t = table(m.table)
    res = Applied(frame=pd.DataFrame(index=raw.index))
    have = set(raw.columns)
    ready: dict[str, ColumnRule] = {}
    for name, rule in m.columns.items():
        missing = [s for s in rule.sources if s not in have]
        if not missing:
            ready[name] = rule
            continue
        col = t.column(name)
        if lenient_columns and not col.required:
            res.frame[name] = _empty(col, len(raw))
            continue
        res.fatal.append(
            Problem(
                file,
                None,
                ", ".join(missing),
                f"a column named {', '.join(missing)!s} (mapped to {name}); "
                f"the file has: {', '.join(map(str, raw.columns))}{near_miss(missing, raw)}",
                fatal=True,
            )
        )

    def run(name: str) -> tuple[parse.Parsed, pd.Series]:
        return _apply_rule(raw, ready[name], t.column(name))

    # Columns parse independently; pyarrow kernels release the GIL, so use both cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, name) for name in ready}
    for name, fut in futures.items():
        try:
            parsed, src = fut.result()
        except parse.AmbiguousFormat as e:
            res.fatal.append(
                Problem(
                    file,
                    e.position
                    + int(np.take(row_offset, e.position) if np.ndim(row_offset) else row_offset),
                    ready[name].sources[0],
                    str(e),
                    e.value,
                    fatal=True,
                )
            )
            continue
        res.frame[name] = parsed.values.set_axis(res.frame.index)
        if parsed.bad.any():
            res.bad[name] = (parsed.bad, parsed.expected)
            res.raw[name] = src
    if res.fatal:
        return res
    for col in t.columns:
        if col.name not in m.columns and col.name not in DERIVED:
            res.frame[col.name] = _empty(col, len(raw))
    if "answered" in t.names and "answered" not in m.columns:
        talk = res.frame.get("talk_s")
        res.frame["answered"] = (
            (talk.fillna(0) > 0).astype("boolean")
            if talk is not None
            else res.frame["agent_id"].notna().astype("boolean")
        )
        res.notes.append("answered: derived from talk_s > 0 (not in the export)")
    used = {s for r in m.columns.values() for s in r.sources} | set(m.ignore)
    used |= set(m.items.sources) if m.items else set()
    unused = [c for c in raw.columns if c not in used and not str(c).startswith("_")]
    if unused:
        res.notes.append(f"source columns not used: {', '.join(map(str, unused))}")
    res.frame = res.frame[t.names]
    return res


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def _normal(name: object) -> str:
    """A header as compared for hints: full-width forms as half-width (NFKC), zero-width
    characters removed, spaces dropped, case folded."""
    import unicodedata

    text = unicodedata.normalize("NFKC", str(name)).translate(_ZERO_WIDTH)
    return "".join(text.split()).casefold()


def near_miss(missing: list[str], raw: pd.DataFrame) -> str:
    """A hint for source columns the header lacks: a header that differs only in full-width
    characters, zero-width characters, spaces or case; a title row above the header; else the
    closest header."""
    import difflib
    import unicodedata

    headers = [str(c) for c in raw.columns]
    by_normal = {_normal(h): h for h in headers}
    hints = []
    for want in missing:
        have = by_normal.get(_normal(want))
        if have is not None:
            what = []
            if unicodedata.normalize("NFKC", have) != have:
                what.append("full-width characters (（）, ：, full-width letters or digits)")
            if have.translate(_ZERO_WIDTH) != have:
                what.append("zero-width characters (invisible)")
            if not what:
                what.append("spaces or letter case")
            hints.append(f"{have!r} differs from {want!r} only in {' and '.join(what)}: fix "
                         "the header or the mapping")  # fmt: skip
            continue
        close = difflib.get_close_matches(_normal(want), list(by_normal), n=1, cutoff=0.6)
        if close:
            hints.append(f"closest to {want!r}: {by_normal[close[0]]!r}")
    if len(raw):
        first = {_normal(v) for v in raw.iloc[0].tolist() if v is not None and not pd.isna(v)}
        found = [w for w in missing if _normal(w) in first]
        if found and len(found) * 2 >= len(missing):
            hints.insert(0, "row 2 holds the column names (" + ", ".join(map(repr, found[:3]))
                         + "): row 1 looks like a title row above the header; delete it")  # fmt: skip
    return f" (hint: {'; '.join(hints)})" if hints else ""


def duplicated_sources(header: list[str] | None, m: Mapping, file: str) -> list[Problem]:
    """A source column the mapping reads that appears more than once in the header: which one
    holds the value cannot be told (an export with two 通话时长 columns, one the ring time)."""
    from openpyxl.utils import get_column_letter

    if not header:
        return []
    used = {s for r in m.columns.values() for s in r.sources}
    used |= set(m.items.sources) if m.items else set()
    out = []
    for name in sorted(used):
        at = [i + 1 for i, h in enumerate(header) if h == name]
        if len(at) > 1:
            where = " and ".join(f"{i} ({get_column_letter(i)})" for i in at)
            out.append(Problem(file, 1, name, f"the column once in the header; it appears as "
                               f"columns {where}, so which one holds the value cannot be told: "
                               "rename or remove the other one in the export", fatal=True))  # fmt: skip
    return out


def empty_frame(t: Table) -> pd.DataFrame:
    """A table with no rows and every canonical column, typed as loading would type it."""
    return pd.DataFrame({c.name: _empty(c, 0) for c in t.columns})


def _empty(col: Column, n: int) -> pd.Series:
    dtype = {
        "datetime": "datetime64[us]",
        "date": "datetime64[us]",
        "duration": "float64",
        "number": "float64",
        "flag": "boolean",
    }.get(col.kind, "str")
    return pd.Series([None] * n, dtype=dtype)


def _apply_rule(raw: pd.DataFrame, rule: ColumnRule, col: Column) -> tuple[parse.Parsed, pd.Series]:
    kind = rule.parse or col.kind
    if rule.value is not None:
        s = pd.Series([rule.value] * len(raw), index=raw.index, dtype=object)
        src = s
    elif len(rule.sources) == 2:
        date_p = parse.parse_datetime(
            raw[rule.sources[0]], rule.format, rule.dayfirst, date_only=True
        )
        tod = parse.parse_time_of_day(raw[rule.sources[1]])
        values = date_p.values + pd.to_timedelta(tod.values.fillna(0), unit="s")
        bad = date_p.bad | tod.bad
        src = raw[rule.sources[0]].astype("str") + " " + raw[rule.sources[1]].astype("str")
        return parse.Parsed(values, bad, f"{date_p.expected} and a time of day"), src
    else:
        s = raw[rule.sources[0]]
        src = s
    return _parse_as(s, kind, rule, col), src


def _parse_as(s: pd.Series, kind: str, rule: ColumnRule, col: Column) -> parse.Parsed:
    if kind == "id":
        return parse.parse_id(s)
    if kind == "text":
        return parse.parse_text(s)
    if kind in ("datetime", "date"):
        return parse.parse_datetime(s, rule.format, rule.dayfirst, date_only=kind == "date")
    if kind == "duration":
        return parse.parse_duration(s, rule.unit)
    if kind == "number":
        return parse.parse_number(s)
    if kind == "flag":
        return parse.parse_flag(
            s,
            tuple(rule.true or parse.TRUE_WORDS),
            tuple(rule.false or parse.FALSE_WORDS),
            tuple(rule.unknown or ()),
        )
    if kind == "category":
        return parse.parse_category(s, col.values, rule.values)
    raise ConfigError(f"unknown parse kind {kind!r}")


def wide_items(
    raw: pd.DataFrame, cells: ItemCells, evaluation_id: pd.Series, *, file: str
) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, str]], list[Problem]]:
    """The ``evaluation_items`` rows of a wide export (one per item cell; ``_row`` is the
    export's row position), the bad cells by source column (mask over the export's rows, what
    was expected), and fatal problems (an item column the file lacks)."""
    missing = [c for c in cells.sources if c not in raw.columns]
    if missing:
        return pd.DataFrame(), {}, [
            Problem(file, None, ", ".join(missing), f"the item column(s) the mapping names; the "
                    f"file has: {', '.join(map(str, raw.columns))}", fatal=True)
        ]  # fmt: skip
    parts, bad = [], {}
    comment = parse.parse_text(raw[cells.comment]).values if cells.comment else None
    for item_id, col, critical in [
        *((i, c, False) for i, c in cells.columns.items()),
        *((i, c, True) for i, c in cells.critical.items()),
    ]:
        result, points, wrong, expected = _item_cells(raw[col], cells, critical)
        if wrong.any():
            bad[col] = (wrong, expected)
        keep = (result != "") & ~wrong
        part = pd.DataFrame(
            {
                "_row": np.flatnonzero(keep),  # the export row, to drop with its evaluation
                "evaluation_id": evaluation_id.to_numpy()[keep],
                "item_id": item_id,
                "result": result[keep],
                "points_deducted": points[keep],
                "comment": (comment.to_numpy()[keep] if comment is not None else None),
            }
        )
        part["comment"] = part["comment"].where(part["result"] == "fail")
        parts.append(part)
    items = pd.concat(parts, ignore_index=True).astype(
        {"evaluation_id": "str", "item_id": "str", "result": "str", "comment": "str"}
    )
    return items, bad, []


def _item_cells(
    s: pd.Series, cells: ItemCells, critical: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Per cell: result ("" when a blank cell counts as nothing), points deducted, whether the
    cell is unreadable, and what was expected."""
    txt = s.astype("str").str.strip().where(s.notna(), "").to_numpy(dtype=object)
    blank = txt == ""
    result = np.full(len(s), cells.blank, dtype=object)
    points = np.zeros(len(s))
    if critical or cells.cells == "verdict":
        words = cells.critical_values if critical else cells.values
        mapped = pd.Series(txt).map(words).to_numpy(dtype=object)
        wrong = ~blank & pd.isna(mapped)
        result = np.where(blank, result, mapped)
        expected = f"one of {', '.join(words)}"
    else:
        num = pd.to_numeric(pd.Series(txt).str.replace(",", ""), errors="coerce").to_numpy()
        na = np.isin(txt, cells.na_words)
        wrong = ~blank & ~na & (np.isnan(num) | (num < 0))
        result = np.select([blank, na, num > 0], [result, "na", "fail"], "pass")
        points = np.where(result == "fail", num, 0.0)
        expected = f"points lost (a number of 0 or more), or one of {', '.join(cells.na_words)}"
    result = np.where(wrong, "", result).astype(str)
    return result, points, wrong, expected
