"""The review sheet of ``qaw autoqa review``: the drawn findings in an Excel workbook a QA lead
fills in (one row per finding: its id, the rule, the masked agent, the quote and a few
messages around it, a verdict chosen from a drop-down list and a reason), and the same sheet
read back into verdicts, with a clear error naming the file, sheet, row and column of a cell
that is not a verdict.

The workbook has three sheets: the findings (``SHEET``), how to judge them, and a hidden one
(``KEYS``) holding each finding's rule id, channel, item and contact, so the visible sheet
shows labels only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..autoqa.review import REVIEW_COLUMNS
from ..autoqa.ruleset import RuleSet
from ..errors import QAWError, writing
from ..spreadsheet import safe_for_spreadsheet
from . import i18n
from .autoqa_tables import finding_text

SHEET = "findings"
KEYS = "keys"
HOWTO = "how to"
VISIBLE = ["finding_id", "rule", "channel", "agent_masked", "seq", "found", "quote", "context",
           "review_verdict", "review_reason"]  # fmt: skip
KEY_COLUMNS = ["finding_id", "month", "rule_id", "channel", "item_id", "contact_id", "ruleset"]
# What a verdict cell may hold, in either language (a reviewer may type it, or Excel may turn
# true into TRUE): a real fault, or not.
TRUE_WORDS = {"对", "是", "true", "yes", "y", "1", "√", "✓"}
FALSE_WORDS = {"错", "否", "false", "no", "n", "0", "×", "✗"}
CHOICES = {"zh": ("对", "错"), "en": ("true", "false")}
WIDTHS = {"finding_id": 26, "rule": 22, "channel": 8, "agent_masked": 12, "seq": 8, "found": 18,
          "quote": 40, "context": 70, "review_verdict": 14, "review_reason": 30}  # fmt: skip


def write_sheet(
    findings: pd.DataFrame, rules: RuleSet, path: str | Path, lang: str, ruleset: str
) -> Path:
    """Write ``findings`` (``review.with_context``'s) to ``path`` as a review workbook in
    ``lang``; ``ruleset`` is the rule set's ``<id> <version>``. Texts are masked and no cell
    runs as a formula (``safe_for_spreadsheet``)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    checks = {r.id: r.check for r in rules.rules}
    rows = findings.assign(
        rule=[rules.rule(r).label(lang) for r in findings["rule_id"]],
        channel=[i18n.value("channel", c, lang) for c in findings["channel"]],
        agent_masked=findings["agent"],
        found=[finding_text(checks[r], m, w, lang) for r, m, w in
               zip(findings["rule_id"], findings["measure"], findings["matched"], strict=True)],
        seq=[int(s) if pd.notna(s) else None for s in findings["seq"]],
        review_verdict=None, review_reason=None, ruleset=ruleset,
    )  # fmt: skip
    shown = safe_for_spreadsheet(rows[VISIBLE].astype(object))
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([i18n.COLUMNS[c][0 if lang == "zh" else 1] for c in VISIBLE])
    for r in shown.itertuples(index=False):
        ws.append([None if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in r])
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, c in enumerate(VISIBLE, start=1):
        letter = ws.cell(1, j).column_letter
        ws.column_dimensions[letter].width = WIDTHS[c]
        ws.cell(1, j).font = Font(bold=True)
        for i in range(2, len(shown) + 2):
            ws.cell(i, j).alignment = wrap
    ws.freeze_panes = "B2"
    yes, no = CHOICES[lang]
    col = ws.cell(1, VISIBLE.index("review_verdict") + 1).column_letter
    dv = DataValidation(type="list", formula1=f'"{yes},{no}"', allow_blank=True,
                        showErrorMessage=True, errorTitle=i18n.t("review_verdict_title", lang),
                        error=i18n.say("review_verdict_error", lang, yes=yes, no=no))  # fmt: skip
    dv.add(f"{col}2:{col}{max(2, len(shown) + 1)}")
    ws.add_data_validation(dv)
    howto = wb.create_sheet(HOWTO)
    for line in i18n.say("review_howto", lang, yes=yes, no=no).split("\n"):
        howto.append([line])
    howto.column_dimensions["A"].width = 110
    keys = wb.create_sheet(KEYS)
    keys.append(KEY_COLUMNS)
    for r in findings.assign(ruleset=ruleset)[KEY_COLUMNS].astype(str).itertuples(index=False):
        keys.append(list(r))
    keys.sheet_state = "hidden"
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(path)
    return path


def read_sheet(path: str | Path) -> tuple[pd.DataFrame, int]:
    """The verdicts of a filled review workbook (``REVIEW_COLUMNS``, ``verdict`` True for a real
    fault) and how many rows were left unfilled (not read: not counted). A verdict cell that is
    neither (对 / 错, true / false, in either language) is an error naming the file, sheet,
    row and column."""
    from openpyxl import load_workbook

    path = Path(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise QAWError(f"{path}: no such file") from None
    except Exception as e:  # a file openpyxl cannot read: not a workbook
        raise QAWError(f"{path}: not an Excel workbook (.xlsx) ({type(e).__name__})") from None
    for name in (SHEET, KEYS):
        if name not in wb.sheetnames:
            raise QAWError(f"{path}: no sheet {name!r}: not a sheet `qaw autoqa review` wrote "
                           f"(sheets: {', '.join(wb.sheetnames)})")  # fmt: skip
    key_rows = list(wb[KEYS].iter_rows(values_only=True))
    keys = pd.DataFrame(key_rows[1:], columns=list(key_rows[0])).astype(str)
    keys = keys.set_index("finding_id")
    rows = list(wb[SHEET].iter_rows(values_only=True))
    wb.close()
    header = [str(h) if h is not None else "" for h in rows[0]] if rows else []
    where = {}
    for c in ("finding_id", "review_verdict", "review_reason"):
        names = set(i18n.COLUMNS[c])
        at = [j for j, h in enumerate(header) if h in names]
        if not at:
            raise QAWError(f"{path}: sheet {SHEET}, row 1: no column {' / '.join(i18n.COLUMNS[c])}")
        where[c] = at[0]
    out, unfilled = [], 0
    for i, row in enumerate(rows[1:], start=2):
        fid, verdict = row[where["finding_id"]], row[where["review_verdict"]]
        if fid is None or str(fid).strip() == "":
            continue
        if verdict is None or str(verdict).strip() == "":
            unfilled += 1
            continue
        if str(fid) not in keys.index:
            raise QAWError(f"{path}: sheet {SHEET}, row {i}, column {_letter(where['finding_id'])} "
                           f"({header[where['finding_id']]}): {fid!r} is not a finding of this "
                           "sheet (was the id edited?)")  # fmt: skip
        ok = _verdict(verdict)
        if ok is None:
            raise QAWError(
                f"{path}: sheet {SHEET}, row {i}, column {_letter(where['review_verdict'])} "
                f"({header[where['review_verdict']]}): expected 对 or 错 (true or false), found {verdict!r}"
            )
        reason = row[where["review_reason"]]
        out.append({**keys.loc[str(fid)].to_dict(), "finding_id": str(fid), "verdict": ok,
                    "reason": "" if reason is None else str(reason)})  # fmt: skip
    df = pd.DataFrame(out, columns=[c for c in REVIEW_COLUMNS if c not in ("sheet", "read_at")])
    df["sheet"] = path.name
    df["read_at"] = pd.Timestamp(dt.datetime.now().replace(microsecond=0))
    return df.astype({"verdict": bool})[REVIEW_COLUMNS], unfilled


def _verdict(v: object) -> bool | None:
    """A verdict cell as True (a real fault) / False, None when it is neither."""
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    return True if s in TRUE_WORDS else False if s in FALSE_WORDS else None


def _letter(j: int) -> str:
    """The spreadsheet letter of column ``j`` (0-based)."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)
