"""Run a rule set over conversations and keep the results beside the data.

Results: one row per contact and rule (pass / fail / na) with the evidence (message or turn
number, the quoted text masked, the word matched, what was measured). They are stored as
``<data>/autoqa/<month>.parquet`` (written beside, then swapped in), apart from the
evaluations: automatic results never enter the human score, pay or penalties.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.load import present_tables
from ..errors import QAWError
from ..periods import Period
from ..privacy import mask_text
from .checks import CHECKS, Context
from .conversations import Conversations, from_messages, from_transcripts
from .ruleset import RuleSet

QUOTE_CHARS = 60  # the longest quote kept as evidence, characters
RESULT_COLUMNS = [
    "contact_id", "channel", "rule_id", "item_id", "result", "seq", "quote", "matched", "measure",
]  # fmt: skip


def check(convs: list[Conversations], rules: RuleSet) -> pd.DataFrame:
    """Every rule of ``rules`` on every contact of ``convs``: one row per contact and rule."""
    closing = next((r for r in rules.rules if r.check == "closing"), None)
    ctx = Context(tuple(rules.dictionary), closing)
    frames = []
    for c in convs:
        if c.n == 0:
            continue
        for rule, item in rules.for_channel(c.channel):
            if rule.check in ("silence", "talk_over") and not np.isfinite(c.t_end).any():
                continue
            v = CHECKS[rule.check](c, rule, ctx)
            row = v.row
            has = row >= 0
            quotes = np.full(c.n, None, dtype=object)
            if has.any():
                quotes[has] = [_quote(t) for t in c.texts(row[has])]
            seq = np.where(has, c.seq[np.maximum(row, 0)], -1)
            frames.append(
                pd.DataFrame(
                    {
                        "contact_id": c.contact_ids,
                        "channel": c.channel,
                        "rule_id": rule.id,
                        "item_id": item,
                        "result": np.where(~v.applies, "na", np.where(v.failed, "fail", "pass")),
                        "seq": pd.Series(seq, dtype="Int64").where(has),
                        "quote": np.where(v.applies, quotes, None),
                        "matched": np.where(v.failed, v.matched, None),
                        "measure": v.measure,
                    }
                )
            )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RESULT_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out["quote"] = out["quote"].where(out["result"] != "na")
    return out[RESULT_COLUMNS]


def _quote(text: str) -> str:
    """The evidence quote: masked, at most QUOTE_CHARS characters."""
    t = mask_text(str(text))
    return t if len(t) <= QUOTE_CHARS else t[: QUOTE_CHARS - 1] + "…"


def month_conversations(source: str | Path, period: Period) -> list[Conversations]:
    """The chats and transcribed calls of contacts that started in ``period``, read with
    DuckDB (only those contacts' messages reach memory)."""
    from ..data import engine

    present = present_tables(source)
    want = tuple(t for t in ("contacts", "chat_messages", "transcripts") if t in present)
    if "contacts" not in want:
        raise QAWError(f"{source}: no contacts table, so no contacts to check")
    con = engine.connect(source, tables=want)
    lo, hi = period.start.to_pydatetime(), period.end.to_pydatetime()
    out = []
    if "chat_messages" in want:
        df = con.execute(
            "SELECT m.conversation_id AS contact_id, m.seq, m.sender, m.timestamp, m.text "
            "FROM chat_messages m JOIN contacts c ON c.contact_id = m.conversation_id "
            "WHERE c.start_time >= ? AND c.start_time < ?",
            [lo, hi],
        ).df()
        out.append(from_messages(df))
    if "transcripts" in want:
        df = con.execute(
            "SELECT t.contact_id, t.turn, t.speaker, t.start_s, t.end_s, t.text "
            "FROM transcripts t JOIN contacts c USING (contact_id) "
            "WHERE c.start_time >= ? AND c.start_time < ?",
            [lo, hi],
        ).df()
        out.append(from_transcripts(df))
    con.close()
    return out


def answered_counts(
    source: str | Path, period: Period, agent_ids: list[str] | None = None
) -> pd.Series:
    """Answered contacts of ``period`` per channel, of ``agent_ids`` if given (DuckDB; the
    contacts stay on disk)."""
    from ..data import engine

    con = engine.connect(source, tables=("contacts",))
    scope = ""
    if agent_ids is not None:
        con.register("scope", pd.DataFrame({"agent_id": pd.Series(agent_ids, dtype=str)}))
        scope = "AND agent_id IN (SELECT agent_id FROM scope) "
    df = con.execute(
        "SELECT channel, count(*) AS n FROM contacts WHERE answered "
        f"AND start_time >= ? AND start_time < ? {scope}GROUP BY channel",
        [period.start.to_pydatetime(), period.end.to_pydatetime()],
    ).df()
    con.close()
    return df.set_index("channel")["n"].astype(int)


def results_path(source: str | Path, period: Period) -> Path:
    """Where a period's results are kept: ``<data>/autoqa/<period>.parquet``."""
    if not Path(source).is_dir():
        raise QAWError(
            f"{source}: auto-QA results are kept in a data folder; give a folder as --data"
        )
    return Path(source) / "autoqa" / f"{period.label}.parquet"


def save_results(results: pd.DataFrame, path: Path, rules: RuleSet) -> None:
    """Write ``results`` to ``path`` (beside, then renamed: a failed write leaves the old)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(results, preserve_index=False)
    meta = {**(table.schema.metadata or {}), b"qaw_ruleset": f"{rules.id} {rules.version}".encode()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table.replace_schema_metadata(meta), tmp)
    os.replace(tmp, path)


def load_results(source: str | Path, period: Period) -> pd.DataFrame | None:
    """The stored results of ``period`` (None when ``qaw autoqa`` has not run for it)."""
    try:
        path = results_path(source, period)
    except QAWError:
        return None
    if not path.exists():
        return None
    return pd.read_parquet(path)


def check_month(source: str | Path, period: Period, rules: RuleSet) -> pd.DataFrame:
    """Check every chat and transcribed call of ``period``: the results with each contact's
    agent (``agent_id``)."""
    from ..data import engine

    convs = month_conversations(source, period)
    res = check(convs, rules)
    con = engine.connect(source, tables=("contacts",))
    ids = pd.DataFrame({"contact_id": res["contact_id"].unique()})
    con.register("checked", ids)
    agents = con.execute(
        "SELECT c.contact_id, c.agent_id FROM contacts c JOIN checked USING (contact_id)"
    ).df()
    con.close()
    res = res.merge(agents, on="contact_id", how="left")
    return res[["contact_id", "agent_id", *RESULT_COLUMNS[1:]]]
