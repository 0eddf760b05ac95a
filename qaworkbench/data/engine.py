"""Heavy scans over Parquet through SQL, so memory stays bounded.

Only this module (and sampling.scan's one read of the sampling month) speaks SQL. Each
query is written once, in DuckDB's dialect, and runs on either engine (``open_engine``):
DuckDB, embedded, the default (streams Parquet with projection and predicate pushdown,
little memory: shared/performance-floors.md); or Apache Spark through PySpark, the query
translated by sqlglot (``data.spark``). A query function takes either connection.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from ..errors import QAWError
from . import duck
from .cache import cache_dir, cached_file, stamp
from .load import TABLE_FILES, load_table, present_tables
from .readers import detect_format, is_url
from .schema import TABLES, Table
from .stream import convert_csv

if TYPE_CHECKING:
    from .spark import SparkTables

    Connection = duckdb.DuckDBPyConnection | SparkTables


def open_engine(
    source: str | Path,
    tables: tuple[str, ...] | None = None,
    *,
    engine: str | None = None,
    master: str | None = None,
    notes: list[str] | None = None,
) -> Connection:
    """The canonical tables of ``source`` on ``engine`` (``duckdb`` or ``spark``; default:
    the ``QAW_ENGINE`` setting, else duckdb). ``master``: Spark's master URL (default: the
    ``QAW_SPARK_MASTER`` setting, else ``local[2]``)."""
    from ..config import engine_setting

    engine, master = engine_setting(engine, master)
    if engine == "spark":
        from .spark import SparkTables

        return SparkTables(source, tables, master)
    return connect(source, notes, tables)


def run(con: Connection, query: str, params: dict | None = None) -> pd.DataFrame:
    """``query`` (DuckDB's SQL, parameters ``$name``) on a DuckDB connection or on Spark."""
    if isinstance(con, duckdb.DuckDBPyConnection):
        return con.execute(query, params or {}).df()
    return con.sql(query, params or {})


def table_names(con: Connection) -> set[str]:
    """The canonical tables a connection (either engine) has."""
    if isinstance(con, duckdb.DuckDBPyConnection):
        return {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    return set(con.tables())


def connect(
    source: str | Path, notes: list[str] | None = None, tables: tuple[str, ...] | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per canonical table of ``source`` (or of
    the named ``tables``).

    ``source`` is anything ``load_center`` reads: a data folder of Parquet, CSV or Excel
    files, or a database URL. Every canonical column is there, an absent optional one as
    NULL. Canonical Parquet is read in place; a CSV or Excel file (or a Parquet whose column
    types are not canonical) is loaded and validated once, strictly, and kept as Parquet in
    the folder's ``.qaw-cache/`` (keyed by the file's path and content, so never stale; a CSV
    file converted part by part, in bounded memory: ``stream.convert_csv``);
    a database's tables are loaded into the connection. What was converted is said in
    ``notes``.
    """
    present = present_tables(source)
    if "contacts" not in present and (tables is None or "contacts" in tables):
        raise QAWError(f"{source}: no contacts table (looked for {', '.join(TABLE_FILES)} "
                       "named contacts, in any letter case)")  # fmt: skip
    con = duck.connect()
    for name, p in present.items():
        t = TABLES[name]
        if tables is not None and name not in tables:
            continue
        if is_url(source):
            df, _ = load_table(source, name, allow_empty=t.optional or name != "contacts")
            con.register("_loaded", df)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _loaded")
            con.unregister("_loaded")
            continue
        p = Path(p)
        select = None
        if p.is_dir() or p.suffix == ".parquet":
            select = _canonical_select(
                con, str(p / "**" / "*.parquet") if p.is_dir() else str(p), t
            )
        if select is None:
            select = _canonical_select(con, str(_converted(Path(source), p, name)), t)
            if notes is not None:
                notes.append(
                    f"{p.name}: read through a Parquet copy in {cache_dir(Path(source))} (made "
                    "once, made again when the file changes)"
                )
        con.execute(f"CREATE VIEW {name} AS {select}")
    return con


# DuckDB types a canonical Parquet column may have, by column kind (anything else: convert).
_ACCEPTED = {
    "id": ("VARCHAR",),
    "text": ("VARCHAR",),
    "category": ("VARCHAR",),
    "datetime": ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE"),
    "date": ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE"),
    "duration": ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT",
                 "UINTEGER", "USMALLINT", "UTINYINT", "HUGEINT", "DECIMAL"),
    "number": ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT",
               "UINTEGER", "USMALLINT", "UTINYINT", "HUGEINT", "DECIMAL"),
    "flag": ("BOOLEAN",),
}  # fmt: skip
_CAST = {"id": "VARCHAR", "text": "VARCHAR", "category": "VARCHAR", "datetime": "TIMESTAMP",
         "date": "TIMESTAMP", "duration": "DOUBLE", "number": "DOUBLE", "flag": "BOOLEAN"}  # fmt: skip


def _canonical_select(con: duckdb.DuckDBPyConnection, parquet: str, t: Table) -> str | None:
    """SELECT of ``t``'s canonical columns from ``parquet`` (absent optional ones as NULL), or
    None when a required column is missing or a column's type is not canonical."""
    src = f"read_parquet('{_q(parquet)}')"
    try:
        types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    except duckdb.Error:  # empty or damaged: the loader reads it and says what is wrong
        return None
    cols = []
    for c in t.columns:
        typ = types.get(c.name)
        if typ is None:
            if c.required:
                return None
            cols.append(f"NULL::{_CAST[c.kind]} AS {c.name}")
        elif typ.split("(")[0] not in _ACCEPTED[c.kind]:
            return None
        elif typ == _CAST[c.kind]:
            cols.append(c.name)
        else:
            cols.append(f"CAST({c.name} AS {_CAST[c.kind]}) AS {c.name}")
    return f"SELECT {', '.join(cols)} FROM {src}"


def _converted(folder: Path, path: Path, name: str) -> Path:
    """``path`` loaded as canonical table ``name`` (strict) and kept as Parquet in the cache: a
    CSV file converted part by part (``stream``), or, where that cannot be, loaded whole."""
    allow_empty = TABLES[name].optional or name != "contacts"
    write = None
    if not path.is_dir() and detect_format(path) == "csv":  # part by part, in bounded memory
        write = partial(convert_csv, path, name)
    return cached_file(
        folder,
        f"table-{name}",
        stamp([path], name, "canonical"),
        lambda: load_table(path, name, allow_empty=allow_empty)[0],
        write,
    )


def _q(s: str) -> str:
    return s.replace("'", "''")


def handled_per_agent(
    con: Connection, start: datetime, end: datetime, table: str = "contacts"
) -> pd.DataFrame:
    """Answered contacts per agent in [start, end): columns agent_id, channel, direction, handled."""
    return run(
        con,
        f"""
        SELECT agent_id, channel, direction, count(*) AS handled
        FROM {table}
        WHERE start_time >= $start AND start_time < $end AND answered AND agent_id IS NOT NULL
        GROUP BY agent_id, channel, direction
        ORDER BY agent_id, channel, direction
        """,
        {"start": start, "end": end},
    )


def handled_per_agent_month(con: Connection, start: datetime, end: datetime) -> pd.DataFrame:
    """Answered contacts per agent and month in [start, end): month ("2026-05"), agent_id,
    channel, handled. A year of contacts is scanned, never loaded."""
    return run(
        con,
        """
        SELECT strftime(start_time, '%Y-%m') AS month, agent_id, channel, count(*) AS handled
        FROM contacts
        WHERE start_time >= $start AND start_time < $end AND answered AND agent_id IS NOT NULL
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3
        """,
        {"start": start, "end": end},
    )


def service_level_by_month_interval(
    con: Connection,
    start: datetime,
    end: datetime,
    *,
    interval_min: int = 30,
    answer_within_s: float = 20.0,
    abandoned: str = "missed",
) -> pd.DataFrame:
    """Service level per month and interval of the day (as ``service_level_by_interval``):
    month, interval (minutes after midnight: 0, 30, … 1410), channel, offered,
    answered_in_time, service_level. The intraday shape of every month of a year."""
    return run(
        con,
        f"""
        SELECT strftime(start_time, '%Y-%m') AS month,
               (hour(start_time) * 60 + minute(start_time)) // {int(interval_min)}
                 * {int(interval_min)} AS interval,
               channel,
               {_service_level_columns(abandoned)}
        FROM contacts
        WHERE start_time >= $start AND start_time < $end AND direction = 'inbound'
        GROUP BY 1, 2, 3
        HAVING count(*) FILTER (WHERE {_service_level_terms(abandoned)[0]}) > 0
        ORDER BY 1, 2, 3
        """,
        {"start": start, "end": end, "t": float(answer_within_s)},
    )


def service_level_by_interval(
    con: Connection,
    start: datetime,
    end: datetime,
    *,
    interval_min: int = 30,
    answer_within_s: float = 20.0,
    abandoned: str = "missed",
    table: str = "contacts",
) -> pd.DataFrame:
    """Service level per interval and channel, as centers measure it: of the inbound contacts
    offered, the share answered within ``answer_within_s`` s (outbound contacts never count).
    ``abandoned`` says how an inbound contact abandoned within the threshold counts:
    ``missed`` (offered, not in time), ``excluded`` (not offered) or ``met`` (in time)."""
    width = _bucket_us(interval_min)
    return run(
        con,
        f"""
        SELECT make_timestamp(epoch_us(start_time) // {width} * {width}) AS interval_start,
               channel,
               {_service_level_columns(abandoned)}
        FROM {table}
        WHERE start_time >= $start AND start_time < $end AND direction = 'inbound'
        GROUP BY epoch_us(start_time) // {width}, channel
        HAVING count(*) FILTER (WHERE {_service_level_terms(abandoned)[0]}) > 0
        ORDER BY 1, 2
        """,
        {"start": start, "end": end, "t": float(answer_within_s)},
    )


def _service_level_terms(abandoned: str) -> tuple[str, str]:
    """SQL conditions (on an inbound contact) for "offered" and "answered in time", with the
    threshold as parameter $t."""
    quick = "coalesce(queue_wait_s <= $t, false)"
    if abandoned == "missed":
        return "true", f"answered AND {quick}"
    if abandoned == "excluded":
        return f"(answered OR NOT {quick})", f"answered AND {quick}"
    if abandoned == "met":
        return "true", quick
    raise ValueError(f"abandoned must be missed, excluded or met, not {abandoned!r}")


def _service_level_columns(abandoned: str) -> str:
    """The SELECT columns offered, answered_in_time and service_level (inbound contacts,
    threshold $t) of a group, counted the ``abandoned`` way."""
    offered, in_time = _service_level_terms(abandoned)
    return (
        f"count(*) FILTER (WHERE {offered}) AS offered, "
        f"count(*) FILTER (WHERE {offered} AND {in_time}) AS answered_in_time, "
        f"count(*) FILTER (WHERE {offered} AND {in_time}) "
        f"/ count(*) FILTER (WHERE {offered}) AS service_level"
    )


def _bucket_us(interval_min: float) -> int:
    """An interval's width in microseconds (intervals start at whole multiples since 1970)."""
    return round(interval_min * 60 * 1_000_000)


def monthly_overview(
    con: Connection,
    answer_within_s: float = 20.0,
    abandoned: str = "missed",
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """Per month (of [start, end), or every month): contacts offered (both directions),
    answered (count) and answered share, service level (inbound, as ``service_level_by_interval``; empty without
    wait times), mean talk time (s), agents."""
    offered, in_time = _service_level_terms(abandoned)
    inbound = f"direction = 'inbound' AND {offered}"
    params: dict = {"t": float(answer_within_s)}
    where = ""
    if start is not None and end is not None:
        where = "WHERE start_time >= $start AND start_time < $end"
        params |= {"start": start, "end": end}
    return run(
        con,
        f"""
        SELECT strftime(start_time, '%Y-%m') AS month,
               count(*) AS offered,
               count(*) FILTER (WHERE answered) AS answered,
               avg(CASE WHEN answered THEN 1 ELSE 0 END) AS answered_share,
               CASE WHEN count(queue_wait_s) > 0 THEN
                 count(*) FILTER (WHERE {inbound} AND {in_time})
                 / nullif(count(*) FILTER (WHERE {inbound}), 0) END AS service_level,
               avg(talk_s) AS mean_talk_s,
               count(DISTINCT agent_id) AS agents
        FROM contacts
        {where}
        GROUP BY 1
        ORDER BY 1
        """,
        params,
    )


def monthly_contacts(
    con: Connection,
    start: datetime,
    end: datetime,
    answer_within_s: float = 20.0,
    abandoned: str = "missed",
) -> pd.DataFrame:
    """Per month of [start, end): contacts (both directions), answered, and the inbound
    service level as in ``monthly_overview`` (empty without wait times): the lean scan of a
    year that the monthly report's 12-month section reads."""
    offered, in_time = _service_level_terms(abandoned)
    inbound = f"direction = 'inbound' AND {offered}"
    return run(
        con,
        f"""
        SELECT strftime(start_time, '%Y-%m') AS month,
               count(*) AS contacts,
               count(*) FILTER (WHERE answered) AS answered,
               CASE WHEN count(queue_wait_s) > 0 THEN
                 count(*) FILTER (WHERE {inbound} AND {in_time})
                 / nullif(count(*) FILTER (WHERE {inbound}), 0) END AS service_level
        FROM contacts
        WHERE start_time >= $start AND start_time < $end
        GROUP BY 1
        ORDER BY 1
        """,
        {"t": float(answer_within_s), "start": start, "end": end},
    )


def monthly_evaluations(con: Connection) -> pd.DataFrame:
    """Per month: evaluations by mode (calibration included), from the evaluations table."""
    return run(
        con,
        """
        SELECT strftime(evaluated_at, '%Y-%m') AS month, mode, count(*) AS evaluations
        FROM evaluations
        GROUP BY 1, 2
        ORDER BY 1, 2
        """,
    )


def repeat_contacts(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    within_hours: float,
    table: str = "contacts",
) -> pd.DataFrame:
    """Answered contacts in [start, end) whose customer also called within ``within_hours`` before.

    Columns: contact_id, previous_contact_id, hours_since (the gap, hours). Two contacts of a
    customer at the same second are ordered by contact id, so the result never varies.
    (Sampling finds them on the month's arrays: sampling.rules.repeats.repeat_rows.)
    """
    return con.execute(
        f"""
        WITH a AS (
            SELECT contact_id, customer_id, start_time FROM {table}
            WHERE start_time >= ? - to_hours(CAST(ceil(?) AS BIGINT)) AND start_time < ?
              AND answered AND customer_id IS NOT NULL
        ),
        again AS (SELECT customer_id FROM a GROUP BY customer_id HAVING count(*) > 1),
        c AS (  -- only customers seen twice need ordering: a hash join, then a smaller window
            SELECT contact_id, start_time,
                   lag(contact_id) OVER w AS previous_contact_id,
                   lag(start_time) OVER w AS previous_start
            FROM a SEMI JOIN again USING (customer_id)
            WINDOW w AS (PARTITION BY customer_id ORDER BY start_time, contact_id)
        )
        SELECT contact_id, previous_contact_id,
               (epoch(start_time) - epoch(previous_start)) / 3600.0 AS hours_since
        FROM c
        WHERE start_time >= ? AND previous_start IS NOT NULL
          AND epoch(start_time) - epoch(previous_start) <= ? * 3600
        ORDER BY contact_id
        """,
        [start, within_hours, end, start, within_hours],
    ).df()


def contact_columns(
    con: duckdb.DuckDBPyConnection,
    ids: pd.Series,
    columns: tuple[str, ...],
    table: str = "contacts",
) -> pd.DataFrame:
    """The named columns of the contacts whose ids are given (a join, not a month scan into pandas)."""
    wanted = pd.DataFrame({"contact_id": ids.astype(str).unique()})
    con.register("_wanted", wanted)
    try:
        cols = ", ".join(f"c.{c}" for c in columns)
        return con.execute(
            f"SELECT c.contact_id, {cols} FROM {table} c JOIN _wanted w USING (contact_id)"
        ).df()
    finally:
        con.unregister("_wanted")
