"""The run log: one JSON line per run start and end in ``reports/runs.jsonl``, kept even on
a full disk (a reserve file gives its space back for the end line)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import time
from pathlib import Path


def begin_run(reports_dir: Path, log: dict) -> None:
    """Start a run that holds the reports lock: clear the staging folders runs killed before
    they finished left behind (no other run can be writing them), and write the run's start
    line to ``runs.jsonl``, so a run killed from here on still leaves a trace (a start line
    without its end).

    The folder keeps a reserve file (``RESERVE_BYTES``) that a full disk gives back, so the
    end line of a run the disk stopped is always written. A run that finds the disk already
    full writes its start and end lines from the reserve and stops (OSError, naming the
    folder)."""
    for old in (reports_dir / ".staging").glob("*"):
        shutil.rmtree(old, ignore_errors=True)
    start = {k: log[k] for k in ("run_id", "kind", "period", "parameters") if k in log}
    start |= {"status": "started", "started_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        append_run(reports_dir, start, spare=False)
    except OSError as e:
        if e.errno != errno.ENOSPC or not _release_reserve(reports_dir):
            raise
        append_run(reports_dir, start)
        log["status"] = "failed"
        log["failure"] = {"kind": "os", "message": f"{reports_dir}: {os.strerror(errno.ENOSPC)}"}
        append_run(reports_dir, log)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(reports_dir)) from None
    _keep_reserve(reports_dir)


RESERVE = ".qaw-reserve"
RESERVE_BYTES = 256 * 1024  # a few hundred lines of runs.jsonl


def _keep_reserve(reports_dir: Path) -> None:
    """Create the reserve file if it is missing and the disk has room (else go without)."""
    path = reports_dir / RESERVE
    if path.exists() and path.stat().st_size >= RESERVE_BYTES:
        return
    try:
        with path.open("wb") as f:
            f.write(b"\0" * RESERVE_BYTES)
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        path.unlink(missing_ok=True)


def _release_reserve(reports_dir: Path) -> bool:
    """Give the reserve's space back; whether there was one."""
    path = reports_dir / RESERVE
    if not path.exists():
        return False
    path.unlink()
    return True


def append_run(reports_dir: Path, log: dict, *, spare: bool = True) -> None:
    """Append ``log`` as one line to ``runs.jsonl``; on a full disk, from the reserve's space
    (``spare``). A line is written whole or not at all."""
    line = (json.dumps(log, ensure_ascii=False) + "\n").encode("utf-8")
    path = reports_dir / "runs.jsonl"
    try:
        _append(path, line)
    except OSError as e:
        if not spare or e.errno != errno.ENOSPC or not _release_reserve(reports_dir):
            raise
        _append(path, line)


def _append(path: Path, line: bytes) -> None:
    size = path.stat().st_size if path.exists() else 0
    try:
        with path.open("ab") as f:
            f.write(line)
            f.flush()
    except OSError:
        with contextlib.suppress(OSError), path.open("ab") as f:
            f.truncate(size)  # no half line left behind
        raise
