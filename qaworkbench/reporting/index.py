"""The index of published reports: ``reports/index.html`` (Chinese) and ``index.en.html``."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from .. import config
from ..order import natural_key
from ..periods import parse_period
from . import contents


def write_index(reports_dir: str | Path | None = None) -> Path:
    """The index of every published report variant and draft, newest period first, each with
    its state (待确认, published, signed off by whom): ``index.html`` in Chinese and
    ``index.en.html`` in English, each linking to the other. ``reports_dir``: the workspace's
    reports folder when None (as it is when called, not when the module was imported)."""
    from .i18n import t

    reports_dir = Path(reports_dir or config.REPORTS_DIR)
    runs = []
    for kind in contents.KINDS:
        d = reports_dir / kind
        if d.exists():
            for link in d.rglob("*"):
                if link.is_symlink() and (link / "run.json").exists():
                    runs.append((link, json.loads((link / "run.json").read_text(encoding="utf-8"))))

    def scope(run: dict) -> str:
        return run["parameters"].get("agent_id") or run["parameters"].get("team") or ""

    runs.sort(
        key=lambda r: (r[1]["kind"], natural_key(scope(r[1])), r[1]["parameters"]["language"])
    )
    runs.sort(key=lambda r: r[1]["period"], reverse=True)  # newest first, each period in order
    for lang, name, other in (
        ("zh", "index.html", "index.en.html"),
        ("en", "index.en.html", "index.html"),
    ):
        rows = []
        for link, run in runs:
            # a team or agent name in the path: URL-quoted (#, ?, %), then escaped for the attribute
            rel = html.escape(quote(link.relative_to(reports_dir).as_posix()), quote=True)
            p = run["parameters"]
            rows.append(
                f"<tr><td>{html.escape(t(run['kind'], lang))}</td>"
                f"<td><a href='{rel}/report.html'>{html.escape(_period_label(run['period']))}</a></td>"
                f"<td>{html.escape(scope(run) or t('center', lang))}</td><td>{html.escape(t('lang_' + p.get('language', 'zh'), lang))}</td>"
                f"<td>{html.escape(run.get('published_at', run['run_id']))}</td>"
                f"<td>{html.escape(_state(run, lang))}</td>"
                f"<td><a href='{rel}/appendix.xlsx'>xlsx</a> · <a href='{rel}/report.ipynb'>ipynb</a>"
                + (f" · <a href='{rel}/report.pdf'>pdf</a>" if (link / "report.pdf").exists() else "")
                + "</td></tr>"
            )  # fmt: skip
        head = "".join(
            f"<th>{t(k, lang)}</th>"
            for k in ("report", "period", "scope", "language", "published", "state", "files")
        )
        page = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{t('reports_index', lang)}</title>"
                "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}</style></head>"
                f"<body><h1>{t('reports_index', lang)}</h1><p><a href='{other}'>{t('other_language', lang)}</a></p>"
                f"<table><tr>{head}</tr>" + "".join(rows) + "</table></body></html>")  # fmt: skip
        tmp = reports_dir / f".{name}.tmp"
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, reports_dir / name)
    return reports_dir / "index.html"


def _state(run: dict, lang: str) -> str:
    """A draft is 待确认; a signed-off report says who confirmed it and when."""
    from .i18n import say, t

    if run.get("status") == "draft":
        return t("state_draft", lang)
    if run.get("approved_by"):
        return say("state_approved", lang, by=run["approved_by"], at=run.get("approved_at", ""))
    return t("state_published", lang)


def _period_label(period: str) -> str:
    """A month as it is; a week with its dates: 2026-W43 (10-19 – 10-25)."""
    p = parse_period(period)
    if p.kind != "week":
        return period
    return f"{period} ({p.start:%m-%d} – {p.end - pd.Timedelta(days=1):%m-%d})"
