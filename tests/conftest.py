"""Shared fixtures: a small real demo center on disk, and helpers to write real files."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import configuration as hypothesis_configuration
from hypothesis import settings as hypothesis_settings

from qaworkbench.data.load import save_center
from qaworkbench.demo import DemoSpec, build

from .rows import CONTACT_HEADER, contact_row  # noqa: F401  (the tests import them from here)

ROOT = Path(__file__).resolve().parents[1]
PWC = Path(__file__).resolve().parents[2] / "shared" / "data" / "external" / "pwc-call-center"
PWC_CSV = PWC / "Call-Center-Dataset.csv"
# The real third-party export sits beside the checkout (../shared), never in it.
needs_pwc = pytest.mark.skipif(not PWC_CSV.exists(), reason=f"needs {PWC_CSV} (../shared)")

SMALL = DemoSpec(
    agents=24, teams=4, chat_teams=1, months=2, contacts_per_day=12, evaluators=3, qa_rate=0.03
)


# Debian's Chromium, driven by Playwright in the page and dashboard tests (`make browser`).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="needs Chromium: `make browser` installs it"
)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for the module's tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# Hypothesis keeps its example database and caches under .hypothesis/ in the working folder:
# in a temporary folder instead, so the tests never write into the checkout.
hypothesis_configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="qaw-hypothesis-"))
hypothesis_settings.register_profile("qaw", database=None)
hypothesis_settings.load_profile("qaw")


@pytest.fixture(scope="session")
def small_tables() -> dict[str, pd.DataFrame]:
    """Every table of a small demo center (24 agents, 2 months)."""
    return build(SMALL)


@pytest.fixture(scope="session")
def small_dir(tmp_path_factory, small_tables) -> Path:
    """The small demo center written as Parquet files (treat as read-only)."""
    d = tmp_path_factory.mktemp("small_center")
    save_center(small_tables, d)
    return d


DASHBOARD_MONTH = "2026-06"  # the small center's default month


@pytest.fixture(scope="session")
def dashboard_dir(tmp_path_factory, small_dir) -> Path:
    """The small center with what a quality meeting and a coaching talk turn on (treat as
    read-only): its attitude complaint upheld (a bottom-line case: the agent is frozen), one
    evaluation's bottom-line item 泄露客户信息 failed in DASHBOARD_MONTH, and that month's
    auto-QA results (``qaw autoqa``)."""
    import sys

    d = tmp_path_factory.mktemp("dashboard_center") / "center"
    shutil.copytree(small_dir, d)
    c = pd.read_parquet(d / "complaints.parquet")
    c["upheld"] = pd.array([True] * len(c), dtype="boolean")
    c.to_parquet(d / "complaints.parquet")
    ev = pd.read_parquet(d / "evaluations.parquet")
    items = pd.read_parquet(d / "evaluation_items.parquet")
    month = ev.loc[ev["evaluated_at"].dt.strftime("%Y-%m") == DASHBOARD_MONTH, "evaluation_id"]
    other = ev.loc[ev["agent_id"].isin(c["agent_id"]), "evaluation_id"]  # another agent's
    crt = items[(items["item_id"] == "CRT02") & items["evaluation_id"].isin(month)
                & ~items["evaluation_id"].isin(other)]  # fmt: skip
    items.loc[crt.index[0], "result"] = "fail"
    items.to_parquet(d / "evaluation_items.parquet")
    subprocess.run([sys.executable, "-m", "qaworkbench.cli", "autoqa", "--month", DASHBOARD_MONTH,
                    "--data", str(d)], check=True, capture_output=True, cwd=ROOT)  # fmt: skip
    return d


def write_csv(
    path: Path, rows: list[list[object]], encoding: str = "utf-8", sep: str = ","
) -> Path:
    """Write rows (the first is the header) as a CSV in the given encoding and delimiter."""
    text = "\r\n".join(sep.join("" if v is None else str(v) for v in r) for r in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


# No test writes into the checkout: what git sees as new (untracked or ignored) after the
# suite, that was not there before it, fails the run. Byte-code caches are the exception.
_BEFORE: set[str] = set()


def _untracked() -> set[str]:
    """Untracked and ignored paths of the checkout (whole new folders as one entry)."""
    r = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=normal", "--ignored=traditional"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if r.returncode:  # not a git checkout (an sdist): nothing to compare
        return set()
    paths = {line[3:] for line in r.stdout.splitlines() if line[:2] in ("??", "!!")}
    return {p for p in paths if not any(c in p for c in ("__pycache__", ".pytest_cache"))}


def _is_worker(session: pytest.Session) -> bool:
    """A pytest-xdist worker: the check runs once, in the process that started the workers
    (before the first test and after the last)."""
    return hasattr(session.config, "workerinput")


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """Mark a test whose call failed (``item.stash[FAILED]``), for fixtures that then say
    more in their teardown (e.g. the dashboards' server logs)."""
    outcome = yield
    if call.when == "call" and outcome.get_result().failed:
        item.stash[FAILED] = True


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _is_worker(session):
        _BEFORE.update(_untracked())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _is_worker(session):
        return
    new = sorted(_untracked() - _BEFORE)
    if new:
        print("\nThe tests wrote into the checkout (use tmp_path):\n  " + "\n  ".join(new))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def autoqa_center(src: Path, dest: Path, month: str = "2026-06"):
    """A copy of center ``src`` at ``dest`` with ``month``'s auto-QA results beside its data
    (the shipped rules); returns (dest, the results)."""
    from qaworkbench.autoqa import check_month, load_ruleset, results_path, save_results
    from qaworkbench.periods import parse_period

    shutil.copytree(src, dest)
    rules, p = load_ruleset("hotline"), parse_period(month)
    res = check_month(dest, p, rules)
    save_results(res, results_path(dest, p), rules)
    return dest, res


def _center_dir(tmp_path_factory, spec: DemoSpec, name: str) -> Path:
    d = tmp_path_factory.mktemp(name)
    save_center(build(spec), d)
    return d


@pytest.fixture(scope="session")
def voice_only_dir(tmp_path_factory) -> Path:
    """A small center that takes calls only (no chat team, no chat messages)."""
    return _center_dir(tmp_path_factory, replace(SMALL, agents=12, teams=2, chat_teams=0), "voice")


@pytest.fixture(scope="session")
def chat_only_dir(tmp_path_factory) -> Path:
    """A small center that serves online chat only (every team a chat team, no calls)."""
    return _center_dir(tmp_path_factory, replace(SMALL, agents=12, teams=2, chat_teams=2), "chat")
