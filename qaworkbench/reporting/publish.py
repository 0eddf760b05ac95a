"""Write tables that leave the analyst's desk: masked, formula-safe, atomic."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

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
    valid and unique), written atomically."""
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".xlsx")
    os.close(fd)
    try:
        with writing(path), pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            used: set[str] = set()
            for name, df in sheets.items():
                sheet = _sheet_name(name, used)
                safe_for_spreadsheet(df).to_excel(xw, sheet_name=sheet, index=False)
                ws = xw.sheets[sheet]
                ws.freeze_panes = "A2"
                for i, col in enumerate(df.columns, start=1):
                    width = max([_width(col)] + [_width(v) for v in df[col].head(200)])
                    letter = ws.cell(1, i).column_letter
                    ws.column_dimensions[letter].width = min(max(width + 2, 8), 60)
        _readable(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


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
