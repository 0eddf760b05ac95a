"""A month's auto-QA results counted in DuckDB where they lie: the Parquet ``qaw autoqa`` kept
(5 M rows for a 2,000-agent month, ~0.6 GiB as a pandas frame) is scanned, never read whole
into pandas; a frame already in memory is scanned in place. Only the counts come back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from ..data import duck

if TYPE_CHECKING:
    import duckdb

# a month's results: the frame ``check_month`` returns, or the Parquet file it was saved to
Results = pd.DataFrame | Path

# the columns counted (text in the view, whatever their type in the frame or file)
COLUMNS = ["contact_id", "agent_id", "channel", "rule_id", "item_id", "result"]


@contextmanager
def opened(
    results: Results,
    agents: pd.DataFrame | None = None,
    team: str = "",
    advisory: set[tuple[str, str]] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection holding the view ``r``: ``results``' columns ``COLUMNS`` as text,
    with each row's ``team`` when ``agents`` (``agent_id``, ``team``) is given, only ``team``'s
    rows when it is named; and the table ``advisory`` (``rule_id``, ``channel``: the pairs in
    ``advisory``, none when None)."""
    if team and agents is None:
        raise ValueError("a team's results need the agents' teams (agents)")
    con = duck.connect()
    try:
        have = None
        if isinstance(results, pd.DataFrame):  # (as Arrow: counting a 2,000-agent month's
            # frame of categories and text took DuckDB 7-8 s from pandas, 1.2-1.4 s from Arrow)
            have = set(results.columns)
            frame = results[[c for c in COLUMNS if c in have]]
            con.register("source", pa.Table.from_pandas(frame, preserve_index=False))
            source = "source"
        else:
            source = "read_parquet(" + "'" + str(results).replace("'", "''") + "')"
        cols = ", ".join(_column(c, have) for c in COLUMNS)
        view = f"SELECT {cols} FROM {source}"
        if agents is not None:
            roster = agents[["agent_id", "team"]].drop_duplicates("agent_id")
            roster = roster.astype({"agent_id": str, "team": "string"})  # (no team: NULL)
            con.register("roster", roster)
            view = f"SELECT x.*, a.team FROM ({view}) x LEFT JOIN roster a USING (agent_id)"
            if team:  # (a view takes no parameters: the team is a table)
                con.register("scope", pd.DataFrame({"team": [team]}, dtype=str))
                view += " WHERE a.team IN (SELECT team FROM scope)"
        con.execute(f"CREATE TEMP VIEW r AS {view}")
        pairs = sorted(advisory or ())
        con.register("advisory", pd.DataFrame(pairs, columns=["rule_id", "channel"], dtype=str))
        yield con
    finally:
        con.close()


def _column(name: str, have: set[str] | None) -> str:
    """``name`` as text in the view; a frame without it gives NULL, or for ``agent_id`` an
    empty id (a frame of checks alone, no agent named: each counted as answered)."""
    if have is None or name in have:
        return f'"{name}"::VARCHAR AS "{name}"'
    missing = "''" if name == "agent_id" else "NULL"
    return f'{missing}::VARCHAR AS "{name}"'


def query(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """``sql``'s rows as a frame (read to the end, as this DuckDB build needs)."""
    return con.execute(sql).df()
