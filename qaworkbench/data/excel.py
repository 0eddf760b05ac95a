"""Read spreadsheets as they are: .xlsx with python-calamine where its rows are openpyxl's
exactly (``xlsx_rows``, ~9x faster), else with openpyxl (merged cells filled as Excel shows
them, formulas without a computed value refused, the visible sheet chosen and named), old .xls
with xlrd, and an HTML table or plain text saved under an .xls name."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Problem
from .readers import Raw, _empty, _fatal, _read_csv


def read_excel(path: Path, sheet: str | int | None, table: str | None = None) -> Raw:
    """A workbook by what it holds, whatever its suffix: .xlsx/.xlsm (openpyxl), old .xls
    (xlrd), an HTML table or tab-separated text saved under an .xls name (read as such, said)."""
    name = path.name
    try:
        with path.open("rb") as f:
            head = f.read(65536)
    except OSError as e:
        return _fatal(name, None, f"a readable Excel workbook ({e.strerror or e})")
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, sheet, table)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_xls(path, sheet, table)
    if not head.strip():
        return Raw(pd.DataFrame(), 2, name, [_empty(name)])
    text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text_head.startswith(b"<") and re.search(rb"<table[\s>]", head.lower()):
        return _read_html_table(path)
    if b"\x00" not in head[:4096] or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raw = _read_csv(path, None, None)
        raw.notes.insert(0, "not an Excel workbook but delimited text under an Excel name; read "
                            "as text")  # fmt: skip
        return raw
    return _fatal(name, None, "an Excel workbook (.xlsx, or an old .xls); the file is neither")


def _choose_sheet(
    name: str, sheets: list[tuple[str, bool]], sheet: str | int | None, table: str | None
) -> tuple[str | None, list[str], Raw | None]:
    """The sheet to read of ``sheets`` (title, visible), notes saying which, or a fatal Raw.
    A hidden sheet is read only when ``source.sheet`` names it."""
    titles = [t for t, _ in sheets]
    hidden = [t for t, v in sheets if not v]
    if sheet is not None:
        if isinstance(sheet, int):
            if not 0 <= sheet < len(titles):
                return None, [], _fatal(name, None, f"a sheet number {sheet} (source.sheet); the "
                                                    f"workbook has {len(titles)}")  # fmt: skip
            sheet = titles[sheet]
        if sheet not in titles:
            return None, [], _fatal(name, None, f"a sheet named {sheet!r} (source.sheet); the "
                                                f"workbook has sheets {', '.join(titles)}")  # fmt: skip
        notes = [f"read sheet {sheet!r}, hidden in the workbook, because source.sheet names it"]
        return sheet, notes if sheet in hidden else [], None
    visible = [t for t, v in sheets if v]
    if len(visible) == 1:
        chosen = visible[0]
    elif table in visible:
        chosen = table
    else:
        also = f" (hidden: {', '.join(hidden)})" if hidden else ""
        return None, [], _fatal(name, None, f"one sheet, or a sheet named {table!r}, or the sheet "
                                            f"set as source.sheet in a mapping; the workbook has "
                                            f"sheets {', '.join(visible)}{also}")  # fmt: skip
    note = f"read sheet {chosen!r}" + (f" of {len(titles)}" if len(titles) > 1 else "")
    if hidden:
        note += (f"; hidden sheet(s) {', '.join(map(repr, hidden))} not read (set source.sheet "
                 "in a mapping to read one)")  # fmt: skip
    return chosen, [note], None


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _read_xlsx(path: Path, sheet: str | int | None, table: str | None) -> Raw:
    """An .xlsx workbook: calamine's rows when they are openpyxl's exactly, else openpyxl's
    (``_read_xlsx_openpyxl``); the same Raw either way."""
    from .xlsx_rows import open_book

    book = open_book(path)
    if book is None:
        return _read_xlsx_openpyxl(path, sheet, table)
    with book:
        chosen, notes, bad = _choose_sheet(path.name, book.sheets, sheet, table)
        if bad is not None:
            return bad
        got = book.read(chosen)
    if got is None:  # a cell only openpyxl reads the same
        return _read_xlsx_openpyxl(path, sheet, table)
    return _sheet_raw(path, sheet, chosen, len(book.sheets), got.rows, notes, got.uncached,
                      got.merged)  # fmt: skip


def _read_xlsx_openpyxl(path: Path, sheet: str | int | None, table: str | None) -> Raw:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    name = path.name
    fh = None
    try:
        fh = path.open("rb")  # (a file, not its name: openpyxl refuses an .xlsx named .xls)
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as e:
        if fh is not None:
            fh.close()
        return _fatal(name, None, f"a readable Excel workbook ({e})")
    try:
        sheets = [(ws.title, ws.sheet_state == "visible") for ws in wb.worksheets]
        chosen, notes, bad = _choose_sheet(name, sheets, sheet, table)
        if bad is not None:
            return bad
        ws = wb[chosen]
        ws.reset_dimensions()
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        with ws._get_source() as src:  # the sheet's XML: merged ranges, formulas
            xml = src.read()
    finally:
        wb.close()
        fh.close()
    merged = [tuple(m) for m in _MERGE.findall(xml)]
    return _sheet_raw(path, sheet, chosen, len(sheets), rows, notes, bool(_FORMULA.search(xml)),
                      merged)  # fmt: skip


def _sheet_raw(
    path: Path,
    sheet: str | int | None,
    chosen: str,
    n_sheets: int,
    rows: list[list[object]],
    notes: list[str],
    formulas: bool,
    merged: list[tuple[bytes, bytes, bytes, bytes]],
) -> Raw:
    """The chosen sheet's rows as a Raw: labelled, formulas without a computed value refused
    (looked for when ``formulas``), merged ranges (col, row, col, row) filled."""
    from openpyxl.utils import column_index_from_string

    label = f"{path.name}[{chosen}]" if n_sheets > 1 or sheet is not None else path.name
    header = _header(rows)
    uncached = _uncached_formulas(path, chosen, rows, header, label) if formulas else []
    if uncached:
        return Raw(pd.DataFrame(), 2, label, uncached)
    spans = [
        (int(r1), column_index_from_string(c1.decode()), int(r2),
         column_index_from_string(c2.decode()), f"{c1.decode()}{r1.decode()}:{c2.decode()}{r2.decode()}")
        for c1, r1, c2, r2 in merged
    ]  # fmt: skip
    notes += _fill_merged(rows, spans, header)
    return _frame(rows, label, notes)


def _header(rows: list[list[object]]) -> list[str]:
    head = rows[0] if rows else []
    return [f"Unnamed: {i}" if v is None else str(v).strip() for i, v in enumerate(head)]


def _uncached_formulas(
    path: Path, sheet: str, values: list[list[object]], header: list[str], label: str
) -> list[Problem]:
    """Cells holding a formula with no value computed (a workbook saved by a tool that does not
    compute formulas): each is refused, named by its cell."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    fh = path.open("rb")  # (a file, not its name: openpyxl refuses an .xlsx named .xls)
    wb = openpyxl.load_workbook(fh, read_only=True, data_only=False)
    try:
        ws = wb[sheet]
        ws.reset_dimensions()
        out = []
        for r, row in enumerate(ws.iter_rows(values_only=True)):
            for c, v in enumerate(row):
                formula = (isinstance(v, str) and v.startswith("=")) or (
                    v is not None and not isinstance(v, (str, int, float, bool)) and
                    type(v).__name__ in ("ArrayFormula", "DataTableFormula"))  # fmt: skip
                if not formula or (
                    r < len(values) and c < len(values[r]) and values[r][c] is not None
                ):
                    continue
                text = v if isinstance(v, str) else getattr(v, "text", type(v).__name__)
                col = header[c] if c < len(header) else get_column_letter(c + 1)
                out.append(Problem(label, r + 1, col, "a value: the cell holds a formula with no "
                                   "computed value; open and save it in Excel (or export values "
                                   "only)", f"{get_column_letter(c + 1)}{r + 1}: {text}",
                                   fatal=True))  # fmt: skip
    finally:
        wb.close()
        fh.close()
    return out


def _fill_merged(
    rows: list[list[object]], spans: list[tuple[int, int, int, int, str]], header: list[str]
) -> list[str]:
    """Fill each merged range below the header with its top-left value, as Excel shows it
    (the file holds the value in that cell only); a note names the ranges."""
    done = []
    for r1, c1, r2, c2, ref in spans:
        if r1 < 2 or r1 > len(rows):
            continue  # a merged header cell: left as it is (its columns are named apart)
        value = rows[r1 - 1][c1 - 1] if c1 - 1 < len(rows[r1 - 1]) else None
        for r in range(r1, min(r2, len(rows)) + 1):
            row = rows[r - 1]
            row.extend([None] * (c2 - len(row)))
            for c in range(c1, c2 + 1):
                row[c - 1] = value
        cols = ", ".join(repr(header[c - 1]) for c in range(c1, c2 + 1) if c - 1 < len(header))
        done.append(f"{ref} (column {cols})")
    if not done:
        return []
    more = f" and {len(done) - 5} more" if len(done) > 5 else ""
    return [f"merged cells {', '.join(done[:5])}{more} filled with their top-left value, as "
            "Excel shows them"]  # fmt: skip


def _frame(rows: list[list[object]], label: str, notes: list[str]) -> Raw:
    """Sheet rows (the first is the header) as a frame: whole numbers as ints (as pandas reads
    them), blank rows skipped with each row keeping its sheet row number, the header as
    written (``Raw.header``) beside pandas-style unique column names. ``rows`` is emptied as
    it is read, so a full sheet's lists are not held twice (with the rows converted in place,
    2,100 -> 1,908 MiB at Excel's row limit: bench/README, ``xlsx_convert``)."""
    if not rows:
        return Raw(pd.DataFrame(), 2, label, notes=notes)
    header = _header(rows)
    width = len(header)
    while (
        width
        and header[width - 1].startswith("Unnamed: ")
        and all(len(r) < width or r[width - 1] is None for r in rows[1:])
    ):
        width -= 1
    header = header[:width]
    data, numbers, done = [], [], []
    for i in range(2, len(rows) + 1):
        r, rows[i - 1] = rows[i - 1], done
        cells = [_cell(v) for v in r[:width]] + [None] * (width - len(r))
        if any(v is not None for v in cells):
            data.append(cells)
            numbers.append(i)
    seen: dict[str, int] = {}
    columns = []
    for h in header:
        n = seen.get(h, 0)
        seen[h] = n + 1
        columns.append(h if n == 0 else f"{h}.{n}")
    frame = pd.DataFrame(data, columns=columns, dtype=object)
    nums = np.asarray(numbers, dtype=np.int64)
    offset = nums - np.arange(len(nums)) if len(nums) and nums[-1] != len(nums) + 1 else 2
    return Raw(frame, offset, label, notes=notes, header=header)


def _cell(v: object) -> object:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and not v.strip():
        return None
    return v


def _read_xls(path: Path, sheet: str | int | None, table: str | None) -> Raw:
    """An old Excel workbook (BIFF, .xls) through xlrd: dates as datetimes, merged ranges
    filled as in .xlsx (a formula's value is always stored in .xls)."""
    import xlrd

    name = path.name
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except (xlrd.XLRDError, OSError, ValueError, AssertionError) as e:
        return _fatal(name, None, f"a readable Excel .xls workbook ({e})")
    try:
        sheets = [(book.sheet_by_index(i).name, book.sheet_by_index(i).visibility == 0)
                  for i in range(book.nsheets)]  # fmt: skip
        chosen, notes, bad = _choose_sheet(name, sheets, sheet, table)
        if bad is not None:
            return bad
        sh = book.sheet_by_name(chosen)
        rows = [[_xls_value(sh.cell(r, c), book.datemode) for c in range(sh.ncols)]
                for r in range(sh.nrows)]  # fmt: skip
        spans = [
            (r1 + 1, c1 + 1, r2, c2, _ref(r1, c1, r2, c2)) for r1, r2, c1, c2 in sh.merged_cells
        ]
    finally:
        book.release_resources()
    label = f"{name}[{chosen}]" if len(sheets) > 1 or sheet is not None else name
    notes = ["read as an old Excel workbook (.xls)", *notes]
    notes += _fill_merged(rows, spans, _header(rows))
    return _frame(rows, label, notes)


def _ref(r1: int, c1: int, r2: int, c2: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(c1 + 1)}{r1 + 1}:{get_column_letter(c2)}{r2}"


def _xls_value(cell, datemode: int) -> object:
    import xlrd

    t = cell.ctype
    if t in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if t == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (ValueError, xlrd.xldate.XLDateError):
            return cell.value
    if t == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if t == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return cell.value


def _read_html_table(path: Path) -> Raw:
    """An HTML table saved under an Excel name (many systems export "Excel" so): its largest
    table, every cell as text, read with the standard library's HTML parser."""
    from html.parser import HTMLParser

    data = path.read_bytes()
    name = path.name
    m = re.search(rb"""charset=["']?([\w-]+)""", data[:4096], flags=re.I)
    encodings = [m[1].decode("ascii")] if m else []
    for enc in [*encodings, "utf-8-sig", "gb18030"]:
        try:
            text = data.decode("gb18030" if enc.lower() in ("gbk", "gb2312") else enc)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    else:
        return _fatal(name, None, "an HTML table in UTF-8 or GBK (set its charset)")

    class Tables(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.tables: list[list[list[str | None]]] = []
            self.cell: list[str] | None = None
            self.span = 1

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.tables.append([])
            elif tag == "tr" and self.tables:
                self.tables[-1].append([])
            elif tag in ("td", "th") and self.tables and self.tables[-1]:
                self.cell = []
                span = dict(attrs).get("colspan") or "1"
                self.span = int(span) if span.isdigit() else 1

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                value = " ".join("".join(self.cell).split()) or None
                self.tables[-1][-1] += [value] + [None] * (self.span - 1)
                self.cell = None

        def handle_data(self, d):
            if self.cell is not None:
                self.cell.append(d)

    parser = Tables()
    parser.feed(text)
    tables = [t for t in parser.tables if t]
    if not tables:
        return Raw(pd.DataFrame(), 2, name, [_empty(name)])
    rows = max(tables, key=len)
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    which = f", the largest of {len(tables)} tables" if len(tables) > 1 else ""
    return _frame(rows, name, [f"not an Excel workbook but an HTML table saved under an Excel "
                               f"name; read as HTML{which}, every cell as text"])  # fmt: skip
