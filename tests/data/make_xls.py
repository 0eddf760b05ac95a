"""How tests/data/contacts.xls was made (xlwt 1.3.0 in a throwaway environment, not a project
dependency): uv run --no-project --with xlwt python tests/data/make_xls.py tests/data/contacts.xls
"""

import datetime
import sys

import xlwt

CONTACT_HEADER = [
    "contact_id",
    "agent_id",
    "start_time",
    "channel",
    "direction",
    "answered",
    "queue_wait_s",
    "talk_s",
    "customer_id",
    "topic",
]


def contact_row(i, **over):
    row = {
        "contact_id": f"C{i:04d}",
        "agent_id": "A0001",
        "start_time": f"2026-05-0{1 + i % 9} 09:{i % 60:02d}:00",
        "channel": "voice",
        "direction": "inbound",
        "answered": "Y",
        "queue_wait_s": 12,
        "talk_s": 180,
        "customer_id": f"138{i:08d}",
        "topic": "话费查询",
    } | over
    return [row[h] for h in CONTACT_HEADER]


wb = xlwt.Workbook(encoding="utf-8")
ws = wb.add_sheet("contacts")
for c, h in enumerate(CONTACT_HEADER):
    ws.write(0, c, h)
for i in range(1, 4):
    row = contact_row(i, talk_s=179 + i)
    for c, v in enumerate(row):
        if CONTACT_HEADER[c] == "start_time":
            ws.write(
                i,
                c,
                datetime.datetime.fromisoformat(v),
                xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss"),
            )
        elif CONTACT_HEADER[c] in ("talk_s", "queue_wait_s"):
            ws.write(i, c, v)
        else:
            ws.write(i, c, str(v))
wb.save(sys.argv[1])
