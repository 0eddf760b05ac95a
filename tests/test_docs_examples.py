"""Every shell and Python example of the documentation runs, so the docs cannot go stale.

Each page's ```bash and ```python blocks run in order in a fresh copy of a temporary workspace
(`qaw init`) holding a small demo center (24 agents, 6 months: the months and weeks the docs
name) and the sample files of docs/samples/ in samples/. A page that starts with
``<!-- docs-examples: workspace=empty -->`` runs without the demo. A block preceded by
``<!-- skip: why -->`` is not run; there must be few of those.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qaworkbench.config import PROJ_ROOT

DOCS = PROJ_ROOT / "docs"
RUN = {"bash", "sh", "shell", "python"}
MAX_SKIPPED = 5  # install and `make` blocks, servers, STC-3 bench, a Spark cluster (each once)
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)


def blocks(page: Path) -> list[tuple[str, str, str | None, int]]:
    """(language, code, skip reason or None, line) of every fenced block of a page."""
    text = page.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        before = text[: m.start()].rstrip().splitlines()
        skip = re.fullmatch(r"<!-- skip: (.+) -->", before[-1].strip()) if before else None
        line = text.count("\n", 0, m.start()) + 1
        out.append((m.group(1), m.group(2), skip.group(1) if skip else None, line))
    return out


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "samples" not in p.parts)


def _runnable(page: Path) -> list[tuple[str, str, int]]:
    return [
        (lang, code, line) for lang, code, skip, line in blocks(page) if lang in RUN and not skip
    ]


def _bare(code: str) -> str:
    """A block's code without its comments (``#`` lines and trailing ``  # …``)."""
    return "\n".join(ln.split(" #")[0].rstrip() for ln in code.splitlines()
                     if not ln.strip().startswith("#"))  # fmt: skip


def _same_code(page: Path) -> tuple[str, ...]:
    """The page's runnable blocks without their comments: a Chinese page whose commands are its
    English page's (only the comments translated) runs them once."""
    return tuple(_bare(code) for _, code, _ in _runnable(page))


ALL_EXAMPLE_PAGES = [p for p in pages() if _runnable(p)]
EXAMPLE_PAGES = list({_same_code(p): p for p in reversed(ALL_EXAMPLE_PAGES)}.values())[::-1]


@pytest.fixture(scope="module")
def tools(tmp_path_factory) -> dict[str, str]:
    """The environment the examples run in: `qaw` on PATH (this checkout's), its venv's tools."""
    bin_dir = tmp_path_factory.mktemp("bin")
    qaw = bin_dir / "qaw"
    qaw.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m qaworkbench.cli "$@"\n')
    qaw.chmod(0o755)
    path = f"{bin_dir}:{Path(sys.executable).parent}:{os.environ['PATH']}"
    return {**os.environ, "PATH": path, "PYTHONPATH": str(PROJ_ROOT), "QAW_WORKSPACE": ""}


def _init(where: Path, env: dict[str, str], demo: bool) -> Path:
    subprocess.run(["qaw", "init", "center"], cwd=where, env=env, check=True, capture_output=True)
    ws = where / "center"
    if demo:
        subprocess.run(
            ["qaw", "demo", "--agents", "24", "--teams", "4", "--chat-teams", "1", "--evaluators", "3",
             "--months", "6", "--contacts-per-day", "12"],
            cwd=ws, env=env, check=True, capture_output=True,
        )  # fmt: skip
    shutil.copytree(DOCS / "samples", ws / "samples")
    return ws


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory, tools) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("docs-ws")
    (base / "demo").mkdir()
    (base / "empty").mkdir()
    return {"demo": _init(base / "demo", tools, True), "empty": _init(base / "empty", tools, False)}


def test_every_example_is_run_or_says_why_not():
    skipped = [(p.name, line, why) for p in pages() for lang, _, why, line in blocks(p) if why]
    # a Chinese page's copy of a skipped English block (only its comments translated) is
    # the same skip, counted once
    distinct = {_bare(code) for p in pages() for _, code, why, _ in blocks(p) if why}
    assert len(distinct) <= MAX_SKIPPED, skipped
    assert all(len(why) > 20 for _, _, why in skipped), skipped
    assert len(ALL_EXAMPLE_PAGES) >= 14  # six steps and the six guides, in both languages
    # a page left out of the run has the very commands of one that runs
    ran = {_same_code(p) for p in EXAMPLE_PAGES}
    assert all(_same_code(p) in ran for p in ALL_EXAMPLE_PAGES)
    # every fenced block says its language, so none escapes the run by having none
    untagged = [(p.name, line) for p in pages() for lang, _, _, line in blocks(p) if not lang]
    assert not untagged, untagged


@pytest.mark.slow
@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_examples_run(page, workspaces, tools, tmp_path):
    kind = (
        "empty" if "docs-examples: workspace=empty" in page.read_text(encoding="utf-8") else "demo"
    )
    ws = tmp_path / "center"
    shutil.copytree(workspaces[kind], ws)
    for lang, code, line in _runnable(page):
        cmd = (
            [sys.executable, "-c", code]
            if lang == "python"
            else ["bash", "-euo", "pipefail", "-c", code]
        )
        run = subprocess.run(cmd, cwd=ws, env=tools, capture_output=True, text=True, timeout=300)
        where = f"{page.relative_to(DOCS)}, line {line}"
        assert run.returncode == 0, (
            f"{where}:\n{code}\n--- stdout\n{run.stdout[-2000:]}\n--- stderr\n{run.stderr[-3000:]}"
        )
        stderr = _KERNEL_SHUTDOWN_RACE.sub("", run.stderr)
        assert "Traceback" not in stderr, f"{where}: {run.stderr[-2000:]}"


# A papermill kernel, shutting down, may log one traceback from its control thread: flushing
# stdout after the event pipe's socket closed (ipykernel 7.4; its PR #1518 silenced the same
# race on the iopub send, not on this flush). The notebook ran; nothing of ours is in it. Only
# that exact traceback is let through.
_KERNEL_SHUTDOWN_RACE = re.compile(
    r"ERROR:tornado\.general:Uncaught exception in ZMQStream callback\n"
    r"Traceback \(most recent call last\):\n(?:  .*\n)*?"
    r"(?:.*ipykernel/kernelbase\.py.*process_control\n(?:  .*\n)*?)"
    r"zmq\.error\.ZMQError: Socket operation on non-socket\n"
)


def test_one_sample_file_per_shipped_mapping_loads_through_it():
    from qaworkbench.data.load import load_export

    mappings = sorted(p.stem for p in (PROJ_ROOT / "templates" / "mappings").glob("*.yaml"))
    samples = {p.stem: p for p in (DOCS / "samples").iterdir() if p.stem != "roster"}
    assert sorted(samples) == mappings
    for name in mappings:
        loaded = load_export(samples[name], name)
        for table, (frame, report) in loaded.items():
            assert len(frame) > 0 and report.rejected == 0, (name, table)
    # the Chinese CSV exports are GBK, as their mappings say
    raw = (DOCS / "samples" / "hotline_cn_contacts.csv").read_bytes()
    assert raw.decode("gb18030").startswith("流水号") and not raw.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
