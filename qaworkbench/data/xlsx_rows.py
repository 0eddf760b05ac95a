"""An .xlsx sheet's rows read by python-calamine (Rust), equal cell by cell and type by type to
what openpyxl (read_only, data_only) gives, or None when only openpyxl reads the sheet the same:
the caller (``excel._read_xlsx``) then reads it with openpyxl, unchanged. ``_read_xlsx`` on
1,048,000 rows x 12 columns: 34 s and 1.59 GiB peak memory against 323 s and 2.34 GiB with
openpyxl (measured on an idle machine, with this module's prototype).

calamine's values are converted (``''`` -> None, a whole float -> int, a date -> datetime) and
patched from one streaming pass over the sheet's XML (pieces of 1 MiB: bounded memory), which
also finds the merged ranges, the formulas without a computed value, openpyxl's first row (its
length, its empty strings) and the last row element. Patched cells: errors (calamine gives
``''``, openpyxl the error's text), integers of 16+ digits (calamine rounds them to a float),
numbers with a decimal point or exponent in the header row (openpyxl: a float, named "5.0"),
date-styled negative serials (calamine: 00:00) and serials past 9999-12-31 (openpyxl:
"#VALUE!").

Why openpyxl is used instead (each found by the scan; ``None`` is returned):
- ``_xHHHH_`` escapes (Excel writes ``_x000D_`` for a CR): calamine unescapes, openpyxl not;
- a ``<t>`` with white space at an edge but no ``xml:space="preserve"``: calamine trims it;
- ``t="d"`` cells (ISO dates): calamine gives a whole-day one as a date, openpyxl per style;
- number formats by a built-in id openpyxl does not know (CJK dates 27-36, 50-58): calamine
  gives dates, openpyxl the serial numbers;
- a ``<v>`` with white space at an edge: openpyxl reads the number, calamine the text;
- rows without a number, or error, long-integer and date cells without a reference: the patch
  cannot be placed;
- a workbook calamine cannot open or whose XML the scan cannot read (encrypted, .xlsb, broken):
  openpyxl reads it or says why, in its words.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from .excel import _MERGE  # (the ranges as the openpyxl path finds them)

if TYPE_CHECKING:
    import python_calamine

_XLSX_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")  # calamine's from_path reads these
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_CHUNK = 1 << 20  # bytes of XML scanned at a time


@dataclass
class Sheet:
    """A sheet as ``excel._read_xlsx`` needs it: openpyxl's rows (row 1 whole, later rows up to
    at least their last value), the merged ranges as (col, row, col, row) bytes, and whether a
    formula may lack a computed value (the caller then asks openpyxl which)."""

    rows: list[list[object]]
    merged: list[tuple[bytes, bytes, bytes, bytes]]
    uncached: bool


class Book:
    """An .xlsx workbook open in calamine: ``sheets`` [(title, visible)] as openpyxl lists its
    worksheets (chart sheets left out), ``read(title)`` a Sheet or None."""

    def __init__(self, path: Path, wb: python_calamine.CalamineWorkbook, parts: _Parts) -> None:
        import python_calamine as pc

        self.path, self._wb, self._parts = path, wb, parts
        self.sheets = [(m.name, m.visible == pc.SheetVisibleEnum.Visible)
                       for m in wb.sheets_metadata if m.typ == pc.SheetTypeEnum.WorkSheet]  # fmt: skip

    def __enter__(self) -> Book:
        return self

    def __exit__(self, *exc: object) -> None:
        self._wb.close()

    def read(self, title: str) -> Sheet | None:
        """The sheet's rows equal to openpyxl's, or None when only openpyxl reads them so."""
        import python_calamine as pc

        try:
            scan = _scan(self.path, self._parts, title)
            if scan.unsure:
                return None
            rows = _calamine_rows(self._wb, title, scan.header_width)
        except (pc.CalamineError, OSError, KeyError, ValueError, zipfile.BadZipFile,
                ET.ParseError):  # fmt: skip
            return None
        _patch(rows, scan)
        return Sheet(rows, scan.merged, scan.formula and scan.uncached)


def open_book(path: Path) -> Book | None:
    """The workbook open in calamine, or None (not an .xlsx it reads, or calamine missing)."""
    try:
        import python_calamine as pc
    except ImportError:
        return None
    try:
        with zipfile.ZipFile(path) as z:
            parts = _parts(z)
        if path.suffix.lower() in _XLSX_SUFFIXES:
            wb = pc.CalamineWorkbook.from_path(str(path))
        else:  # from_path picks its reader by the suffix: an .xlsx saved as .xls is read by content
            with path.open("rb") as f:
                wb = pc.CalamineWorkbook.from_filelike(f)
    except (pc.CalamineError, OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile,
            ET.ParseError):  # fmt: skip
        return None
    return Book(path, wb, parts)


# ------------------------------------------------------------------ calamine's values


def _fix(v: object) -> object:
    """One calamine value as openpyxl gives it."""
    t = type(v)
    if t is str:
        return v or None  # "" is calamine's empty (and error, and uncached) cell
    if t is float:  # calamine has floats only; openpyxl an int for digits-only text (writers
        # switch to E notation at 1e16, which openpyxl reads as a float)
        return int(v) if v.is_integer() and -1e16 < v < 1e16 else v
    if t is dt.date:  # calamine: a date-styled whole serial is a date; openpyxl: a datetime
        return dt.datetime(v.year, v.month, v.day)
    return v


def _calamine_rows(
    wb: python_calamine.CalamineWorkbook, title: str, header_width: int
) -> list[list[object]]:
    """The sheet from A1 as lists, row 1 cut or padded to ``header_width`` cells."""
    rows = wb.get_sheet_by_name(title).to_python(skip_empty_area=False)
    fix = _fix
    for k, r in enumerate(rows):  # row by row in place: one copy of a full sheet's lists
        rows[k] = [v if type(v) is str and v else fix(v) for v in r]  # most are text
    if rows:
        head = rows[0]
        rows[0] = head[:header_width] + [None] * (header_width - len(head))
    return rows


def _patch(rows: list[list[object]], scan: _Scan) -> None:
    """Make calamine's rows openpyxl's: trailing (styled) rows, row 1's empty strings, and the
    scan's patched cells."""
    if not rows and scan.header_width:  # a first row of styled empty cells only
        rows.append([None] * scan.header_width)
    last = max([scan.last_row, *(r for r, _ in scan.patches)])
    rows.extend([] for _ in range(last - len(rows)))
    for c in scan.header_strings:  # an empty or blank string: openpyxl gives the str
        if c <= len(rows[0]) and rows[0][c - 1] is None:
            rows[0][c - 1] = ""
    for (r, c), v in scan.patches.items():
        if r > 1 or c <= scan.header_width:
            row = rows[r - 1]
            row.extend([None] * (c - len(row)))
            row[c - 1] = v


# ------------------------------------------------------------------ the workbook's parts


@dataclass
class _Parts:
    sheets: dict[str, str]  # title -> worksheet part
    strings: str | None  # the shared strings part
    epoch: dt.datetime  # openpyxl's date epoch (1900 or 1904)


def _parts(z: zipfile.ZipFile) -> _Parts:
    """Sheet parts, shared strings and epoch, from the package's relationships and workbook."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH

    book = "xl/workbook.xml"
    for rel in ET.fromstring(z.read("_rels/.rels")).iter(_RELS):
        if rel.get("Type", "").endswith("/officeDocument"):
            book = rel.get("Target", book).lstrip("/")
    base = PurePosixPath(book).parent
    targets, strings = {}, None
    for rel in ET.fromstring(z.read(str(base / "_rels" / f"{PurePosixPath(book).name}.rels"))
                             ).iter(_RELS):  # fmt: skip
        t = rel.get("Target", "")
        full = t.lstrip("/") if t.startswith("/") else str(base / t)
        targets[rel.get("Id")] = full
        if rel.get("Type", "").endswith("/sharedStrings"):
            strings = full
    root = ET.fromstring(z.read(book))  # an .xlsb's binary workbook fails here
    sheets = {s.get("name"): targets.get(s.get(_REL_ID)) for s in root.iter(f"{_MAIN}sheet")}
    pr = root.find(f"{_MAIN}workbookPr")
    flag = (pr.get("date1904") or "").lower() if pr is not None else ""
    epoch = CALENDAR_MAC_1904 if flag in ("1", "true") else WINDOWS_EPOCH
    return _Parts(sheets, strings if strings in z.namelist() else None, epoch)


def _styles(z: zipfile.ZipFile) -> tuple[set[int], list[int], set[int], set[int]]:
    """Cell styles (cellXfs indexes) whose number format is a built-in id openpyxl does not
    know, those ids, and openpyxl's own date and timedelta style sets."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS
    from openpyxl.styles.stylesheet import Stylesheet
    from openpyxl.xml.functions import fromstring

    if "xl/styles.xml" not in z.namelist():  # the one path openpyxl reads
        return set(), [], set(), set()
    src = z.read("xl/styles.xml")
    root = ET.fromstring(src)
    custom = {int(e.get("numFmtId", -1)) for e in root.iter(f"{_MAIN}numFmt")}
    xfs = root.find(f"{_MAIN}cellXfs")
    odd, ids = set(), set()
    for i, x in enumerate(xfs if xfs is not None else []):
        n = int(x.get("numFmtId", 0))
        if n not in BUILTIN_FORMATS and n not in custom:
            odd.add(i)
            ids.add(n)
    with warnings.catch_warnings():  # openpyxl's own reading says them, if it comes to it
        warnings.simplefilter("ignore")
        sheet = Stylesheet.from_tree(fromstring(src))
    return odd, sorted(ids), set(sheet.date_formats), set(sheet.timedelta_formats)


def _chunks(z: zipfile.ZipFile, part: str, tags: tuple[bytes, ...] = (b"row", b"c")
            ) -> Iterator[bytes]:  # fmt: skip
    """The part's XML in pieces of about 1 MiB, each cut after the last end tag of the first of
    ``tags`` it holds (a row, else a cell; <si> in the shared strings): no cell is split."""
    carry = b""
    with z.open(part) as f:
        while True:
            data = f.read(_CHUNK)
            buf = carry + data
            if not data:
                if buf:
                    yield buf
                return
            cut = 0
            for tag in tags:
                cut = cut or _last_end(buf, tag)
            if cut:
                yield buf[:cut]
            carry = buf[cut:]


def _last_end(buf: bytes, tag: bytes) -> int:
    """The position after the last </tag> (or </prefix:tag>) in buf, 0 if none."""
    i = len(buf)
    while (i := buf.rfind(tag + b">", 0, i)) >= 0:
        j = buf.rfind(b"<", 0, i)
        name = buf[j + 2 : i]
        if j >= 0 and buf[j + 1 : j + 2] == b"/" and (not name or re.fullmatch(rb"\w+:", name)):
            return i + len(tag) + 1
    return 0


# ------------------------------------------------------------------ the scan

_PREFIXED = re.compile(rb"<\w+:(?:worksheet|sheetData|row|c)[\s>/]")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\s[^>]*>")
_R = re.compile(rb'\br="([A-Z]+)(\d+)"')
_T = re.compile(rb'\bt="(\w+)"')
_S = re.compile(rb'\bs="(\d+)"')
_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(/?)>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")


class _Patterns:
    """The scan's patterns. Without namespace prefixes (nearly every writer) each starts with a
    literal, which re finds fast; with prefixes (<x:c>) the general, slower forms."""

    def __init__(self, prefixed: bool) -> None:
        p = rb"(?:\w+:)?" if prefixed else b""

        def c(pattern: bytes) -> re.Pattern[bytes]:
            return re.compile(pattern.replace(b"{p}", p))

        self.formula = c(rb"<{p}f[\s>/]")
        # a formula followed by no value, or an empty one, and the end of its cell
        self.uncached = c(rb"(?:</{p}f>|<{p}f\b[^>]*/>)\s*(?:<{p}v\s*/>|<{p}v>\s*</{p}v>)?"
                          rb"\s*</{p}c>")  # fmt: skip
        self.value = c(rb"<{p}v>([^<]*)</{p}v>")
        self.long_int = c(rb"<{p}v>(-?\d{16,})</{p}v>")
        self.odd_number = c(rb"<{p}v>(-[^<]*|\d{7,}[^<]*)</{p}v>")  # negative or huge
        self.spaced_value = c(rb"<{p}v>(?:\s|[^<]*\s</{p}v>)")
        self.edge_space = c(rb"<{p}t>(?:\s|[^<]*\s</{p}t>)")
        self.whole_space = c(rb"<{p}(?:si|is)>\s*<{p}t>\s+</{p}t>\s*</{p}(?:si|is)>")


@dataclass
class _Scan:
    formula: bool = False  # any <f>
    uncached: bool = False  # a <f> with no cached value
    merged: list[tuple[bytes, bytes, bytes, bytes]] = field(default_factory=list)
    patches: dict[tuple[int, int], object] = field(default_factory=dict)  # (row, col), 1-based
    header_width: int = 0  # openpyxl's row 1 length, in cells
    header_strings: set[int] = field(default_factory=set)  # row-1 columns holding a string
    header_numbers: dict[int, tuple[bytes, int | None]] = field(default_factory=dict)
    last_row: int = 0
    unsure: list[str] = field(default_factory=list)  # why only openpyxl reads the same


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _cell_tag(buf: bytes, pos: int) -> bytes | None:
    """The <c ...> start tag of the cell holding position pos."""
    i = buf.rfind(b"<c ", 0, pos)
    j = buf.rfind(b":c ", 0, pos)
    if j > i:
        i = buf.rfind(b"<", 0, j)
    m = _CELL_TAG.match(buf, i) if i >= 0 else None
    return m[0] if m else None


def _edge_space(buf: bytes, pat: _Patterns) -> bool:
    """Text with edge white space and no xml:space="preserve", other than a string that is
    white space only (None after excel._cell either way; row 1 is patched)."""
    for m in pat.edge_space.finditer(buf):
        prev = buf.rfind(b"<", 0, m.start())
        if prev < 0 or not pat.whole_space.match(buf, prev):
            return True
    return False


def _scan(path: Path, parts: _Parts, title: str) -> _Scan:
    """One pass over the sheet's XML (and the shared strings), a piece at a time."""
    s = _Scan()
    with zipfile.ZipFile(path) as z:
        odd, odd_ids, dates, deltas = _styles(z)
        pat = _Patterns(True)
        part = parts.sheets.get(title)
        if not part or part not in z.namelist():
            s.unsure.append("a sheet part the scan cannot find")
            return s
        for n, buf in enumerate(_chunks(z, part)):
            if n == 0:  # namespace prefixes, and row 1 as openpyxl reads it
                pat = _Patterns(bool(_PREFIXED.search(buf)))
                _header_row(buf, s)
            _scan_piece(buf, pat, s, dates, deltas, parts.epoch)
            if (
                odd
                and not s.unsure
                and (0 in odd or any(int(m[1]) in odd for m in _S.finditer(buf)))
            ):
                s.unsure.append(f"number format ids {odd_ids} unknown to openpyxl (CJK built-in "
                                "dates: calamine dates, openpyxl serial numbers)")  # fmt: skip
            _last_row(buf, s)
            if s.unsure:
                return s
        for c, (text, style) in s.header_numbers.items():
            if style not in dates and re.search(rb"[.eE]", text) and float(text).is_integer():
                s.patches.setdefault((1, c), float(text))  # openpyxl: a float, "5.0"
        for n, buf in enumerate(_chunks(z, parts.strings, (b"si",)) if parts.strings else ()):
            if n == 0:
                pat = _Patterns(bool(re.search(rb"<\w+:(?:sst|si|t)[\s>/]", buf)))
            if _ESCAPE.search(buf):
                s.unsure.append("_xHHHH_ escapes in the shared strings")
            elif _edge_space(buf, pat):
                s.unsure.append("shared strings with unpreserved edge white space")
            if s.unsure:
                break
    return s


def _scan_piece(buf: bytes, pat: _Patterns, s: _Scan, dates: set[int], deltas: set[int],
                epoch: dt.datetime) -> None:  # fmt: skip
    """Formulas, merged ranges, cells to patch and markers of cells only openpyxl reads so."""
    if not s.formula and pat.formula.search(buf):
        s.formula = True
    if s.formula and not s.uncached and pat.uncached.search(buf):
        s.uncached = True
    i = buf.find(b"mergeCell")
    if i >= 0:
        s.merged += _MERGE.findall(buf, max(0, buf.rfind(b"<", 0, i)))
    i = buf.find(b't="e"')
    while i >= 0:  # error cells: calamine gives "", openpyxl the error's text
        tag = _cell_tag(buf, i + 1)
        if tag is not None and not tag.endswith(b"/>"):
            r = _R.search(tag)
            start = buf.find(b">", i) + 1
            close = buf.find(b"c>", start)  # </c> (or </x:c>)
            v = pat.value.search(buf, start, close if close >= 0 else len(buf))
            if r is None:
                s.unsure.append("an error cell without a reference")
            elif v:
                s.patches[(int(r[2]), _col(r[1]))] = v[1].decode()
        i = buf.find(b't="e"', i + 1)
    for m in pat.long_int.finditer(buf):  # calamine rounds these to a float
        if int(m[1]) == int(float(m[1])):
            continue
        tag = _cell_tag(buf, m.start())
        r, t = (_R.search(tag), _T.search(tag)) if tag else (None, None)
        if r is None:
            s.unsure.append("a long integer cell without a reference")
        elif t is None or t[1] == b"n":
            s.patches[(int(r[2]), _col(r[1]))] = int(m[1])
    for m in pat.odd_number.finditer(buf) if dates else ():  # date-styled, out of range
        tag = _cell_tag(buf, m.start())
        st = _S.search(tag) if tag else None
        if st is None or int(st[1]) not in dates:
            continue
        r, t = _R.search(tag), _T.search(tag)
        if t is not None and t[1] != b"n":
            continue
        if r is None:
            s.unsure.append("a date cell without a reference")
            continue
        s.patches[(int(r[2]), _col(r[1]))] = _openpyxl_date(m[1], epoch, int(st[1]) in deltas)
    if buf.find(b't="d"') >= 0:
        s.unsure.append('t="d" (ISO date) cells')
    if _ESCAPE.search(buf):
        s.unsure.append("_xHHHH_ escapes in the sheet")
    if pat.spaced_value.search(buf):
        s.unsure.append("values with edge white space")
    if _edge_space(buf, pat):
        s.unsure.append("inline strings with unpreserved edge white space")


def _header_row(buf: bytes, s: _Scan) -> None:
    """openpyxl's row 1: up to its last cell element (styled empty ones too), or none when the
    first row element is not row 1; the columns holding a string or a number."""
    m = _ROW.search(buf)
    n = _ROW_NUMBER.search(m[1]) if m else None
    if not m or (n is not None and n[1] != b"1") or m[2]:
        return
    end = buf.find(b"row>", m.end())
    end = end if end >= 0 else len(buf)
    tags = list(_CELL_TAG.finditer(buf, m.end(), end))
    if tags:
        last = _R.search(tags[-1][0])
        s.header_width = _col(last[1]) if last else len(tags)
    for i, cm in enumerate(tags):
        tag = cm[0]
        t, r = _T.search(tag), _R.search(tag)
        c = _col(r[1]) if r else i + 1
        if tag.endswith(b"/>"):
            continue
        if t is not None and t[1] in (b"s", b"inlineStr"):
            s.header_strings.add(c)
        elif t is None or t[1] == b"n":
            close = buf.find(b"c>", cm.end(), end)
            v = re.search(rb"<(?:\w+:)?v>([^<]*)</", buf[cm.end() : close if close >= 0 else end])
            st = _S.search(tag)
            if v:
                s.header_numbers[c] = (v[1], int(st[1]) if st else None)


def _last_row(buf: bytes, s: _Scan) -> None:
    """The number of the piece's last row element (openpyxl keeps trailing styled rows)."""
    i = buf.rfind(b"row")
    while i >= 0:
        m = _ROW.match(buf, buf.rfind(b"<", 0, i + 1))
        if m:
            n = _ROW_NUMBER.search(m[1])
            if n:
                s.last_row = max(s.last_row, int(n[1]))
            else:
                s.unsure.append("rows without a number")
            return
        i = buf.rfind(b"row", 0, i)


def _openpyxl_date(text: bytes, epoch: dt.datetime, delta: bool) -> object:
    """openpyxl's reading of a date-styled number (worksheet/_reader.py parse_cell)."""
    from openpyxl.utils.datetime import from_excel

    value = float(text) if re.search(rb"[.eE]", text) else int(text)
    try:
        return from_excel(value, epoch, timedelta=delta)
    except (OverflowError, ValueError):
        return "#VALUE!"
