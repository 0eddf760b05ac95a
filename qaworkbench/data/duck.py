"""DuckDB connections as the workbench opens them: in memory, two threads, and no progress
bar (DuckDB draws one on stdout for a query over ~2 s, into logs and cron mail too)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


def connect() -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection (its cursors keep these settings)."""
    import duckdb  # (here: importing the workbench does not pay for it)

    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute("SET enable_progress_bar = false")
    return con
