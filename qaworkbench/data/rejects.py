"""Rows a check rejects: raised (strict) or split off and written beside the load (lenient)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..spreadsheet import safe_for_spreadsheet
from . import validate

if TYPE_CHECKING:
    from .load import Mode, TableReport


def settle(
    df: pd.DataFrame,
    findings: list[validate.Finding],
    rows: np.ndarray,
    source_rows: pd.DataFrame,
    table_name: str,
    file: str,
    mode: Mode,
    rejects_dir: str | Path | None,
    report: TableReport,
    files: pd.Categorical | None = None,
) -> pd.DataFrame:
    """Raise (strict) or split off and write the rejected rows (lenient). ``files``: each
    row's file, for a table kept as a folder of parts (``rows`` then count within it)."""
    if not findings:
        report.row_numbers, report.row_files = rows, files
        return df
    if mode == "strict":
        problems = validate.problems(findings, rows, file, files=files)
        raise ValidationError(table_name, file, problems, validate.count(findings))
    bad = validate.bad_rows(findings, len(df))
    rejected = source_rows.loc[bad].copy()
    rejected.insert(0, "_row", rows[bad])
    if files is not None:
        rejected.insert(0, "_file", files[bad])
    rejected["_reasons"] = validate.reasons(findings, len(df))[bad].to_numpy()
    path = write_rejects(rejected, table_name, rejects_dir)
    report.rows_kept -= int(bad.sum())
    report.rejects_path = str(path)
    report.notes.append(f"{int(bad.sum())} row(s) rejected, written to {path}")
    report.row_numbers = rows[~bad]
    report.row_files = None if files is None else files[~bad]
    return df.loc[~bad].reset_index(drop=True)


def write_rejects(rejected: pd.DataFrame, table_name: str, rejects_dir: str | Path | None) -> Path:
    d = Path(rejects_dir or "rejects")
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{table_name}.rejected.csv"
    rejected = safe_for_spreadsheet(rejected)  # masked, no live formulas
    if path.exists():  # append to the rejects of an earlier step of this load
        old = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        rejected = pd.concat([old, rejected], ignore_index=True)
    rejected.to_csv(path, index=False, encoding="utf-8-sig")  # BOM: Excel shows Chinese
    return path
