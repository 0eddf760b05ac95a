"""A QA lead's reading of each rule's findings on the center's own data (``qaw autoqa review``):
which findings to read, what the reader needs beside each, where the verdicts are kept, and
each rule's reviewed precision with its 95% Wilson interval.

A finding is one contact a rule failed in a month; its id is ``<month>/<rule_id>/<contact_id>``
(one result per contact and rule). Verdicts are kept in ``<data>/autoqa/reviews.parquet``, one
row per finding: reading a sheet again replaces its rows, never adds them twice. A rule's
reviewed precision counts only the verdicts on findings of the rule set's current version (a
new version of the rules is read again). Texts are masked (``privacy.mask_text``) before they
leave this module; agents are shown masked (``privacy.mask_id``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import QAWError, writing
from ..privacy import mask_id, mask_text
from ..stats import wilson
from .ruleset import RuleSet

REVIEW_COLUMNS = [
    "finding_id", "month", "rule_id", "channel", "item_id", "contact_id", "ruleset", "verdict",
    "reason", "sheet", "read_at",
]  # fmt: skip
PRECISION_COLUMNS = [
    "rule_id", "channel", "reviewed", "reviewed_true", "reviewed_precision", "reviewed_lo",
    "reviewed_hi", "review_ok",
]  # fmt: skip
CONTEXT_BEFORE = 2  # messages shown before the one quoted
CONTEXT_AFTER = 1  # and after it


def finding_ids(month: str, rule_ids: pd.Series, contact_ids: pd.Series) -> pd.Series:
    """Each finding's id: ``<month>/<rule_id>/<contact_id>``."""
    return month + "/" + rule_ids.astype(str) + "/" + contact_ids.astype(str)


def ruleset_tag(rules: RuleSet) -> str:
    """The rule set a verdict was given under: ``<id> <version>``."""
    return f"{rules.id} {rules.version}"


def draw_findings(results: pd.DataFrame, month: str, per_rule: int, seed: int) -> pd.DataFrame:
    """Up to ``per_rule`` findings (fails) of each rule and channel, drawn at random with
    ``seed`` (the same results and seed draw the same findings), in rule order, each with its
    ``finding_id``. Columns: finding_id, month, rule_id, channel, item_id, contact_id,
    agent_id, seq, quote, matched, measure."""
    if per_rule < 1:
        raise QAWError(f"--per-rule {per_rule}: at least 1 finding per rule")
    fails = results[(results["result"] == "fail").to_numpy(bool)]
    cols = ["contact_id", "agent_id", "rule_id", "channel", "item_id", "seq", "quote", "matched",
            "measure"]  # fmt: skip
    fails = fails[[c for c in cols if c in fails]].astype(
        {"contact_id": str, "rule_id": str, "channel": str, "item_id": str}
    )
    fails = fails.sort_values(["rule_id", "channel", "contact_id"], kind="stable")
    rng = np.random.default_rng(seed)
    parts = []
    for _, g in fails.groupby(["rule_id", "channel"], sort=False):
        take = rng.permutation(len(g))[:per_rule]
        parts.append(g.iloc[np.sort(take)])
    if not parts:
        return pd.DataFrame(columns=["finding_id", "month", *cols])
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "month", month)
    out.insert(0, "finding_id", finding_ids(month, out["rule_id"], out["contact_id"]))
    if "agent_id" not in out:
        out["agent_id"] = None
    return out


# Where a conversation's key, order and speaker are in each message table.
QUOTED = {"chat_messages": ("conversation_id", "seq", "sender"),
          "transcripts": ("contact_id", "turn", "speaker")}  # fmt: skip


def contact_messages(source: str | Path, contact_ids: list[str]) -> pd.DataFrame:
    """The messages of ``contact_ids`` (chat messages and transcript turns): ``contact_id``,
    ``seq`` (message or turn number), ``who`` (agent / customer) and ``text``, masked; read
    with DuckDB (only those contacts reach memory)."""
    from ..data import engine
    from ..data.load import present_tables

    present = present_tables(source)
    want = tuple(t for t in ("chat_messages", "transcripts") if t in present)
    out = [pd.DataFrame({"contact_id": [], "seq": [], "who": [], "text": []})]
    if not want or not contact_ids:
        return out[0]
    con = engine.connect(source, tables=want)
    con.register("wanted", pd.DataFrame({"contact_id": pd.Series(contact_ids, dtype=str)}))
    for table in want:  # the same four columns from either table
        key, seq, who = QUOTED[table]
        out.append(con.sql(
            f"SELECT CAST({key} AS VARCHAR) AS contact_id, {seq} AS seq, CAST({who} AS VARCHAR) "
            f"AS who, text FROM {table} WHERE CAST({key} AS VARCHAR) IN "
            "(SELECT contact_id FROM wanted)"
        ).df())  # fmt: skip
    con.close()
    df = pd.concat([d for d in out if len(d)] or out[:1], ignore_index=True)
    df = df.dropna(subset=["seq"]).astype({"seq": "int64", "contact_id": str, "who": str})
    df["text"] = [mask_text(str(t)) if isinstance(t, str) else "" for t in df["text"]]
    return df.sort_values(["contact_id", "seq"], kind="stable").reset_index(drop=True)


def with_context(
    findings: pd.DataFrame, messages: pd.DataFrame, speakers: dict[str, str]
) -> pd.DataFrame:
    """``findings`` with ``context``: the quoted message and a few around it (two before, one
    after; the first four when the finding names no message), one line each as
    ``#seq speaker: text``, the quoted one marked ▶; ``speakers`` names agent and customer in
    the sheet's language. Agents are masked (``agent``) and quotes masked again."""
    by_contact = {k: g for k, g in messages.groupby("contact_id", sort=False)}
    context = []
    for f in findings.itertuples(index=False):
        g = by_contact.get(str(f.contact_id))
        if g is None:
            context.append("")
            continue
        seq = g["seq"].to_numpy()
        if pd.notna(f.seq):
            at = int(np.searchsorted(seq, int(f.seq)))
            lo, hi = max(0, at - CONTEXT_BEFORE), at + CONTEXT_AFTER + 1
        else:
            lo, hi = 0, CONTEXT_BEFORE + CONTEXT_AFTER + 1
        part = g.iloc[lo:hi]
        mark = int(f.seq) if pd.notna(f.seq) else None
        lines = [
            f"{'▶ ' if s == mark else ''}#{s} {speakers.get(w, w)}: {t}"
            for s, w, t in zip(part["seq"], part["who"], part["text"], strict=True)
        ]
        context.append("\n".join(lines))
    out = findings.assign(context=context)
    out["agent"] = [mask_id(a) if isinstance(a, str) and a else "" for a in out["agent_id"]]
    out["quote"] = [mask_text(q) if isinstance(q, str) else "" for q in out["quote"]]
    return out.drop(columns="agent_id")


def reviews_path(source: str | Path) -> Path:
    """Where a data folder's verdicts are kept: ``<data>/autoqa/reviews.parquet``."""
    if not Path(source).is_dir():
        raise QAWError(f"{source}: reviewed verdicts are kept in a data folder; give a folder")
    return Path(source) / "autoqa" / "reviews.parquet"


def load_reviews(source: str | Path) -> pd.DataFrame:
    """Every verdict kept for ``source`` (empty when none was read, or when ``source`` is a
    database rather than a folder)."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in REVIEW_COLUMNS})
    if not Path(str(source)).is_dir():
        return empty
    path = reviews_path(source)
    return pd.read_parquet(path) if path.exists() else empty


def store_reviews(source: str | Path, verdicts: pd.DataFrame) -> tuple[int, int]:
    """Keep ``verdicts`` (REVIEW_COLUMNS) in the data folder, keyed by finding: a finding read
    before takes its new verdict (never counted twice). Returns (new, replaced)."""
    path = reviews_path(source)
    old = load_reviews(source)
    ids = set(verdicts["finding_id"])
    replaced = int(old["finding_id"].isin(ids).sum())
    kept = old[~old["finding_id"].isin(ids)]
    both = pd.concat([kept, verdicts[REVIEW_COLUMNS]], ignore_index=True) if len(kept) else (
        verdicts[REVIEW_COLUMNS].reset_index(drop=True))  # fmt: skip
    both = both.astype({"verdict": bool})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            both.to_parquet(tmp, index=False)
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(verdicts) - replaced, replaced


def reviewed_precision(reviews: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Per rule and channel, over the verdicts on findings of ``rules``' current version: how
    many were read (``reviewed``), how many were true faults, the reviewed precision (0-1) with
    its 95% Wilson interval, and whether it passes the rule set's ``review`` thresholds
    (``review_ok``: at least ``min_n`` read and the precision, or its lower bound when ``on:
    lower``, at least ``min_precision``)."""
    r = reviews[reviews["ruleset"].astype(str) == ruleset_tag(rules)]
    g = r.astype({"verdict": bool}).groupby(["rule_id", "channel"], sort=True)["verdict"]
    out = pd.DataFrame({"reviewed": g.size(), "reviewed_true": g.sum()}).reset_index()
    out = out.astype({"reviewed": int, "reviewed_true": int, "rule_id": str, "channel": str})
    n, k = out["reviewed"].to_numpy(), out["reviewed_true"].to_numpy()
    out["reviewed_precision"] = k / np.where(n > 0, n, np.nan)
    out["reviewed_lo"], out["reviewed_hi"] = wilson(k, n)
    out["review_ok"] = review_passes(out, rules)
    return out[PRECISION_COLUMNS]


def review_passes(table: pd.DataFrame, rules: RuleSet) -> np.ndarray:
    """Whether each row's reviewed precision passes ``rules.review`` (False where not read)."""
    if table.empty:
        return np.zeros(0, dtype=bool)
    rv = rules.review
    value = table["reviewed_lo" if rv.on == "lower" else "reviewed_precision"].to_numpy(float)
    n = table["reviewed"].to_numpy(float)
    return (n >= rv.min_n) & (np.nan_to_num(value, nan=-1.0) >= rv.min_precision)
