"""Write the small synthetic sample exports under docs/samples/, one per shipped mapping.

Each file is in the layout and encoding its mapping (templates/mappings/NAME.yaml) expects:
GB18030 for the Chinese CSV exports, UTF-8 with BOM for the English QA tool, Excel workbooks
with the sheet the mapping names. Deterministic: run again, the same files. Not run at build;
the files are committed (``python docs_build/make_samples.py`` rewrites them).
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

OUT = Path(__file__).resolve().parents[1] / "docs" / "samples"
ROSTER = [  # agent_id, name, team, team_lead, site, hire_date
    ("G1001", "王芳", "话务一组", "刘洋", "广州", "2025-03-01"),
    ("G1002", "李娜", "话务一组", "刘洋", "广州", "2025-06-16"),
    ("G1003", "张伟", "话务一组", "刘洋", "广州", "2024-11-04"),
    ("G1004", "陈静", "话务二组", "赵敏", "广州", "2025-01-06"),
    ("G1005", "杨磊", "话务二组", "赵敏", "广州", "2026-09-01"),
    ("G1006", "黄丽", "话务二组", "赵敏", "广州", "2024-08-19"),
]
ITEMS = ["语气热情耐心", "未催促客户", "主动服务", "无服务禁语", "标准开头语", "标准结束语",
         "礼貌用语", "身份核实", "等待保留规范", "转接规范", "准确理解需求", "业务解答准确",
         "提供解决方案", "强调能做什么", "工单记录完整"]  # fmt: skip
ITEMS_EN = ["Warm, patient tone (5)", "Did not rush the customer (5)", "Proactive (5)",
            "No forbidden phrases (10)", "Standard greeting (5)", "Standard closing (5)",
            "Polite forms (5)", "Identity check (10)", "Hold procedure (5)",
            "Transfer procedure (5)", "Understood the need (10)", "Correct answer (15)",
            "Solution offered (10)", "Stressed what can be done (5)", "Complete record (10)"]  # fmt: skip
POINTS = [5, 5, 5, 10, 5, 5, 5, 10, 5, 5, 10, 15, 10, 5, 10]
TOPICS = ["话费查询", "套餐变更", "宽带报修", "停复机", "发票开具"]


def _write_csv(
    path: Path, header: list[str], rows: list[list], encoding: str, delimiter=","
) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _contacts(rng: random.Random) -> list[list]:
    """Calls of October and November 2026: 35 a working day per team, spread over the agents."""
    rows, n = [], 0
    day = datetime(2026, 10, 1)
    while day < datetime(2026, 12, 1):
        if day.weekday() < 6:
            for _ in range(12):
                n += 1
                agent = rng.choice(ROSTER)[0]
                start = day + timedelta(hours=8, seconds=rng.randrange(10 * 3600))
                answered = rng.random() > 0.06
                talk = int(rng.lognormvariate(4.8, 0.6)) if answered else 0
                rows.append([
                    f"HL{start:%Y%m%d}{n:05d}", agent if answered else "", f"{start:%Y-%m-%d %H:%M:%S}",
                    "语音", "呼入", "是" if answered else "否", rng.randrange(1, 40),
                    f"{talk // 60:02d}:{talk % 60:02d}", rng.choice([0, 0, 0, 15, 40]),
                    f"1{rng.choice('35789')}{rng.randrange(10**9):09d}", rng.choice(TOPICS),
                    "否", f"REC-{start:%Y%m%d}-{n:05d}" if answered else "",
                ])  # fmt: skip
        day += timedelta(days=1)
    return rows


def main() -> None:
    """Write every sample file."""
    rng = random.Random(20261201)
    OUT.mkdir(parents=True, exist_ok=True)
    _write_csv(OUT / "roster.csv", ["agent_id", "name", "team", "team_lead", "site", "hire_date", "leave_date"],
               [[*r, ""] for r in ROSTER], "utf-8-sig")  # fmt: skip
    contacts = _contacts(rng)
    _write_csv(OUT / "hotline_cn_contacts.csv",
               ["流水号", "工号", "来电时间", "渠道", "呼叫类型", "是否接通", "排队时长(秒)", "通话时长",
                "保持时长", "主叫号码", "业务类型", "是否投诉", "录音编号"], contacts, "gb18030")  # fmt: skip
    october = [c for c in contacts if c[2].startswith("2026-10") and c[1]]
    evaluated = []
    for agent in [r[0] for r in ROSTER]:
        mine = [c for c in october if c[1] == agent]
        evaluated += rng.sample(mine, 4)
    wb = Workbook()
    ws = wb.active
    ws.title = "质检记录"
    ws.append(["质检单号", "录音流水号", "坐席工号", "坐席姓名", "班组", "质检员工号", "质检时间",
               "质检方式", *ITEMS, "辱骂客户", "泄露客户信息", "质检评语", "总分"])  # fmt: skip
    names = {r[0]: r for r in ROSTER}
    for i, c in enumerate(evaluated, 1):
        verdicts = ["否" if rng.random() < 0.08 else "是" for _ in ITEMS]
        verdicts[9] = "不适用" if rng.random() < 0.7 else verdicts[9]  # few calls are transferred
        lost = sum(p for p, v in zip(POINTS, verdicts, strict=True) if v == "否")
        when = datetime.fromisoformat(c[2]) + timedelta(days=1, hours=1)
        comment = "未按规范核实身份" if verdicts[7] == "否" else ""
        ws.append([f"QA2610{i:03d}", c[0], c[1], names[c[1]][1], names[c[1]][2], "Q01",
                   f"{when:%Y-%m-%d %H:%M}", "录音调听", *verdicts, "否", "否", comment, 100 - lost])  # fmt: skip
    wb.save(OUT / "qa_sheet_cn.xlsx")
    _write_csv(OUT / "qa_tool_en.csv",
               ["Evaluation ID", "Interaction ID", "Agent ID", "Agent Name", "Team", "Evaluator ID",
                "Evaluated On", "Evaluation Type", "Form Version", "Calibration Session", *ITEMS_EN,
                "Abusive language", "Data disclosure", "Evaluator Comments", "Total Score"],
               [[f"EV-{i:04d}", c[0], c[1], "", names[c[1]][2], "Q02",
                 f"{datetime.fromisoformat(c[2]) + timedelta(days=2):%m/%d/%Y %H:%M}", "Recorded", "1.0", "",
                 *[0] * 15, "No", "No", "", 100] for i, c in enumerate(evaluated[:6], 1)],
               "utf-8-sig")  # fmt: skip
    complained = rng.sample(october, 3)
    _write_csv(OUT / "complaints_cn.csv",
               ["工单号", "关联流水号", "被投诉工号", "受理时间", "投诉类型", "判定结果", "客户姓名", "投诉内容"],
               [[f"TS2610{i:03d}", c[0], c[1], c[2], t, v, "张先生", "反映坐席态度不好"]
                for i, (c, t, v) in enumerate(zip(complained, ["服务态度", "业务差错", "服务态度"],
                                                  ["成立", "不成立", "处理中"], strict=True), 1)],
               "gb18030")  # fmt: skip
    wb = Workbook()
    ws = wb.active
    ws.title = "申诉记录"
    ws.append(["质检单号", "申诉项编号", "申诉时间", "复核结论", "申诉理由", "复核人"])
    ws.append(["QA2610001", "NRM04", "2026-10-20 10:00", "撤销扣分", "客户为老用户已核实", "Q03"])
    ws.append(["QA2610002", "SKL02", "2026-10-21 15:30", "维持原判", "", "Q03"])
    wb.save(OUT / "appeals_cn.xlsx")
    _write_csv(OUT / "pwc_call_center.csv",
               ["Call Id", "Agent", "Date", "Time", "Topic", "Answered (Y/N)", "Resolved",
                "Speed of answer in seconds", "AvgTalkDuration", "Satisfaction rating",
                "Calls Answered (Y)", "Total Calls Resolved"],
               [[f"ID{i:04d}", rng.choice(["Diane", "Becky", "Stewart"]), f"{d:02d}.01.2021",
                 f"{9 + i % 8:02d}:{i * 7 % 60:02d}:00", "Technical Support", "Y", "Y",
                 rng.randrange(10, 120), f"00:0{rng.randrange(1, 9)}:{rng.randrange(60):02d}",
                 rng.randrange(1, 6), 1, i] for i, d in enumerate(range(1, 21), 1)],
               "utf-8", delimiter=";")  # fmt: skip
    dialogues = [{"id": f"wb{i:03d}", "turns": [
        {"sender": "customer", "utterances": ["你好，我的快递三天了还没到", "单号已经发私信了"]},
        {"sender": "helpdesk", "utterances": ["您好，请稍等，帮您查询一下"]},
        {"sender": "helpdesk", "utterances": ["已为您催促网点，预计明天送达，给您带来不便非常抱歉"]},
        {"sender": "customer", "utterances": ["好的谢谢"]}]} for i in range(1, 6)]  # fmt: skip
    (OUT / "stc3_weibo.json").write_text(
        json.dumps(dialogues, ensure_ascii=False, indent=1), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
