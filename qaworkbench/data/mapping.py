"""Column mappings: how a foreign export becomes a canonical table.

A mapping is versioned YAML under ``templates/mappings/``. Each canonical
column says where it comes from (``from``, one or two source columns) or a
constant (``value``), and how to parse it. Applying a mapping is pure.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import ConfigError, Problem
from ..workspace import load_template
from . import parse
from .hints import duplicated_sources, near_miss  # noqa: F401 (load imports them here)
from .schema import Column, Table, table

ParseKind = Literal["id", "text", "datetime", "date", "duration", "number", "flag", "category"]


class ColumnRule(BaseModel):
    """Where one canonical column comes from and how it is read."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str | list[str] | None = Field(default=None, alias="from")
    position: int | None = Field(default=None, ge=1, description="column number, from 1")
    join: str | None = Field(default=None, description="separator joining `from` columns")
    value: str | float | int | bool | None = None
    parse: ParseKind | None = None
    format: str | None = Field(default=None, description="strftime format of the date part")
    dayfirst: bool | None = None
    unit: Literal["s", "min", "h", "day"] = "s"
    values: dict[str, str] | None = Field(default=None, description="export word -> canonical")
    true: list[str] | None = None
    false: list[str] | None = None
    unknown: list[str] | None = Field(default=None, description="flag words for not decided")

    @model_validator(mode="before")
    @classmethod
    def _yaml_words(cls, v: Any) -> Any:
        # YAML reads the keys true/false (and yes/no/on/off words) as booleans, `code: ` as null
        if not isinstance(v, dict):
            return v
        v = {_KEYS.get(k, k) if isinstance(k, bool) else k: x for k, x in v.items()}
        if isinstance(v.get("values"), dict):
            v["values"] = {_word(k): _word(x) for k, x in v["values"].items()}
        for key in ("true", "false", "unknown"):
            if isinstance(v.get(key), list):
                v[key] = [w for x in v[key] for w in _words(x)]
        return v

    @model_validator(mode="after")
    def _one_source(self) -> ColumnRule:
        given = [k for k in ("from_", "position", "value") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `from` (source column), `position` (column "
                             "number of a file without a header) or `value` (a constant)")  # fmt: skip
        if isinstance(self.from_, list) and len(self.from_) < 2:
            raise ValueError("`from` as a list takes two or more columns")
        if isinstance(self.from_, list) and self.join is None and len(self.from_) != 2:
            raise ValueError("`from` lists several columns: give `join: \"-\"` to build one "
                             "value from them ([date, time] is two columns)")  # fmt: skip
        if self.join is not None and not isinstance(self.from_, list):
            raise ValueError("`join` joins the columns of a `from` list")
        return self

    @property
    def sources(self) -> list[str]:
        """The source columns this rule reads (``column N`` for a position)."""
        if self.position is not None:
            return [f"column {self.position}"]
        if self.from_ is None:
            return []
        return [self.from_] if isinstance(self.from_, str) else list(self.from_)


_KEYS = {True: "true", False: "false"}


def _word(x: Any) -> str:
    """A YAML scalar as the word it was written as (null = empty)."""
    if x is None:
        return ""
    if isinstance(x, bool):
        return _KEYS[x]
    return str(x)


def _words(x: Any) -> list[str]:
    """A flag word list item; YAML's true/false stand for every spelling it reads as one."""
    if isinstance(x, bool):
        return ["true", "yes", "y", "on"] if x else ["false", "no", "n", "off"]
    return [_word(x)]


class Source(BaseModel):
    """How to read the file itself; everything is detected when left out.

    ``header: false``: a CSV without a header row, columns taken by ``position``. JSON (one
    document) and JSON Lines (one conversation a line): ``records`` is the path to the list of
    conversations ("$" = the top level, "data.items" = keys inside), ``messages`` the path to
    the list of messages inside each, ``utterances`` the path to a list of texts inside each
    message (each text becomes one message). ``lines``: a text file of "speaker: text" lines
    (``speakers`` lists the labels; a colon or a full-width colon follows), conversations
    separated by a blank line or begun by a line matching ``conversation_line`` (a regular
    expression whose group 1 is the conversation's id).
    """

    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "excel", "parquet", "sql", "json", "jsonl", "lines"] | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    query: str | None = None
    header: bool = True
    records: str = "$"
    messages: str | None = None
    utterances: str | None = None
    speakers: list[str] | None = None
    conversation_line: str | None = None

    @model_validator(mode="after")
    def _fits_format(self) -> Source:
        nested = self.messages is not None or self.utterances is not None or self.records != "$"
        if nested and self.format not in ("json", "jsonl"):
            raise ValueError("`records`, `messages` and `utterances` are for `format: json` or "
                             "`format: jsonl`")  # fmt: skip
        if self.utterances is not None and self.messages is None:
            raise ValueError("`utterances` is a path inside each message: give `messages` too")
        if not self.header and self.format not in (None, "csv"):
            raise ValueError("`header: false` is for CSV files")
        if self.format == "lines" and not self.speakers:
            raise ValueError("`format: lines` needs `speakers`: the labels before the colon, "
                             "e.g. [客服, 用户]")  # fmt: skip
        if (self.speakers or self.conversation_line) and self.format != "lines":
            raise ValueError("`speakers` and `conversation_line` are for `format: lines`")
        if self.conversation_line is not None:
            import re

            try:
                re.compile(self.conversation_line)
            except re.error as e:
                raise ValueError(f"`conversation_line` is not a regular expression: {e}") from None
        return self


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
    # chat messages without a contacts file: contacts columns per message (the first non-empty
    # one of a conversation); the rest is derived from the messages (exports.derive_contacts)
    contacts: dict[str, ColumnRule] | None = None

    @field_validator("columns", "contacts", mode="before")
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
        for name, rule in self.columns.items():
            _fits_column(f"columns.{name}", rule, t.column(name))
        if self.contacts is not None:
            if self.table != "chat_messages":
                raise ValueError("`contacts` (contacts derived from messages) belongs to a "
                                 "chat_messages mapping")  # fmt: skip
            c = table("contacts")
            wrong = [k for k in self.contacts if k not in c.names]
            if wrong:
                raise ValueError(f"contacts: {wrong} are not contacts columns; it has "
                                 f"{', '.join(c.names)}")  # fmt: skip
            for name, rule in self.contacts.items():
                _fits_column(f"contacts.{name}", rule, c.column(name))
        positions = any(r.position for r in self.columns.values())
        if positions and self.source.header:
            raise ValueError("`position` reads a file without a header: add `source: {header: "
                             "false}` (or name the column with `from`)")  # fmt: skip
        return self


# A parse kind a canonical column of a kind takes (its own, and what reads into it).
_FITS = {
    "id": {"id", "text"}, "text": {"id", "text"}, "datetime": {"datetime", "date"},
    "date": {"date", "datetime"}, "duration": {"duration", "number"},
    "number": {"number", "duration"}, "flag": {"flag"}, "category": {"category"},
}  # fmt: skip


def _fits_column(key: str, rule: ColumnRule, col: Column) -> None:
    """Refuse a parse kind the canonical column cannot hold, and a list of columns that is
    neither joined nor [date, time]."""
    kind = rule.parse or col.kind
    if kind not in _FITS[col.kind]:
        raise ValueError(f"{key}: `parse: {kind}` does not fit {col.name}, a {col.kind} column "
                         f"(use `parse: {col.kind}`, or `values:` to recode its words)")  # fmt: skip
    if isinstance(rule.from_, list) and rule.join is None and kind not in ("datetime", "date"):
        raise ValueError(f"{key}: `from` lists two columns, read as a date and a time; to build "
                         f"one {col.name} from them add `join: \"-\"` (the separator)")  # fmt: skip


# Canonical columns that can be derived when a mapping leaves them out.
DERIVED = {"answered", "seq"}  # seq: the messages' order in the file


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping YAML; a bare name is looked up in templates/mappings/."""
    return load_template("mappings", path, Mapping)


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

    # Columns parse independently; pyarrow kernels release the GIL, so use both cores (each in
    # a copy of this context: parse.STREAMING, set by a streamed conversion, holds there too).
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(contextvars.copy_context().run, run, name) for name in ready}
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
    if "seq" in DERIVED and t.name == "chat_messages" and "seq" not in m.columns:
        conv = res.frame["conversation_id"]
        res.frame["seq"] = conv.groupby(conv, sort=False, dropna=False).cumcount().add(1.0)
        res.notes.append("seq: the messages numbered in the order of the file (not in the export)")
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


def csv_notes(path: Path, table_name: str) -> list[str]:
    """The notes loading a canonical CSV file whole gives (encoding and delimiter, source
    columns not used, columns derived), from its header, the file read 32 MB at a time."""
    import csv

    from .readers import file_encoding, read_note, sniff_delimiter

    enc = file_encoding(path)
    with path.open(encoding=enc, newline="") as fh:
        header = fh.readline().lstrip("\ufeff").rstrip("\r\n")
    sep = sniff_delimiter(header)
    fields = [f.strip() for f in next(csv.reader([header], delimiter=sep))]
    shape = apply_mapping(pd.DataFrame(columns=fields, dtype="str"), canonical(table(table_name)),
                          file=path.name, row_offset=2, lenient_columns=True)  # fmt: skip
    return [read_note(enc, sep), *shape.notes]


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
    elif rule.join is not None:  # a key built from several columns: 会话ID-日期
        parts = [raw[c].astype("str").str.strip().where(raw[c].notna()) for c in rule.sources]
        s = parts[0].str.cat(parts[1:], sep=rule.join)  # any part empty: empty
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
    if rule.values and kind != "category":  # export codes recoded first (NO_SERVER: "")
        s = _recode(s, rule.values)
    return _parse_as(s, kind, rule, col), src


def _recode(s: pd.Series, values: dict[str, str]) -> pd.Series:
    """Cells equal to a ``values`` key (spaces around ignored) as its value; "" is empty."""
    txt = s.astype("str").str.strip().where(s.notna())
    out = txt.map(values)
    out = out.where(out.notna(), s.astype(object)).astype(object)
    return out.where(out != "")


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
