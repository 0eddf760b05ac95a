"""Write canonical tables: a center to a folder of Parquet files or a SQL database, and one part
(a month) of partitioned tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .readers import is_url
from .schema import TABLES


def save_center(tables: dict[str, pd.DataFrame], dest: str | Path) -> list[str]:
    """Write canonical tables to a folder (Parquet) or a SQL database URL; returns what was written."""
    written = []
    if is_url(dest):
        import sqlalchemy as sa

        engine = sa.create_engine(str(dest))
        try:
            with engine.begin() as conn:
                for name, df in tables.items():
                    df.to_sql(name, conn, if_exists="replace", index=False, chunksize=50_000)
                    written.append(f"{dest}:{name}")
        finally:
            engine.dispose()
        return written
    folder = Path(dest)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        tmp = folder / f".{name}.parquet.tmp"
        df.to_parquet(tmp, index=False)
        tmp.replace(folder / f"{name}.parquet")
        written.append(str(folder / f"{name}.parquet"))
    return written


_ARROW_KIND = {"id": "string", "text": "string", "category": "string", "datetime": "timestamp[us]",
               "date": "timestamp[us]", "duration": "double", "number": "double", "flag": "bool"}  # fmt: skip


def save_partition(
    tables: dict[str, pd.DataFrame], folder: str | Path, part: str, schemas: dict | None = None
) -> list[str]:
    """Write each table as one part of a partitioned table, ``folder/<name>/<part>.parquet``
    (the layout for history: one file per month, ``contacts/2026-05.parquet``). ``schemas``
    (a dict the caller keeps across parts) makes every part of a table share the first one's
    column types, a column empty in the first part taking its canonical type."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    written = []
    for name, df in tables.items():
        t = pa.Table.from_pandas(df, preserve_index=False)
        if schemas is not None:
            if name not in schemas:
                kinds = {c.name: c.kind for c in TABLES[name].columns} if name in TABLES else {}
                schemas[name] = pa.schema(
                    f.with_type(pa.type_for_alias(_ARROW_KIND[kinds.get(f.name, "text")]))
                    if pa.types.is_null(f.type) else f
                    for f in t.schema
                )  # fmt: skip
            t = t.cast(schemas[name])
        dest = Path(folder) / name / f"{part}.parquet"
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        pq.write_table(t, tmp)
        tmp.replace(dest)
        written.append(str(dest))
    return written
