"""A center's workspace: the folder holding ``qaw.yaml``, its data, reports and the templates
it changed.

Commands find the workspace like git finds a repository: ``QAW_WORKSPACE`` when set, else the
current folder or the nearest parent holding ``qaw.yaml``. Without one, a clone of the
repository is its own workspace (``data/demo``, ``reports/``), and an installed package uses
the current folder. A template is looked up in the workspace's ``templates/<kind>/`` first,
then among the shipped ones (``shipped.py``).
"""

from __future__ import annotations

import functools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import ConfigError
from .shipped import TEMPLATE_KINDS, shipped_templates, source_checkout, templates_dir
from .yamlconf import load_model

M = TypeVar("M", bound=BaseModel)
WORKSPACE_FILE = "qaw.yaml"
WORKSPACE_ENV = "QAW_WORKSPACE"


class WorkspaceFile(BaseModel):
    """``qaw.yaml``: a workspace's settings (each may be left out: its default then applies).
    Paths are relative to the workspace folder."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    data: str | None = None  # a data folder or a database URL (sqlite:///center.db)
    reports: str | None = None  # where reports, samples and score tables are written
    language: Literal["zh", "en"] | None = None
    sampling_plan: str | None = None  # a template name (templates/sampling) or a path
    penalty_code: str | None = None  # templates/penalties
    autoqa_rules: str | None = None  # templates/autoqa
    pay_rules: str | None = None  # templates/pay
    privacy_rules: str | None = None  # templates/privacy
    # the NAME of the environment variable holding the pseudonym key; the key is never written
    pseudonym_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    engine: Literal["duckdb", "spark"] | None = None
    spark_master: str | None = None
    coaching_db: str | None = None  # SQLAlchemy URL of the coaching store

    @model_validator(mode="before")
    @classmethod
    def _no_key(cls, data: object) -> object:
        if isinstance(data, dict) and "pseudonym_key" in data:
            raise ValueError(
                "pseudonym_key: the key is never written in qaw.yaml; put it in an environment "
                "variable and name that variable in pseudonym_key_env"
            )
        return data


@dataclass(frozen=True)
class Workspace:
    """Where commands run: ``root``, its settings file (None without one) and what it is:
    ``workspace`` (holds qaw.yaml), ``clone`` (the repository) or ``folder`` (the current
    folder, an installed package outside any workspace)."""

    root: Path
    kind: Literal["workspace", "clone", "folder"]
    config: WorkspaceFile
    file: Path | None = None


def find_workspace(start: str | Path | None = None) -> Workspace:
    """The workspace commands run in (see the module's docstring for the order)."""
    if env := os.environ.get(WORKSPACE_ENV):
        f = Path(env).absolute() / WORKSPACE_FILE
        if not f.is_file():
            raise ConfigError(f"{WORKSPACE_ENV}={env}: no {WORKSPACE_FILE} there")
        return _loaded(f)
    here = Path(start or Path.cwd()).absolute()
    for d in (here, *here.parents):
        if (d / WORKSPACE_FILE).is_file():
            return _loaded(d / WORKSPACE_FILE)
    clone = source_checkout()
    if clone is not None:
        return Workspace(clone, "clone", WorkspaceFile(version=1))
    return Workspace(here, "folder", WorkspaceFile(version=1))


def _loaded(f: Path) -> Workspace:
    st = f.stat()
    return _load(str(f), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=8)
def _load(f: str, _mtime_ns: int, _size: int) -> Workspace:
    path = Path(f)
    return Workspace(path.parent, "workspace", load_model(path, WorkspaceFile), path)


def template_dirs(kind: str, ws: Workspace | None = None) -> list[Path]:
    """The folders templates of ``kind`` are looked up in, first to last: the workspace's
    ``templates/<kind>/``, then the shipped one."""
    if kind not in TEMPLATE_KINDS:
        raise ConfigError(f"no template kind {kind!r}; known: {', '.join(TEMPLATE_KINDS)}")
    ws = ws or find_workspace()
    shipped = templates_dir() / kind
    own = ws.root / "templates" / kind
    return [shipped] if own.resolve() == shipped.resolve() else [own, shipped]


def find_template(kind: str, name: str) -> Path:
    """The file of template ``name`` of ``kind``: the workspace's, else the shipped one.
    ConfigError (file not found) naming where it looked and the names known."""
    dirs = template_dirs(kind)
    for d in dirs:
        if (f := d / f"{name}.yaml").is_file():
            return f
    known = ", ".join(all_templates(kind)) or "none"
    raise ConfigError(
        f"{kind} template {name!r}: file not found in {' nor '.join(str(d) for d in dirs)} "
        f"(known: {known})"
    )


def load_template(kind: str, path: str | Path, model: type[M]) -> M:
    """Read and validate a template of ``kind`` against ``model``: ``path`` is a file, or a
    bare name looked up with ``find_template`` (the workspace's, then the shipped ones)."""
    p = Path(path)
    if not p.exists() and not p.suffix:
        p = find_template(kind, p.name)
    return load_model(p, model)


def all_templates(kind: str) -> dict[str, Path]:
    """Every template of ``kind`` by name; a workspace's file replaces the shipped one of the
    same name."""
    out: dict[str, Path] = {}
    for d in reversed(template_dirs(kind)):
        out |= {p.stem: p for p in sorted(d.glob("*.yaml"))}
    return dict(sorted(out.items()))


def copy_template(name: str, ws: Workspace | None = None, force: bool = False) -> Path:
    """Copy shipped template ``name`` (``kind/name`` where the name alone is ambiguous) into
    the workspace's ``templates/<kind>/`` to edit; returns the copy's path."""
    ws = ws or find_workspace()
    kind, _, stem = name.rpartition("/")
    found = [(k, p) for k in ([kind] if kind else TEMPLATE_KINDS)
             for n, p in shipped_templates(k).items() if n == stem]  # fmt: skip
    if not found:
        raise ConfigError(f"no shipped template {name!r}; `qaw templates list` shows them")
    if len(found) > 1:
        raise ConfigError(
            f"{name!r} is a template of several kinds; name one: "
            + ", ".join(f"{k}/{stem}" for k, _ in found)
        )
    kind, src = found[0]
    dest = ws.root / "templates" / kind / src.name
    if dest.resolve() == src.resolve():
        raise ConfigError(f"{src} is the shipped template itself (this is the repository)")
    if dest.exists() and not force:
        raise ConfigError(f"{dest} exists; pass --force to replace it with the shipped one")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest


QAW_YAML = """\
# QA Workbench workspace settings (qaw.yaml). Every command run in this folder or below uses
# them. Each setting resolves as: command-line flag, then environment variable, then this
# file, then the default; `qaw config` prints every setting and where it came from.
version: 1
data: {data}            # data folder (relative to this file) or database URL (sqlite:///center.db)
reports: reports        # reports, samples and score tables
language: {language}            # zh or en
sampling_plan: hotline  # a template name (templates/sampling/, then the shipped ones) or a path
penalty_code: cloud_service   # templates/penalties/
autoqa_rules: hotline   # templates/autoqa/
pay_rules: online_team  # templates/pay/
privacy_rules: default  # templates/privacy/
# The pseudonym key is never written here: set it in this environment variable.
pseudonym_key_env: QAW_PSEUDONYM_KEY
engine: {engine}          # duckdb (embedded) or spark
# spark_master: local[2]
# coaching_db: sqlite:///coaching.db   # default: coaching.db in this folder
"""


def init_workspace(
    folder: str | Path, data: str = "data", language: str = "zh", engine: str = "duckdb"
) -> Path:
    """Write a workspace into ``folder``: ``qaw.yaml`` and empty ``data/``, ``reports/`` and
    ``templates/<kind>/`` folders. Refuses a folder already holding qaw.yaml."""
    root = Path(folder).absolute()
    f = root / WORKSPACE_FILE
    if f.exists():
        raise ConfigError(f"{f} exists: {root} is a workspace already")
    text = QAW_YAML.format(data=data, language=language, engine=engine)
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("data", "reports", *(f"templates/{k}" for k in TEMPLATE_KINDS)):
        (root / sub).mkdir(parents=True, exist_ok=True)
    f.write_text(text, encoding="utf-8")
    _load.cache_clear()
    load_model(f, WorkspaceFile)  # what was written loads
    return f
