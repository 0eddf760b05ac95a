"""Every bad input of the foundation issue, item 6, gets a message naming file, row, column."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from qaworkbench import ValidationError, load_center, load_table, save_center
from qaworkbench.config import EXCEL_MAX_ROWS
from qaworkbench.data import validate
from qaworkbench.errors import QAWError
from qaworkbench.privacy import find_unmasked

from .conftest import CONTACT_HEADER, contact_row, write_csv


def rows(*extra):
    return [CONTACT_HEADER, *[contact_row(i) for i in range(1, 4)], *extra]


def load_err(path, **kw) -> ValidationError:
    with pytest.raises(ValidationError) as e:
        load_table(path, "contacts", **kw)
    return e.value


def test_valid_file_loads(tmp_path):
    df, rep = load_table(write_csv(tmp_path / "contacts.csv", rows()), "contacts")
    assert len(df) == 3 and rep.rows_kept == 3
    assert df["talk_s"].tolist() == [180, 180, 180]


def test_duplicate_ids(tmp_path):
    e = load_err(write_csv(tmp_path / "c.csv", rows(contact_row(2))))
    p = e.problems[0]
    assert (p.file, p.row, p.column) == ("c.csv", 5, "contact_id")
    assert "unique contact_id" in p.expected and p.value == "C0002"
    assert "c.csv, row 5, column 'contact_id'" in str(e)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("talk_s", -12, "a duration of 0 s or more"),
        ("queue_wait_s", 90000, "a plausible duration"),
        ("talk_s", "forever", 'a duration: seconds, "mm:ss"'),
    ],
)
def test_negative_absurd_and_unparseable_durations(tmp_path, field, value, expected):
    e = load_err(write_csv(tmp_path / "c.csv", rows(contact_row(9, **{field: value}))))
    assert len(e.problems) == 1
    p = e.problems[0]
    assert (p.row, p.column) == (5, field)
    assert expected in p.expected


def test_end_before_start(tmp_path):
    header = [*CONTACT_HEADER, "end_time"]
    data = [header] + [[*contact_row(i), "2026-05-09 23:00:00"] for i in range(1, 3)]
    data.append([*contact_row(3, start_time="2026-05-03 10:00:00"), "2026-05-03 09:59:00"])
    e = load_err(write_csv(tmp_path / "c.csv", data))
    assert [(p.row, p.column) for p in e.problems] == [(4, "end_time")]
    assert "at or after start_time" in e.problems[0].expected


def test_unparseable_date(tmp_path):
    e = load_err(write_csv(tmp_path / "c.csv", rows(contact_row(9, start_time="2026-13-45 25:00"))))
    assert [(p.row, p.column) for p in e.problems] == [(5, "start_time")]
    assert e.problems[0].value == "2026-13-45 25:00"


def test_day_month_ambiguous_dates(tmp_path):
    data = [CONTACT_HEADER] + [
        contact_row(i, start_time=f"0{i}/0{i + 1}/2026 10:00") for i in range(1, 4)
    ]
    e = load_err(write_csv(tmp_path / "c.csv", data))
    p = e.problems[0]
    assert p.column == "start_time" and p.row == 2
    assert "day/month or month/day" in p.expected and "format" in p.expected


@pytest.mark.parametrize("mangled", ["1.38001385678E+10", "13800138000.0"])
def test_phone_numbers_mangled_into_floats(tmp_path, mangled):
    e = load_err(write_csv(tmp_path / "c.csv", rows(contact_row(9, customer_id=mangled))))
    p = e.problems[0]
    assert (p.row, p.column, p.value) == (5, "customer_id", mangled)
    assert "scientific notation" in p.expected


def test_float_phone_column_in_parquet(tmp_path):
    df = pd.read_csv(write_csv(tmp_path / "c.csv", rows()), dtype=str)
    df["customer_id"] = df["customer_id"].astype(float)
    df.to_parquet(tmp_path / "contacts.parquet")
    e = load_err(tmp_path / "contacts.parquet")
    assert {p.column for p in e.problems} == {"customer_id"} and len(e.problems) == 3
    assert e.problems[0].row == 1  # Parquet has no header row


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "- 未使用标准开场白"]
)
def test_formula_looking_text_is_kept_and_neutralised_where_written(tmp_path, cell):
    from qaworkbench.reporting.publish import csv_bytes

    df, _ = load_table(write_csv(tmp_path / "c.csv", rows(contact_row(9, topic=cell))), "contacts")
    assert df["topic"].iloc[-1] == cell  # the data as the center wrote it
    written = pd.read_csv(io.BytesIO(csv_bytes(df)), dtype=str, encoding="utf-8-sig")
    assert written["topic"].iloc[-1] == "'" + cell  # a spreadsheet shows it, never runs it
    assert written["talk_s"].iloc[-1] == df["talk_s"].astype(str).iloc[-1]  # numbers untouched


def test_empty_and_header_only_files(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    e = load_err(tmp_path / "empty.csv")
    assert "file is empty" in str(e)
    e = load_err(write_csv(tmp_path / "header.csv", [CONTACT_HEADER]))
    assert "only a header" in str(e)


def test_file_cut_at_excels_row_limit(tmp_path):
    path = tmp_path / "big.csv"
    line = ",".join(map(str, contact_row(1)))
    with path.open("w", encoding="utf-8") as f:
        f.write(",".join(CONTACT_HEADER) + "\n")
        f.write((line + "\n") * (EXCEL_MAX_ROWS - 1))
    e = load_err(path)
    assert e.problems[0].row == EXCEL_MAX_ROWS
    assert "Excel's row limit" in e.problems[0].expected


def test_a_csv_longer_than_excels_limit_is_not_taken_for_a_cut_one(tmp_path):
    """Only a file that stops exactly at the limit was cut; CSV may be longer."""
    path = tmp_path / "agents.csv"
    n = EXCEL_MAX_ROWS  # data rows: one more than a full Excel sheet holds with its header
    body = "".join(f"A{i},N,T,2025-01-01\n" for i in range(n))
    path.write_text("agent_id,name,team,hire_date\n" + body, encoding="utf-8")
    df, rep = load_table(path, "agents")
    assert rep.rows_read == n == len(df)


def test_missing_required_value_and_unanswered_without_agent(tmp_path):
    data = rows(
        contact_row(8, agent_id="", answered="N", talk_s=""),  # fine: abandoned
        contact_row(9, agent_id=""),  # answered but no agent
        contact_row(10, channel=""),
    )
    e = load_err(write_csv(tmp_path / "c.csv", data))
    got = {(p.row, p.column) for p in e.problems}
    assert got == {(6, "agent_id"), (7, "channel")}


def test_strict_lists_every_problem_of_the_table(tmp_path):
    data = rows(
        contact_row(7, talk_s=-1),
        contact_row(8, channel="传真"),
        contact_row(9, customer_id="1.3E+10"),
    )
    e = load_err(write_csv(tmp_path / "c.csv", data))
    assert [p.row for p in e.problems] == [5, 6, 7]


def test_lenient_keeps_good_rows_and_writes_rejects_with_reasons(tmp_path):
    data = rows(contact_row(7, talk_s=-1, topic="=1+1 客户13912345678"), contact_row(8, topic="=1+1"),
                contact_row(2))  # fmt: skip
    df, rep = load_table(
        write_csv(tmp_path / "c.csv", data),
        "contacts",
        mode="lenient",
        rejects_dir=tmp_path / "rej",
    )
    assert len(df) == 4 and rep.rejected == 2  # formula-looking text is data, not an error
    raw = Path(rep.rejects_path).read_text(encoding="utf-8-sig")
    rej = pd.read_csv(rep.rejects_path, dtype=str, encoding="utf-8-sig")
    assert rej["_row"].tolist() == ["5", "7"]
    assert "talk_s: expected a duration of 0 s or more" in rej.loc[0, "_reasons"]
    assert "unique contact_id" in rej.loc[1, "_reasons"]
    assert rej.loc[0, "talk_s"] == "-1"  # the source cells, as they were
    assert rej.loc[0, "topic"] == "'=1+1 客户139****5678"  # neutralised and masked
    assert find_unmasked(raw) == []


def center_with(tmp_path, small_tables, **changes):
    tables = {k: v.copy() for k, v in small_tables.items()}
    for name, fn in changes.items():
        tables[name] = fn(tables[name])
    d = tmp_path / "center"
    save_center(tables, d)
    return d


def test_unknown_agent(tmp_path, small_tables):
    def break_agent(c):
        c.loc[5, "agent_id"] = "A9999"
        c.loc[5, "answered"] = True
        return c

    d = center_with(tmp_path, small_tables, contacts=break_agent)
    with pytest.raises(ValidationError) as e:
        load_center(d)
    p = e.value.problems[0]
    assert (p.column, p.value) == ("agent_id", "A9999")
    assert "agent_id present in agents" in p.expected
    assert e.value.file == "contacts.parquet"


def test_evaluation_of_a_missing_contact(tmp_path, small_tables):
    def break_eval(ev):
        ev.loc[3, "contact_id"] = "C99999999"
        return ev

    d = center_with(tmp_path, small_tables, evaluations=break_eval)
    with pytest.raises(ValidationError) as e:
        load_center(d)
    p = e.value.problems[0]
    assert (p.column, p.value) == ("contact_id", "C99999999")
    assert "present in contacts" in p.expected


def test_strict_names_the_first_bad_table_in_load_order(tmp_path, small_tables):
    """The cross-checks after contacts are asked side by side: with two bad tables, the error
    is still the first one's in load order (evaluations before complaints), and a bad later
    table alone is named."""

    def break_eval(ev):
        ev.loc[3, "contact_id"] = "C99999999"
        return ev

    def break_complaint(c):
        c.loc[0, "contact_id"] = "C88888888"
        return c

    both = center_with(tmp_path / "both", small_tables, evaluations=break_eval,
                       complaints=break_complaint)  # fmt: skip
    with pytest.raises(ValidationError) as e:
        load_center(both)
    assert e.value.table == "evaluations" and e.value.problems[0].value == "C99999999"
    later = center_with(tmp_path / "later", small_tables, complaints=break_complaint)
    with pytest.raises(ValidationError) as e:
        load_center(later)
    assert e.value.table == "complaints" and e.value.problems[0].value == "C88888888"


def test_lenient_center_cascades_and_counts(tmp_path, small_tables):
    def break_eval(ev):
        ev.loc[3, "contact_id"] = "C99999999"
        return ev

    d = center_with(tmp_path, small_tables, evaluations=break_eval)
    center = load_center(d, mode="lenient", rejects_dir=tmp_path / "rej")
    summary = center.summary().set_index("table")
    assert summary.loc["evaluations", "rejected"] == 1
    # the rejected evaluation's items now point at nothing: rejected too, not dropped silently
    n_items = (
        small_tables["evaluation_items"]["evaluation_id"]
        == small_tables["evaluations"].loc[3, "evaluation_id"]
    ).sum()
    assert summary.loc["evaluation_items", "rejected"] == n_items
    rej = pd.read_csv(
        tmp_path / "rej" / "evaluation_items.rejected.csv", dtype=str, encoding="utf-8-sig"
    )
    assert len(rej) == n_items and rej["_reasons"].str.contains("present in evaluations").all()


def test_lenient_contact_rejected_takes_its_evaluations_along(tmp_path, small_tables):
    """A contact rejected for its unknown agent leaves its evaluations pointing at nothing:
    they are rejected too (the cross-checks use contacts as kept, not as read)."""
    ev = small_tables["evaluations"]
    contact = ev.loc[0, "contact_id"]

    def break_contact(c):
        c.loc[c["contact_id"] == contact, "agent_id"] = "A_NOBODY"
        return c

    d = center_with(tmp_path, small_tables, contacts=break_contact)
    center = load_center(d, mode="lenient", rejects_dir=tmp_path / "rej")
    summary = center.summary().set_index("table")
    assert summary.loc["contacts", "rejected"] == 1
    assert summary.loc["evaluations", "rejected"] == (ev["contact_id"] == contact).sum() >= 1
    rej = pd.read_csv(tmp_path / "rej" / "evaluations.rejected.csv", dtype=str,
                      encoding="utf-8-sig")  # fmt: skip
    assert rej["_reasons"].str.contains("contact_id present in contacts").all()


def test_demo_center_validates_strictly(small_dir, small_tables):
    center = load_center(small_dir)
    for name, df in small_tables.items():
        assert len(center.tables[name]) == len(df), name
    assert center.summary()["rejected"].sum() == 0


def test_duplicates_found_in_unsorted_and_composite_keys(tmp_path, small_tables):
    items = small_tables["evaluation_items"]
    shuffled = items.sample(frac=1, random_state=1)
    dup = pd.concat([shuffled, shuffled.iloc[[7]]], ignore_index=True)
    dup.to_parquet(tmp_path / "evaluation_items.parquet")
    with pytest.raises(ValidationError) as e:
        load_table(tmp_path / "evaluation_items.parquet")
    p = e.value.problems[0]
    assert p.row == len(dup) and p.column == "evaluation_id,item_id"
    shuffled.to_parquet(tmp_path / "ok.parquet")
    df, _ = load_table(tmp_path / "ok.parquet", "evaluation_items")
    assert len(df) == len(items)


def test_a_center_may_have_an_empty_optional_table_but_not_empty_contacts(tmp_path, small_tables):
    d = center_with(
        tmp_path, small_tables, complaints=lambda c: c.iloc[0:0], appeals=lambda a: a.iloc[0:0]
    )
    center = load_center(d)
    assert len(center.complaints) == 0 and len(center.contacts) == len(small_tables["contacts"])
    d2 = center_with(tmp_path / "x", small_tables, contacts=lambda c: c.iloc[0:0])
    with pytest.raises(ValidationError, match="only a header"):
        load_center(d2)


def _error_of(d) -> str:
    with pytest.raises(QAWError) as e:
        load_center(d)
    return str(e.value)


def test_epoch_integers_in_a_parquet_time_column_are_an_error_not_empty(tmp_path, small_tables):
    def epoch(c):
        return c.assign(end_time=c["end_time"].astype("datetime64[s]").astype("int64"))

    msg = _error_of(center_with(tmp_path, small_tables, contacts=epoch))
    assert "column 'end_time'" in msg and "epoch seconds are not" in msg and "row 1" in msg


def test_an_appeal_of_an_item_the_evaluation_lacks_is_an_error(tmp_path, small_tables):
    def other_item(a):
        a = a.copy()
        a.loc[0, "item_id"] = "ZZZ99"
        return a

    msg = _error_of(center_with(tmp_path, small_tables, appeals=other_item))
    assert "appeals.parquet, row 1, column 'item_id'" in msg and "ZZZ99" in msg


def test_an_evaluation_credited_to_another_agent_than_the_contacts_is_an_error(
    tmp_path, small_tables
):
    agents = small_tables["agents"]["agent_id"].tolist()

    def credit_other(e):
        e = e.copy()
        e.loc[2, "agent_id"] = next(a for a in agents if a != e.loc[2, "agent_id"])
        return e

    msg = _error_of(center_with(tmp_path, small_tables, evaluations=credit_other))
    assert "evaluations.parquet, row 3, column 'agent_id'" in msg
    assert "the agent who handled the contact" in msg


def test_row_numbers_stay_right_after_blank_lines(tmp_path):
    data = rows(
        contact_row(7), [], [], contact_row(8, talk_s=-1), [], contact_row(9, channel="传真")
    )
    e = load_err(write_csv(tmp_path / "c.csv", data))
    lines = (tmp_path / "c.csv").read_text(encoding="utf-8").splitlines()
    got = {p.column: p.row for p in e.problems}
    assert lines[got["talk_s"] - 1].startswith("C0008")  # the line a user opens the file at
    assert lines[got["channel"] - 1].startswith("C0009")


def test_lenient_cross_table_rejects_name_the_files_line(small_dir, tmp_path):
    """An evaluation of an unknown contact, after a blank line in the CSV: the rejects file
    names the line a person finds in an editor, and its items are rejected with it."""
    import shutil

    data = tmp_path / "center"
    shutil.copytree(small_dir, data)
    ev = pd.read_parquet(data / "evaluations.parquet")
    ev.loc[4, "contact_id"] = "C_MISSING"
    lines = ev.to_csv(index=False).split("\n")
    lines.insert(3, "")  # a blank line after the second row
    (data / "evaluations.parquet").unlink()
    (data / "evaluations.csv").write_text("\n".join(lines), encoding="utf-8")
    center = load_center(data, mode="lenient", rejects_dir=tmp_path / "rejects")
    rej = pd.read_csv(tmp_path / "rejects" / "evaluations.rejected.csv", dtype=str,
                      encoding="utf-8-sig")  # fmt: skip
    assert rej["_row"].tolist() == ["7"]
    assert lines[6].startswith(ev.loc[4, "evaluation_id"])  # line 7 of the file
    assert "contact_id" in rej["_reasons"].iat[0]
    assert ev.loc[4, "evaluation_id"] not in set(center.evaluation_items["evaluation_id"])


def test_an_item_off_its_evaluations_scorecard_is_an_error(tmp_path, small_tables):
    """An item row naming an item the evaluation's scorecard version does not have; an item of
    a scorecard the workbench does not know is not judged (it has no list to judge by)."""
    items = small_tables["evaluation_items"]
    ev = small_tables["evaluations"].set_index("evaluation_id")
    first = ev.loc[items.loc[3, "evaluation_id"]]
    card = f"{first['scorecard_id']} {first['scorecard_version']}"

    def off(i):
        i.loc[3, "item_id"] = "NOT-ON-ANY-CARD"
        return i

    d = center_with(tmp_path, small_tables, evaluation_items=off)
    with pytest.raises(ValidationError) as e:
        load_center(d)
    hits = [p for p in e.value.problems if p.column == "item_id"]
    assert [(p.row, p.value) for p in hits] == [(4, f"NOT-ON-ANY-CARD on {card}")]
    assert hits[0].expected == "an item of the evaluation's scorecard version"

    ev2 = small_tables["evaluations"].copy()  # a scorecard the workbench does not have
    ev2.loc[ev2["evaluation_id"] == items.loc[3, "evaluation_id"], "scorecard_id"] = "SC-NOT-OURS"
    assert validate._items_off_card(off(items.copy()), ev2) == []


def test_item_checks_with_no_evaluation_left():
    """Items whose evaluations are all gone (rejected in lenient mode) are not off a card and
    no evaluation lacks items: the checks say nothing rather than fail."""
    from qaworkbench.data.validate import _items_off_card, _missing_items

    items = pd.DataFrame({"evaluation_id": ["E1", "E2"], "item_id": ["x", "y"]}, dtype="str")
    ev = pd.DataFrame(columns=["evaluation_id", "scorecard_id", "scorecard_version"], dtype="str")
    assert _items_off_card(items, ev) == [] and _missing_items(ev, items) == []
