"""Public real helpdesk dialogues as the workbench's chat messages, to measure the rules on
real wording (the demo's chats are synthetic, written to the rules).

STC-3 (NTCIR-14 Short Text Conversation, dialogue quality task): Chinese customer-service
dialogues from Weibo, each a list of turns (``sender`` customer / helpdesk) of one or more
utterances. The corpus has no message times: timing rules cannot be measured on it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd

STC3_MEMBER = "data/train_data_cn.json"
SENDERS = {"customer": "customer", "helpdesk": "agent"}


def stc3_dialogues(zip_path: str | Path, member: str = STC3_MEMBER) -> list[dict]:
    """The dialogues of an STC-3 ``data.zip``, read in place (nothing is extracted)."""
    with zipfile.ZipFile(zip_path) as z:
        return json.loads(z.read(member))


def stc3_messages(dialogues: list[dict]) -> pd.DataFrame:
    """STC-3 dialogues as chat messages: ``conversation_id`` (the dialogue's id), ``seq``
    (1-based, one per utterance), ``turn`` (1-based turn of the dialogue), ``sender``
    (agent / customer), ``timestamp`` (NaT: the corpus has no times) and ``text``."""
    rows = [
        (str(d["id"]), turn_no, SENDERS[t["sender"]], text)
        for d in dialogues
        for turn_no, t in enumerate(d["turns"], start=1)
        for text in t["utterances"]
    ]
    df = pd.DataFrame(rows, columns=["conversation_id", "turn", "sender", "text"])
    df.insert(1, "seq", df.groupby("conversation_id", sort=False).cumcount() + 1)
    df.insert(4, "timestamp", pd.Series(pd.NaT, index=df.index, dtype="datetime64[us]"))
    return df[["conversation_id", "seq", "turn", "sender", "timestamp", "text"]]


def stc3_findings(zip_path: str | Path, rules) -> pd.DataFrame:
    """Every chat rule of ``rules`` (a RuleSet) on the STC-3 dialogues of ``zip_path``: one
    row per finding (``conversation_id``, ``seq``, ``turn``, ``rule_id``, ``matched``,
    ``measure``). Timing rules find nothing here (no times: not applicable)."""
    from .conversations import from_messages
    from .run import check

    msgs = stc3_messages(stc3_dialogues(zip_path))
    res = check([from_messages(msgs.rename(columns={"conversation_id": "contact_id"}))], rules)
    fails = res[res["result"] == "fail"].astype({"contact_id": str, "rule_id": str})
    fails = fails.rename(columns={"contact_id": "conversation_id"})
    turns = msgs[["conversation_id", "seq", "turn"]].astype({"seq": "Int64"})
    out = fails.merge(turns, on=["conversation_id", "seq"], how="left")
    return out[["conversation_id", "seq", "turn", "rule_id", "matched", "measure"]].reset_index(
        drop=True
    )
