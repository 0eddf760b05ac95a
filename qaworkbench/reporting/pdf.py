"""A PDF beside the HTML for e-mail: the page printed by headless Chromium (its print styles:
no table of contents, whole rows, headers repeated), so the PDF is what the browser shows."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import QAWError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
        "--disable-background-networking", "--disable-component-update", "--no-pdf-header-footer"]  # fmt: skip


def chromium() -> str:
    """The Chromium executable, or a clear error saying how to install it."""
    for name in CHROMIUM_NAMES:
        if path := shutil.which(name):
            return path
    raise QAWError("a PDF needs Chromium: run `make browser` (Debian's chromium package)")


def print_pdf(html: Path, pdf: Path, timeout: float = 120) -> Path:
    """Print ``html`` to ``pdf`` (A4) with headless Chromium; QAWError naming the file on failure."""
    cmd = [chromium(), *ARGS, f"--print-to-pdf={pdf}", html.resolve().as_uri()]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise QAWError(f"{html}: Chromium did not print a PDF within {timeout:g} s") from None
    if r.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        last = (r.stderr.strip().splitlines() or ["no message"])[-1]
        raise QAWError(f"{html}: Chromium could not print a PDF (exit {r.returncode}: {last})")
    return pdf
