"""Read a file or database table as it is, before any mapping.

CSV in UTF-8 (with or without BOM), GB18030/GBK or UTF-16, with comma,
semicolon, tab or pipe delimiters; Excel (a chosen sheet); Parquet (a file or
a folder of parts); a SQL table or query by SQLAlchemy URL.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import EXCEL_MAX_ROWS
from ..errors import Problem

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
DELIMITERS = (",", ";", "\t", "|")


@dataclass
class Raw:
    """Cells as read, the offset from position to the row number users see, and file problems."""

    frame: pd.DataFrame
    row_offset: int
    name: str
    fatal: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def is_url(source: str | Path) -> bool:
    """True for a SQLAlchemy URL such as sqlite:///center.db."""
    return "://" in str(source)


def detect_format(path: str | Path) -> str:
    """csv, excel, parquet or sql, from the URL or the file's suffix."""
    if is_url(path):
        return "sql"
    p = Path(path)
    suffix = p.suffix.lower()
    if p.is_dir() or suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise ValueError(
        f"{path}: cannot tell the format from the suffix {suffix!r}; set source.format"
    )


def read_raw(
    path: str | Path,
    fmt: str | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    query: str | None = None,
    sql_table: str | None = None,
    columns: list[str] | None = None,
    allow_empty: bool = False,
) -> Raw:
    """Read ``path`` as it is; file-level problems (empty, cut at Excel's limit) are returned.

    ``allow_empty`` accepts a table with a header and no rows (a center's month
    with no complaints, say); an export a user loads by hand should not be empty.
    """
    fmt = fmt or detect_format(path)
    if fmt == "csv":
        raw = _read_csv(Path(path), encoding, delimiter)
    elif fmt == "excel":
        raw = _read_excel(Path(path), sheet)
    elif fmt == "parquet":
        raw = Raw(pd.read_parquet(path, columns=columns), 1, Path(path).name)
    elif fmt == "sql":
        raw = _read_sql(str(path), query, sql_table)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    _file_checks(raw, fmt, allow_empty)
    return raw


def sniff_encoding(data: bytes) -> str:
    """The encoding of CSV bytes: BOMs first, then UTF-8, then GB18030 (a superset of GBK)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise UnicodeError(
            "not UTF-8, UTF-16 or GBK/GB18030; set source.encoding in the mapping"
        ) from None


def sniff_delimiter(header: str) -> str:
    """The delimiter that splits the header line into the most fields."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)  # type: ignore[arg-type]
    return best if counts[best] else ","


def _read_csv(path: Path, encoding: str | None, delimiter: str | None) -> Raw:
    data = path.read_bytes()
    name = path.name
    if not data.strip():
        return Raw(pd.DataFrame(), 2, name, [_empty(name)])
    try:
        enc = encoding or sniff_encoding(data)
        text = data.decode(enc)
    except (UnicodeError, LookupError) as e:
        return Raw(
            pd.DataFrame(), 2, name, [Problem(name, None, None, f"readable text: {e}", fatal=True)]
        )
    text = text.lstrip("\ufeff")
    header = text.split("\n", 1)[0]
    sep = delimiter or sniff_delimiter(header)
    frame = pd.read_csv(
        io.StringIO(text),
        sep=sep,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=True,
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    notes = [f"read as {enc}, delimiter {sep!r}"]
    return Raw(frame, 2, name, notes=notes)


def _read_excel(path: Path, sheet: str | int | None) -> Raw:
    name = path.name
    try:
        frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object)
    except ValueError as e:  # e.g. missing sheet
        return Raw(
            pd.DataFrame(),
            2,
            name,
            [Problem(name, None, None, f"a readable sheet: {e}", fatal=True)],
        )
    frame.columns = [str(c).strip() for c in frame.columns]
    label = f"{name}[{sheet}]" if sheet is not None else name
    return Raw(frame, 2, label)


def _read_sql(url: str, query: str | None, sql_table: str | None) -> Raw:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if query is None:
                if sql_table is None:
                    raise ValueError("a SQL source needs a table name or a query")
                query = f'SELECT * FROM "{sql_table}"'
            frame = pd.read_sql_query(sa.text(query), conn)
    finally:
        engine.dispose()
    return Raw(frame, 1, f"{_redact(url)}:{sql_table or 'query'}")


def _redact(url: str) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(url).render_as_string(hide_password=True)


def _empty(name: str) -> Problem:
    return Problem(
        name, None, None, "a header row and at least one data row; the file is empty", fatal=True
    )


def _file_checks(raw: Raw, fmt: str, allow_empty: bool) -> None:
    if raw.fatal:
        return
    if len(raw.frame.columns) == 0:
        raw.fatal.append(_empty(raw.name))
    elif len(raw.frame) == 0 and not allow_empty:
        raw.fatal.append(
            Problem(
                raw.name,
                None,
                None,
                "at least one data row; the file has only a header",
                fatal=True,
            )
        )
    elif fmt in ("csv", "excel") and len(raw.frame) + 1 >= EXCEL_MAX_ROWS:
        raw.fatal.append(
            Problem(
                raw.name,
                EXCEL_MAX_ROWS,
                None,
                f"fewer than {EXCEL_MAX_ROWS:,} rows: the file stops exactly at Excel's row limit, "
                "so it was probably cut when saved from Excel; export it again as CSV or Parquet "
                "straight from the source system",
                len(raw.frame) + 1,
                fatal=True,
            )
        )
