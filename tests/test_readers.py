"""Real files in real encodings and formats, through the loaders and shipped mappings."""

from __future__ import annotations

import pandas as pd
import pytest

from qaworkbench import ConfigError, ValidationError, load_mapping, load_table
from qaworkbench.config import MAPPINGS_DIR

from .conftest import CONTACT_HEADER, PWC_CSV, contact_row, needs_pwc, write_csv

CN_HEADER = ["流水号", "工号", "来电时间", "渠道", "呼叫类型", "是否接通", "排队时长(秒)", "通话时长",
             "保持时长", "主叫号码", "业务类型", "是否投诉", "录音编号"]  # fmt: skip
CN_ROWS = [
    ["20260501000001", "8001", "2026/05/01 08:03:15", "语音", "呼入", "是", "12", "03:25", "0:00", "13812345678", "话费查询", "否", "R001"],
    ["20260501000002", "8002", "2026/05/01 08:04:02", "语音", "呼出", "是", "0", "1:02:03", "00:30", "13912345678", "套餐变更", "是", "R002"],
    ["20260501000003", "", "2026/05/01 08:05:40", "语音", "呼入", "否", "95", "", "", "13712345678", "宽带故障报修", "否", ""],
]  # fmt: skip


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be"]
)
@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_canonical_csv_in_every_encoding_and_delimiter(tmp_path, encoding, sep):
    data = [CONTACT_HEADER, *[contact_row(i) for i in range(1, 4)]]
    path = write_csv(tmp_path / "contacts.csv", data, encoding=encoding, sep=sep)
    df, rep = load_table(path)
    assert df["contact_id"].tolist() == ["C0001", "C0002", "C0003"]
    assert df["topic"].tolist() == ["话费查询"] * 3
    assert f"delimiter {sep!r}" in rep.notes[0]


def test_gbk_chinese_headers_through_the_shipped_mapping(tmp_path):
    path = write_csv(tmp_path / "话单.csv", [CN_HEADER, *CN_ROWS], encoding="gbk")
    df, _rep = load_table(path, mapping="hotline_cn_contacts")
    assert df["contact_id"].tolist() == ["20260501000001", "20260501000002", "20260501000003"]
    assert df["talk_s"].tolist()[:2] == [205, 3723]
    assert df["direction"].tolist() == ["inbound", "outbound", "inbound"]
    assert df["answered"].tolist() == [True, True, False]
    assert df["complaint"].tolist() == [False, True, False]
    assert df["start_time"].iloc[0] == pd.Timestamp("2026-05-01 08:03:15")
    assert df["customer_id"].iloc[0] == "13812345678"  # kept as text, all 11 digits


@needs_pwc
def test_pwc_export_loads_all_calls_with_unanswered_recognised():
    df, rep = load_table(PWC_CSV, mapping="pwc_call_center")
    assert len(df) == 5000 and rep.rejected == 0
    assert int((~df["answered"]).sum()) == 946
    unanswered = df[~df["answered"]]
    assert unanswered["talk_s"].isna().all() and unanswered["queue_wait_s"].isna().all()
    first = df.iloc[0]
    assert first["start_time"] == pd.Timestamp("2021-01-01 09:12:58")  # 0.38400462962963 of a day
    assert first["talk_s"] == 143  # "12:02:23 AM" is 2 min 23 s
    assert df["start_time"].min() >= pd.Timestamp("2021-01-01")
    assert df["start_time"].max() < pd.Timestamp("2021-04-01")
    assert any("not used" in n for n in rep.notes) is False  # every column mapped or ignored


def test_excel_with_a_chosen_sheet(tmp_path):
    good = pd.DataFrame([contact_row(i) for i in range(1, 4)], columns=CONTACT_HEADER)
    good["start_time"] = pd.to_datetime(good["start_time"])  # real date cells
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"说明": ["封面"]}).to_excel(xw, sheet_name="封面", index=False)
        good.to_excel(xw, sheet_name="话单", index=False)
    m = tmp_path / "m.yaml"
    m.write_text(
        "version: 1\nname: x\ntable: contacts\nsource: {sheet: 话单}\ncolumns:\n"
        + "".join(f"  {c}: {c}\n" for c in CONTACT_HEADER),
        encoding="utf-8",
    )
    df, _ = load_table(path, mapping=m)
    assert df["start_time"].tolist() == list(good["start_time"])
    assert df["customer_id"].tolist() == [f"138{i:08d}" for i in range(1, 4)]  # numbers kept whole


def test_sqlite_database_by_url(tmp_path, small_tables):
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'center.db'}"
    engine = sa.create_engine(url)
    small_tables["agents"].to_sql("agents", engine, index=False)
    engine.dispose()
    df, _rep = load_table(url, "agents")
    assert len(df) == len(small_tables["agents"])
    assert df["hire_date"].tolist() == small_tables["agents"]["hire_date"].tolist()


def test_parquet_folder_of_parts(tmp_path, small_tables):
    d = tmp_path / "contacts"
    d.mkdir()
    c = small_tables["contacts"]
    c.iloc[: len(c) // 2].to_parquet(d / "part-0.parquet")
    c.iloc[len(c) // 2 :].to_parquet(d / "part-1.parquet")
    df, _ = load_table(d, "contacts")
    assert len(df) == len(c)


def test_every_shipped_mapping_is_valid():
    names = sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))
    assert {"pwc_call_center", "hotline_cn_contacts"} <= set(names)
    for n in names:
        assert load_mapping(n).version >= 1


def test_mapping_errors_name_file_and_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nname: x\ntable: contacts\ncolumns:\n  contact_id: {from: a, value: b}\n  tlak_s: x\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as e:
        load_mapping(bad)
    msg = str(e.value)
    assert str(bad) in msg
    assert "columns.contact_id" in msg and "exactly one of `from`" in msg
    bad.write_text(
        "version: 1\nname: x\ntable: contacts\ncolumns:\n  tlak_s: x\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="tlak_s"):
        load_mapping(bad)


def test_mapping_naming_a_column_the_file_lacks(tmp_path):
    path = write_csv(
        tmp_path / "话单.csv", [CN_HEADER[:-1], *[r[:-1] for r in CN_ROWS]], encoding="gbk"
    )
    with pytest.raises(ValidationError) as e:
        load_table(path, mapping="hotline_cn_contacts")
    assert "录音编号" in str(e.value) and "话单.csv" in str(e.value)


def test_unknown_encoding_is_a_clear_error(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"contact_id\n" + bytes([0x81, 0x20, 0xFF, 0x0A]))
    with pytest.raises(ValidationError, match="readable text"):
        load_table(path)


def test_a_gbk_file_whose_lines_read_as_utf8_by_chance_is_one_encoding(tmp_path):
    """谢谢 in GBK (d0 bb d0 bb) is valid UTF-8 ("лл"): a GBK chat export with such a line
    first is still one encoding, not a mixed file."""
    from qaworkbench.data.load import load_table

    assert "谢谢".encode("gbk").decode("utf-8") == "лл"
    rows = "conversation_id,seq,sender,timestamp,text\n" + "".join(
        f"C1,{i},customer,2026-05-01 10:00:0{i},{t}\n"
        for i, t in enumerate(["谢谢", "我想查一下话费", "好的"], start=1)
    )
    path = tmp_path / "chat_messages.csv"
    path.write_bytes(rows.encode("gb18030"))
    df, _ = load_table(path, "chat_messages")
    assert df["text"].tolist() == ["谢谢", "我想查一下话费", "好的"]
