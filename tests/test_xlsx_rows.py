"""The .xlsx reader's fast path (python-calamine, ``data/xlsx_rows.py``) gives the Raw that
openpyxl gives, value by value and type by type, and is taken for the usual exports: only the
cells openpyxl alone reads the same send a sheet to openpyxl."""

from __future__ import annotations

import datetime as dt
import math
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import xlsxwriter
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill

from qaworkbench.data import excel

from .rows import CONTACT_HEADER, contact_row

# ---------------------------------------------------------------- workbooks by openpyxl


def _openpyxl_cells(path: Path, epoch1904: bool = False) -> None:
    wb = openpyxl.Workbook()
    if epoch1904:
        wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "cells"
    ws.append(["case", "value"])
    cases = [
        ("str", "abc", None), ("chinese", "话费查询", None), ("text id", "00123", None),
        ("18-digit id as text", "110101199003071234", None),
        ("18-digit id as number", 110101199003071234, None), ("16 digits", 6222021234567890, None),
        ("2**53+1", 2**53 + 1, None), ("phone", 13800138000, None), ("int", -7, None),
        ("float", 2.5, None), ("0.1+0.2", 0.1 + 0.2, None), ("1e20", 1e20, None),
        ("bool", True, None), ("datetime", dt.datetime(2026, 5, 1, 9, 12, 58), None),
        ("midnight", dt.datetime(2026, 5, 1), None), ("date", dt.date(2026, 5, 2), None),
        ("time", dt.time(12, 30, 15), None), ("timedelta", dt.timedelta(hours=30), None),
        ("1900-01-01", dt.datetime(1900, 1, 1), None), ("1900-03-01", dt.datetime(1900, 3, 1), None),
        ("empty string", "", None), ("spaces only", "   ", None), ("edge spaces", "  abc  ", None),
        ("newline", "l1\nl2", None), ("percent", 0.25, "0%"), ("text fmt", 123, "@"),
        ("年月日", 46143, 'yyyy"年"m"月"d"日"'), ("月日", 46143, 'm"月"d"日"'),
        ("[DBNum1]", 46143, '[DBNum1][$-804]yyyy"年"m"月"d"日"'), ("0天", 5, '0"天"'),
        ("[h]:mm:ss", 1.5, "[h]:mm:ss"), ("mm:ss", 0.01, "mm:ss"), ("date 0.5", 0.5, "yyyy-mm-dd"),
        ("date 60", 60, "yyyy-mm-dd"), ("date -1", -1, "yyyy-mm-dd"),
        ("datetime serial", 46143.38400462963, "yyyy-mm-dd hh:mm:ss"),
    ]  # fmt: skip
    for label, value, fmt in cases:
        ws.append([label, value])
        if fmt:
            ws.cell(ws.max_row, 2).number_format = fmt
    ws.append(["error", "#N/A"])
    ws.cell(ws.max_row, 2).data_type = "e"
    wb.save(path)


def _openpyxl_layouts(d: Path) -> None:
    wb = openpyxl.Workbook()  # data from B3
    for r, row in enumerate([["h1", "h2", "h3"], [1, "x", 2.5], [2, "y", None]], start=3):
        for c, v in enumerate(row, start=2):
            wb.active.cell(r, c, v)
    wb.save(d / "layout_b3.xlsx")
    wb = openpyxl.Workbook()  # header row formatted past the data, trailing styled rows
    ws = wb.active
    ws.append(["h1", "h2", "h3"])
    for c in range(1, 7):
        ws.cell(1, c).fill = PatternFill("solid", fgColor="FFFF00")
    ws.append([1, "a", None])
    ws.append([2, "b", "c"])
    ws.cell(3, 5).font = Font(bold=True)
    ws.cell(6, 1, 3)
    for r in range(7, 12):
        ws.cell(r, 1).font = Font(italic=True)
    wb.save(d / "layout_styled.xlsx")
    wb = openpyxl.Workbook()  # header kinds: spaces, duplicates, numbers, a gap
    ws = wb.active
    ws.append([" id ", "name", "name", 2024, None, 5.5, True])
    ws.append(["A1", "x", "y", 1, "mid", 2, 3])
    ws.append([None] * 7)
    ws.append(["   ", "", None, None, None, None, None])
    ws.append(["A2", "z", "w", 4, None, 5, 6])
    wb.save(d / "layout_header.xlsx")
    wb = openpyxl.Workbook()  # merged cells: in the data, in the header, past the data
    ws = wb.active
    ws.append(CONTACT_HEADER)
    for i in range(1, 6):
        ws.append(contact_row(i))
    for ref in ("J2:J4", "A1:B1", "I5:K7"):
        ws.merge_cells(ref)
    wb.save(d / "merged.xlsx")
    wb = openpyxl.Workbook()  # hidden, very hidden, chart and empty sheets
    ws = wb.active
    ws.title = "通话记录"
    ws.append(CONTACT_HEADER)
    for i in range(1, 4):
        ws.append(contact_row(i))
    for title, state in (("hidden", "hidden"), ("very", "veryHidden")):
        h = wb.create_sheet(title)
        h.append(["x"])
        h.append([1])
        h.sheet_state = state
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=7, min_row=1, max_row=4), titles_from_data=True)
    wb.create_chartsheet("chart").add_chart(chart)
    wb.create_sheet("empty sheet")
    wb.save(d / "sheets.xlsx")
    wb = openpyxl.Workbook()  # formulas without a computed value: refused, cell by cell
    ws = wb.active
    ws.append(CONTACT_HEADER)
    for i in range(1, 4):
        ws.append(contact_row(i))
    ws["H3"] = "=3*60"
    wb.save(d / "uncached_openpyxl.xlsx")


# ---------------------------------------------------------------- workbooks by xlsxwriter


def _xlsxwriter_cells(path: Path, **options: bool) -> None:
    wb = xlsxwriter.Workbook(str(path), options)
    ws = wb.add_worksheet("cells")
    fmt = {k: wb.add_format({"num_format": v}) for k, v in (("dt", "yyyy-mm-dd hh:mm:ss"),
           ("d", "yyyy-mm-dd"), ("t", "hh:mm:ss"), ("h", "[h]:mm:ss"), ("cn", 'yyyy"年"m"月"d"日"'))}  # fmt: skip
    bold = wb.add_format({"bold": True})
    ws.write_row(0, 0, ["case", "value"])
    cells = [
        lambda r: ws.write_string(r, 1, "00123"),
        lambda r: ws.write_string(r, 1, "110101199003071234"),
        lambda r: ws.write_number(r, 1, 110101199003071234),
        lambda r: ws.write_number(r, 1, 2.5),
        lambda r: ws.write_boolean(r, 1, False),
        lambda r: ws.write_datetime(r, 1, dt.datetime(2026, 5, 1, 9, 12, 58), fmt["dt"]),
        lambda r: ws.write_datetime(r, 1, dt.date(2026, 5, 2), fmt["d"]),
        lambda r: ws.write_datetime(r, 1, dt.date(2026, 5, 3), fmt["cn"]),
        lambda r: ws.write_datetime(r, 1, dt.time(12, 30, 15), fmt["t"]),
        lambda r: ws.write_datetime(r, 1, dt.timedelta(minutes=2, seconds=23), fmt["h"]),
        lambda r: ws.write_blank(r, 1, None, bold),
        lambda r: ws.write_string(r, 1, ""),
        lambda r: ws.write_rich_string(r, 1, "plain ", bold, "bold", " 中文"),
        lambda r: ws.write_formula(r, 1, "=3*60", None, 180),
        lambda r: ws.write_formula(r, 1, '="A"&"1"', None, "A1"),
        lambda r: ws.write_formula(r, 1, "=1/0", None, "#DIV/0!"),
        lambda r: ws.write_formula(r, 1, '=""', None, ""),
        lambda r: ws.write_array_formula(r, 1, r, 1, "{=SUM(1,2)}", None, 3),
        lambda r: ws.write_url(r, 1, "http://example.com", string="链接"),
    ]
    for i, write in enumerate(cells, start=1):
        ws.write_string(i, 0, f"case {i}")
        write(i)
    wb.close()


# ---------------------------------------------------------------- workbooks written by hand

_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')  # fmt: skip
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_CUSTOM = {164: "yyyy-mm-dd h:mm:ss", 165: "[h]:mm", 166: 'yyyy"年"m"月"d"日"'}
_FORMATS = [0, 14, 164, 165, 166]  # style index -> numFmtId


def _xml_book(path: Path, body: str, strings: list[str] = (), formats: list[int] = _FORMATS,
              date1904: bool = False) -> None:  # fmt: skip
    """A one-sheet workbook: ``body`` the worksheet's inner XML, ``strings`` the <si> inner
    XML, ``formats`` the numFmtId of each cell style."""
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    rel = '<Relationship Id="{}" Type="' + _REL + '{}" Target="{}"/>'
    rels = '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    nf = "".join(f'<numFmt numFmtId="{k}" formatCode="{v.replace(chr(34), "&quot;")}"/>'
                 for k, v in _CUSTOM.items())  # fmt: skip
    xfs = "".join(f'<xf numFmtId="{i}" fontId="0" fillId="0" borderId="0" xfId="0"'
                  f'{" applyNumberFormat=" + chr(34) + "1" + chr(34) if i else ""}/>'
                  for i in formats)  # fmt: skip
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/'
        'sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": rels + rel.format("rId1", "officeDocument", "xl/workbook.xml")
        + "</Relationships>",
        "xl/workbook.xml": f'<workbook {_NS}><workbookPr{" date1904=" + chr(34) + "1" + chr(34) if date1904 else ""}/>'
        '<sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": rels + rel.format("rId1", "worksheet", "worksheets/sheet1.xml")
        + rel.format("rId2", "styles", "styles.xml")
        + rel.format("rId3", "sharedStrings", "sharedStrings.xml") + "</Relationships>",
        "xl/styles.xml": f'<styleSheet {_NS}><numFmts count="{len(_CUSTOM)}">{nf}</numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1">'
        '<fill><patternFill patternType="none"/></fill></fills><borders count="1"><border><left/>'
        '<right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf '
        'numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(formats)}">{xfs}</cellXfs></styleSheet>',
        "xl/sharedStrings.xml": f'<sst {_NS}>' + "".join(f"<si>{s}</si>" for s in strings) + "</sst>",
        "xl/worksheets/sheet1.xml": f"<worksheet {_NS}>{body}</worksheet>",
    }  # fmt: skip
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            z.writestr(name, head + xml)


def _rows(*cells: str) -> str:
    """<sheetData> with a header (case, value) and one row per cell XML (``{r}`` its row)."""
    rows = ['<row r="1"><c r="A1" t="inlineStr"><is><t>case</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>value</t></is></c></row>']  # fmt: skip
    for r, xml in enumerate(cells, start=2):
        rows.append(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>case {r}</t></is></c>'
                    f"{xml.format(r=r)}</row>")  # fmt: skip
    return "<sheetData>" + "".join(rows) + "</sheetData>"


_PATCHED = _rows(
    '<c r="B{r}" t="e"><v>#N/A</v></c>', '<c r="B{r}" t="e"><v>#REF!</v></c>', '<c r="B{r}" t="e"/>',
    '<c r="B{r}" t="e"><f>1/0</f><v>#DIV/0!</v></c>', '<c r="B{r}"><f>1+1</f><v>2</v></c>',
    '<c r="B{r}"><v>110101199003071234</v></c>', '<c r="B{r}"><v>9007199254740993</v></c>',
    '<c r="B{r}"><v>-110101199003071234</v></c>', '<c r="B{r}" s="1"><v>-1</v></c>',
    '<c r="B{r}" s="2"><v>-0.5</v></c>', '<c r="B{r}" s="1"><v>2958466</v></c>',
    '<c r="B{r}" s="1"><v>45000</v></c>', '<c r="B{r}" s="3"><v>-1.25</v></c>',
    '<c r="B{r}" s="3"><v>1.5</v></c>', '<c r="B{r}" s="4"><v>46143</v></c>',
    '<c r="B{r}"><v>1E3</v></c>', '<c r="B{r}" t="s"><v>0</v></c>', '<c r="B{r}" t="s"><v>1</v></c>',
    '<c r="B{r}" t="str"><v>plain str</v></c>', '<c r="B{r}"><v>-0</v></c>',
)  # fmt: skip
_HEADER = ('<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="s">'
           '<v>0</v></c><c r="C1" t="e"><v>#N/A</v></c><c r="D1"><v>110101199003071234</v></c>'
           '<c r="E1"><v>5.0</v></c><c r="F1" s="1"/></row><row r="2"><c r="A2"><v>1</v></c>'
           '<c r="B2"><v>2</v></c><c r="E2"><v>3</v></c></row>'
           '<row r="6" s="1" customFormat="1"/></sheetData>')  # fmt: skip
_FORMULAS = _rows('<c r="B{r}"><f t="shared" ref="B2:B4" si="0">ROW()</f><v>2</v></c>',
                  '<c r="B{r}"><f t="shared" si="0"/></c>', '<c r="B{r}" t="str"><f>""</f><v></v></c>')  # fmt: skip
_MERGED = _rows('<c r="B{r}"><v>1</v></c>', '<c r="A{r}" s="1"/><c r="B{r}"><v>2</v></c>').replace(
    '<c r="A3" t="inlineStr"><is><t>case 3</t></is></c>', "") + (
    '<mergeCells count="2"><mergeCell ref="A2:A3"/><mergeCell ref="C3:D5"/></mergeCells>')  # fmt: skip

# Each: (name, sheetData and after, shared strings, style formats); "fallback_" ones hold a
# cell only openpyxl reads the same.
_XML_BOOKS = [
    ("xml_patched", _PATCHED, ["<t></t>", '<t xml:space="preserve">   </t>'], _FORMATS),
    ("xml_header", _HEADER, ["<t></t>"], _FORMATS),
    ("xml_formulas", _FORMULAS, [], _FORMATS),
    ("xml_merged", _MERGED, [], _FORMATS),
    ("xml_from_c3", '<sheetData><row r="3"><c r="C3" t="inlineStr"><is><t>h</t></is></c></row>'
     '<row r="4"><c r="C4"><v>1</v></c></row></sheetData>', [], _FORMATS),
    ("fallback_escape", _rows('<c r="B{r}" t="s"><v>0</v></c>'), ["<t>l1_x000D_\nl2</t>"], _FORMATS),
    ("fallback_edge_space", _rows('<c r="B{r}" t="inlineStr"><is><t> y </t></is></c>'), [],
     _FORMATS),
    ("fallback_iso_date", _rows('<c r="B{r}" t="d" s="1"><v>2026-05-02</v></c>'), [], _FORMATS),
    ("fallback_cjk_builtin", _rows('<c r="B{r}" s="5"><v>46143</v></c>'), [], [*_FORMATS, 31]),
    ("fallback_no_row_numbers", "<sheetData><row><c><v>1</v></c></row><row><c><v>2</v></c></row>"
     "</sheetData>", [], _FORMATS),
    ("fallback_spaced_number", _rows('<c r="B{r}"><v> 12 </v></c>'), [], _FORMATS),
]  # fmt: skip
# .xlsx workbooks saved under an .xls name (a center's tool picks the name): read by their
# bytes, on both paths, formulas without a value refused as in an .xlsx.
_SAVED_AS_XLS = {"saved_as.xls": "merged.xlsx", "fallback_saved_as.xls": "fallback_escape.xlsx",
                 "formulas_saved_as.xls": "xml_formulas.xlsx"}  # fmt: skip
_FALLBACK = {f"{n}.xlsx" for n, *_ in _XML_BOOKS if n.startswith("fallback_")} | {
    "fallback_saved_as.xls"
}


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("books")
    _openpyxl_cells(d / "openpyxl_cells.xlsx")
    _openpyxl_cells(d / "openpyxl_cells_1904.xlsx", epoch1904=True)
    _openpyxl_layouts(d)
    _xlsxwriter_cells(d / "xlsxwriter_cells.xlsx")
    _xlsxwriter_cells(d / "xlsxwriter_constant_memory.xlsx", constant_memory=True)
    _xlsxwriter_cells(d / "xlsxwriter_1904.xlsx", date_1904=True)
    for name, body, strings, formats in _XML_BOOKS:
        _xml_book(d / f"{name}.xlsx", body, strings, formats)
    _xml_book(d / "xml_patched_1904.xlsx", _PATCHED, ["<t></t>", "<t>x</t>"], date1904=True)
    for xls, xlsx in _SAVED_AS_XLS.items():
        (d / xls).write_bytes((d / xlsx).read_bytes())
    return sorted(d.iterdir())


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    return (isinstance(a, float) and math.isnan(a) and math.isnan(b)) or a == b


def _assert_same_raw(ref, got) -> None:
    assert (got.name, got.notes, got.header) == (ref.name, ref.notes, ref.header)
    assert [(p.row, p.column, p.expected, p.value, p.fatal) for p in got.fatal] == [
        (p.row, p.column, p.expected, p.value, p.fatal) for p in ref.fatal
    ]
    assert np.array_equal(np.asarray(got.row_offset), np.asarray(ref.row_offset))
    assert list(got.frame.columns) == list(ref.frame.columns)
    assert got.frame.shape == ref.frame.shape and list(got.frame.dtypes) == list(ref.frame.dtypes)
    for c in range(ref.frame.shape[1]):
        for r in range(ref.frame.shape[0]):
            a, b = ref.frame.iat[r, c], got.frame.iat[r, c]
            assert _same(a, b), (got.name, r, ref.frame.columns[c], a, b)


def _calls(path: Path) -> list[tuple[str | None, str | None]]:
    """(sheet, table): the default, and each worksheet by name in a workbook of several."""
    if path.name != "sheets.xlsx":
        return [(None, None)]
    return [(None, None), *((t, None) for t in ("通话记录", "hidden", "very", "empty sheet"))]


def test_calamine_gives_openpyxl_s_raw_and_is_used(books, monkeypatch):
    openpyxl_read = excel._read_xlsx_openpyxl
    fell_back: list[str] = []

    def spy(path, sheet, table):
        fell_back.append(path.name)
        return openpyxl_read(path, sheet, table)

    monkeypatch.setattr(excel, "_read_xlsx_openpyxl", spy)
    for path in books:
        for sheet, table in _calls(path):
            if path.suffix == ".xls":  # the reference: the same bytes named .xlsx
                ref = openpyxl_read(path.with_name(_SAVED_AS_XLS[path.name]), sheet, table)
                ref.name = path.name
            else:
                ref = openpyxl_read(path, sheet, table)
            got = excel.read_excel(path, sheet, table)
            _assert_same_raw(ref, got)
    assert set(fell_back) == _FALLBACK, "the fast path is not taken where it should be"
    assert len(books) - len(_FALLBACK) == 19  # workbooks read by calamine


def test_the_fast_path_s_raw_holds_what_the_checks_are_about(books):
    """The Raws compared above are not empty twice: refusals, notes and patched cells."""
    by = {p.name: p for p in books}
    raw = excel._read_xlsx(by["xml_formulas.xlsx"], None, None)
    assert [(p.row, p.value) for p in raw.fatal] == [(3, "B3: =ROW()"), (4, 'B4: =""')]
    raw = excel._read_xlsx(by["uncached_openpyxl.xlsx"], None, None)
    assert [(p.column, p.value) for p in raw.fatal] == [("talk_s", "H3: =3*60")]
    raw = excel._read_xlsx(by["merged.xlsx"], None, None)
    assert raw.notes[1].startswith("merged cells J2:J4 (column 'topic'), I5:K7")
    assert raw.header[:2] == ["contact_id", "Unnamed: 1"] and raw.frame.shape == (6, 10)
    raw = excel._read_xlsx(by["sheets.xlsx"], "hidden", None)
    assert raw.name == "sheets.xlsx[hidden]" and "hidden in the workbook" in raw.notes[0]
    values = excel._read_xlsx(by["xml_patched.xlsx"], None, None).frame["value"].tolist()
    assert values[:4] == ["#N/A", "#REF!", None, "#DIV/0!"]
    assert values[5:8] == [110101199003071234, 9007199254740993, -110101199003071234]
    assert values[8] == dt.datetime(1899, 12, 29) and values[10] == "#VALUE!"
    assert values[12] == dt.timedelta(days=-2, seconds=64800) and values[14] == dt.datetime(
        2026, 5, 1
    )
    assert excel._read_xlsx(by["xml_header.xlsx"], None, None).header == [
        "id", "", "#N/A", "110101199003071234", "5.0"]  # fmt: skip
    values = excel._read_xlsx(by["openpyxl_cells.xlsx"], None, None).frame["value"].tolist()
    assert values[2:4] == ["00123", "110101199003071234"] and values[26] == dt.datetime(2026, 5, 1)
