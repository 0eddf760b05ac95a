"""Run a rule set over conversations and keep the results beside the data.

Results: one row per contact and rule (pass / fail / na) with the evidence (message or turn
number, what was measured; for a violation the quoted text, masked, and the word matched). They are stored as
``<data>/autoqa/<month>.parquet`` (written beside, then swapped in), and each contact's
automatic score in ``<month>.scores.parquet``, apart from the evaluations: automatic results
never enter the human score, pay or penalties.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..data import duck
from ..data.load import present_tables
from ..errors import QAWError, writing
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
    """Every rule of ``rules`` on every contact of ``convs``: one row per contact and rule.
    Ids, channels, rules, items and results are categoricals (a month is millions of rows)."""
    closing = next((r for r in rules.rules if r.check == "closing"), None)
    ctx = Context(tuple(rules.dictionary), closing)
    codes: dict[str, list[np.ndarray]] = {
        k: [] for k in ("contact_id", "channel", "rule_id", "item_id", "result")
    }
    values: dict[str, list[np.ndarray]] = {k: [] for k in ("seq", "quote", "matched", "measure")}
    cats: dict[str, list[str]] = {"channel": [], "rule_id": [], "item_id": []}
    offset, ids = 0, []

    def code(key: str, value: str, n: int) -> np.ndarray:
        if value not in cats[key]:
            cats[key].append(value)
        return np.full(n, cats[key].index(value), np.int16)

    for c in convs:
        if c.n == 0:
            continue
        ids.append(c.contact_ids)
        for rule, item in rules.for_channel(c.channel):
            if rule.check in ("silence", "talk_over") and not np.isfinite(c.t_end).any():
                continue
            v = CHECKS[rule.check](c, rule, ctx)
            has = v.row >= 0
            quotes = np.full(c.n, None, dtype=object)
            cite = has & v.failed  # a quote is the evidence of a violation
            if cite.any():
                quotes[cite] = [_quote(t) for t in c.texts(v.row[cite])]
            codes["contact_id"].append(np.arange(c.n, dtype=np.int32) + offset)
            codes["channel"].append(code("channel", c.channel, c.n))
            codes["rule_id"].append(code("rule_id", rule.id, c.n))
            codes["item_id"].append(code("item_id", item, c.n))
            codes["result"].append(
                np.where(~v.applies, 2, np.where(v.failed, 1, 0)).astype(np.int8)
            )
            values["seq"].append(np.where(has, c.seq[np.maximum(v.row, 0)], -1))
            values["quote"].append(quotes)
            values["matched"].append(np.where(v.failed, v.matched, None))
            values["measure"].append(v.measure.astype(float))
        offset += c.n
    if not ids:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RESULT_COLUMNS})
    cats["contact_id"] = np.concatenate(ids)
    cats["result"] = ["pass", "fail", "na"]
    out = {}
    for k in list(codes):  # each column's parts go as soon as it is joined
        out[k] = pd.Categorical.from_codes(np.concatenate(codes.pop(k)), cats[k])
    seq = np.concatenate(values["seq"])
    out["seq"] = pd.array(seq, dtype="Int64")
    out["seq"][seq < 0] = pd.NA
    for k in ("quote", "matched", "measure"):
        out[k] = np.concatenate(values.pop(k))
    return pd.DataFrame({k: out[k] for k in RESULT_COLUMNS}, copy=False)


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
    con.execute("SET threads TO 1")  # keeps the file's order: grouped exports need no sort
    lo, hi = period.start.to_pydatetime(), period.end.to_pydatetime()
    out = []
    if "chat_messages" in want:
        df = con.sql(
            "SELECT conversation_id AS contact_id, seq, sender, timestamp, text "
            "FROM chat_messages WHERE conversation_id IN (SELECT contact_id FROM contacts "
            "WHERE start_time >= ? AND start_time < ?)",
            params=[lo, hi],
        ).to_arrow_table()
        out.append(from_messages(_in_order(df, "seq")))
    if "transcripts" in want:
        df = con.sql(
            "SELECT contact_id, turn, speaker, start_s, end_s, text FROM transcripts "
            "WHERE contact_id IN (SELECT contact_id FROM contacts "
            "WHERE start_time >= ? AND start_time < ?)",
            params=[lo, hi],
        ).to_arrow_table()
        out.append(from_transcripts(_in_order(df, "turn")))
    con.close()
    return out


TIMING_CHECKS = ("first_response", "average_response", "lookup_reply")


def untimed_chats(source: str | Path, period: Period) -> int:
    """Chats of contacts that started in ``period`` with no message time at all (an export
    without times): their timing rules are n/a (DuckDB; the messages stay on disk)."""
    from ..data import engine

    if "chat_messages" not in present_tables(source):
        return 0
    con = engine.connect(source, tables=("contacts", "chat_messages"))
    lo, hi = period.start.to_pydatetime(), period.end.to_pydatetime()
    n = con.sql(
        "SELECT count(*) FROM (SELECT conversation_id FROM chat_messages WHERE conversation_id "
        "IN (SELECT contact_id FROM contacts WHERE start_time >= ? AND start_time < ?) "
        "GROUP BY conversation_id HAVING count(timestamp) = 0)",
        params=[lo, hi],
    ).fetchall()[0][0]
    con.close()
    return int(n)


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


def _in_order(t: pa.Table, order: str) -> pa.Table:
    """``t`` grouped by contact, each in ``order``. Exports usually are (and a one-thread
    scan keeps the file's order), so ``t`` comes back as it is; otherwise it is sorted on
    integer keys and taken column by column (an ORDER BY in DuckDB would hold the texts
    twice)."""
    if t.num_rows == 0:
        return t
    ids = pc.dictionary_encode(t.column("contact_id").combine_chunks())
    codes = ids.indices.to_numpy(zero_copy_only=False)
    seq = t.column(order).to_numpy()
    change = np.r_[True, codes[1:] != codes[:-1]]
    if change.sum() == len(ids.dictionary) and np.all((seq[1:] > seq[:-1]) | change[1:]):
        return t
    key = np.lexsort((seq, codes))
    take = pa.array(key)
    cols = {}
    for name in t.column_names:
        cols[name] = t.column(name).take(take)
        t = t.drop_columns([name])  # the unsorted column goes as soon as its copy is made
    return pa.table(cols)


def human_month(source: str | Path, period: Period) -> pd.DataFrame:
    """The evaluators' item results (``contact_id``, ``item_id``, ``human``) for contacts of
    ``period``: each contact's latest evaluation outside calibration, as
    ``agreement.human_items`` takes them, read with DuckDB (empty without evaluations)."""
    from ..data import engine

    present = present_tables(source)
    if not {"evaluations", "evaluation_items"} <= set(present):
        return pd.DataFrame({"contact_id": [], "item_id": [], "human": []}, dtype=str)
    con = engine.connect(source, tables=("contacts", "evaluations", "evaluation_items"))
    df = con.execute(
        """
        WITH ev AS (
            SELECT e.evaluation_id, e.contact_id,
                   row_number() OVER (PARTITION BY e.contact_id
                                      ORDER BY e.evaluated_at DESC, e.evaluation_id DESC) AS k
            FROM evaluations e JOIN contacts c USING (contact_id)
            WHERE e.mode <> 'calibration' AND c.start_time >= ? AND c.start_time < ?
        )
        SELECT ev.contact_id, i.item_id, i.result AS human
        FROM ev JOIN evaluation_items i USING (evaluation_id) WHERE ev.k = 1
        """,
        [period.start.to_pydatetime(), period.end.to_pydatetime()],
    ).df()
    con.close()
    return df.astype(str)


def month_sample(period: Period, samples_dir: str | Path | None = None) -> pd.DataFrame | None:
    """The month's sample as ``qaw sample`` wrote it (``<reports>/samples/<month>/sample.csv``),
    or None."""
    from ..config import REPORTS_DIR

    path = Path(samples_dir or REPORTS_DIR / "samples") / period.month / "sample.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False,
                       usecols=lambda c: c in ("contact_id", "reasons"))  # fmt: skip


def results_path(source: str | Path, period: Period) -> Path:
    """Where a period's results are kept: ``<data>/autoqa/<period>.parquet``."""
    if not Path(source).is_dir():
        raise QAWError(
            f"{source}: auto-QA results are kept in a data folder; give a folder as --data"
        )
    return Path(source) / "autoqa" / f"{period.label}.parquet"


def kept_results(source: str | Path, p: Period) -> Path | None:
    """The Parquet file of ``p``'s results ``qaw autoqa`` kept, or None when there is none (not
    run, run on nothing, or a source that is not a data folder). Counting functions
    (``tally``, ``agreement``) take it as it lies: a month's millions of rows stay there."""
    import pyarrow.parquet as pq

    path = _stored(source, p)
    return path if path is not None and pq.read_metadata(path).num_rows else None


def _stored(source: str | Path, period: Period) -> Path | None:
    """The file ``results_path`` names, when it exists (None too for a source that is not a
    data folder)."""
    try:
        path = results_path(source, period)
    except QAWError:
        return None
    return path if path.exists() else None


def save_results(results: pd.DataFrame, path: Path, rules: RuleSet) -> None:
    """Write ``results`` to ``path`` (beside, then renamed: a failed write leaves the old)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(results, preserve_index=False)
    meta = {**(table.schema.metadata or {}), b"qaw_ruleset": f"{rules.id} {rules.version}".encode()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table.replace_schema_metadata(meta), tmp)
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_scores(scores: pd.DataFrame, results: Path) -> Path:
    """Write the contacts' automatic scores beside their results (``<period>.scores.parquet``),
    replacing the old file only once the new one is written."""
    path = results.with_name(f"{results.stem}.scores.parquet")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with writing(path):
            scores.to_parquet(tmp, index=False)
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_results(
    source: str | Path, period: Period, columns: list[str] | None = None, *,
    fails_only: bool = False,
) -> pd.DataFrame | None:  # fmt: skip
    """The stored results of ``period`` (None when ``qaw autoqa`` has not run for it), all
    columns or the ``columns`` named (a month's quotes are most of its size); with
    ``fails_only``, only the failed checks (read filtered, a few % of a month's rows; through
    DuckDB, so ids and names come as text, not categories)."""
    if (path := _stored(source, period)) is None:
        return None
    if not fails_only:
        return pd.read_parquet(path, columns=columns)
    # filtered in DuckDB: 8,000 agents' failed checks in 1.3 s, not 6.9 s
    con = duck.connect()
    try:
        rel = con.read_parquet(str(path))
        names = columns or rel.columns
        fails = rel.filter("result = 'fail'").select(", ".join(f'"{c}"' for c in names))
        # (through Arrow: ~2x faster than .df()); whole numbers nullable, as the frame path
        # reads them (a pass or an n/a may have no message ``seq``)
        out = fails.to_arrow_table().to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    finally:
        con.close()
    return out


def first_violations(
    source: str | Path, period: Period, columns: list[str], rules: list[str] | tuple[str, ...] = ()
) -> pd.DataFrame | None:
    """Each contact's first failed check of ``period`` (the lowest message ``seq``, one
    without a message last; on a tie, the first kept), among ``rules`` (none named: every
    rule): its ``columns``, one row per contact, in no particular order. None when ``qaw
    autoqa`` has not run for the period. Chosen in DuckDB over the kept Parquet: a month's
    millions of results never come into pandas, only one row per flagged contact."""
    if (path := _stored(source, period)) is None:
        return None
    con = duck.connect()
    try:
        fails = con.sql(
            f"""
            SELECT {", ".join(f'"{c}"' for c in columns)}
            FROM read_parquet(?, file_row_number = true)
            WHERE result = 'fail' {"AND list_contains(?, rule_id)" if rules else ""}
            QUALIFY row_number() OVER (
                PARTITION BY contact_id ORDER BY seq NULLS LAST, file_row_number) = 1
            """,
            params=[str(path), *([list(rules)] if rules else [])],
        ).to_arrow_table()
    finally:
        con.close()
    # (whole numbers nullable, as ``load_results`` reads them)
    return fails.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


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
