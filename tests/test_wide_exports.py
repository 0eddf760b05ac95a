"""Evaluations kept one row per evaluation with a column per item (a QA team's spreadsheet, a QA
tool's export), and complaint and appeal exports, through the shipped mappings, from files in
real encodings; scored by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from qaworkbench import ValidationError
from qaworkbench.cli import main
from qaworkbench.data.load import load_export, save_center
from qaworkbench.data.mapping import load_mapping
from qaworkbench.scoring import score_evaluations

CN = load_mapping("qa_sheet_cn")
EN = load_mapping("qa_tool_en")


def cn_sheet(path, rows: list[dict]) -> None:
    """The Chinese QA workbook: an instructions sheet first, then 质检记录."""
    header = ["质检单号", "录音流水号", "坐席工号", "坐席姓名", "班组", "质检员工号", "质检时间",
              "质检方式", *CN.items.columns.values(), *CN.items.critical.values(), "质检评语", "总分"]  # fmt: skip
    base = {h: "是" for h in CN.items.columns.values()} | dict.fromkeys(
        CN.items.critical.values(), "否"
    )
    data = [
        {"坐席姓名": "张三", "班组": "话务一组", "质检员工号": "Q01", "质检时间": "2026-05-06 10:00",
         "质检方式": "录音调听", "总分": 100, "质检评语": ""} | base | r
        for r in rows
    ]  # fmt: skip
    with pd.ExcelWriter(path) as x:
        pd.DataFrame({"填表说明": ["每行一条质检记录"]}).to_excel(x, sheet_name="说明", index=False)
        pd.DataFrame(data)[header].to_excel(x, sheet_name="质检记录", index=False)


def en_csv(path, rows: list[dict]) -> None:
    """The English QA tool's export: CSV in UTF-8 with a BOM."""
    header = ["Evaluation ID", "Interaction ID", "Agent ID", "Agent Name", "Team", "Evaluator ID",
              "Evaluated On", "Evaluation Type", "Form Version", "Calibration Session",
              *EN.items.columns.values(), *EN.items.critical.values(), "Evaluator Comments",
              "Total Score"]  # fmt: skip
    data = [
        {"Agent Name": "Li Lei", "Team": "T1", "Evaluator ID": "Q02", "Evaluated On":
         "05/07/2026 14:30", "Evaluation Type": "Recorded", "Form Version": "1.0",
         "Calibration Session": "", "Evaluator Comments": "", "Total Score": 100}
        | dict.fromkeys(EN.items.columns.values(), "0") | dict.fromkeys(EN.items.critical.values(), "No")
        | r for r in rows
    ]  # fmt: skip
    pd.DataFrame(data)[header].to_csv(path, index=False, encoding="utf-8-sig")


def test_the_chinese_sheet_becomes_evaluations_and_items(tmp_path):
    path = tmp_path / "质检评分表.xlsx"
    cn_sheet(path, [
        {"质检单号": "ZJ001", "录音流水号": "C1", "坐席工号": "A1", "语气热情耐心": "否",
         "身份核实": "不适用", "质检评语": "语气生硬"},
        {"质检单号": "ZJ002", "录音流水号": "C2", "坐席工号": "A2", "辱骂客户": "是",
         "质检方式": "实时监听"},
    ])  # fmt: skip
    out = load_export(path, CN)
    ev, items = out["evaluations"][0], out["evaluation_items"][0]
    assert ev["evaluation_id"].tolist() == ["ZJ001", "ZJ002"]
    assert ev["mode"].tolist() == ["post_call", "real_time"]
    assert len(items) == 2 * 17  # 15 items and 2 bottom-line items per evaluation
    one = items[items["evaluation_id"] == "ZJ001"].set_index("item_id")
    assert one.loc["ATT01", "result"] == "fail" and one.loc["NRM04", "result"] == "na"
    assert one.loc["ATT01", "comment"] == "语气生硬" and pd.isna(one.loc["ATT02", "comment"])
    assert (
        (items.set_index(["evaluation_id", "item_id"]).loc[("ZJ002", "CRT01"), "result"]) == "fail"
    )
    scored, _ = score_evaluations(ev, items)
    # ZJ001 loses ATT01's 5 points; 身份核实 does not apply and costs nothing
    assert scored.set_index("evaluation_id")["score"].to_dict() == {"ZJ001": 95.0, "ZJ002": 0.0}
    assert "read sheet" not in " ".join(out["evaluations"][1].notes)  # the mapping names it


def test_the_english_tool_export_reads_points_lost(tmp_path):
    path = tmp_path / "qa_export.csv"
    en_csv(path, [
        {"Evaluation ID": "EV-10", "Interaction ID": "C10", "Agent ID": "A1",
         "No forbidden phrases (10)": "10", "Correct answer (15)": "2.5",
         "Evaluator Comments": "Said 不知道 twice"},
        {"Evaluation ID": "EV-11", "Interaction ID": "C11", "Agent ID": "A2",
         "Hold procedure (5)": "N/A", "Transfer procedure (5)": ""},
    ])  # fmt: skip
    out = load_export(path, EN)
    ev, items = out["evaluations"][0], out["evaluation_items"][0]
    assert ev["evaluated_at"].tolist() == [pd.Timestamp("2026-05-07 14:30")] * 2
    i = items.set_index(["evaluation_id", "item_id"])
    assert i.loc[("EV-10", "ATT04"), ["result", "points_deducted"]].tolist() == ["fail", 10.0]
    assert i.loc[("EV-10", "SKL02"), "points_deducted"] == 2.5
    assert i.loc[("EV-11", "NRM05"), "result"] == "na"
    assert i.loc[("EV-11", "NRM06"), "result"] == "pass"  # blank: passed
    scored, _ = score_evaluations(ev, items)
    assert scored.set_index("evaluation_id")["score"].to_dict() == {"EV-10": 87.5, "EV-11": 100.0}


def test_a_bad_item_cell_names_row_and_column_and_rejects_its_evaluation(tmp_path):
    path = tmp_path / "qa_export.csv"
    en_csv(path, [
        {"Evaluation ID": "EV-1", "Interaction ID": "C1", "Agent ID": "A1"},
        {"Evaluation ID": "EV-2", "Interaction ID": "C2", "Agent ID": "A1",
         "Correct answer (15)": "lots"},
    ])  # fmt: skip
    with pytest.raises(ValidationError) as e:
        load_export(path, EN)
    assert "qa_export.csv, row 3, column 'Correct answer (15)': expected points lost" in str(
        e.value
    )
    out = load_export(path, EN, mode="lenient", rejects_dir=tmp_path / "rej")
    assert out["evaluations"][0]["evaluation_id"].tolist() == ["EV-1"]
    assert set(out["evaluation_items"][0]["evaluation_id"]) == {"EV-1"}
    assert out["evaluations"][1].rejected == 1


def test_a_sheet_without_an_item_column_is_a_clear_error(tmp_path):
    path = tmp_path / "qa_export.csv"
    en_csv(path, [{"Evaluation ID": "EV-1", "Interaction ID": "C1", "Agent ID": "A1"}])
    pd.read_csv(path).drop(columns=["Proactive (5)"]).to_csv(path, index=False)
    with pytest.raises(ValidationError, match=r"column 'Proactive \(5\)'"):
        load_export(path, EN)


def test_complaint_and_appeal_exports(tmp_path):
    c = tmp_path / "投诉工单.csv"
    pd.DataFrame({
        "工单号": ["TS1", "TS2", "TS3"], "关联流水号": ["C1", "C2", "C3"], "被投诉工号": ["A1"] * 3,
        "受理时间": ["2026-05-06 09:00"] * 3, "投诉类型": ["服务态度", "业务差错", "态度"],
        "判定结果": ["成立", "不成立", "处理中"], "客户姓名": ["王女士"] * 3, "投诉内容": ["态度差"] * 3,
    }).to_csv(c, index=False, encoding="gbk")  # fmt: skip
    df = load_export(c, "complaints_cn")["complaints"][0]
    assert df["category"].tolist() == ["attitude", "business", "attitude"]
    assert df["upheld"].tolist() == [True, False, pd.NA]
    a = tmp_path / "申诉记录.xlsx"
    pd.DataFrame({
        "质检单号": ["ZJ001", "ZJ002"], "申诉项编号": ["ATT01", "SKL02"],
        "申诉时间": ["2026-05-08 10:00", "2026-05-08 11:00"], "复核结论": ["撤销扣分", "维持原判"],
        "申诉理由": ["客户先挂机", ""], "复核人": ["QA 主管", "QA 主管"],
    }).to_excel(a, index=False)  # fmt: skip
    df = load_export(a, "appeals_cn")["appeals"][0]
    assert df["decision"].tolist() == ["upheld", "rejected"]


def test_import_writes_both_tables_and_append_refuses_repeated_keys(tmp_path, small_tables):
    folder = tmp_path / "center"
    qa = ("evaluations", "evaluation_items", "appeals")  # what the QA tool export brings
    save_center({k: v for k, v in small_tables.items() if k not in qa}, folder)
    path = tmp_path / "qa_export.csv"
    c = small_tables["contacts"].dropna(subset=["agent_id"]).iloc[:2]
    en_csv(path, [
        {"Evaluation ID": f"EV-{i}", "Interaction ID": cid, "Agent ID": aid,
         "Evaluator ID": small_tables["evaluators"]["evaluator_id"].iloc[0]}
        for i, (cid, aid) in enumerate(zip(c["contact_id"], c["agent_id"], strict=True))
    ])  # fmt: skip
    run = CliRunner().invoke
    r = run(main, ["import", str(path), "--mapping", "qa_tool_en", "--data", str(folder)])
    assert r.exit_code == 0, r.output
    assert "evaluations: 2 of 2 rows" in r.output and "evaluation_items: 34 of 34 rows" in r.output
    r = run(main, ["validate", str(folder)])
    assert r.exit_code == 0, r.output
    r = run(main, ["import", str(path), "--mapping", "qa_tool_en", "--data", str(folder)])
    assert r.exit_code == 1 and "--append" in r.output and "left as it is" in r.output
    r = run(
        main, ["import", str(path), "--mapping", "qa_tool_en", "--data", str(folder), "--append"]
    )
    assert (
        r.exit_code == 1
        and "would repeat 2 key(s)" in r.output
        and "nothing was written" in r.output
    )
    assert len(pd.read_parquet(folder / "evaluations.parquet")) == 2
    r = run(main, ["validate", str(path), "--mapping", "qa_tool_en"])
    assert r.exit_code == 0 and "evaluation_items" in r.output
