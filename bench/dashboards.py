"""Dashboard timings in a real browser: first render and selection change, median of runs.

Usage: python bench/dashboards.py DATA_DIR [--runs N] [--loads M]. Serves the coaching
dashboard on DATA_DIR (its session cache built first, as after any first visit) and a bare
one-widget Voila notebook, and drives both with headless Chromium. With ``--loads M`` it
instead opens the coaching page M times in a row and counts the loads that never complete
within 45 s (the stall fixed by ``dashboard.show``).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def serve(notebook: Path | str, data: str) -> tuple[subprocess.Popen, str]:
    """Serve a dashboard by name as ``qaw dashboard`` does, or a notebook file with Voila's
    defaults."""
    from qaworkbench.dashboards.server import voila_command

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(
        os.environ, QAW_DASHBOARD_DATA=data, QAW_COACHING_DB="sqlite:////tmp/qaw-bench-coaching.db"
    )
    if isinstance(notebook, str):
        cmd = voila_command(notebook, port=port)
    else:
        cmd = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1", "--Voila.token="]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "api/status", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.5)
    return proc, url


def repeated_loads(url: str, loads: int) -> None:
    """Open the page ``loads`` times; print the median load and the loads that never complete."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    done, stalled = [], 0
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for _ in range(loads):
            page = b.new_page()
            t = time.perf_counter()
            try:
                page.goto(url + "?agent=A0005", timeout=45_000, wait_until="commit")
                page.wait_for_selector("#agent-title", timeout=45_000)
                done.append(time.perf_counter() - t)
            except PlaywrightTimeout:
                stalled += 1
            page.close()
        b.close()
    rest = (f"; the others median {statistics.median(done):.2f} s "
            f"({min(done):.2f}–{max(done):.2f})" if done else "")  # fmt: skip
    print(f"{loads} loads: {stalled} never completed within 45 s{rest}")


def main() -> None:
    from playwright.sync_api import sync_playwright

    from qaworkbench.dashboards.views import DashboardData

    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--loads", type=int, default=0)
    a = ap.parse_args()
    a.data = str(Path(a.data).resolve())  # kernels run in the notebook's folder
    t = time.perf_counter()
    DashboardData.cached(a.data)
    print(f"session cache built in {time.perf_counter() - t:.1f} s")
    coach, coach_url = serve("coaching", a.data)  # with the production flags
    if a.loads:
        try:
            repeated_loads(coach_url, a.loads)
        finally:
            coach.terminate()
        return
    bare, bare_url = serve(ROOT / "bench" / "bare_voila.ipynb", a.data)
    first, bare_first, change = [], [], []
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for _ in range(a.runs):
                for url, sink in ((bare_url, bare_first), (coach_url, first)):
                    page = b.new_page()
                    t = time.perf_counter()
                    page.goto(url, timeout=120_000, wait_until="commit")
                    page.wait_for_selector("#agent-title", timeout=120_000)
                    sink.append(time.perf_counter() - t)
                    if url == coach_url:
                        agent = page.locator("select").nth(1)
                        for label in agent.locator("option").all_inner_texts()[1:4]:
                            t = time.perf_counter()
                            agent.select_option(label=label)
                            page.wait_for_function(
                                "(a) => document.querySelector('#agent-title').innerText.startsWith(a)",
                                arg=label.split()[0], timeout=60_000,
                            )  # fmt: skip
                            change.append(time.perf_counter() - t)
                    page.close()
            b.close()
    finally:
        coach.terminate()
        bare.terminate()
    md = statistics.median
    print("| data | first render, coaching (s) | floor: bare Voila notebook, first render (s) | "
          "× floor | selection change (ms) |")  # fmt: skip
    print(f"| {a.data} | {md(first):.2f} ({min(first):.2f}–{max(first):.2f}) | {md(bare_first):.2f} | "
          f"{md(first) / md(bare_first):.1f} | {md(change) * 1000:.0f} "
          f"({min(change) * 1000:.0f}–{max(change) * 1000:.0f}) |")  # fmt: skip


if __name__ == "__main__":
    main()
