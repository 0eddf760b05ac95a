"""Reports end to end: papermill runs of every template, checks, atomic publishing."""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from filelock import FileLock

from qaworkbench import ConfigError, QAWError
from qaworkbench.privacy import find_unmasked
from qaworkbench.reporting.runner import NOTEBOOKS, ReportFailed, check_html, run_report

from .conftest import needs_chromium

CASES = [("weekly", "2026-W24", ""), ("monthly", "2026-06", ""), ("agent", "2026-06", "A0003")]
TITLES = {("weekly", "zh"): "班组得分", ("weekly", "en"): "Team scores", ("monthly", "zh"): "班组共性问题",
          ("monthly", "en"): "Common problems per team", ("agent", "zh"): "近12个月得分", ("agent", "en"): "Scores over the last 12 months"}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("kind", "period", "agent"), CASES)
def test_every_template_runs_end_to_end(tmp_path, small_dir, kind, period, agent, language):
    out = tmp_path / "reports"
    p = run_report(
        kind, period, data=str(small_dir), language=language, agent_id=agent, reports_dir=out
    )
    page = p.html.read_text(encoding="utf-8")
    assert TITLES[(kind, language)] in page
    assert 'class="qaw-toc"><ol><li>' in page  # a table of contents
    assert "Parameters are described" not in page  # the analyst's note is not published
    assert find_unmasked(page) == [] and "Traceback" not in page
    assert "<script src=" not in page  # self-contained: no CDN scripts
    assert "data:image/svg+xml;base64" in page and 'alt="' in page  # sharp charts, described
    run = json.loads((p.path / "run.json").read_text(encoding="utf-8"))
    assert run["status"] == "published" and run["parameters"]["language"] == language
    assert {"python", "pandas", "papermill", "nbconvert"} <= set(run["versions"])
    assert (p.path / "report.ipynb").exists()  # the executed notebook is the audit record
    assert not list(p.path.glob("*.pkl*"))  # the tables handed to the kernel stay behind
    assert ("early" in run["timings_s"]) == (kind == "monthly")  # page one shown while computing
    sheets = pd.read_excel(p.path / "appendix.xlsx", sheet_name=None)
    assert len(sheets) >= 3
    assert find_unmasked(" ".join(df.to_csv() for df in sheets.values())) == []
    index = (out / "index.html").read_text(encoding="utf-8")
    assert str(p.path.relative_to(out)) in index


@pytest.mark.slow
def test_relative_folders_work_while_papermill_changes_folder(tmp_path, small_dir, monkeypatch):
    """As ``make report`` calls it: the tables are computed in a thread while papermill runs
    the kernel from the staging folder, so a relative data or reports folder must still hold."""
    shutil.copytree(small_dir, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    p = run_report("weekly", "2026-W24", data="data", reports_dir="reports")
    assert p.html.is_relative_to(tmp_path / "reports") and p.log["status"] == "published"


def test_an_evaluation_of_a_contact_missing_from_the_export_is_named(tmp_path, small_tables):
    from qaworkbench.data.load import save_center
    from qaworkbench.reporting import contents

    tables = dict(small_tables)
    gone = tables["evaluations"]["contact_id"].iloc[0]
    tables["contacts"] = tables["contacts"][tables["contacts"]["contact_id"] != gone]
    save_center(tables, tmp_path / "center")
    with pytest.raises(QAWError, match=rf"1 evaluation\(s\) of contacts not in .*e\.g\. {gone}"):
        contents.report_center(tmp_path / "center")


def failing_copy(tmp_path, code: str):
    """The weekly template with one more cell that runs ``code``, sidecar included."""
    d = tmp_path / "nb"
    d.mkdir(exist_ok=True)
    nb = nbformat.read(NOTEBOOKS / "weekly.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    nbformat.write(nb, d / "weekly.ipynb")
    shutil.copy(NOTEBOOKS / "weekly.yaml", d / "weekly.yaml")
    return d / "weekly.ipynb"


@pytest.mark.slow
def test_a_failing_cell_publishes_nothing_and_the_previous_report_survives(tmp_path, small_dir):
    out = tmp_path / "reports"
    good = run_report("weekly", "2026-W24", data=str(small_dir), reports_dir=out)
    before = good.html.read_text(encoding="utf-8")
    target = good.path.resolve()
    bad = failing_copy(tmp_path, "raise ValueError('a data problem in a cell')")
    with pytest.raises(ReportFailed, match=r"cell .* raised ValueError") as e:
        run_report("weekly", "2026-W24", data=str(small_dir), reports_dir=out, notebook=bad)
    assert e.value.log["attempts"] == 1  # data errors are never retried
    assert good.path.resolve() == target and good.html.read_text(encoding="utf-8") == before
    runs = [json.loads(x) for x in (out / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in runs] == ["started", "published", "started", "failed"]
    assert (out / ".failed").exists() and not any((out / ".staging").iterdir())


@pytest.mark.slow
@pytest.mark.timeout(240)  # a notebook left waiting for its tables would wait 600 s
@pytest.mark.parametrize("where", ["_completion", "year_tables"])  # before, after page one's
def test_tables_that_cannot_be_computed_fail_the_run_as_data(
    tmp_path, small_dir, monkeypatch, where
):
    from qaworkbench.reporting import contents

    def broken(*args, **kwargs):
        raise QAWError(f"{where} broke")

    monkeypatch.setattr(contents, where, broken)
    out = tmp_path / "reports"
    with pytest.raises(ReportFailed, match=f"could not compute the report: {where} broke") as e:
        run_report("monthly", "2026-06", data=str(small_dir), reports_dir=out)
    assert e.value.log["failure"]["kind"] == "data" and e.value.log["attempts"] == 1
    assert ("early" in e.value.log["timings_s"]) == (where == "year_tables")
    assert not (out / "monthly").exists() and not any((out / ".staging").iterdir())


@pytest.mark.slow
def test_a_hanging_cell_fails_once_as_a_timeout_not_retried(tmp_path, small_dir):
    out = tmp_path / "reports"
    hanging = failing_copy(tmp_path, "import time\ntime.sleep(120)")
    with pytest.raises(ReportFailed, match="longer than 5 s") as e:
        run_report("weekly", "2026-W24", data=str(small_dir), reports_dir=out, notebook=hanging,
                   execution_timeout=5)  # fmt: skip
    assert e.value.log["attempts"] == 1 and "retried" not in e.value.log
    assert e.value.log["failure"]["kind"] == "timeout"
    assert "The cell: import time\ntime.sleep(120)" in e.value.log["failure"]["message"]


@pytest.mark.slow
def test_a_killed_run_leaves_its_start_line_and_the_next_run_clears_its_staging(
    tmp_path, small_dir
):
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "reports"
    hanging = failing_copy(tmp_path, "import time\ntime.sleep(120)")
    code = (
        "from qaworkbench.reporting.runner import run_report; "
        f"run_report('weekly', '2026-W24', data={str(small_dir)!r}, reports_dir={str(out)!r}, "
        f"notebook={str(hanging)!r})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    for _ in range(240):  # until the notebook runs (its staging folder holds the context)
        if list((out / ".staging").glob("*/context.pkl")):
            break
        time.sleep(0.25)
    os.killpg(proc.pid, signal.SIGKILL)  # kill -9: no cleanup runs
    proc.wait()
    assert any((out / ".staging").iterdir())  # left behind
    runs = [json.loads(x) for x in (out / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in runs] == ["started"]  # a trace of the killed run
    run_report("weekly", "2026-W24", data=str(small_dir), reports_dir=out)
    assert not any((out / ".staging").iterdir())
    runs = [json.loads(x) for x in (out / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in runs] == ["started", "started", "published"]


@pytest.mark.slow
def test_a_dead_kernel_is_retried_then_reported_as_infrastructure(tmp_path, small_dir):
    out = tmp_path / "reports"
    dying = failing_copy(tmp_path, "import os\nos._exit(1)")
    with pytest.raises(ReportFailed, match="infrastructure") as e:
        run_report(
            "weekly", "2026-W24", data=str(small_dir), reports_dir=out, notebook=dying, retries=1
        )
    assert e.value.log["attempts"] == 2 and len(e.value.log["retried"]) == 1
    assert not (out / "weekly" / "2026-W24").exists()


def test_page_checks_catch_phone_numbers_and_tracebacks(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x")]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert check_html("<p>客户 13812345678</p>", path) == [
        "1 unmasked phone number(s), e.g. 138****5678 at character 6 of the page, after '客户'"
    ]
    # Every kind is refused, each named with where its first one is.
    page = (
        "<h2>投诉</h2><p>张先生的身份证 440306199003071232，卡号 6222 0212 3456 7894，"
        "邮箱 zhang.san@example.com，住北京市朝阳区建国路88号；电话 一三九一二三四五六七八、"
        "139 - 1234 - 5678</p>"
    )
    assert check_html(page, path) == [
        "1 unmasked customer name(s), e.g. *先生 at character 14 of the page, after '投诉'",
        "1 unmasked ID card number(s), e.g. 440*************** at character 22 of the page,"
        " after '投诉 *先生的身份证'",
        "1 unmasked bank card number(s), e.g. ************7894 at character 44 of the page,"
        " after '份证 440***************，卡号'",
        "1 unmasked e-mail address(s), e.g. z***@example.com at character 67 of the page,"
        " after '*，卡号 ************7894，邮箱'",
        "1 unmasked street address(s), e.g. 北京市朝阳区*** at character 90 of the page,"
        " after '94，邮箱 z***@example.com，住'",
        "2 unmasked phone number(s), e.g. 139****5678 at character 106 of the page,"
        " after 'xample.com，住北京市朝阳区***；电话'",
    ]
    assert (
        check_html("<p>*先生 440*************** ************7894 z***@example.com</p>", path) == []
    )
    assert check_html("<p>订单号 6222021234567890 工单 440306199003071235</p>", path) == []
    assert check_html("<pre>Traceback (most recent call last):</pre>", path) == [
        "the page shows a traceback"
    ]
    assert check_html("<p>客户 138****5678</p>", path) == []
    nb.cells[0].outputs = [nbformat.v4.new_output("error", ename="E", evalue="v", traceback=[])]
    nbformat.write(nb, path)
    assert check_html("<p>ok</p>", path) == ["1 cell(s) produced an error"]


def test_parameters_are_checked_against_the_sidecar(tmp_path, small_dir):
    with pytest.raises(
        ConfigError, match=r"weekly.yaml: parameter language: expected one of \['zh', 'en'\]"
    ):
        run_report("weekly", "2026-W24", data=str(small_dir), language="fr", reports_dir=tmp_path)
    with pytest.raises(ConfigError, match="parameter period"):
        run_report("weekly", "2026-06", data=str(small_dir), reports_dir=tmp_path)


def test_runs_cannot_overlap(tmp_path, small_dir):
    tmp_path.mkdir(exist_ok=True)
    with FileLock(tmp_path / ".qaw-report.lock"), pytest.raises(QAWError, match="cannot overlap"):
        run_report("weekly", "2026-W24", data=str(small_dir), reports_dir=tmp_path)


def test_chinese_renders_with_a_real_cjk_font():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from qaworkbench.reporting.plotting import cjk_font_path, use_cjk_font

    assert use_cjk_font() == "Noto Sans CJK SC"
    used = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    assert used == str(cjk_font_path())
    fig, ax = plt.subplots()
    ax.set_title("质检周报：班组共性问题")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    assert not [w for w in caught if "missing from font" in str(w.message)]  # every glyph found
    plt.close(fig)


@pytest.mark.slow
@needs_chromium
def test_coaching_actions_appear_in_the_agent_archive_read_on_a_phone(
    tmp_path, small_dir, small_tables, monkeypatch, browser
):
    """The archive as an agent reads it on a phone (390 px): status and reason, each
    evaluation's score, evaluator (name) and items whole on the screen; every coaching action,
    also one saved after the month."""
    from datetime import date, datetime

    from qaworkbench import coaching
    from qaworkbench.reporting import i18n

    url = f"sqlite:///{tmp_path / 'coaching.db'}"
    monkeypatch.setenv("QAW_COACHING_DB", url)  # the runner and its kernel read the same store
    store = coaching.connect(url)
    coaching.add_action(store, "A0003", ["SKL02"], "复习资费口径，每周抽听两通", date(2026, 6, 30), "李班长",
                        created_at=datetime(2026, 6, 5, 10, 0), today=date(2026, 6, 5))  # fmt: skip
    coaching.add_action(store, "A0003", ["NRM01"], "七月才约定的措施", date(2026, 7, 30), "李班长",
                        created_at=datetime(2026, 7, 2, 10, 0), today=date(2026, 7, 2))  # fmt: skip
    p = run_report(
        "agent", "2026-06", data=str(small_dir), agent_id="A0003", reports_dir=tmp_path / "r"
    )
    page = p.html.read_text(encoding="utf-8")
    assert "辅导措施及效果" in page and "复习资费口径，每周抽听两通" in page and "李班长" in page
    assert "七月才约定的措施" in page  # agreed after the archive's month: shown all the same
    sheets = pd.read_excel(p.path / "appendix.xlsx", sheet_name=None)
    coached = sheets["辅导措施及效果"]  # sheets are named in the report's language
    later = coached.set_index("约定措施")  # newest first
    assert list(later.index) == ["七月才约定的措施", "复习资费口径，每周抽听两通"]
    assert later.at["七月才约定的措施", "结论"] == i18n.value("verdict", "no_evaluations", "zh")
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(p.html.as_uri())
    phone.screenshot(path=tmp_path / "archive-390.png", full_page=True)
    first = [phone.locator("h2.qaw-section").nth(i).inner_text() for i in range(2)]
    assert first == ["坐席状态", "坐席得分"]  # the status first
    evaluations = sheets["本月每次质检"]
    names = set(small_tables["evaluators"]["name"])
    assert len(evaluations) and set(evaluations["质检员"]) <= names  # names, not ids
    cells = phone.locator(".qaw-phone td")  # the status's and the evaluations' cells
    boxes = [c.bounding_box() for c in cells.all()]
    assert len(boxes) >= 2 + 4 * len(evaluations)
    assert max(b["x"] + b["width"] for b in boxes) <= 390  # nothing hidden off the screen
    texts = phone.locator(".qaw-phone").all_inner_texts()
    assert all(name in " ".join(texts) for name in evaluations["质检员"])
    card = phone.locator("table.qaw-card")  # the agent's scores: label and figure, one a row
    assert card.count() == 1 and max(b["x"] + b["width"] for b in
                                     (c.bounding_box() for c in card.locator("td").all())) <= 390  # fmt: skip
    figures = dict(r.split("\t") for r in card.inner_text().splitlines())
    assert re.fullmatch(r"\d+ 人中第 \d+", figures["排名"])  # a rank says of how many
    assert {"样本量", "平均分", "95%区间"} <= set(figures) and "依据" not in figures  # said above
    phone.close()
    assert {"辅导前失误率", "辅导后失误率", "对照组变化", "辅导效果", "结论"} <= set(
        coached.columns
    )


def _staged(reports_dir, kind, period, team, language, n):
    """A finished run as the runner stages it (report, run record), without running papermill."""
    from qaworkbench.reporting.runner import _publish

    d = reports_dir / ".staging" / f"run{n}"
    d.mkdir(parents=True)
    (d / "report.html").write_text(
        f"<p>{kind} {period} {team} {language} {n}</p>", encoding="utf-8"
    )
    params = {"period": period, "team": team, "language": language}
    run = {"run_id": f"run{n}", "kind": kind, "period": period, "parameters": params,
           "published_at": "2026-12-02 09:00"}  # fmt: skip
    (d / "run.json").write_text(json.dumps(run), encoding="utf-8")
    return _publish(d, reports_dir, kind, period, team, language)


def test_variants_are_filed_apart_and_the_index_lists_each_in_its_language(tmp_path):
    """A team's or the English version never replaces the center's Chinese report; the index
    (Chinese, and English beside it) lists every variant with its week's dates."""
    from qaworkbench.reporting.runner import write_index

    center_zh = _staged(tmp_path, "weekly", "2026-W43", "", "zh", 1)
    team_zh = _staged(tmp_path, "weekly", "2026-W43", "话务十三组", "zh", 2)
    center_en = _staged(tmp_path, "weekly", "2026-W43", "", "en", 3)
    _staged(tmp_path, "weekly", "2026-W43", "话务二组", "zh", 4)
    again = _staged(tmp_path, "weekly", "2026-W43", "", "zh", 5)  # a re-run replaces its own
    assert again == center_zh and "zh 5" in (center_zh / "report.html").read_text(encoding="utf-8")
    assert "话务十三组 zh 2" in (team_zh / "report.html").read_text(encoding="utf-8")
    assert "en 3" in (center_en / "report.html").read_text(encoding="utf-8")
    write_index(tmp_path)
    zh = (tmp_path / "index.html").read_text(encoding="utf-8")
    en = (tmp_path / "index.en.html").read_text(encoding="utf-8")
    assert "<html lang='zh'>" in zh and "<html lang='en'>" in en
    assert "2026-W43 (10-19 – 10-25)" in zh and "全中心" in zh and "whole center" in en
    assert zh.count("<tr><td>") == 4 and zh.index("话务二组") < zh.index("话务十三组")
    assert "weekly/2026-W43/center/en/report.html" in zh


def test_weekly_completion_counts_what_was_due_that_week(tmp_path):
    """The weekly report's plan completion: evaluations due in the week (the sample of each
    month the week touches), done by the week's end; the monthly report: the month's sample."""
    from qaworkbench.data.load import Center
    from qaworkbench.periods import parse_period
    from qaworkbench.reporting.contents import _completion

    def sample(month, rows):
        d = tmp_path / "samples" / month
        d.mkdir(parents=True, exist_ok=True)
        df = pd.DataFrame(rows, columns=["contact_id", "agent_id", "team", "due", "evaluator_id"])
        df.to_csv(d / "sample.csv", index=False, encoding="utf-8-sig")

    sample(
        "2026-10",
        [
            ("C1", "A1", "T", "2026-10-20", "Q1"),
            ("C2", "A1", "T", "2026-10-27", "Q1"),
            ("C3", "A1", "T", "2026-10-29", "Q1"),
            ("C4", "A1", "T", "2026-10-05", "Q1"),
        ],
    )
    sample(
        "2026-11", [("C5", "A1", "T", "2026-11-01", "Q1"), ("C6", "A1", "T", "2026-11-10", "Q1")]
    )
    ev = pd.DataFrame({
        "evaluation_id": ["E2", "E3", "E5"], "contact_id": ["C2", "C3", "C5"], "agent_id": "A1",
        "evaluator_id": "Q1", "mode": "post_call",
        "evaluated_at": pd.to_datetime(["2026-10-27", "2026-11-05", "2026-11-01"]),
    })  # fmt: skip
    evaluators = pd.DataFrame({"evaluator_id": ["Q1"], "name": ["王质检"]})
    center = Center({"evaluations": ev, "evaluators": evaluators}, [], "x")
    week = _completion(center, parse_period("2026-W44"), "", tmp_path / "samples")  # 10-26 – 11-01
    assert week[["planned", "done"]].values.tolist() == [
        [3, 2]
    ]  # C2, C3, C5 due; C3 after the week
    assert week["evaluator"].tolist() == ["王质检"]  # named, not only an id
    # as of the week's end (11-02): C3, due 10-29, not evaluated by then: overdue
    assert week[["overdue", "not_due"]].values.tolist() == [[1, 0]]
    month = _completion(center, parse_period("2026-10"), "", tmp_path / "samples")
    assert month[["planned", "done"]].values.tolist() == [[4, 2]]
    assert month[["late", "overdue", "not_due"]].values.tolist() == [[1, 2, 0]]  # C3; C1, C4
    # November as of its last evaluation (11-01, the data's "now"): C6, due 11-10, is not yet due
    nov = _completion(center, parse_period("2026-11"), "", tmp_path / "samples")
    assert nov[["planned", "done", "overdue", "not_due"]].values.tolist() == [[2, 1, 0, 1]]
    none = _completion(center, parse_period("2026-12"), "", tmp_path / "samples")
    assert none.empty and none.attrs["no_sample"] == "2026-12"  # page one says to run qaw sample


@pytest.mark.slow
def test_an_agent_batch_publishes_each_archive_and_a_failure_stops_no_other(
    tmp_path, small_dir, small_tables
):
    """A team's archives in one run (the period scored once, two worker kernels): each is
    whole and filed under its agent; an agent not in the roster fails alone, logged."""
    from qaworkbench.reporting.batch import run_agent_batch

    team = small_tables["agents"]["team"].iloc[0]
    agents = small_tables["agents"].loc[small_tables["agents"]["team"] == team, "agent_id"].tolist()
    out = tmp_path / "r"
    done = run_agent_batch("2026-06", [*agents, "A9999"], data=str(small_dir), team=team,
                           reports_dir=out, workers=2)  # fmt: skip
    assert sorted(done.published) == sorted(agents)
    assert list(done.failed) == ["A9999"] and "not in the roster" in done.failed["A9999"]
    names = small_tables["agents"].set_index("agent_id")["name"]
    for a in agents:
        page = (out / "agent" / "2026-06" / a / "zh" / "report.html").read_text(encoding="utf-8")
        assert f"{names[a]}（{a}）" in page and team in page  # the agent and their team
        assert "近12个月得分" in page and find_unmasked(page) == []
        # the page is filed while the kernel runs the next agent: none of its tables may
        # show another agent (papermill's shared cells once gave the next agent's tables)
        assert [b for b in agents if b != a and b in page] == []
        assert (out / "agent" / "2026-06" / a / "zh" / "appendix.xlsx").exists()
    runs = [json.loads(x) for x in (out / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(runs) == len(agents) + 2  # the batch's start line, then a line per archive
    assert [r["status"] for r in runs].count("failed") == 1
    assert runs[0]["status"] == "started"
    assert not list((out / ".staging").iterdir())  # nothing left half-made
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f"agent/2026-06/{a}/zh" in index for a in agents)


@pytest.mark.slow
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_pdf_is_a4_for_e_mail_with_page_one_first_and_every_column(
    tmp_path, small_dir, small_tables, language
):
    """A4 pages; page one's title, headline and footer (period, page numbers) on the first page;
    every column heading of every table in the text (wrapped, never cut by a scrollbar)."""
    import html as html_
    import subprocess

    p = run_report("weekly", "2026-W24", data=str(small_dir), reports_dir=tmp_path / "r", pdf=True,
                   language=language)  # fmt: skip
    pdf = p.path / "report.pdf"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert "report.pdf" in (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    boxes = {
        tuple(float(x) for x in b.split()) for b in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)
    }
    assert boxes and all(abs(w - 595.3) < 2 and abs(h - 841.9) < 2 for _, _, w, h in boxes)  # A4

    def text(*pages: str) -> str:
        r = subprocess.run(
            ["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True, check=True
        )
        return r.stdout

    first = re.sub(r"\s+", "", text("-f", "1", "-l", "1"))
    words = {"zh": ("质检周报", "质量水平", "2026-W24", "1/"), "en": ("WeeklyQAreport", "Qualitylevel", "2026-W24", "1/")}  # fmt: skip
    for w in words[language]:
        assert w in first, w
    page = (p.path / "report.html").read_text(encoding="utf-8")
    flat = re.sub(r"\s+", "", text())
    heads = {re.sub(r"\s+", "", html_.unescape(re.sub(r"<[^>]+>", "", h)))
             for h in re.findall(r"<th[^>]*>(.*?)</th>", page, flags=re.S)} - {""}  # fmt: skip
    assert len(heads) > 10 and not [h for h in heads if h not in flat]
    # long detail is folded on screen (<details>) and printed open: every agent in it on paper
    folded = " ".join(re.findall(r"<details.*?</details>", page, flags=re.S))
    ids = set(re.findall(r">(A\d{4})<", folded))
    assert len(ids) > 10 and not [a for a in ids if a not in flat]
    assert "点击展开" not in flat and "clicktoopen" not in flat  # a screen's hint, not paper's
    raw = text()  # a name wrapped in a narrow column printed as "陆琳" over "瑶": kept whole
    names = {n for n in small_tables["agents"]["name"] if f">{html_.escape(n)}</td>" in page}
    assert len(names) > 10 and not [n for n in names if n not in raw]
    kept = re.findall(r'<td class="[^"]*qaw-word[^"]*">([^<]*)</td>', page)  # nowrap on paper
    assert names <= set(kept) and "td.qaw-word { white-space: nowrap !important; }" in page


@pytest.mark.slow
def test_agent_ids_with_slashes_and_dots_stay_inside_the_reports_folder(tmp_path, small_tables):
    from qaworkbench.data.load import save_center
    from qaworkbench.reporting.batch import run_agent_batch

    ev = small_tables["evaluations"]
    busy = ev[ev["evaluated_at"].dt.strftime("%Y-%m") == "2026-06"]["agent_id"].value_counts()
    a, b = busy.index[:2]
    rename = {a: "../上级", b: "A/1"}
    t = {}
    for name, df in small_tables.items():
        df = df.copy()
        if "agent_id" in df:
            df["agent_id"] = df["agent_id"].replace(rename)
        t[name] = df
    d = tmp_path / "center"
    save_center(t, d)
    out = tmp_path / "reports"
    done = run_agent_batch("2026-06", list(rename.values()), data=str(d), reports_dir=out)
    assert sorted(done.published) == sorted(rename.values()) and not done.failed
    for link in done.published.values():
        assert Path(link).resolve().is_relative_to(out.resolve())
    assert not (tmp_path / "上级").exists()  # nothing written above the reports folder
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "agent/2026-06/_%E4%B8%8A%E7%BA%A7/zh/report.html" in index


FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
PLANTED_DIGITS = ["13912345678", "13812345678", "13700001111", "01065432100", "075587654321",
                  "18600002222", "13987654321"]  # fmt: skip
WRITTEN_NUMBERS = ["+86 139-1234-5678", "１３８１２３４５６７８", "tel:8613700001111",
                   "010-6543 2100", "(0755) 8765 4321", "186 0000 2222"]  # fmt: skip


@pytest.mark.slow
def test_no_artifact_of_published_and_failed_runs_holds_an_unmasked_number(tmp_path, small_tables):
    """Phone numbers written every way in comments, a failed run whose error quotes one: every
    file under the reports folder (pages, notebooks, workbooks, CSVs, logs) is scanned."""
    import openpyxl

    from qaworkbench.data.load import save_center
    from qaworkbench.reporting.batch import run_agent_batch

    t = {k: v.copy() for k, v in small_tables.items()}
    items = t["evaluation_items"]
    fails = items.index[items["result"] == "fail"]
    for i, pos in enumerate(fails[:60]):
        items.loc[pos, "comment"] = f"客户{WRITTEN_NUMBERS[i % len(WRITTEN_NUMBERS)]}再次来电"
    d = tmp_path / "center"
    save_center(t, d)
    out = tmp_path / "reports"
    run_report("weekly", "2026-W24", data=str(d), reports_dir=out)
    run_report("monthly", "2026-06", data=str(d), reports_dir=out)
    agents = items.loc[fails[:60], "evaluation_id"].map(
        t["evaluations"].set_index("evaluation_id")["agent_id"]
    )
    run_agent_batch("2026-06", sorted(set(agents))[:2], data=str(d), reports_dir=out)
    bad = failing_copy(tmp_path, "raise ValueError('customer +86 139 8765 4321 called twice')")
    with pytest.raises(ReportFailed):
        run_report("weekly", "2026-W24", data=str(d), reports_dir=out, notebook=bad)
    scanned, found = 0, {}
    for f in out.rglob("*"):
        if not f.is_file():
            continue
        if f.suffix == ".xlsx":
            wb = openpyxl.load_workbook(f, read_only=True)
            text = " ".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True)
                            for c in row if c is not None)  # fmt: skip
        else:
            text = re.sub(r"data:(image|audio)/[^\"']+", "", f.read_text(errors="replace"))
        scanned += 1
        if hits := find_unmasked(text):
            found[str(f.relative_to(out))] = hits[:3]
        # independent of the detector: no planted number's digits, whatever the separators
        flat = re.sub(r"[\s\-()]", "", text.translate(FULL_WIDTH_DIGITS))
        if raw := [n for n in PLANTED_DIGITS if n in flat]:
            found[str(f.relative_to(out))] = raw
    assert found == {}
    assert scanned >= 15 and (out / ".failed").exists()
    assert "139****4321" in (out / "runs.jsonl").read_text(encoding="utf-8")  # masked, kept


# Every variant a QA lead publishes: the center's and a team's, each kind, both languages, on
# a mixed center and on centers that take only calls or only chats. (The center's reports of
# the mixed center in both languages are ``test_every_template_runs_end_to_end``.)
MATRIX = [
    (center, kind, scope, lang)
    for center, langs in (("mixed", ("zh", "en")), ("voice", ("zh",)), ("chat", ("en",)))
    for kind in ("weekly", "monthly")
    for scope in (("team",) if center == "mixed" else ("center", "team"))
    for lang in langs
] + [("voice", "agent", "team", "en"), ("chat", "agent", "team", "zh")]


@pytest.mark.slow
@pytest.mark.parametrize(("center", "kind", "scope", "lang"), MATRIX)
def test_every_variant_publishes(request, tmp_path, capfd, center, kind, scope, lang):
    folder = request.getfixturevalue(
        {"mixed": "small_dir", "voice": "voice_only_dir", "chat": "chat_only_dir"}[center]
    )
    agents = pd.read_parquet(folder / "agents.parquet")
    team = sorted(agents["team"].unique())[-1] if scope == "team" else ""
    agent = agents.loc[agents["team"] == team, "agent_id"].min() if kind == "agent" else ""
    period = {"weekly": "2026-W24"}.get(kind, "2026-06")
    p = run_report(kind, period, data=str(folder), team=team, agent_id=agent, language=lang,
                   reports_dir=tmp_path)  # fmt: skip
    page = p.html.read_text(encoding="utf-8")
    run = json.loads((p.path / "run.json").read_text(encoding="utf-8"))
    assert run["status"] == "published" and run["parameters"]["team"] == team
    assert team in page and find_unmasked(page) == [] and "Traceback" not in page
    assert 'alt="' in page  # its charts are drawn
    assert "Kernel is running over TCP" not in capfd.readouterr().err  # no warning to act on


def test_a_draft_waits_beside_the_published_report_until_signed_off(tmp_path, small_dir):
    """ "每周一质检报告由中心确认后，进行公示": a draft is filed beside the published version and
    marked 待确认 on its page and in the index; the published page stays as it was. Signing off
    publishes the draft's page without the mark, and run.json and the index say who and when."""
    from click.testing import CliRunner

    from qaworkbench.cli import main

    out = tmp_path / "reports"
    first = run_report("weekly", "2026-W24", data=str(small_dir), reports_dir=out)
    before = first.html.read_text(encoding="utf-8")
    d = run_report("weekly", "2026-W24", data=str(small_dir), reports_dir=out, draft=True)
    assert d.path.name == "zh-draft" and "待确认" in d.html.read_text(encoding="utf-8")
    assert (out / "weekly/2026-W24/center/zh/report.html").read_text(encoding="utf-8") == before
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "待确认（草稿）" in index and "已发布" in index
    args = [
        "report",
        "approve",
        "--of",
        "weekly",
        "--period",
        "2026-W24",
        "--reports-dir",
        str(out),
    ]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1 and "--by" in r.output  # a sign-off names who signs
    r = CliRunner().invoke(main, [*args, "--by", "张主任"])
    assert r.exit_code == 0, r.output
    page = (out / "weekly/2026-W24/center/zh/report.html").read_text(encoding="utf-8")
    assert "待确认" not in page and "qaw-draft" not in page and page != before
    run = json.loads((out / "weekly/2026-W24/center/zh/run.json").read_text(encoding="utf-8"))
    assert run["status"] == "published" and run["approved_by"] == "张主任"
    assert not (out / "weekly/2026-W24/center/zh-draft").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "张主任" in index and "待确认（草稿）" not in index
    r = CliRunner().invoke(main, [*args, "--by", "张主任"])
    assert r.exit_code == 1 and "--draft" in r.output  # nothing left to sign off


def test_the_problems_found_name_their_evaluator(small_dir, small_tables):
    """The weekly's "problems found" table names who evaluated (as the archive and the coaching
    page do), not the evaluator's id."""
    from qaworkbench.reporting import contents

    shown = contents.build("weekly", small_dir, "2026-W24", language="zh").tables["problems"]
    assert len(shown) > 0 and "evaluator_id" not in shown
    names = set(small_tables["evaluators"]["name"])
    assert set(shown["evaluator"]) <= names


def test_counts_of_five_digits_read_with_thousands_separators():
    """A count column reads 31,485 wherever it appears (checked beside answered, n of a
    satisfaction table), not 31485 beside 31,485."""
    from qaworkbench.reporting.display import present

    got = present(pd.DataFrame({"checked": [31485, 12], "answered": [31485, 12],
                                "n": [96095.0, 2734.0]}), "en")  # fmt: skip
    assert got.iloc[:, 0].tolist() == ["31,485", "12"] == got.iloc[:, 1].tolist()
    assert got.iloc[:, 2].tolist() == ["96,095", "2734"]
    # below five digits no count has separators: answered and checked read alike
    got = present(pd.DataFrame({"answered": [9653], "checked": [9653]}), "en")
    assert [str(v) for v in got.iloc[0]] == ["9653", "9653"]
