"""Conversation exports loaded through a mapping alone (issue 29): headerless CSV by position,
JSON / JSON Lines with nested messages and utterances, "speaker: text" lines, keys joined
from several columns, values recoded on any column, contacts derived from the messages."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qaworkbench import ConfigError
from qaworkbench.cli import main
from qaworkbench.data.load import load_export
from qaworkbench.data.mapping import load_mapping


def _mapping(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "m.yaml"
    p.write_text("version: 1\nname: t\n" + text, encoding="utf-8")
    return p


def test_headerless_gb18030_csv_by_position_with_a_joined_key_and_recoded_ids(tmp_path):
    f = tmp_path / "chats.csv"
    f.write_bytes(
        "8801,2026-05-03,2026-05-03 09:00:05,A7,用户,在吗\n"
        "8801,2026-05-03,2026-05-03 09:00:35,A7,客服,您好，很高兴为您服务\n"
        "8801,2026-05-04,2026-05-04 10:00:00,NO_SERVER,用户,还在吗\n".encode("gb18030")
    )
    m = _mapping(
        tmp_path,
        """table: chat_messages
source: {header: false}
columns:
  conversation_id: {from: [column 1, column 2], join: "-"}
  timestamp: {position: 3}
  sender: {position: 5, values: {用户: customer, 客服: agent}}
  text: {position: 6}
contacts:
  agent_id: {position: 4, values: {NO_SERVER: ""}}
""",
    )
    out = load_export(f, m)
    msgs = out["chat_messages"][0]
    assert msgs["conversation_id"].tolist() == ["8801-2026-05-03"] * 2 + ["8801-2026-05-04"]
    assert msgs["seq"].tolist() == [1, 2, 1]  # file order within each conversation
    c = out["contacts"][0].set_index("contact_id")
    assert c.loc["8801-2026-05-03", "agent_id"] == "A7"
    assert pd.isna(c.loc["8801-2026-05-04", "agent_id"])  # NO_SERVER is no agent
    assert c.loc["8801-2026-05-03", "talk_s"] == 30.0  # first to last message, s
    assert c.loc["8801-2026-05-03", "start_time"] == pd.Timestamp("2026-05-03 09:00:05")
    assert c["channel"].tolist() == ["chat", "chat"]
    assert c["answered"].tolist() == [True, False]  # no agent wrote in the second
    assert "derived from the messages" in out["contacts"][1].notes[0]
    assert list(out["agents"][0]["agent_id"]) == ["A7"]


def test_jsonl_with_nested_turns_of_several_utterances(tmp_path):
    f = tmp_path / "d.jsonl"
    lines = [
        {"meta": {"cid": "K1"}, "turns": [{"who": "客户", "said": ["在吗", "", "订单没到"]},
                                          {"who": "客服", "said": ["您好"]}]},
        {"meta": {"cid": "K2"}, "turns": [{"who": "客服", "said": "欢迎光临"}]},
    ]  # fmt: skip
    f.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    m = _mapping(
        tmp_path,
        """table: chat_messages
source: {format: jsonl, messages: turns, utterances: said}
columns:
  conversation_id: meta.cid
  sender: {from: turns.who, values: {客户: customer, 客服: agent}}
  text: turns.said
contacts:
  start_time: {value: "2026-05-01"}
  agent_id: {value: bot}
""",
    )
    out = load_export(f, m)
    msgs, rep = out["chat_messages"]
    assert msgs[["conversation_id", "seq", "sender", "text"]].values.tolist() == [
        ["K1", 1, "customer", "在吗"], ["K1", 2, "customer", "订单没到"],
        ["K1", 3, "agent", "您好"], ["K2", 1, "agent", "欢迎光临"],
    ]  # fmt: skip
    assert msgs["timestamp"].isna().all()
    assert any("1 empty utterance(s) skipped" in n for n in rep.notes)
    assert out["contacts"][0]["start_time"].tolist() == [pd.Timestamp("2026-05-01")] * 2


def test_speaker_lines_with_full_width_colons_blank_lines_and_id_lines(tmp_path):
    f = tmp_path / "chat.txt"
    f.write_text("顾客：你好\n客服: 您好，请问有什么可以帮您\n稍等\n\n用户:退款\n客服：好的\n",
                 encoding="utf-8")  # fmt: skip
    m = _mapping(
        tmp_path,
        """table: chat_messages
source: {format: lines, speakers: [客服, 用户, 顾客]}
columns:
  conversation_id: conversation
  sender: {from: speaker, values: {客服: agent, 用户: customer, 顾客: customer}}
  text: text
contacts: {start_time: {value: "2026-05-01"}, agent_id: {value: A1}}
""",
    )
    msgs = load_export(f, m)["chat_messages"][0]
    assert msgs["conversation_id"].tolist() == ["chat-1", "chat-1", "chat-2", "chat-2"]
    assert msgs["text"].tolist() == ["你好", "您好，请问有什么可以帮您\n稍等", "退款", "好的"]
    assert msgs["sender"].tolist() == ["customer", "agent", "customer", "agent"]
    g = tmp_path / "ids.txt"
    g.write_text("会话ID：S9\n用户：在吗\n\n客服：在\n会话ID：S10\n用户：谢谢\n", encoding="utf-8")
    m2 = _mapping(tmp_path, m.read_text(encoding="utf-8").split("version: 1\nname: t\n")[1]
                  .replace("speakers: [客服, 用户, 顾客]}",
                           "speakers: [客服, 用户], conversation_line: '会话ID[:：](\\S+)'}"))  # fmt: skip
    msgs = load_export(g, m2)["chat_messages"][0]
    assert msgs["conversation_id"].tolist() == ["S9", "S9", "S10"]
    assert msgs["seq"].tolist() == [1, 2, 1]


def test_a_line_with_no_speaker_is_an_error_naming_the_line(tmp_path):
    f = tmp_path / "chat.txt"
    f.write_text("客服：您好\n\n开场白没有说话人\n", encoding="utf-8")
    m = _mapping(
        tmp_path,
        """table: chat_messages
source: {format: lines, speakers: [客服, 用户]}
columns: {conversation_id: conversation, sender: {from: speaker, values: {客服: agent}}, text: text}
""",
    )
    with pytest.raises(Exception, match=r"row 3.*speaker"):
        load_export(f, m)


@pytest.mark.parametrize(
    "columns, message",
    [
        ("contact_id: {from: 工号, parse: category}", r"columns\.contact_id: `parse: category`"),
        ("contact_id: [会话ID, 日期]", r"columns\.contact_id: `from` lists two columns.*join"),
        ("contact_id: {position: 1}", r"`position` reads a file without a header"),
    ],
)
def test_mapping_errors_name_the_file_and_key(tmp_path, columns, message):
    m = _mapping(tmp_path, f"table: contacts\ncolumns:\n  {columns}\n  start_time: 时间\n"
                           "  channel: {value: chat}\n  direction: {value: inbound}\n")  # fmt: skip
    with pytest.raises(ConfigError, match=message) as e:
        load_mapping(m)
    assert str(m) in str(e.value)
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "x.csv"), "--mapping", str(m)])
    assert r.exit_code == 1 and str(m) in r.output


def test_flag_words_true_false_as_the_readme_writes_them(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("id,t,ok\nC1,2026-05-01 09:00,接通\nC2,2026-05-01 09:05,未接\n", encoding="utf-8")
    m = _mapping(
        tmp_path,
        """table: contacts
columns:
  contact_id: id
  start_time: t
  channel: {value: voice}
  direction: {value: inbound}
  agent_id: {value: A1}
  answered: {from: ok, parse: flag, true: [接通], false: [未接]}
""",
    )
    df = load_export(f, m)["contacts"][0]
    assert df["answered"].tolist() == [True, False]


STC3 = Path(__file__).resolve().parents[2] / "shared" / "data" / "external" / "stc3-weibo"


@pytest.mark.skipif(not (STC3 / "data.zip").exists(), reason="needs ../shared (STC3 Weibo data)")
def test_stc3_loads_through_the_shipped_mapping_and_auto_qa_says_timing_is_na(tmp_path):
    with zipfile.ZipFile(STC3 / "data.zip") as z:
        z.extract("data/train_data_cn.json", tmp_path)
    src, data = tmp_path / "data" / "train_data_cn.json", tmp_path / "center"
    run = CliRunner().invoke
    r = run(main, ["import", str(src), "--mapping", "stc3_weibo", "--data", str(data)])
    assert r.exit_code == 0, r.output
    assert "chat_messages: 16,493 of 16,493 rows" in r.output
    assert "201 empty utterance(s) skipped" in r.output
    assert "contacts: 3,700 derived from the messages" in r.output
    r = run(main, ["validate", str(data)])
    assert r.exit_code == 0, r.output
    assert "no chat_messages.timestamp: the timing rules" in r.output
    r = run(main, ["autoqa", "--month", "2019-01", "--data", str(data), "--rules", "hotline"])
    assert r.exit_code == 0, r.output
    assert "first_response, average_response, lookup_reply: n/a — no times in this export " \
           "(3,700 chats without message times)" in r.output  # fmt: skip
    res = pd.read_parquet(data / "autoqa" / "2019-01.parquet")
    timing = res[res["rule_id"].isin(["first_response", "average_response"])]
    assert len(timing) == 2 * 3700 and (timing["result"] == "na").all()
