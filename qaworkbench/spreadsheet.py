"""Cells safe for a spreadsheet: masked, and no text a spreadsheet would run as a formula.

Every CSV or workbook the workbench writes (reports' appendices, score tables, samples, the
loader's rejects) goes through ``safe_for_spreadsheet``: text starting with = + - @ gets an
apostrophe in front (the OWASP advice), so a comment like "- 未使用标准开场白" is kept as
written and never runs, and a report never fails because of it.
"""

from __future__ import annotations

import pandas as pd

from .privacy import masked

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_for_spreadsheet(df: pd.DataFrame) -> pd.DataFrame:
    """Mask customer ids and phone numbers, and neutralise text cells a spreadsheet would run
    as formulas (an apostrophe in front; plain numbers like -5 or +3.5 stay as they are)."""
    out = masked(df)
    for j in range(out.shape[1]):  # by position: robust to repeated column names
        s = out.iloc[:, j]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            text = s.astype("str")
            number = text.str.fullmatch(r"[-+]?\d+(\.\d+)?", na=False)
            hit = text.str.startswith(FORMULA_START, na=False) & ~number & s.notna()
            if hit.any():
                out.iloc[:, j] = s.where(~hit, "'" + text)
    return out
