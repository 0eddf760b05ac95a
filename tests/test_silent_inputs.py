"""No input lost or misread in silence (issue 28, points 3-6): each way an export used to pass
with exit 0 and nothing said, or with a misleading message, is now refused (exit 1, naming
file, row, column and what was expected) or said in a ``note:``. Real files throughout: CSV in
GB18030, workbooks written with openpyxl and xlsxwriter, a real .xls (tests/data/).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from qaworkbench.cli import main
from qaworkbench.data.cache import stamp
from qaworkbench.data.load import load_center, load_table
from qaworkbench.scoring.evaluations import score_evaluations
from qaworkbench.scoring.scorecard import scorecard_versions

from .conftest import CONTACT_HEADER, contact_row, write_csv
from .test_bad_inputs import AGENTS, CHAT, COMPLAINTS, EV, EVENTS, EVR, ITEMS

DATA = Path(__file__).parent / "data"
VOICE = scorecard_versions()[("hotline_voice", "1.0")].items()
CRITICAL = set(VOICE.loc[VOICE["critical"], "item_id"])


def run(*args: str):
    r = CliRunner().invoke(main, list(args), catch_exceptions=True)
    assert "Traceback" not in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r


def refused(r, *fragments: str) -> None:
    assert r.exit_code == 1, f"exit {r.exit_code}:\n{r.output}"
    for f in fragments:
        assert f in r.output, f"{f!r} not in:\n{r.output}"


def items_of(eid: str, card=VOICE, **over: tuple[str, float]) -> list[list[object]]:
    """Every item of the voice scorecard for evaluation ``eid``, passed; ``over``: item ->
    (result, points)."""
    rows = []
    for item in card["item_id"]:
        result, pts = over.get(item, ("pass", 0))
        rows.append([eid, item, result, pts, ""])
    return rows


def folder(d: Path, **tables: list[list[object]]) -> str:
    """A data folder: roster, three contacts by A0001 (C0001-C0003), one complete evaluation E1
    of C0001, and the tables given (header first) added or replacing these."""
    base = {
        "agents": [AGENTS, ["A0001", "张三", "话务一组", "2025-01-01", ""],
                   ["A0002", "李四", "话务一组", "2025-01-01", ""]],
        "contacts": [CONTACT_HEADER, *[contact_row(i) for i in range(1, 4)]],
        "evaluations": [EV, EVR],
        "evaluation_items": [ITEMS, *items_of("E1")],
    } | tables  # fmt: skip
    for name, rows in base.items():
        write_csv(d / f"{name}.csv", rows)
    return str(d)


# --- numbers misread ------------------------------------------------------------------------


def test_a_duplicated_header_is_refused_naming_both_positions(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text(
        "name: m\nversion: 1\ntable: contacts\ncolumns:\n  contact_id: 流水号\n  agent_id: 工号\n"
        "  start_time: 开始时间\n  channel: {value: voice}\n  direction: {value: inbound}\n"
        "  talk_s: 通话时长\n",
        encoding="utf-8",
    )
    rows = [["流水号", "工号", "开始时间", "通话时长", "通话时长"],
            ["C1", "A0001", "2026-05-03 10:00:00", 180, 12]]  # fmt: skip
    f = write_csv(tmp_path / "话单.csv", rows, encoding="gb18030")
    refused(
        run("validate", str(f), "--mapping", str(m)), "话单.csv", "'通话时长'", "4 (D)", "5 (E)"
    )


def test_a_duplicated_canonical_header_is_refused(tmp_path):
    f = write_csv(tmp_path / "contacts.csv",
                  [[*CONTACT_HEADER, "talk_s"], [*contact_row(1), 12]])  # fmt: skip
    refused(run("validate", str(f), "--table", "contacts"), "'talk_s'", "8 (H)", "11 (K)")


def _contacts_xlsx(path: Path, edit) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "contacts"
    ws.append(CONTACT_HEADER)
    for i in range(1, 4):
        ws.append(contact_row(i))
    edit(ws)
    wb.save(path)
    return path


def test_formulas_without_computed_values_are_refused_naming_the_cells(tmp_path):
    def formulas(ws):
        for r in (2, 3, 4):
            ws[f"H{r}"] = "=3*60"  # openpyxl computes nothing: no cached value

    f = _contacts_xlsx(tmp_path / "contacts.xlsx", formulas)
    refused(run("validate", str(f), "--table", "contacts"),
            "contacts.xlsx", "H2", "H4", "column 'talk_s'", "formula", "open and save it in Excel")  # fmt: skip


def test_a_formula_in_a_required_cell_is_called_a_formula_not_empty(tmp_path):
    f = _contacts_xlsx(tmp_path / "contacts.xlsx", lambda ws: ws.__setitem__("B3", '="A0001"'))
    r = run("validate", str(f), "--table", "contacts")
    refused(r, "B3", "formula")
    assert "the cell is empty" not in r.output


def test_formulas_with_computed_values_are_read(tmp_path):
    import xlsxwriter

    path = tmp_path / "contacts.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("contacts")
    ws.write_row(0, 0, CONTACT_HEADER)
    for i in range(1, 4):
        ws.write_row(i, 0, [str(v) for v in contact_row(i)])
        ws.write_formula(i, 7, "=3*60", None, 180)  # the value Excel would have kept
    wb.close()
    df, _ = load_table(path, "contacts")
    assert df["talk_s"].tolist() == [180.0] * 3


def test_merged_cells_are_filled_and_said(tmp_path):
    def merge(ws):
        ws.merge_cells("J2:J4")  # topic 话费查询 shown over three rows

    f = _contacts_xlsx(tmp_path / "contacts.xlsx", merge)
    df, rep = load_table(f, "contacts")
    assert df["topic"].tolist() == ["话费查询"] * 3
    assert any("J2:J4" in n and "topic" in n for n in rep.notes), rep.notes


def test_a_pass_with_points_and_a_fail_with_none_are_refused(tmp_path):
    plain = sorted(set(VOICE["item_id"]) - CRITICAL)
    rows = items_of("E1", **{plain[0]: ("pass", 2), plain[1]: ("fail", 0)})
    d = folder(tmp_path, evaluation_items=[ITEMS, *rows])
    refused(run("validate", d), "evaluation_items.csv", "column 'points_deducted'",
            f"E1 {plain[0]}", f"E1 {plain[1]}")  # fmt: skip


def test_a_critical_fail_with_no_points_is_fine(tmp_path):
    crit = sorted(CRITICAL)[0]
    d = folder(tmp_path, evaluation_items=[ITEMS, *items_of("E1", **{crit: ("fail", 0)})])
    assert run("validate", d).exit_code == 0


def test_scoring_refuses_a_pass_with_points():
    plain = sorted(set(VOICE["item_id"]) - CRITICAL)[0]
    ev = pd.DataFrame([EVR], columns=EV)
    items = pd.DataFrame(items_of("E1", **{plain: ("pass", 2.0)}), columns=ITEMS)
    with pytest.raises(Exception, match=f"evaluation E1, item {plain}"):
        score_evaluations(ev, items)


def test_evaluations_must_hold_every_item_of_their_scorecard(tmp_path):
    some = items_of("E1")[:3]
    evs = [EV, EVR, ["E2", "C0002", *EVR[2:]]]  # E2: no item rows at all
    d = folder(tmp_path, evaluations=evs, evaluation_items=[ITEMS, *some])
    r = run("validate", d)
    refused(r, "evaluations.csv", "row 2", "row 3", "E1", "E2", VOICE["item_id"].iloc[5])


def test_an_explicit_na_row_counts_as_held(tmp_path):
    item = VOICE.loc[VOICE["na_allowed"], "item_id"].iloc[0]
    d = folder(tmp_path, evaluation_items=[ITEMS, *items_of("E1", **{item: ("na", 0)})])
    assert run("validate", d).exit_code == 0


def test_scoring_refuses_incomplete_evaluations_instead_of_nan():
    ev = pd.DataFrame([EVR, ["E2", "C0002", *EVR[2:]]], columns=EV)
    items = pd.DataFrame(items_of("E1")[:3], columns=ITEMS)
    with pytest.raises(Exception, match="E2") as e:
        score_evaluations(ev, items)
    assert "E1" in str(e.value) and VOICE["item_id"].iloc[5] in str(e.value)


def test_evaluations_dated_in_the_future_are_refused(tmp_path):
    future = ["E2", "C0002", *EVR[2:4], "2099-01-01 10:00", *EVR[5:]]
    d = folder(tmp_path, evaluations=[EV, EVR, future],
               evaluation_items=[ITEMS, *items_of("E1"), *items_of("E2")])  # fmt: skip
    refused(run("validate", d), "evaluations.csv", "row 3", "column 'evaluated_at'", "future")


def test_evaluations_before_their_contact_are_refused(tmp_path):
    early = ["E3", "C0003", *EVR[2:4], "2026-01-01 10:00", *EVR[5:]]  # C0003 is in May 2026
    d = folder(tmp_path, evaluations=[EV, EVR, early],
               evaluation_items=[ITEMS, *items_of("E1"), *items_of("E3")])  # fmt: skip
    refused(run("validate", d), "evaluations.csv", "row 3", "column 'evaluated_at'",
            "contact C0003 started")  # fmt: skip


# --- tables and files -----------------------------------------------------------------------


def test_a_file_beside_a_folder_of_the_same_table_is_refused(tmp_path):
    d = folder(tmp_path)
    (tmp_path / "evaluations").mkdir()
    pd.read_csv(tmp_path / "evaluations.csv", dtype=str).to_parquet(
        tmp_path / "evaluations" / "2026-05.parquet"
    )
    refused(run("validate", d), "evaluations.csv", "evaluations/", "evaluations")


def test_table_files_are_found_whatever_their_case(tmp_path):
    d = folder(tmp_path)
    write_csv(tmp_path / "Complaints.csv",
              [COMPLAINTS, ["T1", "C0001", "A0001", "2026-05-03 11:00", "attitude", "是"]])  # fmt: skip
    center = load_center(d)
    assert len(center.complaints) == 1


def test_chat_times_running_backwards_are_refused(tmp_path):
    chat = [CHAT, ["C0001", 1, "customer", "2026-05-03 10:00:05", "在吗"],
            ["C0001", 2, "agent", "2026-05-03 10:00:01", "您好"]]  # fmt: skip
    contacts = [CONTACT_HEADER, *[contact_row(i, channel="chat") for i in range(1, 4)]]
    d = folder(tmp_path, contacts=contacts, chat_messages=chat)
    refused(run("validate", d), "chat_messages.csv", "row 3", "column 'timestamp'", "seq 1")


def test_transcript_turns_ending_before_they_start_are_refused(tmp_path):
    tr = [["contact_id", "turn", "speaker", "start_s", "end_s", "text"],
          ["C0001", 1, "agent", 0, 3.5, "您好"], ["C0001", 2, "customer", 9, 4, "查话费"]]  # fmt: skip
    d = folder(tmp_path, transcripts=tr)
    refused(run("validate", d), "transcripts.csv", "row 3", "column 'end_s'")


def test_a_complaint_on_an_agent_who_did_not_handle_the_contact_is_refused(tmp_path):
    comp = [COMPLAINTS, ["T1", "C0001", "A0002", "2026-05-03 11:00", "attitude", "是"]]
    d = folder(tmp_path, complaints=comp)
    refused(run("validate", d), "complaints.csv", "row 2", "T1", "A0002", "handled by A0001")


def test_a_penalty_event_on_an_agent_who_did_not_handle_the_contact_is_refused(tmp_path):
    ev = [EVENTS, ["K1", "A0002", "C0002", "2026-05-04 10:00", "financial_loss", 300, ""]]
    d = folder(tmp_path, penalty_events=ev)
    refused(run("validate", d), "penalty_events.csv", "row 2", "K1", "A0002", "handled by A0001")


def test_sample_without_contacts_names_the_table(tmp_path):
    write_csv(tmp_path / "agents.csv", [AGENTS, ["A0001", "张三", "一组", "2025-01-01", ""]])
    refused(run("sample", "--month", "2026-05", "--data", str(tmp_path), "--out",
                str(tmp_path / "out")), "contacts")  # fmt: skip


def test_a_hidden_sheet_is_never_chosen_silently(tmp_path):
    path = tmp_path / "contacts.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "通话记录"
    ws.append(CONTACT_HEADER)
    for i in range(1, 4):
        ws.append(contact_row(i))
    old = wb.create_sheet("contacts")  # last month's, hidden by whoever made the export
    old.append(CONTACT_HEADER)
    old.append(contact_row(99))
    old.sheet_state = "hidden"
    wb.save(path)
    df, rep = load_table(path, "contacts")
    assert df["contact_id"].tolist() == ["C0001", "C0002", "C0003"]
    assert any("通话记录" in n and "hidden" in n for n in rep.notes), rep.notes


def test_the_sheet_read_is_said(tmp_path):
    f = _contacts_xlsx(tmp_path / "contacts.xlsx", lambda ws: None)
    r = run("validate", str(f), "--table", "contacts")
    assert r.exit_code == 0, r.output
    assert "sheet 'contacts'" in r.output, r.output


# --- .xls -----------------------------------------------------------------------------------


def test_a_real_xls_is_read(tmp_path):
    f = shutil.copy(DATA / "contacts.xls", tmp_path / "contacts.xls")
    df, rep = load_table(f, "contacts")
    assert "old Excel workbook (.xls)" in rep.notes[0]
    assert df["contact_id"].tolist() == ["C0001", "C0002", "C0003"]
    assert df["talk_s"].tolist() == [180.0, 181.0, 182.0]


def test_an_html_table_saved_as_xls_is_read(tmp_path):
    cells = "".join(f"<td>{v}</td>" for v in CONTACT_HEADER)
    rows = "".join(
        "<tr>" + "".join(f"<td>{v}</td>" for v in contact_row(i)) + "</tr>" for i in range(1, 4)
    )
    html = f'<html><head><meta charset="gbk"></head><body><table><tr>{cells}</tr>{rows}</table>'
    f = tmp_path / "contacts.xls"
    f.write_bytes(html.encode("gbk"))
    r = run("validate", str(f), "--table", "contacts")
    assert r.exit_code == 0, r.output
    assert "HTML" in r.output
    df, _ = load_table(f, "contacts")
    assert df["topic"].tolist() == ["话费查询"] * 3


def test_an_xls_mapping_with_format_excel_reads_html(tmp_path):
    html = "<table><tr><th>工号</th><th>姓名</th></tr><tr><td>007</td><td>张三</td></tr></table>"
    f = tmp_path / "roster.xls"
    f.write_text(html, encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text("name: m\nversion: 1\ntable: agents\nsource: {format: excel}\ncolumns:\n"
                 "  agent_id: 工号\n  name: 姓名\n  team: {value: 一组}\n"
                 "  hire_date: {value: '2025-01-01'}\n", encoding="utf-8")  # fmt: skip
    r = run("validate", str(f), "--mapping", str(m))
    assert r.exit_code == 0, r.output


# --- validate checks what score refuses ------------------------------------------------------


def test_validate_refuses_an_unknown_scorecard_version(tmp_path):
    d = folder(tmp_path, evaluations=[EV, [*EVR[:7], "9.9"]])
    refused(run("validate", d), "evaluations.csv", "row 2", "column 'scorecard_version'", "9.9")


def test_validate_refuses_an_item_not_on_the_scorecard(tmp_path):
    d = folder(tmp_path, evaluation_items=[ITEMS, *items_of("E1"), ["E1", "XYZ99", "pass", 0, ""]])
    refused(run("validate", d), "evaluation_items.csv", "column 'item_id'", "XYZ99")


def test_validate_refuses_a_chat_scored_on_the_voice_scorecard(tmp_path):
    contacts = [CONTACT_HEADER, contact_row(1, channel="chat"), contact_row(2)]
    d = folder(tmp_path, contacts=contacts)
    refused(run("validate", d), "evaluations.csv", "row 2", "column 'scorecard_id'", "chat")


def test_validate_refuses_penalty_event_kinds_the_code_does_not_know(tmp_path):
    ev = [EVENTS, ["K1", "A0001", "C0001", "2026-05-04 10:00", "lateness", "", ""]]
    d = folder(tmp_path, penalty_events=ev)
    refused(run("validate", d), "penalty_events.csv", "row 2", "column 'kind'", "lateness")


# --- hints ----------------------------------------------------------------------------------


def test_near_miss_headers_get_a_hint(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("name: m\nversion: 1\ntable: agents\ncolumns:\n  agent_id: 工号(坐席)\n"
                 "  name: 姓名\n  team: 班组\n  hire_date: 入职日期\n", encoding="utf-8")  # fmt: skip
    f = write_csv(tmp_path / "roster.csv",
                  [["工号（坐席）", "姓\u200b名", "班组", "入职日期"],
                   ["007", "张三", "一组", "2025-01-01"]], encoding="gb18030")  # fmt: skip
    refused(run("validate", str(f), "--mapping", str(m)), "'工号（坐席）'", "full-width",
            "zero-width")  # fmt: skip


def test_a_title_row_above_the_header_gets_a_hint(tmp_path):
    f = write_csv(tmp_path / "agents.csv",
                  [["坐席名单 2026年5月", "", "", ""], ["agent_id", "name", "team", "hire_date"],
                   ["A0001", "张三", "一组", "2025-01-01"]])  # fmt: skip
    refused(run("validate", str(f), "--table", "agents"), "row 2", "title")


# --- the cache ------------------------------------------------------------------------------


def test_the_cache_key_follows_content_not_the_file_time(tmp_path):
    f = tmp_path / "contacts.csv"
    f.write_text("talk_s\n180\n", encoding="utf-8")
    st = f.stat()
    before = stamp([f])
    f.write_text("talk_s\n18O\n", encoding="utf-8")  # corrected, same size, as `cp -p` leaves it
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    assert stamp([f]) != before
