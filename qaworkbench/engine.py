"""Heavy scans over Parquet through DuckDB, so memory stays bounded.

Only this module speaks SQL, and only portable SQL (plain SELECT, GROUP BY,
window-free arithmetic on epochs), so the same queries could later run on a
distributed engine. DuckDB: streams Parquet with projection and predicate
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
    width = interval_min * 60
    return con.execute(
        f"""
        SELECT to_timestamp(floor(epoch(start_time) / {width}) * {width})::TIMESTAMP AS interval_start,
               channel,
               count(*) AS offered,
               count(*) FILTER (WHERE answered AND queue_wait_s <= ?) AS answered_in_time,
               count(*) FILTER (WHERE answered AND queue_wait_s <= ?) / count(*) AS service_level
        FROM {table}
        WHERE start_time >= ? AND start_time < ?
        GROUP BY 1, 2
        ORDER BY 1, 2
        """,
        [answer_within_s, answer_within_s, start, end],
    ).df()


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


SAMPLING_COLUMNS = (
    "contact_id", "agent_id", "start_time", "channel", "direction", "answered",
    "talk_s", "customer_id", "complaint", "recording_ref",
)  # fmt: skip


def repeat_contacts(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    within_hours: float,
    table: str = "contacts",
) -> pd.DataFrame:
    """Answered contacts in [start, end) whose customer also called within ``within_hours`` before.

    Columns: contact_id, previous_contact_id, hours_since (the gap, hours).
    """
    return con.execute(
        f"""
        WITH c AS (
            SELECT contact_id, customer_id, start_time,
                   lag(contact_id) OVER w AS previous_contact_id,
                   lag(start_time) OVER w AS previous_start
            FROM {table}
            WHERE start_time >= ? - to_hours(CAST(ceil(?) AS BIGINT)) AND start_time < ?
              AND answered AND customer_id IS NOT NULL
            WINDOW w AS (PARTITION BY customer_id ORDER BY start_time)
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


RULE_COLUMNS = (
    "contact_id",
    "agent_id",
    "start_time",
    "channel",
    "direction",
    "answered",
    "talk_s",
)


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


def top_per_agent(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    want: pd.DataFrame,
    seed: int,
    where: str = "TRUE",
    params: list | None = None,
    columns: tuple[str, ...] = SAMPLING_COLUMNS,
    table: str = "contacts",
) -> pd.DataFrame:
    """Per agent, the ``want.k`` contacts of [start, end) with the smallest seeded hash that meet
    ``where`` (a SQL condition on contacts' columns): an exact random pool, chosen without
    bringing the month into memory. ``want`` has agent_id and k."""
    con.register("_want", want[["agent_id", "k"]])
    try:
        cols = ", ".join(f"c.{c}" for c in columns)
        return con.execute(
            f"""
            SELECT {cols} FROM (
                SELECT c.*, w.k,
                       row_number() OVER (PARTITION BY c.agent_id ORDER BY hash(c.contact_id || ':' || ?)) AS r
                FROM {table} c JOIN _want w USING (agent_id)
                WHERE c.start_time >= ? AND c.start_time < ? AND ({where})
            ) c
            WHERE r <= k
            """,
            [str(seed), start, end, *(params or [])],
        ).df()
    finally:
        con.unregister("_want")


def contacts_where(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    where: str,
    params: list | None = None,
    columns: tuple[str, ...] = SAMPLING_COLUMNS,
    table: str = "contacts",
) -> pd.DataFrame:
    """The contacts of [start, end) that meet ``where`` (a SQL condition on ``t``), named columns only."""
    cols = ", ".join(f"t.{c}" for c in columns)
    return con.execute(
        f"SELECT {cols} FROM {table} t WHERE t.start_time >= ? AND t.start_time < ? AND ({where})",
        [start, end, *(params or [])],
    ).df()


def handled_by_day_and_shift(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    shifts: dict[str, tuple[int, int]],
    table: str = "contacts",
) -> pd.DataFrame:
    """Answered contacts per agent, day and shift (columns agent_id, date, shift, n)."""
    case = " ".join(
        f"WHEN hour(start_time) >= {a} AND hour(start_time) < {b} THEN '{n}'"
        for n, (a, b) in shifts.items()
    )
    return con.execute(
        f"""
        SELECT agent_id, CAST(date_trunc('day', start_time) AS TIMESTAMP) AS date,
               CASE {case} END AS shift, count(*) AS n
        FROM {table}
        WHERE start_time >= ? AND start_time < ? AND answered AND agent_id IS NOT NULL
        GROUP BY 1, 2, 3
        """,
        [start, end],
    ).df()


def stage(
    con: duckdb.DuckDBPyConnection,
    name: str,
    start: datetime,
    end: datetime,
    columns: tuple[str, ...],
) -> str:
    """Decode the named columns of [start, end) from Parquet once into an in-memory table
    ``name``, for several queries over the same month; returns ``name``."""
    cols = ", ".join(columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} FROM contacts "
        "WHERE start_time >= ? AND start_time < ?",
        [start, end],
    )
    return name


def capped_per_agent(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    where: str,
    params: list,
    share: float,
    cap: int | None,
    seed: str,
    columns: tuple[str, ...],
    table: str = "contacts",
) -> pd.DataFrame:
    """Per agent, ceil(share x n) (at most ``cap``) of the n contacts meeting ``where``, chosen by
    a seeded hash; the result carries ``_n`` (the agent's flagged count) for the rule's audit."""
    cols = ", ".join(f"t.{c}" for c in columns)
    limit = (
        f"least(ceil(n * {share} - 1e-9), {cap})"
        if cap is not None
        else f"ceil(n * {share} - 1e-9)"
    )
    return con.execute(
        f"""
        SELECT {", ".join(columns)}, n AS _n FROM (
            SELECT {cols},
                   count(*) OVER (PARTITION BY t.agent_id) AS n,
                   row_number() OVER (PARTITION BY t.agent_id ORDER BY hash(t.contact_id || ':' || ?)) AS r
            FROM {table} t
            WHERE t.start_time >= ? AND t.start_time < ? AND ({where})
        ) WHERE r <= {limit}
        """,
        [seed, start, end, *params],
    ).df()
