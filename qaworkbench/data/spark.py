"""The same SQL on Apache Spark, for centers that outgrow one machine.

The workbench's queries are written once, in DuckDB's SQL (``data.engine``). For Spark
each is parsed and written out in Spark's dialect by sqlglot, with its parameters put in
as typed literals and the one function sqlglot leaves as it is (``epoch_us``) rewritten.
The canonical tables are Spark views over the same Parquet files (a folder of monthly
files or one file); a CSV or Excel table is read through the Parquet copy the DuckDB
path keeps in ``.qaw-cache/``.

Spark comes from PySpark (``pip install pyspark``, Java 17 from Debian:
``openjdk-17-jre-headless``). ``master`` is ``local[2]`` on one machine, or the
cluster's URL (``spark://host:7077``, ``yarn``); the Parquet then has to be where the
executors can read it (HDFS, S3, a shared mount).
"""

from __future__ import annotations

import functools
import warnings
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlglot
from sqlglot import exp

from ..errors import QAWError
from .load import present_tables
from .readers import is_url
from .schema import TABLES, Table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Spark's SQL types for the canonical column kinds (TIMESTAMP is TIMESTAMP_NTZ in the
# session: wall-clock times, as in the exports and in DuckDB).
_SPARK_TYPE = {"id": "STRING", "text": "STRING", "category": "STRING", "datetime": "TIMESTAMP",
               "date": "TIMESTAMP", "duration": "DOUBLE", "number": "DOUBLE", "flag": "BOOLEAN"}  # fmt: skip


@functools.cache
def session(master: str = "local[2]") -> SparkSession:
    """The process's Spark session on ``master`` (made once; UTC, wall-clock timestamps,
    Arrow transfer to pandas, no web UI)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:  # pragma: no cover - pyspark is in the locked environment
        raise QAWError("the Spark engine needs PySpark: pip install pyspark") from e
    import os
    import sys

    builder = SparkSession.builder
    if master.startswith("local"):  # Python workers (auto-QA's checks) run this interpreter
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        s = (
            builder.master(master)
            .appName("qaworkbench")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate()
        )
    except Exception as e:  # Java missing, or the master unreachable
        raise QAWError(
            f"could not start Spark on {master}: {str(e).splitlines()[0]} (the Spark engine "
            "needs Java 17: apt-get install openjdk-17-jre-headless)"
        ) from e
    s.sparkContext.setLogLevel("ERROR")
    return s


class SparkTables:
    """The canonical tables of a data folder as Spark views, queried with the engine's SQL."""

    def __init__(
        self, source: str | Path, tables: tuple[str, ...] | None = None, master: str = "local[2]"
    ) -> None:
        if is_url(source):
            raise QAWError(f"{source}: the Spark engine reads Parquet folders, not a database URL")
        from .engine import _converted

        self.spark = session(master)
        self.master = master
        self.frames = {}  # name -> Spark DataFrame of the canonical columns
        for name, p in present_tables(source).items():
            if tables is not None and name not in tables:
                continue
            p = Path(p)
            if not (p.is_dir() or p.suffix == ".parquet"):
                p = _converted(Path(source), p, name)
            df = self.spark.read.parquet(str(p))
            self.frames[name] = df.selectExpr(*_canonical(TABLES[name], set(df.columns)))

    def sql(self, query: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run one of the engine's (DuckDB-dialect) queries on Spark; a pandas frame."""
        for name, df in self.frames.items():  # views are the session's: (re)point them here
            df.createOrReplaceTempView(name)
        with warnings.catch_warnings():  # PySpark's notices that it predates pandas 3
            warnings.filterwarnings("ignore", module="pyspark")
            return self.spark.sql(to_spark(query, params or {})).toPandas()

    def tables(self) -> list[str]:
        """The canonical tables this object reads."""
        return list(self.frames)


def _canonical(t: Table, have: set[str]) -> list[str]:
    """Spark select expressions of ``t``'s canonical columns (an absent one as NULL)."""
    out = []
    for c in t.columns:
        typ = _SPARK_TYPE[c.kind]
        out.append(
            f"CAST(`{c.name}` AS {typ}) AS `{c.name}`"
            if c.name in have
            else f"CAST(NULL AS {typ}) AS `{c.name}`"
        )
    return out


def to_spark(query: str, params: dict[str, Any]) -> str:
    """``query`` (DuckDB's SQL, parameters as ``$name``) in Spark's SQL, with the parameters
    put in as typed literals."""
    tree = sqlglot.parse_one(query, read="duckdb")

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder):
            if node.name not in params:
                raise KeyError(f"query parameter ${node.name} not given")
            return _literal(params[node.name])
        if isinstance(node, exp.Anonymous) and node.name.lower() == "epoch_us":
            # microseconds since 1970 of a wall-clock time (the session is UTC)
            return exp.Anonymous(
                this="UNIX_MICROS",
                expressions=[exp.cast(node.expressions[0], exp.DataType.build("TIMESTAMP_LTZ"))],
            )
        return node

    return tree.transform(rewrite).sql(dialect="spark")


def _literal(v: Any) -> exp.Expression:
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, datetime | pd.Timestamp):
        return exp.cast(exp.Literal.string(f"{pd.Timestamp(v):%Y-%m-%d %H:%M:%S.%f}"), "TIMESTAMP")
    if isinstance(v, date):
        return exp.cast(exp.Literal.string(f"{v:%Y-%m-%d}"), "TIMESTAMP")
    if isinstance(v, int | float):
        return exp.Literal.number(repr(float(v)) if isinstance(v, float) else str(v))
    if isinstance(v, str):
        return exp.Literal.string(v)
    raise TypeError(f"cannot put a {type(v).__name__} into Spark SQL")
