"""Coaching actions (辅导记录): what a team lead and an agent agreed, stored in a SQL database,
and whether the coached items improved since (the "check" of the PDCA loop).

SQLite by default (``data/coaching.db``), any SQLAlchemy URL by ``QAW_COACHING_DB``.
"""

from __future__ import annotations

import os
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from ..config import DATA_DIR
from ..errors import QAWError
from ..stats import rate_change

metadata = sa.MetaData()
actions_table = sa.Table(
    "coaching_actions",
    metadata,
    sa.Column("action_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("agent_id", sa.String(64), nullable=False, index=True),
    sa.Column("item_ids", sa.String(400), nullable=False),  # comma-separated scorecard items
    sa.Column("agreed", sa.Text, nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
)


def default_url() -> str:
    """``QAW_COACHING_DB`` or the SQLite file data/coaching.db."""
    return os.environ.get("QAW_COACHING_DB", f"sqlite:///{DATA_DIR / 'coaching.db'}")


def recorded(url: str | None = None) -> bool:
    """Whether the coaching store exists (a SQLite file not yet created has no actions), so a
    reader need not create one."""
    url = url or default_url()
    return not url.startswith("sqlite:///") or os.path.exists(url.removeprefix("sqlite:///"))


def connect(url: str | None = None) -> sa.Engine:
    """An engine for the coaching store, creating its table if needed.

    SQLite runs in WAL mode with a busy timeout, so several dashboards can save at once.
    """
    url = url or default_url()
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(os.path.abspath(url.removeprefix("sqlite:///"))), exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
    else:
        engine = sa.create_engine(url)
    metadata.create_all(engine)
    return engine


def add_action(
    engine: sa.Engine, agent_id: str, item_ids: list[str], agreed: str, due: date, created_by: str,
    *, known_agents: set[str] | None = None, known_items: set[str] | None = None, today: date | None = None,
    created_at: datetime | None = None,
) -> int:  # fmt: skip
    """Save one agreed action; returns its id. Bad input raises QAWError saying what is wrong.

    ``created_at`` (default now) lets earlier records be imported, with ``today`` their date.
    """
    agreed = (agreed or "").strip()
    created_by = (created_by or "").strip()
    problems = []
    if not agent_id or (known_agents is not None and agent_id not in known_agents):
        problems.append(f"agent {agent_id!r} is not in the roster")
    if not item_ids:
        problems.append("choose at least one scorecard item to coach")
    elif known_items is not None and set(item_ids) - known_items:
        problems.append(f"unknown item(s): {', '.join(sorted(set(item_ids) - known_items))}")
    if len(agreed) < 4:
        problems.append("write what was agreed (at least a few words)")
    if agreed.startswith(("=", "+", "-", "@")):
        problems.append("what was agreed must not start with = + - @")
    if not isinstance(due, date):
        problems.append("give a due date")
    elif due < (today or date.today()):
        problems.append(f"the due date {due} is in the past")
    if not created_by:
        problems.append("say who recorded the action")
    if problems:
        raise QAWError("; ".join(problems))
    with engine.begin() as conn:
        res = conn.execute(
            actions_table.insert().values(
                agent_id=agent_id,
                item_ids=",".join(item_ids),
                agreed=agreed,
                due=due,
                created_at=(created_at or datetime.now()).replace(microsecond=0),
                created_by=created_by,
            )
        )
        return int(res.inserted_primary_key[0])


def actions(engine: sa.Engine, agent_id: str | None = None) -> pd.DataFrame:
    """Saved actions, newest first (one agent's, or everyone's)."""
    q = sa.select(actions_table).order_by(
        actions_table.c.created_at.desc(), actions_table.c.action_id.desc()
    )
    if agent_id:
        q = q.where(actions_table.c.agent_id == agent_id)
    with engine.connect() as conn:
        df = pd.read_sql(q, conn)
    return df.astype({"created_at": "datetime64[us]"}) if len(df) else df


def follow_up(actions_df: pd.DataFrame, item_results: pd.DataFrame) -> pd.DataFrame:
    """For each action and coached item: the agent's fail rate on it before the action and
    since, with the 95% interval of the change (negative = fewer fails = improved).

    ``item_results`` has agent_id, item_id, result (pass/fail/na) and evaluated_at.
    """
    rows = []
    for a in actions_df.itertuples():
        mine = item_results[
            (item_results["agent_id"] == a.agent_id) & (item_results["result"] != "na")
        ]
        for item in a.item_ids.split(","):
            r = mine[mine["item_id"] == item]
            before = r[r["evaluated_at"] < a.created_at]
            after = r[r["evaluated_at"] >= a.created_at]
            f0, n0 = int((before["result"] == "fail").sum()), len(before)
            f1, n1 = int((after["result"] == "fail").sum()), len(after)
            change = rate_change(f0, n0, f1, n1)
            rows.append(
                {"action_id": a.action_id, "item_id": item, "n_before": n0, "n_after": n1} | change
            )
    return pd.DataFrame(rows)
