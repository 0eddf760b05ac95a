"""Every path and setting name the project uses, in one place.

The shipped templates and notebooks come from the package (``shipped.py``: package data in a
wheel, the repository's folders in a clone). Data, reports and the coaching store belong to
the workspace (``workspace.py``, ``settings.py``): ``DATA_DIR``, ``DEMO_DIR`` and
``REPORTS_DIR`` are resolved when imported, from the workspace of the current folder.
"""

from __future__ import annotations

from pathlib import Path

from .shipped import notebooks_dir, templates_dir

# The repository clone's root (tests and development only: an installed package has none; it
# is then the folder above the package and nothing reads from it).
PROJ_ROOT = Path(__file__).resolve().parents[1]
# The shipped templates and notebooks (a workspace's own templates come first: workspace.py).
TEMPLATES_DIR = templates_dir()
NOTEBOOKS_DIR = notebooks_dir()
MAPPINGS_DIR = TEMPLATES_DIR / "mappings"
SCORECARDS_DIR = TEMPLATES_DIR / "scorecards"
SAMPLING_DIR = TEMPLATES_DIR / "sampling"
AUTOQA_DIR = TEMPLATES_DIR / "autoqa"


def __getattr__(name: str) -> Path:
    """``DATA_DIR`` (the workspace's state folder), ``DEMO_DIR`` (the default data source) and
    ``REPORTS_DIR``, resolved from the workspace at the moment they are imported."""
    if name not in ("DATA_DIR", "DEMO_DIR", "REPORTS_DIR"):  # (e.g. ``__path__``, which every
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")  # import asks)
    from . import settings

    if name == "DATA_DIR":
        return settings.state_dir()
    if name == "DEMO_DIR":
        return Path(settings.get("data")).absolute()
    return Path(settings.get("reports")).absolute()


# Excel's sheet limit: a file with exactly this many rows (header included) was cut.
EXCEL_MAX_ROWS = 1_048_576

# Customer ratings are on a scale up to this (1-5, 1-10 and 0-10 scales fit; 99 is a typo).
MAX_RATING = 10.0

# A single contact duration above this is treated as absurd (s): 12 hours.
ABSURD_DURATION_S = 12 * 3600.0

# The default environment variable for the key of customer pseudonyms (a workspace may name
# another: qaw.yaml pseudonym_key_env). Set it in production; without it a fixed demo key
# keeps demo runs reproducible.
PSEUDONYM_KEY_ENV = "QAW_PSEUDONYM_KEY"

# The SQL engine for heavy scans: duckdb (embedded, the default) or spark, with Spark's
# master URL (local[2] on one machine, spark://host:7077 or yarn on a cluster).
ENGINE_ENV = "QAW_ENGINE"
SPARK_MASTER_ENV = "QAW_SPARK_MASTER"


def engine_setting(engine: str | None = None, master: str | None = None) -> tuple[str, str]:
    """The engine and Spark master to use: the arguments, else QAW_ENGINE / QAW_SPARK_MASTER,
    else the workspace's qaw.yaml, else duckdb and local[2]."""
    from . import settings

    engine = settings.get("engine", engine).lower()
    if engine not in ("duckdb", "spark"):
        raise ValueError(f"engine must be duckdb or spark, not {engine!r} (setting {ENGINE_ENV})")
    return engine, settings.get("spark_master", master)
