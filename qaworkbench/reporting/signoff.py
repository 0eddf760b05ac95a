"""Draft and sign-off: "每周一质检报告由中心确认后，进行公示" (hotline code).

A report run with ``draft`` is filed beside the published one (``…/center/zh-draft``),
marked 待确认 on the page and in the index. ``approve`` records who signed it off and when,
takes the mark off and makes it the published version; the previous published version is
kept among the versions, as after any run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path

from ..errors import QAWError

DRAFT_SUFFIX = "-draft"
# The mark on a draft's page, between comments so that sign-off takes it off whole.
_MARK = re.compile(r"<!--qaw-draft-->.*?<!--/qaw-draft-->", re.S)
MARK_TEXT = {
    "zh": "待确认：本报告为草稿，经中心确认后公示。",
    "en": "Draft awaiting sign-off: published once the center has confirmed it.",
}


def draft_mark(page: str, language: str) -> str:
    """``page`` with the draft mark at the top of its body."""
    mark = (
        '<!--qaw-draft--><div class="qaw-draft" style="background:#fff3cd;border:1px solid '
        '#e0c36a;padding:0.5em 1em;margin:0.5em 2em;font-weight:bold">'
        f"{MARK_TEXT[language]}</div><!--/qaw-draft-->"
    )
    return page.replace("<main>", "<main>" + mark, 1)


def draft_link(reports_dir: Path, kind: str, period: str, scope: str, language: str) -> Path:
    """Where the draft of a variant is filed."""
    from .runner import _segment

    return reports_dir / kind / period / _segment(scope or "center") / f"{language}{DRAFT_SUFFIX}"


def approve(
    kind: str,
    period: str,
    *,
    by: str,
    team: str = "",
    language: str = "zh",
    reports_dir: str | Path | None = None,
) -> Path:
    """Sign off the draft of a report: the published version becomes the draft's pages without
    the mark, with ``approved_by`` and ``approved_at`` in its run.json; the draft link goes.
    Returns the published link. QAWError when there is no draft or no name to sign with."""
    from ..settings import get
    from .index import write_index
    from .runner import _publish

    if not by.strip():
        raise QAWError("a sign-off needs the name of who signs it (--by)")
    reports_dir = Path(get("reports", reports_dir)).absolute()
    link = draft_link(reports_dir, kind, period, team, language)
    if not link.is_symlink():
        raise QAWError(
            f"no draft of the {kind} report {period} ({team or 'center'}, {language}) under "
            f"{reports_dir}: run `qaw report {kind} --period {period} --draft` first"
        )
    source = link.resolve()
    staging = reports_dir / ".staging" / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    staging.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, staging)
    try:
        page = (staging / "report.html").read_text(encoding="utf-8")
        (staging / "report.html").write_text(_MARK.sub("", page), encoding="utf-8")
        if (staging / "report.pdf").exists():  # the printed copy loses the mark too
            from .pdf import print_pdf

            print_pdf(staging / "report.html", staging / "report.pdf")
        run = json.loads((staging / "run.json").read_text(encoding="utf-8"))
        run |= {"status": "published", "approved_by": by.strip(),
                "approved_at": time.strftime("%Y-%m-%d %H:%M"), "draft_run_id": run["run_id"]}  # fmt: skip
        (staging / "run.json").write_text(json.dumps(run, ensure_ascii=False, indent=2), "utf-8")
        published = _publish(staging, reports_dir, kind, period, team, language)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    os.unlink(link)
    write_index(reports_dir)
    return published
