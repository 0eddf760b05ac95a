"""Read a file or database table as it is, before any mapping.

CSV in UTF-8 (with or without BOM), GB18030/GBK or UTF-16, with comma,
semicolon, tab or pipe delimiters; Excel (``excel.py``); Parquet (a file or
a folder of parts); a SQL table or query by SQLAlchemy URL.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..config import EXCEL_MAX_ROWS
from ..errors import Problem

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSON_SUFFIXES = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
DELIMITERS = (",", ";", "\t", "|")


@dataclass
class Raw:
    """Cells as read, the offset from position to the row number users see (one number, or one
    per row when blank lines were skipped), and file problems."""

    frame: pd.DataFrame
    row_offset: int | np.ndarray
    name: str
    fatal: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # a folder of Parquet parts read with a row filter: each row's own file (row_offset then
    # gives the row within that file)
    row_files: pd.Categorical | None = None
    # the header as written (pandas renames a repeated name "x.1"), where the format has one
    header: list[str] | None = None


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
    if suffix in JSON_SUFFIXES:
        return JSON_SUFFIXES[suffix]
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
    table: str | None = None,
    layout: Any = None,
) -> Raw:
    """Read ``path`` as it is; file-level problems (empty, cut at Excel's limit) are returned.

    ``allow_empty`` accepts a table with a header and no rows (a center's month
    with no complaints, say); an export a user loads by hand should not be empty.
    ``table`` is the canonical table the file holds: a workbook of several sheets
    is read from the sheet of that name (and only then, unless ``sheet`` says). ``layout``:
    the mapping's ``source`` (a CSV without a header; the paths into JSON; speaker lines).
    """
    fmt = fmt or detect_format(path)
    header = getattr(layout, "header", True)
    if fmt in ("json", "jsonl", "lines"):
        from .exports import read_json, read_lines  # (they build on this module's Raw)

        read = read_lines if fmt == "lines" else read_json
        raw = read(Path(path), layout, fmt)
    elif fmt == "csv":
        raw = _read_csv(Path(path), encoding, delimiter, header)
    elif fmt == "excel":
        from .excel import read_excel  # (it builds on this module's Raw)

        raw = read_excel(Path(path), sheet, table)
    elif fmt == "parquet":
        raw = _read_parquet(Path(path), columns)
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
    head = data[:4096]
    if head.count(b"\x00") * 4 > len(head):  # UTF-16 without a BOM: every other byte is 0
        return "utf-16-le" if head[1::2].count(0) > head[::2].count(0) else "utf-16-be"
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


def file_encoding(path: Path, chunk: int = 1 << 25) -> str:
    """``sniff_encoding`` of the whole file, read 32 MB at a time (for a file already known to
    decode: UTF-8 is tried through the file, else GB18030)."""
    import codecs

    with path.open("rb") as fh:
        head = fh.read(4096)
        if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or (
            head.count(b"\x00") * 4 > len(head)
        ):
            return sniff_encoding(head)
        utf8 = codecs.getincrementaldecoder("utf-8")()
        try:
            utf8.decode(head)
            while part := fh.read(chunk):
                utf8.decode(part)
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def read_note(encoding: str, delimiter: str) -> str:
    """The note a CSV table's load report carries."""
    return f"read as {encoding}, delimiter {delimiter!r}"


def sniff_delimiter(header: str) -> str:
    """The delimiter that splits the header line into the most fields."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)  # type: ignore[arg-type]
    return best if counts[best] else ","


def decode(path: Path, encoding: str | None) -> tuple[str | None, str, Raw | None]:
    """A text file's text (BOM dropped) and encoding (detected unless given), or a Raw with
    the problem."""
    data = path.read_bytes()
    try:
        enc = encoding or sniff_encoding(data)
        return data.decode(enc).lstrip("\ufeff"), enc, None
    except UnicodeDecodeError as e:
        row = data[: e.start].count(b"\n") + 1
        return None, "", _fatal(path.name, row, f"text in {e.encoding} (byte {data[e.start]:#04x} "
                                "is not); set source.encoding in the mapping")  # fmt: skip
    except (UnicodeError, LookupError) as e:
        return None, "", _fatal(path.name, None, f"readable text: {e}")


def _read_csv(
    path: Path, encoding: str | None, delimiter: str | None, has_header: bool = True
) -> Raw:
    data = path.read_bytes()
    name = path.name
    if not data.strip():
        return Raw(pd.DataFrame(), 2, name, [_empty(name)])
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return _fatal(name, None, "a CSV text file; this is an Excel workbook: name it .xlsx")
    try:
        enc = encoding or sniff_encoding(data)
        text = data.decode(enc)
    except UnicodeDecodeError as e:
        row = data[: e.start].count(b"\n") + 1
        return _fatal(name, row, f"text in {e.encoding} (byte {data[e.start]:#04x} is not); set "
                                 "source.encoding in the mapping to the file's encoding")  # fmt: skip
    except (UnicodeError, LookupError) as e:
        return _fatal(name, None, f"readable text: {e}")
    if encoding is None and enc == "gb18030" and (row := _utf8_rows_among(data)):
        return _fatal(name, row, "one encoding for the whole file: the rows before this one are "
                                 "UTF-8 and this one is not (GBK?); export the file again in one "
                                 "encoding")  # fmt: skip
    text = text.lstrip("\ufeff")
    header = text.split("\n", 1)[0]
    sep = delimiter or sniff_delimiter(header)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=0 if has_header else None,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=True,
        )
    except pd.errors.ParserError as e:
        return _fatal(name, _parser_row(str(e)), f"well-formed CSV ({_parser_reason(str(e))})")
    if not has_header:  # columns by position, from 1
        frame.columns = [f"column {i + 1}" for i in range(len(frame.columns))]
    frame.columns = [str(c).strip() for c in frame.columns]
    cut = _cut_last_row(text, sep, len(frame.columns))
    if cut:
        row, fields = cut
        return _fatal(name, row, f"{len(frame.columns)} fields like the header, got {fields}: "
                                 "the file looks cut short; export it again")  # fmt: skip
    notes = [read_note(enc, sep)]
    if not has_header:  # row 1 is data: the line numbers of a file with one line less above
        notes.append("no header row: columns by position, rows from 1")
        return Raw(frame, _line_offsets("\n" + text, len(frame)) - 1, name, notes=notes)
    header_fields = [f.strip() for f in next(csv.reader([header.rstrip("\r")], delimiter=sep))]
    return Raw(frame, _line_offsets(text, len(frame)), name, notes=notes, header=header_fields)


def _line_offsets(text: str, n: int) -> int | np.ndarray:
    """Row numbers as the file's line numbers (header = 1) when blank lines were skipped: one
    offset per row. When a quoted value spans lines the records are not lines, and rows count
    from 2 as records."""
    lines = text.split("\n")
    if not any(not line.strip() for line in lines[1:-1]):
        return 2
    numbers = [i for i, line in enumerate(lines, start=1) if line.strip()][1:]
    if len(numbers) != n:
        return 2
    return np.asarray(numbers) - np.arange(n)


def _fatal(name: str, row: int | None, expected: str) -> Raw:
    return Raw(pd.DataFrame(), 2, name, [Problem(name, row, None, expected, fatal=True)])


_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _utf8_rows_among(data: bytes) -> int | None:
    """In a file that is not UTF-8 as a whole: the first line that is not UTF-8, when other
    lines with non-ASCII text are (a file that mixes encodings), else None."""
    utf8_seen, first_bad = False, None
    for i, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            first_bad = first_bad or i
            continue
        # GBK bytes are sometimes valid UTF-8 by chance (谢谢 reads as "лл"): a line is UTF-8
        # evidence only when it reads as Chinese in UTF-8, or cannot be GB18030
        if _CJK.search(text) or not _decodes(line, "gb18030"):
            utf8_seen = True
        if utf8_seen and first_bad:
            return first_bad
    return None


def _parser_row(message: str) -> int | None:
    """The row (header = 1) a pandas CSV parser error names."""
    if m := re.search(r"in line (\d+)", message):
        return int(m[1])
    if m := re.search(r"starting at row (\d+)", message):
        return int(m[1]) + 1  # 0-based, the header is row 0
    return None


def _parser_reason(message: str) -> str:
    if "EOF inside string" in message:
        return "a quote opened here is never closed"
    if m := re.search(r"Expected (\d+) fields in line \d+, saw (\d+)", message):
        return f"{m[1]} fields like the header, got {m[2]}"
    return message.removeprefix("Error tokenizing data. C error: ").strip()


def _cut_last_row(text: str, sep: str, n_fields: int) -> tuple[int, int] | None:
    """(row, fields) when the file does not end with a line break and its last row has fewer
    fields than the header: the file was cut off mid-row."""
    if text.endswith(("\n", "\r")):
        return None
    lines = text.splitlines()
    fields = len(next(csv.reader([lines[-1]], delimiter=sep)))
    return (len(lines), fields) if fields < n_fields else None


def _read_parquet(path: Path, columns: list[str] | None) -> Raw:
    name = path.name
    try:
        frame = pd.read_parquet(path, columns=columns)
    except (OSError, ValueError, pa.ArrowException) as e:
        empty = path.is_file() and path.stat().st_size == 0
        what = "the file is empty" if empty else f"it is damaged or not Parquet: {type(e).__name__}"
        return _fatal(name, None, f"a readable Parquet file ({what})")
    return Raw(frame, 1, name)


def read_parquet_kept(path: Path, keep: Callable[[pd.DataFrame], np.ndarray]) -> Raw:
    """The rows of a Parquet file, or of every part of a Parquet folder, that ``keep`` (a
    mask over a part's rows) keeps, read part by part so only the kept rows are held. Each
    row keeps its number in its own part."""
    import pyarrow.dataset as ds

    name = path.name
    try:
        parts = ds.dataset(str(path), format="parquet").files if path.is_dir() else [str(path)]
    except (OSError, ValueError, pa.ArrowException) as e:
        return _fatal(name, None, f"a readable Parquet folder ({type(e).__name__})")
    frames, codes, numbers, names = [], [], [], []
    for i, part in enumerate(parts):
        part_name = f"{name}/{Path(part).relative_to(path).as_posix()}" if path.is_dir() else name
        raw = _read_parquet(Path(part), None)
        if raw.fatal:
            return _fatal(part_name, None, raw.fatal[0].expected)
        pos = np.flatnonzero(np.asarray(keep(raw.frame), dtype=bool))
        frames.append(raw.frame.iloc[pos])
        codes.append(np.full(len(pos), i, dtype=np.int32))
        numbers.append(pos + 1)
        names.append(part_name)
    if not frames:
        return _read_parquet(path, None)
    frame = pd.concat(frames, ignore_index=True)
    rows = np.concatenate(numbers)
    files = pd.Categorical.from_codes(np.concatenate(codes), categories=names)
    return Raw(frame, rows - np.arange(len(rows)), name, row_files=files)


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
    elif fmt in ("csv", "excel") and len(raw.frame) + 1 == EXCEL_MAX_ROWS:  # exactly: cut
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
