"""MkDocs hooks: pages merged later leave the nav until they exist; the CLI reference is generated
(in English, and in Chinese from docs_build/cli.zh.yaml).

Registered in mkdocs.yml (``hooks:``). Runs inside ``mkdocs build``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the checkout's package and docs_build, also without an install
    sys.path.insert(0, str(ROOT))

# Pages written on other branches: in the nav when they exist, left out (no warning) until then.
OPTIONAL_PAGES = {
    "autoqa-review.md",
    "autoqa-learned.md",
    "complaints.md",
    "scale.md",
    "dashboards.md",
}
CLI_MARK = "<!-- cli-reference -->"
log = logging.getLogger("mkdocs.hooks.cli_reference")


def _prune(nav: list, docs: Path) -> list:
    """The nav without the optional pages that are not in ``docs`` yet."""
    out = []
    for entry in nav:
        target = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(target, list):
            target = _prune(target, docs)
            entry = {next(iter(entry)): target} if isinstance(entry, dict) else target
        elif target in OPTIONAL_PAGES and not (docs / target).exists():
            continue
        out.append(entry)
    return out


@event_priority(100)  # before the i18n plugin copies the nav for each language
def on_config(config):
    """Drop absent optional pages from the nav."""
    config["nav"] = _prune(config["nav"], Path(config["docs_dir"]))
    return config


def page_language(page) -> str:
    """A page's language: the mkdocs-static-i18n plugin's ``file.locale`` (``zh`` for a
    ``X.zh.md`` page, the default ``en`` otherwise), else the file name's suffix."""
    locale = getattr(page.file, "locale", None)
    if locale:
        return str(locale)
    return "zh" if page.file.src_uri.endswith(".zh.md") else "en"


def on_page_markdown(markdown, page, config, files):
    """Put the generated command reference where a page asks for it, in the page's language.

    On the Chinese page the texts come from docs_build/cli.zh.yaml; a missing or stale
    translation is a warning (an error in ``mkdocs build --strict``), naming what to translate.
    """
    if CLI_MARK in markdown:
        from docs_build import cli_reference

        if page_language(page) == "zh":
            for problem in cli_reference.zh_problems():
                log.warning("docs_build/cli.zh.yaml: %s", problem)
            markdown = markdown.replace(CLI_MARK, cli_reference.markdown_zh())
        else:
            markdown = markdown.replace(CLI_MARK, cli_reference.markdown())
    return markdown
