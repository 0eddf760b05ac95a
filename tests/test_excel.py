"""The Excel appendix as a spreadsheet program reads it: cell types, safety, layout."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd

from qaworkbench.reporting.publish import write_excel


def test_cells_keep_their_types_and_text_is_never_run(tmp_path):
    df = pd.DataFrame(
        {
            "坐席": ["田轩浩", '=HYPERLINK("http://x")', None],
            "得分": [91.5, np.nan, 80.0],
            "评估数": pd.array([12, None, 3], dtype="Int64"),
            "达标": [True, False, True],
            "质检时间": pd.to_datetime(["2026-10-01 09:30", None, "2026-10-31 23:59"]),
            "带时区": pd.to_datetime(["2026-10-01 09:30"] * 3).tz_localize("Asia/Shanghai"),
            "链接": ["http://example.com", "客户 13812345678 来电", "+5"],
            "混合": [1, "A0022", dt.date(2026, 10, 2)],
        }
    )
    path = write_excel({"坐席得分": df, "bad:/name?": df.head(1)}, tmp_path / "a.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["坐席得分", "bad  name"]
    ws = book["坐席得分"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]] == list(df.columns)
    row = {h: c for h, c in zip(df.columns, ws[2], strict=True)}
    assert row["得分"].value == 91.5 and row["评估数"].value == 12 and row["达标"].value is True
    assert row["质检时间"].value == dt.datetime(2026, 10, 1, 9, 30)
    assert row["质检时间"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert row["带时区"].value == dt.datetime(2026, 10, 1, 9, 30)  # the wall clock, as shown
    assert row["链接"].value == "http://example.com" and row["链接"].hyperlink is None
    assert row["混合"].value == 1
    second = {h: c for h, c in zip(df.columns, ws[3], strict=True)}
    assert second["坐席"].data_type == "s" and second["坐席"].value.startswith("'=")  # text
    assert second["得分"].value is None and second["评估数"].value is None  # empty, not 0/NaN
    assert second["质检时间"].value is None
    assert second["链接"].value == "客户 138****5678 来电"  # masked where written
    assert second["混合"].value == "A0022"
    third = {h: c for h, c in zip(df.columns, ws[4], strict=True)}
    assert third["坐席"].value is None and third["链接"].value == "+5"  # a number-like text
    assert third["混合"].value == dt.datetime(2026, 10, 2)
    # a CJK character is two columns wide: the name column fits 田轩浩 and its header
    assert ws.column_dimensions["A"].width >= 8
    assert ws.column_dimensions["G"].width > len("客户 138****5678 来电")
    again = pd.read_excel(path, sheet_name="坐席得分")
    assert again["得分"].tolist()[0] == 91.5 and pd.isna(again["得分"].tolist()[1])


def test_a_failed_write_leaves_the_old_workbook(tmp_path):
    path = write_excel({"a": pd.DataFrame({"x": [1]})}, tmp_path / "a.xlsx")
    before = path.read_bytes()

    class Boom:
        def __str__(self):
            raise RuntimeError("cannot be written")

    try:
        write_excel({"a": pd.DataFrame({"x": [Boom()]})}, path)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the write should have failed")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.xlsx"]  # no temporary file left
