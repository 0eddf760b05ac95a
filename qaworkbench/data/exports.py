"""Conversation exports as rows of messages, before any mapping: JSON and JSON Lines with
nested messages, and text files of "speaker: text" lines; and the contacts a chat export
without a contacts file implies.

JSON rows are the messages in the order of the file (row 1 = the first message); a field is
named by its path from the conversation: ``id``, ``turns.sender``, ``turns.utterances`` (one
text of a message's list of utterances; an empty one is skipped, and counted in a note). Lines rows: ``conversation``, ``speaker``, ``text``,
numbered by the line they start on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem
from .readers import Raw, _fatal, decode


def _at(obj: Any, path: str | None) -> Any:
    """The value at a dotted path ("$" or "" = ``obj`` itself; "$.a.b" = "a.b")."""
    path = (path or "$").removeprefix("$").removeprefix(".")
    for key in path.split(".") if path else []:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _flat(obj: Any, prefix: str, out: dict[str, str | None]) -> dict[str, str | None]:
    """The scalar fields of ``obj`` by dotted path, as text like a CSV cell (lists skipped)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            _flat(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif not isinstance(obj, list):
        out[prefix] = _cell(obj)
    return out


def _cell(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def read_json(path: Path, layout: Any, fmt: str) -> Raw:
    """A JSON document (or JSON Lines: one record a line) of conversations as message rows."""
    name = path.name
    text, _, bad = decode(path, getattr(layout, "encoding", None))
    if bad is not None:
        return bad
    records_path = getattr(layout, "records", "$")
    if fmt == "jsonl":
        records: list = []
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                return _fatal(name, i, f"one JSON object a line (JSON Lines): {e.msg}")
            got = _at(obj, records_path) if records_path not in ("$", "") else [obj]
            records += got if isinstance(got, list) else []
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            return _fatal(name, e.lineno, f"a JSON document: {e.msg} (line {e.lineno})")
        records = _at(doc, records_path)
        if not isinstance(records, list):
            found = "nothing" if records is None else f"a {type(records).__name__}"
            return _fatal(name, None, f"a list of conversations at records: {records_path!r}; "
                                      f"found {found} there")  # fmt: skip
    messages = getattr(layout, "messages", None)
    utterances = getattr(layout, "utterances", None)
    rows: list[dict[str, str | None]] = []
    empty = 0  # utterances with no text: no message
    for conv in records:
        head = _flat(conv, "", {}) if isinstance(conv, dict) else {"$": _cell(conv)}
        if messages is None:
            rows.append(head)
            continue
        msgs = _at(conv, messages)
        for msg in msgs if isinstance(msgs, list) else []:
            fields = _flat(msg, messages, dict(head))
            if utterances is None:
                rows.append(fields)
                continue
            said = _at(msg, utterances)
            for u in said if isinstance(said, list) else [said] if said is not None else []:
                if isinstance(u, str) and not u.strip():
                    empty += 1
                    continue
                rows.append(_flat(u, f"{messages}.{utterances}", dict(fields)))
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    frame = frame.astype(object).where(frame.notna(), None)
    what = "utterances" if utterances else "messages" if messages else "records"
    notes = [f"{len(records):,d} conversation(s), {len(frame):,d} row(s) (one per {what}), "
             "rows numbered in the order of the file from 1"]  # fmt: skip
    if empty:
        notes.append(f"{empty:,d} empty utterance(s) skipped (no text, no message)")
    return Raw(frame, 1, name, notes=notes)


def read_lines(path: Path, layout: Any, fmt: str = "lines") -> Raw:
    """A text file of "speaker: text" lines (a colon or a full-width colon) as message rows:
    ``conversation``, ``speaker``, ``text``. A line that starts with no speaker continues the
    message before it; a blank line ends a conversation, or a line matching
    ``conversation_line`` begins one (its group 1 is the id)."""
    name = path.name
    text, _, bad = decode(path, getattr(layout, "encoding", None))
    if bad is not None:
        return bad
    labels = "|".join(map(re.escape, sorted(layout.speakers, key=len, reverse=True)))
    said = re.compile(rf"^\s*({labels})\s*[:：]\s?(.*)$")
    opener = re.compile(layout.conversation_line) if layout.conversation_line else None
    rows: list[list] = []
    conv, n, started = None, 0, False  # the id, the count of conversations, messages in it
    for i, line in enumerate(text.splitlines(), start=1):
        if opener is not None and (m := opener.match(line.strip())):
            n, conv, started = n + 1, (m.group(1) if m.groups() else m.group(0)), False
            continue
        if not line.strip():
            if opener is None:
                started = False
            continue
        m = said.match(line)
        if m:
            if not started and opener is None:
                n += 1
                conv = f"{path.stem}-{n}"
            if conv is None:
                return _fatal(name, i, "a line matching conversation_line before the first "
                                       "message")  # fmt: skip
            rows.append([conv, m.group(1), m.group(2).strip(), i])
            started = True
        elif started and rows:
            rows[-1][2] += "\n" + line.strip()
        else:
            return _fatal(name, i, f"a line starting with a speaker ({', '.join(layout.speakers)}"
                                   f", then : or ：); got {line.strip()[:40]!r}")  # fmt: skip
    if not rows:
        return Raw(pd.DataFrame(), 1, name)
    frame = pd.DataFrame(rows, columns=["conversation", "speaker", "text", "_line"])
    lines = frame.pop("_line").to_numpy()
    notes = [f"{n:,d} conversation(s), {len(frame):,d} message(s) from speaker lines"]
    return Raw(frame, lines - np.arange(len(frame)), name, notes=notes)


def derive_contacts(
    messages: pd.DataFrame, given: dict[str, pd.Series], file: str
) -> tuple[pd.DataFrame | None, str]:
    """One contact per conversation of canonical ``messages``: start and end at the first and
    last message time, channel chat, direction inbound, answered when an agent wrote, talk_s
    the span in seconds; ``given`` (contacts columns per message row, from the mapping's
    ``contacts``) fills the rest, the first non-empty value of a conversation (a given
    start_time only where the messages have no times). Returns the contacts (None when the
    messages have no times and no start_time is given) and a note saying what was done."""
    from .mapping import empty_frame
    from .schema import table

    conv = messages["conversation_id"]
    g = messages.groupby(conv, sort=False)
    t = g["timestamp"]
    out = pd.DataFrame({"contact_id": pd.Series(list(g.groups), dtype="str")})
    first_of = {k: s.groupby(conv, sort=False).first() for k, s in given.items()}
    start = t.min().reset_index(drop=True)
    if "start_time" in first_of:
        start = start.fillna(first_of["start_time"].reset_index(drop=True))
    if start.isna().any():
        return None, (f"contacts: not derived from {file}: {int(start.isna().sum()):,d} "
                      "conversation(s) have no message times; give one in the mapping, e.g. "
                      "`contacts: {start_time: {value: \"2019-06-01\"}}`")  # fmt: skip
    sender = messages["sender"].astype("str")
    n = g.size().to_numpy()
    agent = (sender == "agent").groupby(conv, sort=False).sum().to_numpy()
    end = t.max().reset_index(drop=True)
    out = out.assign(
        agent_id=None, start_time=start.to_numpy(), end_time=end.to_numpy(), channel="chat",
        direction="inbound", answered=agent > 0,
        talk_s=(end - t.min().reset_index(drop=True)).dt.total_seconds().to_numpy(),
    )  # fmt: skip
    for k, s in first_of.items():
        if k != "start_time":
            out[k] = s.reset_index(drop=True).to_numpy()
    c = table("contacts")
    frame = empty_frame(c)
    frame = pd.concat([frame, out[[k for k in c.names if k in out]]], ignore_index=True)
    frame = frame[c.names].astype({k: v for k, v in empty_frame(c).dtypes.items()})
    timed = "first and last message time" if t.count().sum() else "the mapping's start_time"
    note = (f"contacts: {len(frame):,d} derived from the messages (no contacts file): start and "
            f"end from {timed}, channel chat, direction inbound, answered when an agent wrote"
            + (f", {', '.join(k for k in given if k != 'start_time')} from the mapping"
               if set(given) - {"start_time"} else ", no agent (none in the export: an "
               "answered contact needs one, e.g. `contacts: {agent_id: {from: 客服工号}}`)")
            + f"; {int(n.sum()):,d} messages, {np.median(n):g} a conversation (median), "
            f"{int(agent.sum()):,d} by agents")  # fmt: skip
    return frame, note


def derive_agents(contacts: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """A roster of the agents derived contacts name (no agents file): name = id, team
    "(unknown)", hired the day of their first contact; and a note saying so."""
    from .mapping import empty_frame
    from .schema import table

    first = contacts.dropna(subset=["agent_id"]).groupby("agent_id")["start_time"].min()
    roster = pd.DataFrame({"agent_id": first.index.astype(str), "name": first.index.astype(str),
                           "team": "(unknown)", "hire_date": first.dt.normalize().to_numpy()})  # fmt: skip
    t = table("agents")
    frame = pd.concat([empty_frame(t), roster], ignore_index=True)[t.names]
    note = (
        f"agents: {len(frame):,d} derived from the contacts (no agents file): name = id, "
        "team (unknown), hired the day of the first contact"
    )
    return frame, note


def unreadable(given: dict[str, tuple[np.ndarray, str]], file: str) -> list[Problem]:
    """Problems for contacts columns (the mapping's ``contacts``) the messages do not give."""
    return [
        Problem(file, int(np.flatnonzero(mask)[0]) + 1, col, expected, fatal=True)
        for col, (mask, expected) in given.items()
        if mask.any()
    ]
