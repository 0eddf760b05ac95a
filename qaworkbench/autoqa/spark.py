"""Auto-QA of a period on Apache Spark: the same rules, run on each partition of conversations.

The month's messages and turns are read by Spark from the same Parquet (``data.spark``),
kept to the period's contacts, spread over partitions by contact (all of one contact's rows in
one partition) and checked there by the one-machine code (``run.check``, vectorised over the
partition's conversations, through ``mapInPandas``). The executors write the results as
Parquet (a temporary folder: on a cluster, ``TMPDIR`` must be a mount every executor and
the driver share), read back with Arrow.
The results equal ``run.check_month``'s, row for row (``tests/test_autoqa_spark.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..data.load import present_tables
from ..errors import QAWError
from ..periods import Period
from .conversations import from_messages, from_transcripts
from .ruleset import RuleSet
from .run import RESULT_COLUMNS, check

_SCHEMA = (
    "contact_id STRING, channel STRING, rule_id STRING, item_id STRING, result STRING, "
    "seq LONG, quote STRING, matched STRING, measure DOUBLE"
)
ROWS_PER_PARTITION = 400_000  # messages or turns a partition checks (about 100 MB of text)
_CATEGORIES = ("contact_id", "channel", "rule_id", "item_id", "result")
# the rows of each table the checks read, and the column that orders a contact's rows
_READ = {
    "chat_messages": ("conversation_id AS contact_id", "seq", "sender", "timestamp", "text"),
    "transcripts": ("contact_id", "turn", "speaker", "start_s", "end_s", "text"),
}


def check_month_spark(
    source: str | Path, period: Period, rules: RuleSet, master: str = "local[2]",
    partitions: int | None = None,
) -> pd.DataFrame:  # fmt: skip
    """``run.check_month`` on Spark (``master``: local[2], spark://host:7077, yarn): every
    chat and transcribed call of ``period`` checked, in ``partitions`` pieces (default: one per
    ``ROWS_PER_PARTITION`` rows of the table, at most 4 per core Spark has). The results with each contact's agent, as the one-machine path gives."""
    from pyspark.sql import functions as F

    from ..data.spark import SparkTables

    present = present_tables(source)
    if "contacts" not in present:
        raise QAWError(f"{source}: no contacts table, so no contacts to check")
    want = tuple(t for t in ("contacts", *_READ) if t in present)
    tables = SparkTables(source, want, master)
    spark = tables.spark
    most = 4 * spark.sparkContext.defaultParallelism
    lo, hi = (F.lit(t.to_pydatetime()).cast("timestamp") for t in (period.start, period.end))
    contacts = (
        tables.frames["contacts"]
        .where((F.col("start_time") >= lo) & (F.col("start_time") < hi))
        .select("contact_id", "agent_id")
    )
    parts = []
    for name, columns in _READ.items():
        if name not in tables.frames:
            continue
        n = partitions or max(1, min(most, -(-_rows(present[name]) // ROWS_PER_PARTITION)))
        rows = tables.frames[name].selectExpr(*columns)
        rows = rows.join(contacts.select("contact_id"), "contact_id", "left_semi")
        parts.append(rows.repartition(n, "contact_id").mapInPandas(_checker(name, rules), _SCHEMA))
    if not parts:
        return _typed(pd.DataFrame({c: pd.Series(dtype=object) for c in RESULT_COLUMNS}))
    res = parts[0]
    for p in parts[1:]:
        res = res.unionByName(p)
    res = res.join(contacts, "contact_id", "left")
    # written by the executors and read back with Arrow: collecting a month's millions of
    # results through the driver ran its default 1 GiB heap out of memory (2,000 agents)
    import shutil
    import tempfile

    import pyarrow.parquet as pq

    tmp = Path(tempfile.mkdtemp(prefix="qaw-autoqa-spark-"))
    try:
        with warnings.catch_warnings():  # PySpark's notices that it predates pandas 3
            warnings.filterwarnings("ignore", module="pyspark")
            res.write.mode("overwrite").parquet(str(tmp / "results"))
        out = pq.read_table(tmp / "results").to_pandas()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _typed(out)[["contact_id", "agent_id", *RESULT_COLUMNS[1:]]]


def _rows(path: str | Path) -> int:
    """Rows of a table's Parquet (a file or a folder of parts), from the files' footers; 0 for
    another format (then one partition)."""
    import pyarrow.dataset as ds

    p = Path(path)
    if not (p.is_dir() or p.suffix == ".parquet"):
        return 0
    return sum(f.metadata.num_rows for f in ds.dataset(str(p), format="parquet").get_fragments())


def _checker(table: str, rules: RuleSet):
    """The function each partition runs: its rows (in Arrow batches, a contact's rows possibly
    in several) put together, made conversations and checked."""
    build = from_messages if table == "chat_messages" else from_transcripts

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        frames = [b for b in batches if len(b)]
        if not frames:
            return
        rows = pd.concat(frames, ignore_index=True)
        res = check([build(rows)], rules)
        if len(res):
            yield _plain(res)

    return run


def _plain(res: pd.DataFrame) -> pd.DataFrame:
    """Results with plain columns for Arrow's trip back (categories as strings)."""
    out = res.copy()
    for c in _CATEGORIES:
        out[c] = out[c].astype(object)
    out["seq"] = out["seq"].astype("float64")
    return out


def _typed(res: pd.DataFrame) -> pd.DataFrame:
    """The one-machine path's types: ids, channels, rules, items and results as categories,
    ``seq`` as a nullable integer."""
    res = res.copy()
    for c in _CATEGORIES:
        res[c] = res[c].astype("category")
    res["seq"] = pd.array(res["seq"], dtype="Int64")
    return res
