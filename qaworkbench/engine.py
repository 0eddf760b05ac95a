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


def in_interval(column: str, interval_min: float, intervals: str) -> str:
    """SQL: ``column``'s interval and ``channel`` are among the rows (interval_start, channel)
    of the registered table ``intervals``."""
    w = _bucket_us(interval_min)
    return (
        f"(epoch_us({column}) // {w}, t.channel) IN "
        f"(SELECT (epoch_us(interval_start) // {w}, channel) FROM {intervals})"
    )


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

    Columns: contact_id, previous_contact_id, hours_since (the gap, hours). Two contacts of a
    customer at the same second are ordered by contact id, so the result never varies.
    """
    name = stage_repeat_contacts(con, "_repeat_contacts", start, end, within_hours, table)
    try:
        out = con.execute(f"SELECT * FROM {name} ORDER BY contact_id").df()
        return out.drop(columns="_r", errors="ignore")
    finally:
        con.execute(f"DROP TABLE {name}")


def stage_repeat_contacts(
    con: duckdb.DuckDBPyConnection,
    name: str,
    start: datetime,
    end: datetime,
    within_hours: float,
    table: str = "contacts",
) -> str:
    """``repeat_contacts`` into the temporary table ``name``, kept in DuckDB; returns ``name``.

    A staged table's customer hash ``_c`` finds the customers seen twice (a collision only
    lets an extra customer through to the exact check by customer_id); from a staged table
    the rows also carry ``_r``, the contact's row id there."""
    has_c = "_c" in con.execute(f"SELECT * FROM {table} LIMIT 0").df().columns
    c = "_c" if has_c else "customer_id"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        WITH a AS (
            SELECT contact_id, customer_id, start_time{", _c, rowid AS _r" if has_c else ""}
            FROM {table}
            WHERE start_time >= ? - to_hours(CAST(ceil(?) AS BIGINT)) AND start_time < ?
              AND answered AND customer_id IS NOT NULL
        ),
        again AS (SELECT {c} FROM a GROUP BY {c} HAVING count(*) > 1),
        c AS (  -- only customers seen twice need ordering: a hash join, then a smaller window
            SELECT contact_id, customer_id, start_time{", _r" if has_c else ""},
                   lag(contact_id) OVER w AS previous_contact_id,
                   lag(start_time) OVER w AS previous_start
            FROM a SEMI JOIN again USING ({c})
            WINDOW w AS (PARTITION BY customer_id ORDER BY start_time, contact_id)
        )
        SELECT contact_id, previous_contact_id,
               (epoch(start_time) - epoch(previous_start)) / 3600.0 AS hours_since{", _r" if has_c else ""}
        FROM c
        WHERE start_time >= ? AND previous_start IS NOT NULL
          AND epoch(start_time) - epoch(previous_start) <= ? * 3600
        """,
        [start, within_hours, end, start, within_hours],
    )
    return name


def keep_table(con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame) -> str:
    """Copy a DataFrame into the temporary table ``name`` (joined many times: copied once)."""
    con.register("_keep_frame", df)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _keep_frame")
    finally:
        con.unregister("_keep_frame")
    return name


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


def first_days_contacts(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    hires: pd.DataFrame,
    days: int,
    columns: tuple[str, ...],
    table: str = "contacts",
) -> pd.DataFrame:
    """The contacts of [start, end) made in each agent's first ``days`` days since hire_date
    (``hires``: agent_id, hire_date), named columns only."""
    con.register("_hires", hires[["agent_id", "hire_date"]])
    try:
        cols = ", ".join(f"t.{c}" for c in columns)
        return con.execute(
            f"""
            SELECT {cols} FROM {table} t JOIN _hires h USING (agent_id)
            WHERE t.start_time >= ? AND t.start_time < ?
              AND t.start_time >= h.hire_date AND t.start_time < h.hire_date + INTERVAL {int(days)} DAY
            """,
            [start, end],
        ).df()
    finally:
        con.unregister("_hires")


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
    seed: int | None = None,
    marks: dict[str, str] | None = None,
) -> str:
    """Decode the named columns of [start, end) from Parquet once into an in-memory table
    ``name``, for several queries over the same month; returns ``name``.

    With ``seed`` the table also gets ``_h``, a 64-bit hash of (contact_id, seed): the
    contact's random key, fixed by the id and the seed whatever order the export arrives
    in; and ``_c``, a hash of customer_id (to find customers seen twice quickly).
    ``marks`` adds a flag column per entry: {"_done": "_evaluated"} flags the contacts
    whose contact_id is in the table ``_evaluated``.
    """
    cols = ", ".join(f"c.{c}" for c in columns)
    params: list = []
    if seed is not None:
        cols += ", hash(c.contact_id, ?) AS _h, hash(c.customer_id) AS _c"
        params.append(str(seed))
    for flag, ids in (marks or {}).items():
        cols += f", c.contact_id IN (SELECT contact_id FROM {ids}) AS {flag}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols} FROM contacts c "
        "WHERE c.start_time >= ? AND c.start_time < ?",
        [*params, start, end],
    )
    return name


KEY_MARGIN = (4.0, 10.0)  # a pre-filter keeps about k + 4 sqrt(k) + 10 rows per agent


def smallest_per_agent(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    where: str,
    params: list,
    salt: str,
    columns: tuple[str, ...],
    table: str,
    *,
    want: pd.DataFrame | None = None,
    share: float = 1.0,
    cap: int | None = None,
) -> pd.DataFrame:
    """Per agent, the k contacts of [start, end) meeting ``where`` (SQL on ``t``) that have the
    smallest key, the key being the staged ``_h`` (see ``stage``) hashed with ``salt``.

    k is ``want.k`` (columns agent_id, k) when given, else ceil(share x n) at most ``cap``,
    n being the agent's count of contacts meeting ``where``; the result carries ``_n``.
    Exact, without sorting the month: a first pass keeps each agent's contacts whose key is
    below a quantile expected to hold about k + 4 sqrt(k) + 10 of them, and ranks only
    those; an agent left with fewer than k (rare) is ranked again over all its contacts.
    """
    cols = ", ".join(f"t.{c}" for c in columns)
    registered = []
    if want is not None:
        con.register("_want", want[["agent_id", "k"]])
        registered.append("_want")
        take = "least(w.k, n._n)"
        join = "JOIN _want w USING (agent_id)"
    else:
        limit = f"ceil(n._n * {float(share)!r} - 1e-9)"
        take = f"least({limit}, {int(cap)})" if cap is not None else limit
        join = ""
    a, b = KEY_MARGIN

    def run(threshold: bool, only: str = "") -> pd.DataFrame:
        below = (
            f"CASE WHEN _take + {a} * sqrt(_take) + {b} >= _n THEN NULL ELSE "
            f"((_take + {a} * sqrt(_take) + {b}) / _n * 1.8446744073709552e19)::UBIGINT END"
            if threshold
            else "NULL"
        )
        # rank on a narrow projection (row id, agent, key), then fetch the picked rows'
        # columns; every agent with a quota comes back, a row without contact if none kept
        return con.execute(
            f"""
            WITH f AS (
                SELECT t.rowid AS _r, t.agent_id, hash(t._h, ?) AS _k FROM {table} t
                WHERE t.start_time >= ? AND t.start_time < ? AND ({where}) {only}
            ),
            n AS (SELECT agent_id, count(*) AS _n FROM f GROUP BY agent_id),
            lim AS (
                SELECT agent_id, _n, _take, {below} AS _below
                FROM (SELECT n.agent_id, n._n, {take} AS _take FROM n {join})
                WHERE _take > 0
            ),
            picked AS (
                SELECT f._r, f.agent_id FROM f JOIN lim USING (agent_id)
                WHERE lim._below IS NULL OR f._k < lim._below
                QUALIFY row_number() OVER (PARTITION BY f.agent_id ORDER BY f._k) <= lim._take
            )
            SELECT {cols}, lim._n, lim._take, lim.agent_id AS _a
            FROM lim LEFT JOIN picked p USING (agent_id) LEFT JOIN {table} t ON t.rowid = p._r
            """,
            [salt, start, end, *params],
        ).df()

    try:
        got = run(True)
        have = got.groupby("_a")["contact_id"].count()
        due = got.groupby("_a")["_take"].first()
        short = due.index[have.reindex(due.index, fill_value=0) < due]
        got = got[got["contact_id"].notna()]
        if len(short):  # the pre-filter kept too few (or none) of these: rank all theirs
            con.register("_short", pd.DataFrame({"agent_id": short.astype(str)}))
            registered.append("_short")
            redo = run(False, "AND t.agent_id IN (SELECT agent_id FROM _short)")
            got = pd.concat([got[~got["_a"].isin(short)], redo], ignore_index=True)
        got = got.drop(columns=["_take", "_a"]).reset_index(drop=True)
    finally:
        for name in registered:
            con.unregister(name)
    return got
