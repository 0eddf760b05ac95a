"""Every setting a command reads, resolved in one order: the command-line flag, then the
environment variable, then the workspace's ``qaw.yaml``, then the default.

Paths from ``qaw.yaml`` and defaults are relative to the workspace folder; paths from a flag or
an environment variable are relative to the current folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .workspace import Workspace, find_workspace


@dataclass(frozen=True)
class Setting:
    """One setting: its ``qaw.yaml`` key (``name``), environment variable, what it holds
    (``path``: a folder or a database URL, relative ones below the workspace; ``text``) and its
    default for a workspace."""

    name: str
    env: str | None
    kind: str
    default: Callable[[Workspace], str]
    help: str


def state_dir(ws: Workspace | None = None) -> Path:
    """The workspace's folder for its own state (the coaching store, caches of data folders
    that cannot be written): ``data/`` of a clone (``QAW_DATA_DIR`` overrides it), else the
    workspace folder."""
    ws = ws or find_workspace()
    if ws.kind == "clone":
        return Path(os.environ.get("QAW_DATA_DIR") or ws.root / "data").absolute()
    return ws.root


def _data_default(ws: Workspace) -> str:
    return str(state_dir(ws) / "demo") if ws.kind == "clone" else str(ws.root / "data")


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("data", "QAW_DATA", "path", _data_default,
                "data folder or database URL"),
        Setting("reports", "QAW_REPORTS_DIR", "path", lambda ws: str(ws.root / "reports"),
                "reports, samples and score tables"),
        Setting("language", "QAW_LANGUAGE", "text", lambda ws: "zh", "zh or en"),
        Setting("sampling_plan", "QAW_SAMPLING_PLAN", "text", lambda ws: "hotline",
                "sampling plan (templates/sampling)"),
        Setting("penalty_code", "QAW_PENALTY_CODE", "text", lambda ws: "cloud_service",
                "penalty code (templates/penalties)"),
        Setting("autoqa_rules", "QAW_AUTOQA_RULES", "text", lambda ws: "hotline",
                "auto-QA rule set (templates/autoqa)"),
        Setting("pay_rules", "QAW_PAY_RULES", "text", lambda ws: "online_team",
                "pay rules (templates/pay)"),
        Setting("privacy_rules", "QAW_PRIVACY_RULES", "text", lambda ws: "default",
                "privacy rules (templates/privacy)"),
        Setting("pseudonym_key_env", None, "text", lambda ws: "QAW_PSEUDONYM_KEY",
                "environment variable holding the pseudonym key"),
        Setting("engine", "QAW_ENGINE", "text", lambda ws: "duckdb", "duckdb or spark"),
        Setting("spark_master", "QAW_SPARK_MASTER", "text", lambda ws: "local[2]",
                "Spark's master URL"),
        Setting("coaching_db", "QAW_COACHING_DB", "path",
                lambda ws: f"sqlite:///{state_dir(ws) / 'coaching.db'}",
                "SQLAlchemy URL of the coaching store"),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Resolved:
    """A setting's value and where it came from (``flag``, ``env QAW_X``, ``<qaw.yaml path>``
    or ``default``)."""

    name: str
    value: str
    source: str


def _is_url(value: str) -> bool:
    return "://" in value


def resolve(name: str, flag: object = None, ws: Workspace | None = None) -> Resolved:
    """Setting ``name``: ``flag`` when given (not None or ""), else its environment variable,
    else the workspace's qaw.yaml, else its default."""
    s = SETTINGS[name]
    if flag not in (None, ""):  # as given: relative to the current folder
        return Resolved(name, str(flag), "flag")
    if s.env and (v := os.environ.get(s.env)):
        return Resolved(name, v, f"env {s.env}")
    ws = ws or find_workspace()
    v = getattr(ws.config, name)
    if v is not None:
        return Resolved(name, _path(s, str(v), ws.root), str(ws.file))
    return Resolved(name, s.default(ws), "default")


def get(name: str, flag: object = None) -> str:
    """The value of setting ``name`` (see ``resolve``)."""
    return resolve(name, flag).value


def _path(s: Setting, value: str, base: Path) -> str:
    """A qaw.yaml value with its relative path (a folder, or a SQLite URL's file) made
    relative to the workspace folder ``base``."""
    return absolute(value, base) if s.kind == "path" else value


def absolute(value: str, base: Path | None = None) -> str:
    """A folder, or a SQLite URL's file, below ``base`` (default: the current folder) when
    relative; other database URLs as they are."""
    base = base or Path.cwd()
    if value.startswith("sqlite:///"):
        f = Path(value.removeprefix("sqlite:///")).expanduser()
        return value if f.is_absolute() else f"sqlite:///{base / f}"
    if _is_url(value):
        return value
    return str(base / Path(value).expanduser())


def resolve_all(ws: Workspace | None = None) -> list[Resolved]:
    """Every setting, resolved without flags (what ``qaw config`` prints)."""
    ws = ws or find_workspace()
    return [resolve(n, ws=ws) for n in SETTINGS]
