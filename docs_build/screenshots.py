"""Regenerate the documentation's screenshots from the demo center (`make screenshots`).

Publishes the demo's weekly report (2026-W43, after the month's sample is drawn) in both
languages into a temporary folder and photographs page one in Debian's Chromium through
Playwright, at the 1280-pixel width the report pages are tested at. Writes
``weekly-page-one-zh.png`` and ``weekly-page-one-en.png`` under ``--out``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
WEEK, MONTH = "2026-W43", "2026-10"


def main(argv: list[str] | None = None) -> None:
    """Publish the weekly report of the demo center and photograph its page one."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "demo"), help="the demo center")
    ap.add_argument("--out", default=str(ROOT / "docs" / "assets" / "screenshots"))
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from qaworkbench.reporting.runner import run_report

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qaw-shots-") as tmp:
        reports = Path(tmp)
        sample = reports / "samples" / MONTH
        subprocess.run(
            [sys.executable, "-m", "qaworkbench.cli", "sample", "--month", MONTH,
             "--data", args.data, "--out", str(sample)],
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
            browser.close()


if __name__ == "__main__":
    main()
