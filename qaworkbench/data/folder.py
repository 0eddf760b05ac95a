"""Where a data folder keeps each canonical table: its file, in any of the formats read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import QAWError
from .readers import is_url
from .schema import TABLES

TABLE_FILES = ("<name>.parquet", "a <name>/ folder of Parquet", "<name>.csv", "<name>.xlsx",
               "<name>.xls")  # fmt: skip
_SUFFIXES = (".parquet", "", ".csv", ".xlsx", ".xls")


def find_table_file(folder: Path, name: str) -> Path | None:
    """The file holding ``name`` in a data folder: Parquet, a Parquet folder, CSV or Excel, its
    name in any letter case (Complaints.csv). Two of them (evaluations.csv beside an
    evaluations/ folder) are refused, naming both: which one is meant cannot be told."""
    wanted = {f"{name}{suffix}" for suffix in _SUFFIXES}
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return None
    found = [p for p in entries if p.name.lower() in wanted and (p.is_file() or p.is_dir())]
    if len(found) > 1:
        import datetime

        def shown(p: Path) -> str:
            when = datetime.datetime.fromtimestamp(p.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
            return f"{p.name}{'/' if p.is_dir() else ''} (changed {when})"

        raise QAWError(
            f"{folder}: {len(found)} files hold the {name} table: "
            f"{', '.join(shown(p) for p in found)}; which one is meant cannot be told: keep one "
            "and move the other(s) out of the data folder"
        )
    return found[0] if found else None


def present_tables(source: str | Path) -> dict[str, str | Path]:
    """The canonical tables a data folder (their files) or a database URL (the URL) has."""
    if is_url(source):
        import sqlalchemy as sa

        engine = sa.create_engine(str(source))
        try:
            names = set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()
        return {n: str(source) for n in TABLES if n in names}
    folder = Path(source)
    if not folder.is_dir():
        raise QAWError(f"{source}: not a data folder (nor a database URL such as sqlite:///x.db)")
    return {n: p for n in TABLES if (p := find_table_file(folder, n)) is not None}


def part_rows(path: str | Path, n: int) -> tuple[pd.Categorical, np.ndarray] | None:
    """For a table kept as a folder of Parquet files: each row's file ("contacts/2026-05.parquet")
    and its row number in that file, in the order the folder is read (None otherwise)."""
    if is_url(path) or not Path(path).is_dir():
        return None
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    folder = Path(path)
    try:
        files = ds.dataset(str(folder), format="parquet").files
        counts = [pq.ParquetFile(f).metadata.num_rows for f in files]
    except (OSError, ValueError):
        return None
    if sum(counts) != n:
        return None
    names = [f"{folder.name}/{Path(f).relative_to(folder).as_posix()}" for f in files]
    rows = np.concatenate([np.arange(1, c + 1) for c in counts]) if counts else np.arange(0)
    # codes, not strings: a year's 7 M item rows as a string per row held about 1 GB
    codes = np.repeat(np.arange(len(names), dtype=np.int32), counts)
    return pd.Categorical.from_codes(codes, categories=names), rows
