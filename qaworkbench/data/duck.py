"""DuckDB connections as the workbench opens them: in memory, a thread per core this process
may use, and no progress bar (DuckDB draws one on stdout for a query over ~2 s, into logs and
cron mail too)."""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path
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


@functools.cache  # (read once: the quota of a process's cgroup does not change under it)
def usable_cores() -> int:
    """The cores this process may use: its CPU affinity (a container's cpuset), no more than its
    cgroup's CPU quota allows (a container limited to 2 CPUs on a 64-core host sees 64)."""
    seen = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores_allowed(seen or 1, _text("/sys/fs/cgroup/cpu.max"),
                         _text("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
                         _text("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))  # fmt: skip


def cores_allowed(
    seen: int, cpu_max: str | None, quota_us: str | None, period_us: str | None
) -> int:
    """``seen`` cores, capped by a cgroup v2 ``cpu.max`` ("200000 100000": 2 CPUs; "max ...":
    none) or v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (-1: none); at least 1."""
    quota = period = None
    try:
        if cpu_max and cpu_max.split()[0] != "max":
            quota, period = (int(x) for x in cpu_max.split()[:2])
        elif quota_us and period_us and int(quota_us) > 0:
            quota, period = int(quota_us), int(period_us)
    except ValueError:  # (a file not as documented: no cap)
        quota = None
    if quota and period:
        seen = min(seen, math.ceil(quota / period))
    return max(1, seen)


def _text(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
