"""Coaching actions (辅导记录): what a team lead and an agent agreed, stored in a SQL database,
and whether the coached items improved since (the "check" of the PDCA loop).

An action is never overwritten: editing or closing it adds a row to ``coaching_action_updates``
(who, when, the new status, outcome note, agreement or due date), and an action's current state
is its latest update. SQLite by default (``data/coaching.db``), any SQLAlchemy URL by
``QAW_COACHING_DB``.
"""

from __future__ import annotations

import os
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

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
    # the form's one-time key: a second click of the same form finds the first action
    sa.Column("request_id", sa.String(64), nullable=True, unique=True),
)
updates_table = sa.Table(
    "coaching_action_updates",
    metadata,
    sa.Column("update_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("action_id", sa.Integer, sa.ForeignKey("coaching_actions.action_id"), nullable=False,
              index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("agreed", sa.Text, nullable=True),  # a changed agreement, else NULL
    sa.Column("due", sa.Date, nullable=True),  # a changed due date, else NULL
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.String(128), nullable=False),
)  # fmt: skip
STATUSES = ("open", "done", "dropped")  # an action is open until closed as done or dropped


def default_url() -> str:
    """The ``coaching_db`` setting: ``QAW_COACHING_DB``, else the workspace's qaw.yaml, else
    the SQLite file coaching.db in the workspace (data/coaching.db in a clone)."""
    from ..settings import get

    return get("coaching_db")


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
    _create(engine)
    return engine


def _create(engine: sa.Engine) -> None:
    """Create the tables (safe when several processes do it at once) and add the columns a
    store from an earlier version lacks."""
    for attempt in range(5):
        try:
            metadata.create_all(engine)
            break
        except sa.exc.OperationalError as e:  # another process created it between check and create
            if "already exists" not in str(e) or attempt == 4:
                raise
    have = {c["name"] for c in sa.inspect(engine).get_columns("coaching_actions")}
    if "request_id" not in have:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE coaching_actions ADD COLUMN request_id VARCHAR(64)"))
            conn.execute(sa.text(
                "CREATE UNIQUE INDEX IF NOT EXISTS ix_coaching_request ON coaching_actions (request_id)"
            ))  # fmt: skip


def add_action(
    engine: sa.Engine, agent_id: str, item_ids: list[str], agreed: str, due: date, created_by: str,
    *, known_agents: set[str] | None = None, known_items: set[str] | None = None, today: date | None = None,
    created_at: datetime | None = None, request_id: str | None = None,
) -> int:  # fmt: skip
    """Save one agreed action; returns its id. Bad input raises QAWError saying what is wrong.

    ``created_at`` (default now) lets earlier records be imported, with ``today`` their date.
    ``request_id`` (the form's one-time key) makes saving idempotent: the same key again
    returns the action saved first instead of a second copy.
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
    if request_id and (found := _by_request(engine, request_id)) is not None:
        return found
    try:
        with engine.begin() as conn:
            res = conn.execute(
                actions_table.insert().values(
                    agent_id=agent_id,
                    item_ids=",".join(item_ids),
                    agreed=agreed,
                    due=due,
                    created_at=(created_at or datetime.now()).replace(microsecond=0),
                    created_by=created_by,
                    request_id=request_id or None,
                )
            )
            return int(res.inserted_primary_key[0])
    except sa.exc.IntegrityError:  # the same form saved at the same moment by another click
        found = _by_request(engine, request_id) if request_id else None
        if found is None:
            raise
        return found


def _by_request(engine: sa.Engine, request_id: str) -> int | None:
    q = sa.select(actions_table.c.action_id).where(actions_table.c.request_id == request_id)
    with engine.connect() as conn:
        return conn.execute(q).scalar()


def update_action(
    engine: sa.Engine, action_id: int, status: str, outcome: str, updated_by: str,
    *, agreed: str | None = None, due: date | None = None, updated_at: datetime | None = None,
) -> int:  # fmt: skip
    """Record a change to an action (status, outcome note, and optionally a new agreement or
    due date) as a new row: nothing is overwritten. Returns the update's id; bad input raises
    QAWError saying what is wrong."""
    outcome = (outcome or "").strip()
    updated_by = (updated_by or "").strip()
    agreed = agreed.strip() if agreed else None
    problems = []
    with engine.connect() as conn:
        exists = conn.execute(
            sa.select(actions_table.c.action_id).where(actions_table.c.action_id == action_id)
        ).scalar()
    if exists is None:
        problems.append(f"there is no action {action_id}")
    if status not in STATUSES:
        problems.append(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    if status != "open" and len(outcome) < 2:
        problems.append("write the outcome when closing an action")
    for text in (outcome, agreed or ""):
        if text.startswith(("=", "+", "-", "@")):
            problems.append("a note must not start with = + - @")
    if not updated_by:
        problems.append("say who made the change")
    if problems:
        raise QAWError("; ".join(problems))
    with engine.begin() as conn:
        res = conn.execute(
            updates_table.insert().values(
                action_id=action_id, status=status, outcome=outcome, agreed=agreed, due=due,
                updated_at=(updated_at or datetime.now()).replace(microsecond=0),
                updated_by=updated_by,
            )
        )  # fmt: skip
        return int(res.inserted_primary_key[0])


def updates(engine: sa.Engine, agent_id: str | None = None) -> pd.DataFrame:
    """The audit trail: every recorded change of the actions (one agent's, or everyone's), oldest
    first."""
    q = (
        sa.select(updates_table, actions_table.c.agent_id)
        .join(actions_table, updates_table.c.action_id == actions_table.c.action_id)
        .order_by(updates_table.c.updated_at, updates_table.c.update_id)
    )
    if agent_id:
        q = q.where(actions_table.c.agent_id == agent_id)
    with engine.connect() as conn:
        df = pd.read_sql(q, conn)
    return df.astype({"updated_at": "datetime64[us]"}) if len(df) else df


def actions(engine: sa.Engine, agent_id: str | None = None) -> pd.DataFrame:
    """Saved actions as they stand now, newest first (one agent's, or everyone's): the
    agreement and due date as last changed, ``status`` (open, done, dropped), ``outcome`` and
    who changed it when (empty for an action never updated)."""
    q = sa.select(*[c for c in actions_table.c if c.name != "request_id"]).order_by(
        actions_table.c.created_at.desc(), actions_table.c.action_id.desc()
    )
    if agent_id:
        q = q.where(actions_table.c.agent_id == agent_id)
    with engine.connect() as conn:
        df = pd.read_sql(q, conn)
    df["status"], df["outcome"] = "open", ""
    df["updated_at"], df["updated_by"] = pd.NaT, ""
    if df.empty:
        return df
    df = df.astype({"created_at": "datetime64[us]", "updated_at": "datetime64[us]"})
    ups = updates(engine, agent_id)
    if len(ups):
        last = ups.groupby("action_id").last()  # the latest status, outcome and change
        agreed = ups.dropna(subset=["agreed"]).groupby("action_id")["agreed"].last()
        due = ups.dropna(subset=["due"]).groupby("action_id")["due"].last()
        idx = df["action_id"]
        for col in ("status", "outcome", "updated_at", "updated_by"):
            df[col] = (
                idx.map(last[col]).fillna(df[col]) if col != "updated_at" else idx.map(last[col])
            )
        for col, changed in (("agreed", idx.map(agreed)), ("due", idx.map(due))):
            df[col] = [
                new if pd.notna(new) else old for new, old in zip(changed, df[col], strict=True)
            ]
    return df


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
