"""Load tables and whole centers: read, map, validate, and say what happened.

``strict`` stops at the first table with errors and lists all of them;
``lenient`` keeps the good rows, writes the rejected ones with their reasons
to a CSV, and reports the count. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import Problem, QAWError, ValidationError
from . import lazy, validate
from .folder import TABLE_FILES, find_table_file, part_rows, present_tables  # noqa: F401
from .mapping import (
    Applied,
    Mapping,
    apply_mapping,
    canonical,
    csv_notes,
    duplicated_sources,
    empty_frame,
    load_mapping,
)
from .readers import Raw, detect_format, is_url, read_parquet_kept, read_raw
from .rejects import settle
from .save import save_center, save_partition  # noqa: F401 (the API's, re-exported)
from .schema import LOAD_ORDER, TABLES, table
from .wide import full_points, wide_items

Mode = Literal["strict", "lenient"]
REQUIRED_TABLES = ("contacts",)
# The order tables start loading in, two at a time: the biggest first, so neither thread is
# left with a big one at the end (a month's contacts, messages and items take the longest).
_BIG = ("contacts", "chat_messages", "evaluation_items")
ABSENT = "(absent)"  # the file of a table the source does not have
_Loaded = tuple["pd.DataFrame | lazy.Deferred", "TableReport"]  # a table, read or left on disk


@dataclass
class TableReport:
    """What loading one table did: rows read, kept and rejected, and notes."""

    table: str
    file: str
    rows_read: int
    rows_kept: int
    rejects_path: str | None = None
    notes: list[str] = field(default_factory=list)
    # the row number (as the user sees it) of each kept row, for later cross-table messages
    row_numbers: np.ndarray | None = field(default=None, repr=False)
    # for a table kept as a folder of parts: each kept row's file (contacts/2026-05.parquet)
    row_files: pd.Categorical | None = field(default=None, repr=False)

    @property
    def rejected(self) -> int:
        """Rows left out (lenient mode), all of them written to ``rejects_path``."""
        return self.rows_read - self.rows_kept


@dataclass
class Center:
    """A contact center's canonical tables, as loaded, with the load report."""

    tables: dict[str, pd.DataFrame]
    reports: list[TableReport]
    source: str
    partial: tuple[str, ...] = ()  # tables holding only the rows a caller asked for

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def limits(self) -> list[str]:
        """One line per thing the workbench cannot do with this center's data: each absent
        optional table, and each optional column with no value at all, that some feature needs
        (``schema``'s ``without``)."""
        out = []
        for r in self.reports:
            t = TABLES[r.table]
            if r.file == ABSENT and t.without:
                out.append(f"no {t.name}: {t.without}")
            elif isinstance(self.tables, lazy.Tables) and (d := self.tables.deferred(r.table)):
                out += [f"no {t.name}.{c}: {t.column(c).without}" for c in d.empty_columns]
            elif r.file != ABSENT:
                df = self.tables[r.table]
                out += [
                    f"no {t.name}.{c.name}: {c.without}"
                    for c in t.columns
                    if c.without and c.name in df and len(df) and df[c.name].isna().all()
                ]
        return out

    def summary(self) -> pd.DataFrame:
        """Rows per table: read, kept, rejected, and where the rejects went."""
        return pd.DataFrame(
            [
                {
                    "table": r.table,
                    "file": r.file,
                    "rows_read": r.rows_read,
                    "rows_kept": r.rows_kept,
                    "rejected": r.rejected,
                    "rejects": r.rejects_path or "",
                }
                for r in self.reports
            ]
        )


def load_table(
    path: str | Path,
    table_name: str | None = None,
    mapping: Mapping | str | Path | None = None,
    *,
    mode: Mode = "strict",
    rejects_dir: str | Path | None = None,
    allow_empty: bool = False,
    keep: Callable[[pd.DataFrame], np.ndarray] | None = None,
) -> tuple[pd.DataFrame, TableReport]:
    """Load one file (or a SQL table, with a URL) into the canonical ``table_name``.

    Without a mapping the file must already use canonical column names. In
    strict mode a ``ValidationError`` lists every problem; in lenient mode
    rejected rows go to ``rejects_dir/<table>.rejected.csv``. ``keep``: a mask over the
    file's rows (canonical names, values as read) of the rows wanted; only they are read
    into memory (Parquet, part by part), parsed and checked. Ignored with a mapping.
    """
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    if mapping is None:
        if table_name is None:
            table_name = Path(str(path)).stem if not is_url(path) else None
        if table_name not in TABLES:
            raise QAWError(
                f"{path}: say which table this is (one of {', '.join(TABLES)}) or give a mapping"
            )
        mapping = canonical(table(table_name))
        is_canonical = True
    else:
        is_canonical = False
    raw, df, findings, report = _read(path, mapping, is_canonical, allow_empty,
                                      keep if is_canonical else None)  # fmt: skip
    rows = np.arange(len(df)) + raw.row_offset
    files = raw.row_files
    if files is None and (where := part_rows(path, len(df))) is not None:  # the row in its file
        files, rows = where
    df = settle(df, findings, rows, raw.frame, report.table, raw.name, mode, rejects_dir, report,
                 files)  # fmt: skip
    return df, report


def _deferred(path: str | Path, name: str, mode: Mode, rejects_dir: str | Path | None) -> _Loaded:
    """Contacts, chat or transcripts from Parquet: checked in Arrow and left on disk until read
    (``lazy``), or, when a check finds anything, loaded by the exact path, which says what."""
    d = lazy.check(Path(path), name)
    if d is None:
        return load_table(path, name, mode=mode, rejects_dir=rejects_dir,
                          allow_empty=name not in REQUIRED_TABLES)  # fmt: skip
    d.load = lambda: lazy.read_checked(Path(path), name)  # (equal to the exact path's load)
    return d, TableReport(name, Path(path).name, d.rows, d.rows, notes=list(d.notes))


def _deferred_csv(folder: Path, path: Path, name: str) -> _Loaded:
    """A contacts, chat or transcript CSV, strict: converted once, part by part, into the typed
    Parquet of the folder's cache (``engine``: the same messages as loading the file whole),
    checked and deferred like a Parquet table; the report says what the exact path says."""
    from .cache import cached_frame, stamp
    from .engine import _converted

    parquet = _converted(folder, path, name)
    d = lazy.check(parquet, name)
    if d is None:
        return load_table(path, name, allow_empty=name not in REQUIRED_TABLES)
    d.load = lambda: lazy.read_checked(parquet, name)
    key = stamp([path], name, "notes")  # (kept: finding the encoding reads the whole file)
    kept = cached_frame(
        folder, f"notes-{name}", key, lambda: pd.DataFrame({"note": csv_notes(path, name)})
    )
    notes = kept["note"].tolist()
    return d, TableReport(name, path.name, d.rows, d.rows, notes=notes)


def load_export(
    path: str | Path,
    mapping: Mapping | str | Path,
    *,
    mode: Mode = "strict",
    rejects_dir: str | Path | None = None,
) -> dict[str, tuple[pd.DataFrame, TableReport]]:
    """Load a foreign export through its mapping: the mapping's table, and for a wide
    evaluations export (``items`` in the mapping) also ``evaluation_items``, one row per item
    cell. A bad item cell rejects its whole evaluation (a partial one would score wrong)."""
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    if mapping.table == "chat_messages":
        return _messages(path, mapping, mode, rejects_dir)
    if mapping.items is None:
        df, rep = load_table(path, mapping=mapping, mode=mode, rejects_dir=rejects_dir)
        return {mapping.table: (df, rep)}
    raw, ev, findings, report = _read(path, mapping, False, False)
    items, bad, fatal = wide_items(raw.frame, mapping.items, ev["evaluation_id"], file=raw.name)
    if fatal:
        raise ValidationError("evaluation_items", raw.name, fatal)
    findings += [
        validate.Finding(col, expected, mask, raw.frame[col])
        for col, (mask, expected) in bad.items()
    ]
    rows = np.arange(len(ev)) + raw.row_offset
    kept_rows = ~validate.bad_rows(findings, len(ev)) if findings else np.ones(len(ev), bool)
    ev = settle(ev, findings, rows, raw.frame, "evaluations", raw.name, mode, rejects_dir, report)
    items = items[kept_rows[items.pop("_row").to_numpy()]].reset_index(drop=True)
    if mapping.items.cells == "verdict":
        items = full_points(items, ev)
    n_items = len(items)
    items_report = TableReport(
        "evaluation_items", raw.name, n_items, n_items,
        notes=[f"{n_items:,d} item results from {len(mapping.items.columns) + len(mapping.items.critical)} "
               "item columns of the evaluations kept"],
    )  # fmt: skip
    return {"evaluations": (ev, report), "evaluation_items": (items, items_report)}


def _messages(
    path: str | Path, mapping: Mapping, mode: Mode, rejects_dir: str | Path | None
) -> dict[str, tuple[pd.DataFrame, TableReport]]:
    """Chat messages, and the contacts they imply (``exports.derive_contacts``; used where the
    data folder has no contacts table). The mapping's ``contacts`` columns are read per message
    from the same export."""
    from .exports import derive_agents, derive_contacts, unreadable
    from .mapping import _apply_rule

    raw, df, findings, report = _read(path, mapping, False, False)
    rows = np.arange(len(df)) + raw.row_offset
    kept = ~validate.bad_rows(findings, len(df)) if findings else np.ones(len(df), bool)
    df = settle(df, findings, rows, raw.frame, "chat_messages", raw.name, mode, rejects_dir,
                 report)  # fmt: skip
    c, given, bad = table("contacts"), {}, {}
    for name, rule in (mapping.contacts or {}).items():
        if missing := [s for s in rule.sources if s not in raw.frame.columns]:
            raise ValidationError("contacts", raw.name, [Problem(
                raw.name, None, ", ".join(missing), f"a column named {', '.join(missing)} (the "
                f"mapping's contacts.{name}); the file has: {', '.join(map(str, raw.frame.columns))}",
                fatal=True)])  # fmt: skip
        parsed, _ = _apply_rule(raw.frame, rule, c.column(name))
        given[name] = parsed.values[kept].reset_index(drop=True)
        if parsed.bad.any():
            bad[f"contacts.{name}"] = (np.asarray(parsed.bad), parsed.expected)
    if bad:
        raise ValidationError("contacts", raw.name, unreadable(bad, raw.name))
    contacts, note = derive_contacts(df, given, raw.name)
    if contacts is None:
        report.notes.append(note)
        return {"chat_messages": (df, report)}
    n, file = len(contacts), f"{raw.name} (derived contacts)"
    derived = TableReport("contacts", file, n, n, notes=[note])
    checks = [f for f in validate.row_checks(contacts, c) if f.mask.any()]
    contacts = settle(contacts, checks, np.arange(n) + 1, contacts, "contacts", file, mode,
                       rejects_dir, derived)  # fmt: skip
    out = {"chat_messages": (df, report), "contacts": (contacts, derived)}
    if contacts["agent_id"].notna().any():
        agents, note = derive_agents(contacts)
        out["agents"] = (
            agents,
            TableReport("agents", file, len(agents), len(agents), notes=[note]),
        )
    return out


def _read(
    path: str | Path, mapping: Mapping, is_canonical: bool, allow_empty: bool,
    keep: Callable[[pd.DataFrame], np.ndarray] | None = None,
) -> tuple[Raw, pd.DataFrame, list[validate.Finding], TableReport]:  # fmt: skip
    """Read a file and map it: the raw cells, the canonical frame, its row problems, a report."""
    t = table(mapping.table)
    src = mapping.source
    fmt = src.format or detect_format(path)
    if keep is not None and fmt == "parquet" and not is_url(path):
        raw = read_parquet_kept(Path(path), keep)
    else:
        raw = read_raw(
            path,
            fmt,
            encoding=src.encoding,
            delimiter=src.delimiter,
            sheet=src.sheet,
            query=src.query,
            sql_table=t.name if fmt == "sql" else None,
            allow_empty=allow_empty,
            table=t.name,
            layout=src,
        )
        if keep is not None and not raw.fatal and len(raw.frame):  # read whole, then kept
            pos = np.flatnonzero(np.asarray(keep(raw.frame), dtype=bool))
            offset = np.take(raw.row_offset, pos) if np.ndim(raw.row_offset) else raw.row_offset
            raw.frame = raw.frame.iloc[pos].reset_index(drop=True)
            raw.row_offset = pos + offset - np.arange(len(pos))
    if raw.fatal:
        raise ValidationError(t.name, raw.name, raw.fatal)
    if twice := duplicated_sources(raw.header, mapping, raw.name):
        raise ValidationError(t.name, raw.name, twice)
    applied, findings = map_checked(raw.frame, mapping, raw.name, raw.row_offset, is_canonical)
    if applied.fatal:
        raise ValidationError(t.name, raw.name, applied.fatal)
    df = applied.frame
    report = TableReport(t.name, raw.name, len(df), len(df), notes=raw.notes + applied.notes)
    return raw, df, findings, report


def map_checked(
    frame: pd.DataFrame, mapping: Mapping, file: str, row_offset: int | np.ndarray,
    is_canonical: bool, keys: bool = True,
) -> tuple[Applied, list[validate.Finding]]:  # fmt: skip
    """``frame`` (cells as read) mapped, and its rows' problems (none when the mapping itself
    failed: ``Applied.fatal``). ``keys=False`` leaves out the key's uniqueness, for a part of a
    file (``stream`` checks it across the parts)."""
    t = table(mapping.table)
    applied = apply_mapping(
        frame, mapping, file=file, row_offset=row_offset, lenient_columns=is_canonical
    )
    if applied.fatal:
        return applied, []
    findings = [
        validate.Finding(col, expected, mask, applied.raw[col])
        for col, (mask, expected) in applied.bad.items()
    ]
    unparsed = {col: mask for col, (mask, _) in applied.bad.items()}
    findings += [_not_unparsed(f, unparsed) for f in validate.row_checks(applied.frame, t, keys)]
    return applied, [f for f in findings if f.mask.any()]


def _not_unparsed(f: validate.Finding, unparsed: dict[str, np.ndarray]) -> validate.Finding:
    """An unparseable cell is reported once, as unparseable, not again as empty."""
    if f.column in unparsed and f.expected.endswith("the cell is empty"):
        f.mask = f.mask & ~unparsed[f.column]
    return f


def _names_contacts(name: str) -> bool:
    """Whether a table's cross-checks look at the contacts (it has or references contact ids)."""
    t = table(name)
    return "contact_id" in t.names or any(o == "contacts" for o, _ in t.references.values())


def load_center(
    source: str | Path,
    *,
    mode: Mode = "strict",
    rejects_dir: str | Path | None = None,
    tables: tuple[str, ...] | None = None,
    keep: dict[str, Callable[[dict[str, pd.DataFrame]], Callable[[pd.DataFrame], np.ndarray]]]
    | None = None,
) -> Center:
    """Load every canonical table from a data folder or a SQL database URL, then cross-check.

    Cross-checks: unknown agents, evaluations of missing contacts, items of
    missing evaluations, and the like. Missing optional tables load empty. ``keep``: for a
    table, a function of the other tables (loaded first) giving ``load_table``'s row mask;
    only those rows are read and checked, and ``Center.partial`` names the table.
    """
    keep = keep or {}
    wanted = [n for n in LOAD_ORDER if tables is None or n in tables]
    if rejects_dir is not None:
        for n in wanted:  # a fresh load starts fresh reject files
            (Path(rejects_dir) / f"{n}.rejected.csv").unlink(missing_ok=True)
    present = present_tables(source)
    missing = [n for n in REQUIRED_TABLES if n in wanted and n not in present]
    if missing:
        raise QAWError(
            f"{source}: no {missing[0]} table (looked for {', '.join(TABLE_FILES)} named "
            f"{missing[0]}, in any letter case)"
        )

    # Tables load independently (the big one beside the small ones); cross-checks come after.
    def submit(pool, n, **kw):
        fmt = detect_format(present[n])
        if n in lazy.DEFERRABLE and not kw and fmt == "parquet":
            return pool.submit(_deferred, present[n], n, mode, rejects_dir)
        if n in lazy.DEFERRABLE and not kw and fmt == "csv" and mode == "strict":
            return pool.submit(_deferred_csv, Path(source), Path(present[n]), n)
        return pool.submit(load_table, present[n], n, mode=mode, rejects_dir=rejects_dir,
                           allow_empty=n not in REQUIRED_TABLES, **kw)  # fmt: skip

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            n: submit(pool, n)
            for n in sorted(
                (n for n in wanted if n in present),
                key=lambda n: _BIG.index(n) if n in _BIG else len(_BIG),
            )
            if n not in keep
        }
    if later := [n for n in wanted if n in present and n in keep]:
        first = {n: f.result()[0] for n, f in futures.items()}
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures |= {n: submit(pool, n, keep=keep[n](first)) for n in later}
    loaded = lazy.Tables()
    reports: list[TableReport] = []
    for name in wanted:  # in load order, so strict mode reports the first bad table
        if name in futures:
            df, rep = futures[name].result()
        else:
            df = empty_frame(table(name))
            rep = TableReport(name, ABSENT, 0, 0, notes=["table not present"])
        loaded[name] = df
        reports.append(rep)
    by_name = {r.table: r for r in reports}
    named: pd.DataFrame | None = None  # the contacts other tables name, as kept
    found = False  # every contact named is there

    def check(name: str, dry: bool = False) -> bool:
        """Cross-check one table: True when it has something to settle (``dry``: only say so)."""
        t = table(name)
        if (d := loaded.deferred(name)) is not None:  # its references checked on its distinct ids
            other, other_col = next(iter(t.references.values()))
            if other == "contacts":
                reference = named["contact_id"] if named is not None and not found else None
            elif other in loaded and (by_name[other].file != ABSENT or not TABLES[other].optional):
                reference = loaded[other][other_col]
            else:  # (an absent optional table is not checked against)
                reference = None
            if reference is None or not lazy.missing_references(d, reference):
                return False
            if dry:
                return True
            df, rep = load_table(present[name], name, mode=mode, rejects_dir=rejects_dir,
                                 allow_empty=True)  # fmt: skip
            loaded[name], by_name[name] = df, rep
            reports[[r.table for r in reports].index(name)] = rep
        others = {  # an absent optional table is not checked against; an absent required one is
            k: loaded[k]  # (a deferred table is not read: contacts are checked through ``named``)
            for k in loaded
            if k != name
            and (by_name[k].file != ABSENT or not TABLES[k].optional)
            and loaded.deferred(k) is None
        }
        if named is not None and name != "contacts":
            others["contacts"] = named
        findings = validate.reference_checks(loaded[name], t, others, tuple(later))
        if not findings or dry:
            return bool(findings)
        rep = by_name[name]
        rows = rep.row_numbers if rep.row_numbers is not None else np.arange(len(loaded[name])) + 1
        loaded[name] = settle(
            loaded[name], findings, rows, loaded[name], name, rep.file, mode, rejects_dir, rep,
            rep.row_files,
        )  # fmt: skip
        return True

    # In load order, so strict mode reports the first bad table and lenient rejects cascade;
    # the contacts first, then the contacts the rest name (a rejected contact is not kept).
    cut = wanted.index("contacts") + 1 if "contacts" in wanted else len(wanted)
    for name in wanted[:cut]:
        check(name)
    rest = wanted[cut:]
    if rest:
        # The rest asked side by side, changing nothing (those that name no contact while the
        # contacts named are gathered); from the first with something to settle on, they run
        # one by one as above. A clean month, the usual case, is then done.
        with ThreadPoolExecutor(max_workers=2) as pool:
            gathering = pool.submit(lazy.named_contacts, loaded)
            apart = {n: pool.submit(check, n, True) for n in rest if not _names_contacts(n)}
            named, found = gathering.result()
            dirty = [apart[n] if n in apart else pool.submit(check, n, True) for n in rest]
            dirty = [f.result() for f in dirty]
        for name in rest[dirty.index(True) :] if any(dirty) else []:
            check(name)
    return Center(loaded, reports, str(source), partial=tuple(later))
