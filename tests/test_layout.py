"""The package reads as the QA loop: stage packages import only what is below them, and a
long module says why it is long."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "qaworkbench"

# Shared by every stage (flat modules at the top), then the stages in the order of the loop.
SHARED = {
    "_version",
    "config",
    "errors",
    "frames",
    "order",
    "yamlconf",
    "stats",
    "privacy",
    "spreadsheet",
    "periods",
    "shipped",  # where the shipped templates and notebooks are
    "workspace",  # the center's workspace: qaw.yaml, template lookup
    "settings",  # flag, environment, qaw.yaml, default
}
STAGES = ["data", "scoring", "autoqa", "sampling", "coaching", "reporting", "dashboards"]
TOP = {
    "demo",
    "demo_conversations",
    "demo_sample",
    "cli",
    "",
}  # "" is qaworkbench/__init__.py, the public API


def _modules() -> dict[str, Path]:
    out = {}
    for p in PACKAGE.rglob("*.py"):
        parts = list(p.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def _imports(name: str, path: Path) -> set[str]:
    """The package modules ``name`` imports (relative to the package, '' for its __init__)."""
    here = name.split(".") if name else []
    if path.name != "__init__.py":
        here = here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif (node.module or "").startswith("qaworkbench"):
                target = node.module.split(".")[1:]
            else:
                continue
            for alias in node.names:  # "from . import x" imports the module x
                sub = [*target, alias.name]
                is_module = (PACKAGE.joinpath(*sub).with_suffix(".py")).exists() or (
                    PACKAGE.joinpath(*sub).is_dir()
                )
                found.add(".".join(sub if is_module else target))
        elif isinstance(node, ast.Import):
            found |= {
                ".".join(a.name.split(".")[1:])
                for a in node.names
                if a.name.startswith("qaworkbench")
            }
    return found


def _rank(module: str) -> int:
    head = module.split(".")[0]
    if head in SHARED:
        return 0
    if head in STAGES:
        return 1 + STAGES.index(head)
    assert head in TOP, f"qaworkbench/{head} is neither shared, a stage nor the top: add it here"
    return len(STAGES) + 1


def test_the_layers_are_known():
    assert len(_modules()) > 40
    for name in _modules():
        _rank(name)


@pytest.mark.parametrize("name", sorted(_modules()))
def test_imports_point_down_the_loop(name):
    """A stage imports the shared modules, itself and the stages before it; never a later one
    (so no stage imports the CLI, the reporting or the dashboards); shared modules import
    shared modules only."""
    path = _modules()[name]
    for dep in _imports(name, path):
        assert not _upward(name, dep), (
            f"qaworkbench/{path.relative_to(PACKAGE)} imports {dep}: an arrow up the loop"
        )


def _upward(name: str, dep: str) -> bool:
    """Whether module ``name`` importing ``dep`` points up the loop (or into the CLI)."""
    if dep.split(".")[0] == name.split(".")[0] or dep == "":
        return dep == "" and name != ""  # within one package; the API imports nothing back
    if dep == "cli":
        return True
    return _rank(dep) > _rank(name)


def test_the_checker_sees_an_upward_import(tmp_path):
    """The check above can fail: a data module importing reporting is caught."""
    bad = tmp_path / "data" / "x.py"
    bad.parent.mkdir()
    bad.write_text("from ..reporting import contents\nfrom . import schema\nfrom .. import cli\n")
    assert _imports("data.x", bad) == {"reporting.contents", "data.schema", "cli"}
    assert _upward("data.x", "reporting.contents") and _upward("data.x", "cli")
    assert _upward("scoring.x", "sampling.draw") and _upward("stats", "data.load")
    assert _upward("data.load", "")  # the public API imports the stages, not the reverse
    assert not _upward("sampling.draw", "scoring.history") and not _upward("data.x", "data.schema")
    assert not _upward("demo", "scoring.scorecard") and not _upward("periods", "errors")


@pytest.mark.parametrize("name", sorted(_modules()))
def test_a_long_module_says_why(name):
    path = _modules()[name]
    text = path.read_text(encoding="utf-8")
    if len(text.splitlines()) <= 500:
        return
    doc = ast.get_docstring(ast.parse(text)) or ""
    assert "Why this module is long:" in doc, f"{path.name}: over 500 lines, no reason given"


def test_duckdb_connections_are_opened_in_one_place():
    """Every DuckDB connection comes from ``data.duck.connect``: a thread per usable core and no
    progress bar (DuckDB draws one on stdout for a query over ~2 s, into logs and cron mail)."""
    opened = {
        name: path.name
        for name, path in _modules().items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "connect"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "duckdb"
    }
    assert set(opened) == {"data.duck"}, opened
    import os

    from qaworkbench.data import duck

    con = duck.connect()
    for c in (con, con.cursor()):  # (a cursor, as sampling scans with, keeps the settings)
        got = c.execute("SELECT current_setting('enable_progress_bar'), current_setting('threads')")
        assert got.fetchone() == (False, duck.usable_cores())
    assert 1 <= duck.usable_cores() <= len(os.sched_getaffinity(0))
    # a cgroup's quota caps the cores seen (v2, then v1); no quota, or a bad file: no cap
    assert duck.cores_allowed(64, "200000 100000", None, None) == 2
    assert duck.cores_allowed(64, "150000 100000", None, None) == 2  # 1.5 CPUs: 2 threads
    assert duck.cores_allowed(64, "max 100000", "-1", "100000") == 64
    assert duck.cores_allowed(64, None, "400000", "100000") == 4
    assert duck.cores_allowed(2, "800000 100000", None, None) == 2
    assert duck.cores_allowed(8, "garbled", None, None) == 8
    assert duck.cores_allowed(1, "50000 100000", None, None) == 1
