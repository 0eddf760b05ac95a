"""Every path the project uses, in one place (cookiecutter-data-science style)."""

from __future__ import annotations

import os
from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = PROJ_ROOT / "templates"
MAPPINGS_DIR = TEMPLATES_DIR / "mappings"
SCORECARDS_DIR = TEMPLATES_DIR / "scorecards"
SAMPLING_DIR = TEMPLATES_DIR / "sampling"
AUTOQA_DIR = TEMPLATES_DIR / "autoqa"
DATA_DIR = Path(os.environ.get("QAW_DATA_DIR", PROJ_ROOT / "data")).absolute()
DEMO_DIR = DATA_DIR / "demo"
REPORTS_DIR = Path(os.environ.get("QAW_REPORTS_DIR", PROJ_ROOT / "reports")).absolute()

# Excel's sheet limit: a file with exactly this many rows (header included) was cut.
EXCEL_MAX_ROWS = 1_048_576

# Customer ratings are on a scale up to this (1-5, 1-10 and 0-10 scales fit; 99 is a typo).
MAX_RATING = 10.0

# A single contact duration above this is treated as absurd (s): 12 hours.
ABSURD_DURATION_S = 12 * 3600.0

# The key for customer pseudonyms. Set QAW_PSEUDONYM_KEY in production; the
# default only keeps demo runs reproducible.
PSEUDONYM_KEY_ENV = "QAW_PSEUDONYM_KEY"

# The SQL engine for heavy scans: duckdb (embedded, the default) or spark, with Spark's
# master URL (local[2] on one machine, spark://host:7077 or yarn on a cluster).
ENGINE_ENV = "QAW_ENGINE"
SPARK_MASTER_ENV = "QAW_SPARK_MASTER"


def engine_setting(engine: str | None = None, master: str | None = None) -> tuple[str, str]:
    """The engine and Spark master to use: the arguments, else the settings, else defaults."""
    engine = (engine or os.environ.get(ENGINE_ENV) or "duckdb").lower()
    if engine not in ("duckdb", "spark"):
        raise ValueError(f"engine must be duckdb or spark, not {engine!r} (setting {ENGINE_ENV})")
    return engine, master or os.environ.get(SPARK_MASTER_ENV) or "local[2]"
