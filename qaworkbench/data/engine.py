"""Heavy scans over Parquet through DuckDB, so memory stays bounded.

Only this module (and sampling.scan's one read of the sampling month) speaks SQL,
and only portable SQL (plain SELECT, GROUP BY, arithmetic on epochs), so the
same queries could later run on a distributed engine. DuckDB: streams Parquet with projection and predicate
pushdown, uses little memory (shared/performance-floors.md), and is SQL.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from .load import find_table_file
from .schema import TABLES


def connect(folder: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per Parquet table in ``folder``."""
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    for name in TABLES:
        p = find_table_file(Path(folder), name)
        if p is None:
            continue
        if p.is_dir():
            glob = str(p / "**" / "*.parquet")
        elif p.suffix == ".parquet":
            glob = str(p)
        else:
            continue
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{_q(glob)}')")
    return con


def _q(s: str) -> str:
    return s.replace("'", "''")


def handled_per_agent(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, table: str = "contacts"
) -> pd.DataFrame:
    """Answered contacts per agent in [start, end): columns agent_id, channel, direction, handled."""
    return con.execute(
        f"""
        SELECT agent_id, channel, direction, count(*) AS handled
        FROM {table}
        WHERE start_time >= ? AND start_time < ? AND answered AND agent_id IS NOT NULL
        GROUP BY agent_id, channel, direction
        ORDER BY agent_id, channel, direction
        """,
        [start, end],
    ).df()


def service_level_by_interval(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    *,
    interval_min: int = 30,
    answer_within_s: float = 20.0,
    table: str = "contacts",
) -> pd.DataFrame:
    """Service level per interval: offered, answered within ``answer_within_s`` s, and the share.

    Abandoned contacts count as offered and not answered in time.
    """
    width = _bucket_us(interval_min)
    return con.execute(
        f"""
        SELECT make_timestamp(epoch_us(start_time) // {width} * {width}) AS interval_start,
               channel,
               count(*) AS offered,
               count(*) FILTER (WHERE answered AND queue_wait_s <= ?) AS answered_in_time,
               count(*) FILTER (WHERE answered AND queue_wait_s <= ?) / count(*) AS service_level
        FROM {table}
        WHERE start_time >= ? AND start_time < ?
        GROUP BY epoch_us(start_time) // {width}, channel
        ORDER BY 1, 2
        """,
        [answer_within_s, answer_within_s, start, end],
    ).df()


def _bucket_us(interval_min: float) -> int:
    """An interval's width in microseconds (intervals start at whole multiples since 1970)."""
    return round(interval_min * 60 * 1_000_000)


def monthly_overview(con: duckdb.DuckDBPyConnection, answer_within_s: float = 20.0) -> pd.DataFrame:
    """Per month: contacts offered, answered share, service level, mean talk time (s), agents."""
    return con.execute(
        """
        SELECT strftime(start_time, '%Y-%m') AS month,
               count(*) AS offered,
               avg(CASE WHEN answered THEN 1.0 ELSE 0.0 END) AS answered_share,
               avg(CASE WHEN answered AND queue_wait_s <= ? THEN 1.0 ELSE 0.0 END) AS service_level,
               avg(talk_s) AS mean_talk_s,
               count(DISTINCT agent_id) AS agents
        FROM contacts
        GROUP BY 1
        ORDER BY 1
        """,
        [answer_within_s],
    ).df()


def monthly_evaluations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per month: evaluations by mode (calibration included), from the evaluations table."""
    return con.execute(
        """
        SELECT strftime(evaluated_at, '%Y-%m') AS month, mode, count(*) AS evaluations
        FROM evaluations
        GROUP BY 1, 2
        ORDER BY 1, 2
        """
    ).df()


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
