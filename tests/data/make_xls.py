"""How tests/data/contacts.xls was made (xlwt 1.3.0 in a throwaway environment, not a project
dependency): uv run --no-project --with xlwt python tests/data/make_xls.py tests/data/contacts.xls
"""

import datetime
import sys
from pathlib import Path

import xlwt

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: tests.rows
from tests.rows import CONTACT_HEADER, contact_row

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
