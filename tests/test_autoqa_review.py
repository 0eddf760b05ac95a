"""`qaw autoqa review`: a QA lead draws a sheet of each rule's findings on the small demo
center, fills it as a reviewer would (openpyxl, a real .xlsx), and reads it back: the reviewed
precision and its Wilson interval are the hand-computed ones, a rule flips between advisory
and counted at the threshold, reading a sheet again does not count twice, and a bad verdict
cell is an error naming the file, sheet, row and column."""

from __future__ import annotations

import math

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from qaworkbench.autoqa import agreement, load_ruleset
from qaworkbench.autoqa.review import load_reviews, reviewed_precision
from qaworkbench.cli import main
from qaworkbench.periods import parse_period
from qaworkbench.privacy import find_unmasked

from .conftest import autoqa_center

RULES = load_ruleset("hotline")
RULE = "forbidden"  # 39 chat findings in the small center's June
VERDICT_COL = 9  # column I of the findings sheet


@pytest.fixture(scope="module")
def center(small_dir, tmp_path_factory):
    """A copy of the small center with June's auto-QA results, and a drawn review sheet."""
    data, res = autoqa_center(small_dir, tmp_path_factory.mktemp("review") / "center")
    sheet = data.parent / "review.xlsx"
    out = CliRunner().invoke(main, ["autoqa", "review", "--month", "2026-06", "--data", str(data),
                                    "--out", str(sheet), "--seed", "7", "--lang", "zh"])  # fmt: skip
    assert out.exit_code == 0, out.output
    return data, res, sheet


def _rows(path) -> list[tuple]:
    return list(openpyxl.load_workbook(path)["findings"].iter_rows(values_only=True))


def _fill(sheet, dest, verdicts: dict[int, object]) -> None:
    """Write ``verdicts`` (sheet row -> cell value) into the verdict column, as a reviewer."""
    wb = openpyxl.load_workbook(sheet)
    ws = wb["findings"]
    for row, v in verdicts.items():
        ws.cell(row, VERDICT_COL).value = v
        ws.cell(row, VERDICT_COL + 1).value = "政策说明，不是拒绝" if v == "错" else None
    wb.save(dest)


def _rule_rows(sheet, rule: str) -> list[int]:
    """The sheet rows (1-based) of ``rule``'s chat findings."""
    return [i for i, r in enumerate(_rows(sheet), start=1)
            if str(r[0]).split("/")[1:2] == [rule] and r[2] == "在线会话"]  # fmt: skip


def _wilson(k: int, n: int) -> tuple[float, float]:
    """The 95% Wilson interval written out (z = 1.959964)."""
    z, p = 1.959964, k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return mid - half, mid + half


def test_the_sheet_holds_each_rules_findings_masked_with_a_verdict_list(center):
    data, res, sheet = center
    rows = _rows(sheet)
    assert rows[0][0] == "发现编号" and rows[0][VERDICT_COL - 1] == "判定：确属违规？"
    fails = res[res["result"] == "fail"].astype({"rule_id": str, "channel": str})
    per_rule = fails.groupby(["rule_id", "channel"]).size().clip(upper=40)
    assert len(rows) - 1 == per_rule.sum()  # 40 per rule and channel, all where fewer
    assert len(_rule_rows(sheet, RULE)) == per_rule[(RULE, "chat")] == 39
    wb = openpyxl.load_workbook(sheet)
    dv = wb["findings"].data_validations.dataValidation
    assert [d.formula1 for d in dv] == ['"对,错"'] and str(dv[0].sqref) == f"I2:I{len(rows)}"
    assert wb["keys"].sheet_state == "hidden"
    for r in rows[1:]:
        assert r[7] and "▶" in r[7]  # context around the quoted message
        for cell in r:
            assert not (isinstance(cell, str) and find_unmasked(cell)), cell
    agents = set(res["agent_id"].astype(str))
    assert not {r[3] for r in rows[1:]} & agents  # agents masked
    again = data.parent / "again.xlsx"
    out = CliRunner().invoke(main, ["autoqa", "review", "--month", "2026-06", "--data", str(data),
                                    "--out", str(again), "--seed", "7"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert [r[0] for r in _rows(again)] == [r[0] for r in rows]  # seeded: the same draw


def test_a_filled_sheet_round_trips_and_the_rule_flips_at_the_threshold(center, tmp_path):
    data, res, sheet = center
    (data / "autoqa" / "reviews.parquet").unlink(missing_ok=True)
    mine = _rule_rows(sheet, RULE)
    # 30 read: 24 true, 6 false; the other 9 left empty (not read)
    filled = {r: ("对" if i < 24 else "错") for i, r in enumerate(mine[:30])}
    path = tmp_path / "filled.xlsx"
    _fill(sheet, path, filled)
    run = CliRunner().invoke
    out = run(main, ["autoqa", "review", "--read", str(path), "--data", str(data)])
    assert out.exit_code == 0, out.output
    n_rows = len(_rows(sheet)) - 1
    assert f"30 verdicts read (30 new, 0 read before and replaced); {n_rows - 30} rows left" in (
        out.output
    )
    prec = reviewed_precision(load_reviews(data), RULES).set_index(["rule_id", "channel"])
    got = prec.loc[(RULE, "chat")]
    lo, hi = _wilson(24, 30)
    assert (got["reviewed"], got["reviewed_true"]) == (30, 24)
    assert got["reviewed_precision"] == pytest.approx(0.8)
    assert (got["reviewed_lo"], got["reviewed_hi"]) == pytest.approx((lo, hi), abs=1e-5)
    assert got["review_ok"]  # 0.8 on n = 30: at the threshold
    assert "80% (63%-90%), n=30" in out.output
    # a perfect agreement with evaluators on every contact: the review decides
    rule_res = res[res["rule_id"] == RULE]
    human = rule_res[["contact_id", "item_id"]].assign(human=rule_res["result"]).astype(str)

    def advisory() -> bool:
        reviewed = reviewed_precision(load_reviews(data), RULES)
        a = agreement(rule_res, human, RULES, reviewed=reviewed)
        return bool(a.set_index("channel").loc["chat", "advisory"])

    assert not advisory()
    # the same sheet read again: replaced, not counted twice
    out = run(main, ["autoqa", "review", "--read", str(path), "--data", str(data)])
    assert "30 verdicts read (0 new, 30 read before and replaced)" in out.output
    assert len(load_reviews(data)) == 30 and not advisory()
    # one verdict changed on a second reading: 23 of 30, under 0.8, advisory again
    _fill(sheet, path, {**filled, mine[0]: "错"})
    out = run(main, ["autoqa", "review", "--read", str(path), "--data", str(data)])
    assert out.exit_code == 0 and len(load_reviews(data)) == 30
    assert advisory()
    assert "77% (59%-88%), n=30" in out.output and f"{RULE:24s} chat" in out.output
    # the stricter gate (the interval's lower end) keeps it advisory even at 24 of 30
    _fill(sheet, path, filled)
    run(main, ["autoqa", "review", "--read", str(path), "--data", str(data)])
    strict = RULES.model_copy(update={"review": RULES.review.model_copy(update={"on": "lower"})})
    assert (
        not reviewed_precision(load_reviews(data), strict)
        .set_index("rule_id")
        .loc[RULE, "review_ok"]
    )


def test_the_monthly_tables_show_both_figures(center, tmp_path):
    from qaworkbench.data.load import load_center
    from qaworkbench.reporting.autoqa_tables import autoqa_tables

    data, _, sheet = center
    (data / "autoqa" / "reviews.parquet").unlink(missing_ok=True)
    path = tmp_path / "filled.xlsx"
    _fill(sheet, path, {r: "对" for r in _rule_rows(sheet, RULE)})
    CliRunner().invoke(main, ["autoqa", "review", "--read", str(path), "--data", str(data)])
    c = load_center(data)
    t = autoqa_tables(data, c, parse_period("2026-06"), "", "en")["autoqa"]
    row = t[(t["rule"] == RULES.rule(RULE).label("en")) & (t["channel"] == "chat")].iloc[0]
    assert row["reviewed"] == 39 and row["reviewed_precision"] == 1.0
    assert row["n_compared"] > 0 and row["trust"] == "advisory"  # its kappa is not there yet
    assert t.loc[t["rule"] != row["rule"], "reviewed"].eq(0).all()


@pytest.mark.parametrize("bad", ["maybe", "对的", 3])
def test_a_bad_verdict_names_file_sheet_row_and_column(center, tmp_path, bad):
    data, _, sheet = center
    before = load_reviews(data)
    rows = _rule_rows(sheet, RULE)
    path = tmp_path / "bad.xlsx"
    _fill(sheet, path, {rows[0]: "对", rows[1]: bad})
    out = CliRunner().invoke(main, ["autoqa", "review", "--read", str(path), "--data", str(data)])
    assert out.exit_code == 1
    assert (
        f"{path}: sheet findings, row {rows[1]}, column I (判定：确属违规？): expected 对 or 错"
        in (out.output)
    )
    assert repr(bad) in out.output
    pd.testing.assert_frame_equal(load_reviews(data), before)  # nothing kept from a bad sheet


def test_review_needs_the_months_results_and_a_sheet_it_wrote(small_dir, tmp_path):
    run = CliRunner().invoke
    out = run(main, ["autoqa", "review", "--month", "2026-06", "--data", str(small_dir)])
    assert out.exit_code == 1 and "run qaw autoqa --month 2026-06" in out.output
    other = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.save(other)
    out = run(main, ["autoqa", "review", "--read", str(other), "--data", str(tmp_path)])
    assert out.exit_code == 1 and "no sheet 'findings'" in out.output
    out = run(main, ["autoqa", "review", "--data", str(tmp_path)])
    assert out.exit_code != 0 and "--month" in out.output
