"""Regenerate the documentation's screenshots from the demo center (`make screenshots`).

Publishes the demo's weekly report (2026-W43, with the samples the demo's QA team worked from) in both
languages into a temporary folder and photographs page one in Debian's Chromium through
Playwright, at the 1280-pixel width the report pages are tested at; then serves the coaching
dashboard (`qaw dashboard coaching`, on a free local port with a one-off token) and photographs
it open on one agent and month. Writes ``weekly-page-one-zh.png``, ``weekly-page-one-en.png``
and ``coaching-zh.png`` under ``--out``.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
WEEK, MONTH, AGENT = "2026-W43", "2026-10", "A0003"


def _serve_coaching(data: str, tmp: Path) -> tuple[subprocess.Popen, str]:
    """`qaw dashboard coaching` on a free port; returns the process and the page's link."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(8)
    proc = subprocess.Popen(
        [sys.executable, "-m", "qaworkbench.cli", "dashboard", "coaching", "--data", data,
         "--port", str(port), "--token", token, "--pool-size", "0",
         "--coaching-db", f"sqlite:///{tmp / 'coaching.db'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/"
    for _ in range(120):  # at most 60 s for the server to answer
        try:
            urllib.request.urlopen(base + "api/status", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.5)
    return proc, f"{base}?agent={AGENT}&month={MONTH}&token={token}"


def main(argv: list[str] | None = None) -> None:
    """Publish the weekly report of the demo center and photograph its page one."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "demo"), help="the demo center")
    ap.add_argument("--out", default=str(ROOT / "docs" / "assets" / "screenshots"))
    ap.add_argument("--samples", default=str(ROOT / "reports" / "samples"),
                    help="the samples `qaw demo` kept (make demo: reports/samples)")  # fmt: skip
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from qaworkbench.reporting.runner import run_report

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qaw-shots-") as tmp:
        reports = Path(tmp)
        kept = Path(args.samples)
        if (kept / MONTH / "sample.csv").exists():  # the samples the demo's QA team worked from
            shutil.copytree(kept, reports / "samples")
        else:  # drawn now, after the month's evaluations: its completion reads low
            subprocess.run(
                [sys.executable, "-m", "qaworkbench.cli", "sample", "--month", MONTH,
                 "--data", args.data, "--out", str(reports / "samples" / MONTH)],
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for lang in ("zh", "en"):
                pub = run_report("weekly", WEEK, data=args.data, language=lang, reports_dir=reports)
                page.goto(pub.html.as_uri())
                page.wait_for_load_state("networkidle")
                shot = out / f"weekly-page-one-{lang}.png"
                page.screenshot(path=str(shot))
                print(f"{shot} ({shot.stat().st_size // 1024} KB)")
            proc, link = _serve_coaching(args.data, reports)
            try:
                page.goto(link, timeout=120_000)
                page.wait_for_selector("#agent-title", timeout=180_000)
                page.wait_for_timeout(1000)
                shot = out / "coaching-zh.png"
                page.screenshot(path=str(shot))
                print(f"{shot} ({shot.stat().st_size // 1024} KB)")
            finally:
                proc.terminate()
                proc.wait(timeout=60)
            browser.close()


if __name__ == "__main__":
    main()
