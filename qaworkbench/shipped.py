"""Where the templates and notebooks shipped with the package are.

An installed wheel carries them as package data in ``qaworkbench/_shipped/`` (``setup.py``
copies the repository's top-level ``templates/`` and ``notebooks/`` there when it builds the
wheel). A source checkout (an editable install, or ``PYTHONPATH`` on the clone) has no
``_shipped/``: its ``templates/`` and ``notebooks/`` beside the package are the shipped ones.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

from .errors import ConfigError

# The kinds of template, one folder each under templates/ (nbconvert: the report page's HTML).
TEMPLATE_KINDS = (
    "scorecards", "sampling", "mappings", "autoqa", "penalties", "pay", "privacy",
)  # fmt: skip


@functools.cache
def shipped_root() -> Path:
    """The folder holding the shipped ``templates/`` and ``notebooks/``: the package's
    ``_shipped/`` when installed from a wheel, else the source checkout the package is in."""
    package = Path(str(files("qaworkbench")))
    inside = package / "_shipped"
    if (inside / "templates").is_dir():
        return inside
    if source_checkout() is not None:
        return package.parent
    raise ConfigError(
        f"{inside}: the shipped templates and notebooks are missing; reinstall qaworkbench "
        "from a wheel built by its setup.py (uv build), or run it from a clone"
    )


@functools.cache
def source_checkout() -> Path | None:
    """The repository clone the package is imported from (its root), or None when the
    package is installed (a wheel in site-packages)."""
    root = Path(str(files("qaworkbench"))).parent
    markers = (root / "pyproject.toml", root / "templates", root / "notebooks")
    return root if all(m.exists() for m in markers) else None


def templates_dir() -> Path:
    """The shipped ``templates/`` folder."""
    return shipped_root() / "templates"


def notebooks_dir() -> Path:
    """The shipped ``notebooks/`` folder (``reports/``, ``dashboards/``, ``exploratory/``)."""
    return shipped_root() / "notebooks"


def shipped_templates(kind: str) -> dict[str, Path]:
    """The shipped templates of ``kind`` (a ``TEMPLATE_KINDS`` folder), by name (file stem)."""
    return {p.stem: p for p in sorted((templates_dir() / kind).glob("*.yaml"))}
