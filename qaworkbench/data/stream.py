"""Convert a CSV file to canonical, typed Parquet part by part, in bounded memory.

The first conversion of a CSV table (``engine.connect``) reads the file in parts of about
``CHUNK_BYTES``, each cut at a line end outside quotes, and parses, maps and checks each part
as ``load_table`` does the whole file (pandas' parser with the same options, or Arrow's CSV
reader where it reads exactly the same; ``load.map_checked``), writing it to one Parquet file
as it goes. Problems are reported as ``load_table`` reports
them, with the same row numbers. Where a part cannot give the whole file's answer (a day/month
order or a UTC offset the whole column decides, blank lines beside problems, an encoding mixed
across the file, a CSV the parser refuses, ...) the conversion stops and returns False: the
caller then loads the file whole, which gives exactly today's frame or today's error.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from tqdm import tqdm

from ..config import EXCEL_MAX_ROWS
from ..errors import Problem, ValidationError
from . import duck, parse, validate
from .hints import duplicated_sources
from .load import map_checked
from .mapping import canonical, empty_frame
from .readers import _CJK, _cut_last_row, _decodes, sniff_delimiter
from .schema import table

CHUNK_BYTES = 32 << 20  # a part of the file: ~32 MB of CSV is ~250,000 contacts
HEAD_BYTES = 1 << 20  # the encoding is told from the first MB (cut at a line end)
PROGRESS_BYTES = 100 << 20  # files above this show a progress bar (on a terminal)
MARK = b"qaworkbench"  # Parquet metadata key saying how the file was written
LIMIT = 1000  # problems kept, as validate.problems keeps them
_BLANK = re.compile(rb"\n[ \t\r]*\n")  # a blank line (pandas skips it; the exact path then
_BLANK_FIRST = re.compile(rb"[ \t\r]*\n")  # numbers rows by lines)
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # the "str" of read_csv(dtype=str)


class _Whole(Exception):
    """This file is converted by loading it whole (``load_table``)."""


class _Part(NamedTuple):
    """A part of the file: its bytes as read, its rows as UTF-8 (no header), whether it has a
    blank line, and its cells as Arrow's CSV reader read them (None: pandas reads them)."""

    raw: bytes
    rows: bytes
    blank: bool
    frame: pd.DataFrame | None


def convert_csv(path: Path, name: str, out: Path, *, chunk_bytes: int = CHUNK_BYTES) -> bool:
    """Write the CSV file ``path``, canonical table ``name``, to the Parquet file ``out`` as
    ``load_table(path, name)`` (strict) would load it, one part of about ``chunk_bytes`` bytes
    at a time; raise the ``ValidationError`` it would raise. False (and ``out`` not written)
    where the parts cannot give the whole file's answer (an empty or header-only file among
    them): load it whole."""
    token = parse.STREAMING.set(True)
    try:
        _Conversion(path, name, out, chunk_bytes).run()
    except (_Whole, parse.NeedsWholeColumn):
        out.unlink(missing_ok=True)
        return False
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    finally:
        parse.STREAMING.reset(token)
    return True


class _Conversion:
    """One file's conversion: the parts read so far, their rows and problems."""

    def __init__(self, path: Path, name: str, out: Path, chunk_bytes: int):
        self.path, self.out, self.chunk_bytes = path, out, chunk_bytes
        self.t = table(name)
        self.mapping = canonical(self.t)
        schema = pa.Schema.from_pandas(empty_frame(self.t), preserve_index=False)
        self.schema = schema.with_metadata(schema.metadata | {MARK: b"streamed from CSV"})
        self.rows = 0  # records written so far
        self.parts = 0
        self.blank = False  # a blank line seen: rows would be numbered by lines, not records
        self.problems: list[Problem] = []
        self.count = 0  # (row, check) failures
        self.unique = True  # the key proven unique so far (each part strictly increasing)
        self.last_key: pd.DataFrame | None = None
        self.missing: list[Problem] = []  # required columns the header lacks

    def run(self) -> None:
        size = self.path.stat().st_size
        bar = tqdm(total=size, unit="B", unit_scale=True, desc=f"{self.path.name} → Parquet",
                   file=sys.stderr, disable=None if size > PROGRESS_BYTES else True)  # fmt: skip
        with self.path.open("rb") as fh, bar:
            self.encoding = _encoding(fh.read(HEAD_BYTES))
            fh.seek(0)
            writer = pq.ParquetWriter(self.out, self.schema)
            # while a part is mapped, the next one is read (decoded, parsed by Arrow) and the one
            # before written: the file, numpy and Arrow work without the GIL
            self.writing: Future | None = None
            parts = _parts(fh, self.chunk_bytes)
            try:
                with ThreadPoolExecutor(1) as pool, ThreadPoolExecutor(1) as ahead:
                    read = partial(ahead.submit, lambda: self._read(next(parts, None)))
                    last, part = b"", self._read(next(parts, None), first=True)
                    while part is not None:
                        coming = read()
                        self._part(part, partial(pool.submit, writer.write_table))
                        bar.update(len(part.raw))
                        last, part = part.raw, coming.result()
                    if self.writing is not None:
                        self.writing.result()
            finally:
                writer.close()
        self._finish(last)

    def _read(self, raw: bytes | None, first: bool = False) -> _Part | None:
        """A part as read, its rows as UTF-8 (a GB18030 part decoded and checked for UTF-8
        lines; the first part's header taken off), and parsed by Arrow where it can be."""
        if raw is None:
            return None
        gbk = self.encoding == "gb18030"
        if gbk and _utf8_evidence(raw):
            raise _Whole  # a file mixing encodings: the exact path names the row
        rows = raw
        if first:  # the header as UTF-8 (a GB18030 one decoded alone)
            end = raw.find(b"\n") + 1 or len(raw)
            self._header(_gb18030_to_utf8(raw[:end]) if gbk else raw[:end])
            rows = raw[end:]
        # ("\n", '"', NUL, CR, tab, space and the delimiters never occur inside a GB18030
        # character: the same bytes tell blank lines and feed Arrow's parser)
        blank = bool(_BLANK.search(rows) or _BLANK_FIRST.match(rows))
        frame = None if blank else self._arrow(rows, gbk)
        if gbk and frame is None:  # pandas reads it, as UTF-8
            rows = _gb18030_to_utf8(rows)
        return _Part(raw, rows, blank, frame)

    def _part(self, part: _Part, write: Callable[[pa.Table], Future]) -> None:
        self.blank = self.blank or part.blank
        frame = part.frame
        try:
            if frame is None:
                frame = pd.read_csv(io.BytesIO(self.header + part.rows), sep=self.sep, header=0,
                                    dtype=str, keep_default_na=False, na_values=[""],
                                    skip_blank_lines=True)  # fmt: skip
        except (pd.errors.ParserError, UnicodeDecodeError):
            raise _Whole from None  # the exact path says where
        # a first row with one field more than the header makes pandas take an index column
        if not isinstance(frame.index, pd.RangeIndex) or list(frame.columns) != self.columns:
            raise _Whole
        frame.columns = [str(c).strip() for c in frame.columns]
        if self.missing:  # the rest of the file is only read: a parser error would come first
            self.rows += len(frame)
            self.parts += 1
            return
        offset = 2 + self.rows
        applied, findings = map_checked(frame, self.mapping, self.path.name, offset, True, False)
        if applied.fatal:
            # a required column missing (said with the first row, as the exact path says it),
            # else a whole column's decision (a row named)
            if self.parts or not len(frame) or any(p.row is not None for p in applied.fatal):
                raise _Whole
            self.missing = applied.fatal
            self.rows += len(frame)
            self.parts += 1
            return
        df = applied.frame
        if findings:
            if self.t.name == "chat_messages":  # the order check spans parts
                raise _Whole
            rows = np.arange(len(df)) + offset
            self._add(validate.problems(findings, rows, self.path.name), validate.count(findings))
        if self.count and self.blank:
            raise _Whole  # rows numbered by lines: the exact path counts them
        self._track_key(df)
        try:
            done = pa.Table.from_pandas(df, schema=self.schema, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            raise _Whole from None  # a column not of its kind's type: never seen, but safe
        if self.writing is not None:
            self.writing.result()  # one part waits to be written at most
        self.writing = write(done)
        self.rows += len(df)
        self.parts += 1

    def _header(self, data: bytes) -> bytes:
        """Read the header line off the first part (BOMs dropped, as the exact path does)."""
        while data.startswith(b"\xef\xbb\xbf"):  # (a GB18030 file's, too: read as UTF-8 now)
            data = data[3:]
        end = data.find(b"\n") + 1 or len(data)
        self.header = data[:end]
        try:
            text = self.header.decode("utf-8")
        except UnicodeDecodeError:
            raise _Whole from None
        if not text.strip() or self.header.count(b'"') % 2:
            raise _Whole
        self.sep = sniff_delimiter(text.split("\n", 1)[0])
        self.columns = list(pd.read_csv(io.StringIO(text), sep=self.sep, header=0, dtype=str,
                                        keep_default_na=False, na_values=[""]).columns)  # fmt: skip
        fields = [f.strip() for f in next(csv.reader([text.split("\n", 1)[0].rstrip("\r")],
                                                     delimiter=self.sep))]  # fmt: skip
        if len(set(fields)) < len(fields) and duplicated_sources(fields, self.mapping, "-"):
            raise _Whole  # (it imports openpyxl: only where a name repeats)
        return data

    def _arrow(self, rows: bytes, gbk: bool = False) -> pd.DataFrame | None:
        """``rows`` (UTF-8, or GB18030 when ``gbk``; no header) read by Arrow's CSV reader, ~4x
        faster than pandas's, where it reads exactly as pandas does (``dtype=str``, empty cells
        as NA): no quote, no NUL, no lone carriage return, no blank line, each row as many
        fields as the header. None otherwise (pandas reads it). GB18030 cells are read as bytes
        and only the columns with non-ASCII bytes decoded, each distinct value once
        (``_gb18030_column``): the month's GBK contacts convert in 11.8 s, against 16.6 s when
        every part was decoded whole (bench/README.md, "a fourth pass")."""
        if b'"' in rows or b"\x00" in rows:
            return None
        if b"\r" in rows and rows.count(b"\r") != rows.count(b"\r\n"):
            return None
        text = pa.large_string()
        try:
            tbl = pcsv.read_csv(
                io.BytesIO(rows),
                read_options=pcsv.ReadOptions(column_names=self.columns),
                parse_options=pcsv.ParseOptions(delimiter=self.sep, quote_char=False),
                convert_options=pcsv.ConvertOptions(
                    column_types=dict.fromkeys(self.columns, pa.large_binary() if gbk else text),
                    strings_can_be_null=True,
                    null_values=[""],
                ),
            )
        except pa.ArrowInvalid:  # a row with more or fewer fields, text not UTF-8
            return None
        if gbk:
            tbl = pa.table([_gb18030_column(c) for c in tbl.columns], names=tbl.column_names)
        return tbl.to_pandas(types_mapper={text: _STR}.get)

    def _add(self, problems: list[Problem], count: int) -> None:
        """Keep the first ``LIMIT`` problems in row order (``validate.problems``'s order)."""
        merged = self.problems + problems
        merged.sort(key=lambda p: (p.file, p.row or 0, p.column or ""))
        self.problems = merged[:LIMIT]
        self.count += count

    def _track_key(self, df: pd.DataFrame) -> None:
        if not self.unique or not len(df):
            return
        keys = df[list(self.t.key)]
        pair = keys.head(1) if self.last_key is None else pd.concat([self.last_key, keys.head(1)])
        self.unique = validate._strictly_increasing(df, self.t.key) and (
            len(pair) < 2 or validate._strictly_increasing(pair, self.t.key)
        )
        self.last_key = keys.tail(1)

    def _finish(self, last: bytes) -> None:
        """The checks over the whole file, in the exact path's order."""
        tail = last.decode("gb18030" if self.encoding == "gb18030" else "utf-8")
        if self.parts > 1:  # (the header is kept as UTF-8)
            tail = self.header.decode("utf-8") + tail
        if _cut_last_row(tail, self.sep, len(self.columns)):
            raise _Whole  # the file is cut short: the exact path says at which row
        if self.rows == 0 or self.rows + 1 == EXCEL_MAX_ROWS:
            raise _Whole  # empty, or stopped at Excel's limit: the exact path says so
        if self.missing:
            raise ValidationError(self.t.name, self.path.name, self.missing)
        if not self.unique:
            self._repeated_keys()
        if self.t.name == "chat_messages" and self.parts > 1 and _backwards(self.out):
            raise _Whole
        if self.count:
            raise ValidationError(self.t.name, self.path.name, self.problems, self.count)

    def _repeated_keys(self) -> None:
        """Rows whose key appeared in an earlier row (``row_checks``' message), asked of the
        written file; a key of several columns is left to the exact path."""
        key = ", ".join(f'"{k}"' for k in self.t.key)
        src = f"read_parquet('{str(self.out).replace(chr(39), chr(39) * 2)}', file_row_number=true)"
        with duck.connect() as con:
            con.execute(
                f"CREATE TEMP TABLE again AS SELECT file_row_number, {key} FROM {src} QUALIFY "
                f"row_number() OVER (PARTITION BY {key} ORDER BY file_row_number) > 1"
            )
            n = con.execute("SELECT count(*) FROM again").fetchone()[0]
            rows = con.execute(f"FROM again ORDER BY file_row_number LIMIT {LIMIT}").fetchall()
        if not n:
            return
        if len(self.t.key) > 1 or self.blank:
            raise _Whole
        column = ",".join(self.t.key)
        expected = f"a unique {' + '.join(self.t.key)}; this one appeared in an earlier row"
        self._add([Problem(self.path.name, int(r[0]) + 2, column, expected, r[1]) for r in rows], n)


def _encoding(head: bytes) -> str:
    """The encoding ``readers.sniff_encoding`` would find, told from the file's head (cut at a
    line end): a later part that does not decode sends the file to the exact path."""
    if not head.strip() or head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _Whole  # empty, or an Excel workbook named .csv: the exact path says so
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    start = head[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or start.count(b"\x00") * 4 > len(start):
        raise _Whole  # UTF-16: not ASCII-compatible, lines cannot be cut as bytes
    if len(head) == HEAD_BYTES:
        head = head[: head.rfind(b"\n") + 1]
    if _decodes(head, "utf-8"):
        return "utf-8"
    if _decodes(head, "gb18030"):
        return "gb18030"
    raise _Whole


def _gb18030_to_utf8(data: bytes) -> bytes:
    try:
        return data.decode("gb18030").encode()
    except UnicodeDecodeError:
        raise _Whole from None  # not GB18030 after all: the exact path says where


def _gb18030_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column of GB18030 cells (large_binary) as text: an ASCII chunk as it is, any other's
    distinct values decoded one by one (the same text as decoding the whole part: no
    character spans a delimiter)."""
    out = []
    for chunk in column.chunks:
        offsets = np.frombuffer(chunk.buffers()[1], np.int64)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        data = chunk.buffers()[2]
        cells = (
            np.frombuffer(data, np.uint8)[offsets[0] : offsets[-1]]
            if data
            else np.empty(0, np.uint8)
        )
        if not len(cells) or cells.max() < 0x80:
            out.append(chunk.cast(pa.large_string()))
            continue
        codes = chunk.dictionary_encode()
        try:
            values = [v.decode("gb18030") for v in codes.dictionary.to_pylist()]
        except UnicodeDecodeError:
            raise _Whole from None
        out.append(pa.array(values, pa.large_string()).take(codes.indices))
    return pa.chunked_array(out, pa.large_string())


def _parts(fh: BinaryIO, chunk_bytes: int) -> Iterator[bytes]:
    """The file's bytes in parts of at least ``chunk_bytes`` (the last one shorter), each
    ending at a line end outside quotes. (``"`` and ``\\n`` never occur inside a GB18030
    character.) A cut the parser disagrees with leaves a quote open: a parser error."""
    pending = b""
    while block := fh.read(chunk_bytes):
        pending += block
        cut = _cut(pending)
        if cut is None:
            if len(pending) > 8 * chunk_bytes:
                raise _Whole  # no line end: lines ending in \r only, or one vast quoted cell
            continue
        yield pending[:cut]
        pending = pending[cut:]
    if pending:
        yield pending


def _cut(data: bytes) -> int | None:
    """The end (after its ``\\n``) of the last line of ``data`` that ends outside quotes: an
    even number of ``"`` before it (``data`` starts outside quotes)."""
    total, after, end = data.count(b'"'), 0, len(data)
    while (p := data.rfind(b"\n", 0, end)) >= 0:
        after += data.count(b'"', p + 1, end)
        if (total - after) % 2 == 0:
            return p + 1
        end = p
    return None


def _utf8_evidence(data: bytes) -> bool:
    """True when a line of ``data`` (of a file that is not UTF-8) reads as UTF-8 in the way
    ``readers._utf8_rows_among`` counts it: not ASCII, UTF-8, and Chinese in UTF-8 or not
    GB18030. With the non-UTF-8 lines of the file's head, that is a file of mixed encodings.
    Lines surely not UTF-8 are found for all lines at once (``_not_utf8``); Python's decoder
    has the last word on the others (few in a GBK file)."""
    b = np.frombuffer(data, dtype=np.uint8)
    high = b >= 0x80
    if not high.any():
        return False
    ends = np.flatnonzero(b == 0x0A)
    starts = np.concatenate(([0], ends + 1))
    starts = starts[starts < len(b)]
    bad = _not_utf8(b)
    utf8 = np.logical_or.reduceat(high, starts) & ~np.logical_or.reduceat(bad, starts)
    for i in np.flatnonzero(utf8):
        end = data.find(b"\n", starts[i])
        line = data[starts[i] : None if end < 0 else end]
        if _decodes(line, "utf-8") and (
            _CJK.search(line.decode("utf-8")) or not _decodes(line, "gb18030")
        ):
            return True
    return False


def _not_utf8(b: np.ndarray) -> np.ndarray:
    """Per byte: True where UTF-8 is surely broken, cheaply (a GBK line nearly always shows
    one): a continuation byte after an ASCII byte, or a lead byte (or one no sequence holds)
    before a byte that is not a continuation. A line without one may still not be UTF-8."""
    cont = (b & 0xC0) == 0x80
    bad = np.zeros(len(b), dtype=bool)
    bad[1:] = cont[1:] & (b[:-1] < 0x80)
    bad[:-1] |= (b[:-1] >= 0xC0) & ~cont[1:]
    bad[-1] |= b[-1] >= 0xC0
    return bad


def _backwards(parquet: Path) -> bool:
    """True when a message's time is before the previous message's of its conversation (by
    seq), across the written file (``validate._chat_order``)."""
    src = f"read_parquet('{str(parquet).replace(chr(39), chr(39) * 2)}', file_row_number=true)"
    with duck.connect() as con:
        return bool(
            con.execute(
                f"SELECT count(*) FROM (SELECT timestamp < lag(timestamp) OVER (PARTITION BY "
                f"conversation_id ORDER BY seq NULLS LAST, file_row_number) AS back FROM {src} "
                "WHERE conversation_id IS NOT NULL) WHERE back"
            ).fetchone()[0]
        )
