"""DuckDB connections as the workbench opens them: in memory, a thread per core this process
may use, and no progress bar (DuckDB draws one on stdout for a query over ~2 s, into logs and
cron mail too)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


def connect() -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection (its cursors keep these settings)."""
    import duckdb  # (here: importing the workbench does not pay for it)

    con = duckdb.connect()
    con.execute(f"SET threads TO {usable_cores()}")  # a center's server: all its cores
    con.execute("SET enable_progress_bar = false")
    return con


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity; a container's cpuset counts)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
