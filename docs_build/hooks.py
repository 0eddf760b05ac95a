"""MkDocs hooks: pages merged later leave the nav until they exist; the CLI reference is generated.

Registered in mkdocs.yml (``hooks:``). Runs inside ``mkdocs build``.
"""

from __future__ import annotations

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


def on_page_markdown(markdown, page, config, files):
    """Put the generated command reference where a page asks for it."""
    if CLI_MARK in markdown:
        from docs_build.cli_reference import markdown as cli_markdown

        markdown = markdown.replace(CLI_MARK, cli_markdown())
    return markdown
