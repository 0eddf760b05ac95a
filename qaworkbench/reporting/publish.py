"""Write tables that leave the analyst's desk: masked, formula-safe, atomic."""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import writing
from ..spreadsheet import safe_for_spreadsheet


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The bytes ``write_csv`` writes: UTF-8 with BOM, spreadsheet-safe cells, no index."""
    return safe_for_spreadsheet(df).to_csv(index=False).encode("utf-8-sig")


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """CSV in UTF-8 with BOM (Excel opens Chinese correctly), written atomically."""
    path = Path(path)
    _atomic_write(path, csv_bytes(df))
    return path


def write_excel(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """One workbook, a sheet per table (header frozen, columns sized for CJK, sheet names made
    valid and unique), written atomically. Cells keep their types: numbers, true/false, times
    (``yyyy-mm-dd hh:mm:ss``); text is always text, never a formula or a link."""
    import xlsxwriter

    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".xlsx")
    os.close(fd)
    try:
        with writing(path):
            book = xlsxwriter.Workbook(tmp, {"nan_inf_to_errors": True})  # cells written by type
            when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
            header = book.add_format({"bold": True})
            used: set[str] = set()
            for name, df in sheets.items():
                ws = book.add_worksheet(_sheet_name(name, used))
                _write_sheet(ws, safe_for_spreadsheet(df), header, when)
            book.close()
        _readable(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _write_sheet(ws, df: pd.DataFrame, header, when) -> None:
    """``df`` on worksheet ``ws`` column by column (pandas' writer makes an object per cell:
    three times slower); missing values are empty cells."""
    ws.freeze_panes(1, 0)
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        ws.write_string(0, j, str(df.columns[j]), header)
        width = max([_width(df.columns[j])] + [_width(v) for v in col.head(200)])
        ws.set_column(j, j, min(max(width + 2, 8), 60))
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            col = col.dt.tz_localize(None)
        if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
            for i, v in enumerate(col.astype("float64").tolist(), start=1):  # the common case
                if v == v:
                    ws.write_number(i, j, v)
            continue
        for i, v in enumerate(col.tolist(), start=1):
            _write_cell(ws, i, j, v, when)


def _write_cell(ws, i: int, j: int, v: object, when) -> None:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return
    if isinstance(v, bool | np.bool_):
        ws.write_boolean(i, j, bool(v))
    elif isinstance(v, int | float | np.integer | np.floating):
        ws.write_number(i, j, float(v) if isinstance(v, float | np.floating) else int(v))
    elif isinstance(v, datetime.date):  # datetimes and pandas' Timestamps too
        ws.write_datetime(i, j, v.replace(tzinfo=None) if getattr(v, "tzinfo", None) else v, when)
    else:
        ws.write_string(i, j, str(v))


def _width(value: object) -> int:
    """Display width of a cell's text: a CJK character is two columns wide."""
    text = str(value)
    return len(text) + sum(1 for ch in text if ord(ch) > 0x2E7F)


def _sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    base = re.sub(r"[\[\]:*?/\\]", " ", str(name)).strip()[:31] or "sheet"
    sheet, k = base, 2
    while sheet.lower() in used:
        sheet = f"{base[: 31 - len(str(k)) - 1]}~{k}"
        k += 1
    used.add(sheet.lower())
    return sheet


def _readable(path: str) -> None:
    """Give a temporary file (created 0600) the permissions of a normally created one."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _atomic_write(path: Path, data: bytes) -> None:
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with writing(path), os.fdopen(fd, "wb") as f:
            f.write(data)
        _readable(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
