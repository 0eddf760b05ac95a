"""The disk fills or a folder turns read-only mid-life: every command says which folder or
file and why, exits 1 without a traceback, and a published report stays whole.

Root ignores file permissions, so the failures are real file systems: a small tmpfs that
fills, and one remounted read-only. Where mounting is not allowed, the tests skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _mount(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                       capture_output=True)  # fmt: skip
    return r.returncode == 0


@pytest.fixture
def disk(tmp_path):
    """A 30 MB file system of our own, unmounted afterwards."""
    where = tmp_path / "disk"
    if os.geteuid() != 0 or shutil.which("mount") is None or not _mount(where, "size=30m"):
        pytest.skip("needs root and permission to mount a tmpfs")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def qaw(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "qaworkbench.cli", *args], capture_output=True,
                       text=True, env={**os.environ, **(env or {})})  # fmt: skip
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    return r


def _fill(disk: Path) -> None:
    """Fill the file system to the last byte."""
    with open(disk / "filler", "wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass
    for size in (1 << 16, 1 << 12, 1 << 8, 1):
        try:
            with open(disk / "filler", "ab") as f:
                while True:
                    f.write(b"\0" * size)
                    f.flush()
        except OSError:
            continue


def first_id(disk: Path) -> str:
    return json.loads(next((disk / "reports" / "runs.jsonl").open()))["run_id"]


def test_a_full_disk_or_read_only_folder_keeps_the_published_report(disk, small_dir):
    env = {"QAW_REPORTS_DIR": str(disk / "reports")}
    first = qaw("report", "weekly", "--period", "2026-W24", "--data", str(small_dir), env=env)
    assert first.returncode == 0, first.stderr
    page = disk / "reports" / "weekly" / "2026-W24" / "center" / "zh" / "report.html"
    before = page.read_bytes()
    index = (disk / "reports" / "index.html").read_bytes()

    _fill(disk)
    r = qaw("report", "weekly", "--period", "2026-W24", "--data", str(small_dir), env=env)
    assert r.returncode == 1
    assert f"{disk / 'reports'}: No space left on device" in r.stderr
    assert page.read_bytes() == before and (disk / "reports" / "index.html").read_bytes() == index
    # the stopped run still has its start and end lines
    *_, started, ended = (json.loads(x) for x in (disk / "reports" / "runs.jsonl").open())
    assert (started["status"], ended["status"]) == ("started", "failed")
    assert started["run_id"] == ended["run_id"] and started["run_id"] != first_id(disk)
    assert "No space left on device" in ended["failure"]["message"]

    (disk / "filler").unlink()
    (disk / "reports" / ".qaw-reserve").unlink(missing_ok=True)
    again = qaw("report", "weekly", "--period", "2026-W24", "--data", str(small_dir), env=env)
    assert again.returncode == 0, again.stderr
    assert (disk / "reports" / ".qaw-reserve").stat().st_size > 0  # room again: (re)made
    before = page.read_bytes()
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    r = qaw("report", "weekly", "--period", "2026-W24", "--data", str(small_dir), env=env)
    assert r.returncode == 1
    assert "Read-only file system" in r.stderr and str(disk / "reports") in r.stderr
    assert page.read_bytes() == before


def test_the_reserve_gives_a_full_disk_room_for_the_end_line(disk):
    from qaworkbench.reporting import runlog

    reports = disk / "reports"
    reports.mkdir()
    runlog.begin_run(reports, {"run_id": "r1", "kind": "weekly", "period": "2026-W24"})
    assert (reports / runlog.RESERVE).stat().st_size == runlog.RESERVE_BYTES
    (reports / "runs.jsonl").unlink()  # a new file needs a new block: no slack to write into
    _fill(disk)
    with pytest.raises(OSError):
        (reports / "probe").write_text("x" * 5000)
    runlog.append_run(reports, {"run_id": "r1", "status": "failed"})
    assert [json.loads(x)["status"] for x in (reports / "runs.jsonl").open()] == ["failed"]
    assert not (reports / runlog.RESERVE).exists()  # spent


def test_a_run_that_finds_the_disk_full_writes_both_lines_from_the_reserve(disk):
    from qaworkbench.reporting import runlog

    reports = disk / "reports"
    reports.mkdir()
    runlog._keep_reserve(reports)
    _fill(disk)
    log = {"run_id": "r3", "kind": "weekly", "period": "2026-W24"}
    with pytest.raises(OSError, match="No space left on device"):
        runlog.begin_run(reports, log)
    lines = [json.loads(x) for x in (reports / "runs.jsonl").open()]
    assert [(x["run_id"], x["status"]) for x in lines] == [("r3", "started"), ("r3", "failed")]
    assert str(reports) in lines[1]["failure"]["message"]


def test_scores_and_auto_qa_name_what_they_could_not_write(disk, small_dir):
    data = disk / "center"
    shutil.copytree(small_dir, data)
    _fill(disk)
    r = qaw("score", "--month", "2026-06", "--data", str(data), "--out", str(disk / "scores"))
    assert r.returncode == 1
    assert "No space left on device" in r.stderr and str(disk / "scores") in r.stderr
    r = qaw("autoqa", "--month", "2026-06", "--data", str(data))
    assert r.returncode == 1
    assert "No space left on device" in r.stderr and str(data / "autoqa") in r.stderr
    assert not list(data.glob("autoqa/.*.tmp"))  # no half-written file left behind
