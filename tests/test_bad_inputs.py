"""The bad-input corpus: real files in real encodings and formats, one case per way exports go
wrong, across every table. Each is run through ``qaw validate`` as a user would: a clear message
naming file, row, column and what was expected, exit code 1, no traceback; and where single rows
are bad, lenient mode accounts for every row (read = kept + rejected, each rejected row written
to the rejects file).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qaworkbench.cli import main

from .conftest import CONTACT_HEADER, contact_row, write_csv


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list[str]]  # writes the files, returns the arguments after validate
    expect: tuple[str, ...]  # fragments of the message (file, row, column, expectation)
    rows_bad: bool = True  # single rows are bad (lenient keeps the others), not the whole file


def contacts(d: Path, *extra, name="contacts.csv", encoding="utf-8", header=CONTACT_HEADER):
    rows = [header, *[contact_row(i) for i in range(1, 4)], *extra]
    return [str(write_csv(d / name, rows, encoding=encoding)), "--table", "contacts"]


def table(d: Path, name: str, header: list[str], *rows, encoding="utf-8") -> list[str]:
    return [str(write_csv(d / f"{name}.csv", [header, *rows], encoding=encoding)), "--table", name]


def raw(d: Path, name: str, data: bytes, tbl: str = "contacts") -> list[str]:
    (d / name).write_bytes(data)
    return [str(d / name), "--table", tbl]


def parquet(d: Path, df: pd.DataFrame, tbl: str = "contacts") -> list[str]:
    df.to_parquet(d / f"{tbl}.parquet", index=False)
    return [str(d / f"{tbl}.parquet"), "--table", tbl]


def good_contacts() -> pd.DataFrame:
    return pd.DataFrame([contact_row(i) for i in range(1, 4)], columns=CONTACT_HEADER).assign(
        start_time=lambda x: pd.to_datetime(x["start_time"]),
        answered=True, queue_wait_s=12.0, talk_s=180.0,
    )  # fmt: skip


def center(d: Path, **tables: list[list[object]]) -> list[str]:
    """A data folder: a valid roster and contacts, and the tables given (header first)."""
    agents = [
        ["agent_id", "name", "team", "hire_date"],
        ["A0001", "张三", "话务一组", "2025-01-01"],
    ]
    write_csv(d / "agents.csv", agents)
    write_csv(d / "contacts.csv", [CONTACT_HEADER, *[contact_row(i) for i in range(1, 4)]])
    for name, rows in tables.items():
        write_csv(d / f"{name}.csv", rows)
    return [str(d)]


EV = ["evaluation_id", "contact_id", "agent_id", "evaluator_id", "evaluated_at", "mode",
      "scorecard_id", "scorecard_version"]  # fmt: skip
EVR = ["E1", "C0001", "A0001", "Q01", "2026-05-03 10:00", "post_call", "hotline_voice", "1.0"]
ITEMS = ["evaluation_id", "item_id", "result", "points_deducted", "comment"]
COMPLAINTS = ["complaint_id", "contact_id", "agent_id", "received_at", "category", "upheld"]
APPEALS = ["evaluation_id", "item_id", "filed_at", "decision"]
CHAT = ["conversation_id", "seq", "sender", "timestamp", "text"]
AGENTS = ["agent_id", "name", "team", "hire_date", "leave_date"]
EVALUATORS = ["evaluator_id", "name", "role", "team"]
EVENTS = ["event_id", "agent_id", "contact_id", "occurred_at", "kind", "amount", "note"]

CASES = [
    # encodings
    Case("gbk file read as utf-8 by its mapping",
         lambda d: [str(write_csv(d / "c.csv", [["坐席", "x"], ["张三", "1"]], encoding="gb18030")),
                    "--mapping", str(_mapping(d, "utf-8"))],
         ("c.csv", "utf-8"), rows_bad=False),
    Case("mixed encodings: one gbk row in a utf-8 file",
         lambda d: raw(d, "contacts.csv", _mixed_encodings()),
         ("contacts.csv", "row 3", "UTF-8"), rows_bad=False),
    Case("an Excel workbook saved under a .csv name",
         lambda d: raw(d, "contacts.csv", b"PK\x03\x04" + b"\x00" * 60),
         ("contacts.csv", "Excel workbook"), rows_bad=False),
    # dates
    Case("day/month swap", lambda d: contacts(d, contact_row(9, start_time="13/05/2026 10:00"),
                                              contact_row(10, start_time="05/13/2026 10:00")),
         ("contacts.csv", "column 'start_time'"), rows_bad=False),
    Case("impossible date", lambda d: contacts(d, contact_row(9, start_time="2026-02-30 10:00")),
         ("contacts.csv", "row 5", "column 'start_time'", "expected a date")),
    Case("timestamp with a UTC offset",
         lambda d: contacts(d, contact_row(9, start_time="2026-05-03T10:00:00+08:00")),
         ("contacts.csv", "row 5", "column 'start_time'")),
    Case("end before start",
         lambda d: table(d, "contacts", [*CONTACT_HEADER, "end_time"],
                         [*contact_row(1, start_time="2026-05-03 10:00:00"), "2026-05-03 09:00:00"]),
         ("row 2", "column 'end_time'", "at or after start_time")),
    # numbers and ids
    Case("phone number mangled into a float",
         lambda d: contacts(d, contact_row(9, customer_id="1.38001385678E+10")),
         ("row 5", "column 'customer_id'", "scientific notation")),
    Case("negative duration", lambda d: contacts(d, contact_row(9, talk_s=-5)),
         ("row 5", "column 'talk_s'", "0 s or more")),
    Case("absurd duration", lambda d: contacts(d, contact_row(9, queue_wait_s=90000)),
         ("row 5", "column 'queue_wait_s'", "plausible duration")),
    Case("text in a duration", lambda d: contacts(d, contact_row(9, talk_s="abc")),
         ("row 5", "column 'talk_s'", "a duration")),
    Case("NaN and inf in numbers",
         lambda d: contacts(d, contact_row(9, talk_s="inf"), contact_row(10, queue_wait_s="NaN")),
         ("row 5", "column 'talk_s'")),
    Case("satisfaction off the scale",
         lambda d: table(d, "contacts", [*CONTACT_HEADER, "satisfaction"],
                         [*contact_row(1), 4], [*contact_row(2), 99]),
         ("row 3", "column 'satisfaction'")),
    Case("duplicate contact ids", lambda d: contacts(d, contact_row(2)),
         ("row 5", "column 'contact_id'", "unique contact_id")),
    Case("unknown channel", lambda d: contacts(d, contact_row(9, channel="传真")),
         ("row 5", "column 'channel'")),
    Case("flag that is neither yes nor no", lambda d: contacts(d, contact_row(9, answered="maybe")),
         ("row 5", "column 'answered'")),
    Case("answered without an agent", lambda d: contacts(d, contact_row(9, agent_id="")),
         ("row 5", "column 'agent_id'")),
    # files
    Case("empty file", lambda d: raw(d, "contacts.csv", b""), ("contacts.csv", "file is empty"),
         rows_bad=False),
    Case("header only", lambda d: raw(d, "contacts.csv", ",".join(CONTACT_HEADER).encode()),
         ("contacts.csv", "only a header"), rows_bad=False),
    Case("last line cut mid-row",
         lambda d: raw(d, "contacts.csv", _csv_bytes() + b"C0099,A0001,2026-05-03 10:0"),
         ("contacts.csv", "row 5"), rows_bad=False),
    Case("unbalanced quote", lambda d: raw(d, "contacts.csv", _csv_bytes() + b'C0098,"A0001,x\n'),
         ("contacts.csv",), rows_bad=False),
    Case("missing required column",
         lambda d: table(d, "contacts", [h for h in CONTACT_HEADER if h != "start_time"],
                         [v for h, v in zip(CONTACT_HEADER, contact_row(1), strict=True)
                          if h != "start_time"]),
         ("contacts.csv", "start_time"), rows_bad=False),
    Case("zero-byte parquet", lambda d: raw(d, "contacts.parquet", b""),
         ("contacts.parquet",), rows_bad=False),
    Case("corrupt parquet", lambda d: raw(d, "contacts.parquet", b"PAR1" + b"\x00" * 64),
         ("contacts.parquet",), rows_bad=False),
    Case("parquet with text in a number column",
         lambda d: parquet(d, good_contacts().assign(talk_s=["1", "x", "3"])),
         ("contacts.parquet", "row 2", "column 'talk_s'")),
    Case("excel workbook of several sheets, none named for the table",
         lambda d: _excel_two_sheets(d), ("contacts.xlsx", "sheets 说明, 通话记录"), rows_bad=False),
    # the other tables
    Case("agents: hire date not a date",
         lambda d: table(d, "agents", AGENTS, ["A1", "张三", "一组", "去年", ""]),
         ("agents.csv", "row 2", "column 'hire_date'")),
    Case("evaluators: unknown role",
         lambda d: table(d, "evaluators", EVALUATORS, ["Q1", "李四", "boss", ""]),
         ("evaluators.csv", "row 2", "column 'role'")),
    Case("evaluations: unknown mode",
         lambda d: table(d, "evaluations", EV, [*EVR[:5], "spying", *EVR[6:]]),
         ("evaluations.csv", "row 2", "column 'mode'")),
    Case("evaluation items: negative deduction and unknown result",
         lambda d: table(d, "evaluation_items", ITEMS, ["E1", "ATT01", "fail", -2, ""],
                         ["E1", "ATT02", "bad", 0, ""]),
         ("evaluation_items.csv", "row 2", "column 'points_deducted'")),
    Case("complaints: unknown category",
         lambda d: table(d, "complaints", COMPLAINTS,
                         ["T1", "C0001", "A0001", "2026-05-03 11:00", "noise", "是"]),
         ("complaints.csv", "row 2", "column 'category'")),
    Case("appeals: unknown decision",
         lambda d: table(d, "appeals", APPEALS, ["E1", "ATT01", "2026-05-04 09:00", "maybe"]),
         ("appeals.csv", "row 2", "column 'decision'")),
    Case("chat messages: order not a number",
         lambda d: table(d, "chat_messages", CHAT, ["C0001", "first", "agent", "2026-05-03 10:00", "您好"]),
         ("chat_messages.csv", "row 2", "column 'seq'")),
    Case("penalty events: no date",
         lambda d: table(d, "penalty_events", EVENTS, ["K1", "A0001", "C0001", "", "financial_loss", 300, ""]),
         ("penalty_events.csv", "row 2", "column 'occurred_at'")),
    # across tables
    Case("evaluation of a contact that does not exist",
         lambda d: center(d, evaluations=[EV, ["E1", "C9999", *EVR[2:]]]),
         ("evaluations.csv", "column 'contact_id'", "C9999")),
    Case("contact handled by an agent not on the roster",
         lambda d: _unknown_agent(d),
         ("contacts.csv", "column 'agent_id'", "A0404")),
    Case("appeal of an evaluation that does not exist",
         lambda d: center(d, appeals=[APPEALS, ["E404", "ATT01", "2026-05-04 09:00", "upheld"]]),
         ("appeals.csv", "column 'evaluation_id'", "E404")),
]  # fmt: skip


def _mapping(d: Path, encoding: str) -> Path:
    m = d / "m.yaml"
    m.write_text(
        f"name: m\nversion: 1\ntable: agents\nsource: {{format: csv, encoding: {encoding}}}\n"
        "columns:\n  agent_id: 坐席\n  name: 坐席\n  team: x\n  hire_date: {value: '2025-01-01'}\n",
        encoding="utf-8",
    )
    return m


def _unknown_agent(d: Path) -> list[str]:
    center(d)
    contacts(d, contact_row(9, agent_id="A0404"))  # the folder's contacts, with one more row
    return [str(d)]


def _csv_bytes() -> bytes:
    rows = [CONTACT_HEADER, *[contact_row(i) for i in range(1, 4)]]
    return ("\n".join(",".join(map(str, r)) for r in rows) + "\n").encode("utf-8")


def _mixed_encodings() -> bytes:
    lines = _csv_bytes().decode().splitlines()
    out = [line.encode("utf-8") for line in lines[:2]]
    out.append(lines[2].replace("话费查询", "宽带报修").encode("gb18030"))
    out += [line.encode("utf-8") for line in lines[3:]]
    return b"\n".join(out) + b"\n"


def _excel_two_sheets(d: Path) -> list[str]:
    path = d / "contacts.xlsx"
    with pd.ExcelWriter(path) as x:
        pd.DataFrame({"说明": ["本表为导出说明"]}).to_excel(x, sheet_name="说明", index=False)
        pd.DataFrame([contact_row(1)], columns=CONTACT_HEADER).to_excel(
            x, sheet_name="通话记录", index=False
        )
    return [str(path), "--table", "contacts"]


def _validate(args: list[str]):
    r = CliRunner().invoke(main, ["validate", *args], catch_exceptions=True)
    assert "Traceback" not in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_bad_input_gets_a_clear_message_and_exit_1(case, tmp_path):
    args = case.make(tmp_path)
    r = _validate(args)
    assert r.exit_code == 1, f"exit {r.exit_code}:\n{r.output}"
    for fragment in case.expect:
        assert fragment in r.output, f"{fragment!r} not in:\n{r.output}"


@pytest.mark.parametrize("case", [c for c in CASES if c.rows_bad], ids=lambda c: c.name)
def test_lenient_mode_accounts_for_every_row(case, tmp_path):
    args = case.make(tmp_path)
    rejects = tmp_path / "rejects"
    r = _validate([*args, "--lenient", "--rejects", str(rejects)])
    assert r.exit_code == 0, r.output
    counts = re.findall(r"^(\w+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s", r.output, flags=re.M)
    assert counts, r.output
    total_rejected = 0
    for name, read, kept, rejected in counts:
        read, kept, rejected = (int(x.replace(",", "")) for x in (read, kept, rejected))
        assert read == kept + rejected, f"{name}: {read} read, {kept} kept, {rejected} rejected"
        if rejected:
            written = pd.read_csv(rejects / f"{name}.rejected.csv", dtype=str, encoding="utf-8-sig")
            assert len(written) == rejected and written["_reasons"].str.len().gt(0).all()
        total_rejected += rejected
    assert total_rejected >= 1


def test_the_corpus_is_broad():
    assert len(CASES) >= 30
    tables = {
        t for c in CASES for t in re.findall(r"(\w+)\.(?:csv|parquet|xlsx)", " ".join(c.expect))
    }
    assert {"contacts", "agents", "evaluators", "evaluations", "evaluation_items", "complaints",
            "appeals", "chat_messages", "penalty_events"} <= tables  # fmt: skip
