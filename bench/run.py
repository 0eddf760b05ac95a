"""Run the benchmarks: each case beside its floor, in fresh processes, interleaved.

Usage: python bench/run.py [case ...] [--runs N]. Builds the 2,000-agent
benchmark centers under data/bench once. Each round runs every selected case
and its floor once (so a case and its floor meet the machine in the same
state), then one more process per case measures peak RSS. Prints the machine,
the date and one Markdown table for bench/README.md: median wall time (whole
process, imports included), median after imports, peak RSS, the floor's median
and the ratio, and the target.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DATA = ROOT / "data" / "bench"
MONTH = BENCH_DATA / "month"  # 2,000 agents, one month (2026-05), ~3.6 M contacts
# The same month with every chat message and transcript turn made distinct (a number added):
# agents who type freely, where the demo's canned replies would let auto-QA reuse its work.
UNIQUE = BENCH_DATA / "month_unique"
TWO = BENCH_DATA / "two_months"  # 2,000 agents, 2026-04 and 2026-05 (quotas from April)
TWO_CSV = BENCH_DATA / "two_months_csv"  # the same center as CSV files (UTF-8)
# 2,000 agents, 12 months (2025-11 to 2026-10), 43 M contacts (103 a voice agent-day), one
# Parquet file per month
# (chat messages for the complained-about chats and 5% of the rest: the year is not auto-QA'd)
YEAR = BENCH_DATA / "year"
# The cost curve: one month (2026-05) of centers of 500, 2,000 and 8,000 agents, built alike
# (teams of ~15, 1 chat team in ~7, 97 contacts a voice agent-day, 1 evaluator per 50 agents).
SIZES = {500: BENCH_DATA / "month_500", 2000: MONTH, 8000: BENCH_DATA / "month_8000"}
PY = sys.executable


@dataclass(frozen=True)
class Case:
    label: str
    code: str  # run with python -c; may print "INPROC <s>" (after imports) and "KERNEL <MiB>"
    floor: str | None = None  # the case that bounds this one from below, measured beside it
    target_s: float | None = None  # median wall, whole process
    target_mib: float | None = None  # peak RSS (process + kernel)
    target_ratio: float | None = None  # median over the floor's median, same run
    also: str | None = None  # a second floor, shown beside the first (its ratio in brackets)


def _timed(setup: str, work: str, result: str = "") -> str:
    """Code that runs ``setup`` (imports), times ``work`` and prints INPROC."""
    return f"import time; {setup}; t = time.perf_counter(); {work}; print('INPROC', time.perf_counter() - t{', ' + result if result else ''})"


def _report(kind: str, period: str, center: Path = MONTH) -> str:
    return (
        f"import sys, tempfile; sys.path.insert(0, {str(ROOT / 'bench')!r}); from rss import ChildPeak; "
        "from qaworkbench.reporting.runner import run_report; import time; t = time.perf_counter(); "
        f"w = ChildPeak().__enter__(); p = run_report({kind!r}, {period!r}, data={str(center)!r}, "
        "reports_dir=tempfile.mkdtemp()); w.__exit__(); "
        "print('INPROC', time.perf_counter() - t); print('KERNEL', w.peak_mib)"
    )


_FLOOR_CODE = (
    f"import sys, time, tempfile, papermill as pm; from pathlib import Path; "
    f"sys.path.insert(0, {str(ROOT / 'bench')!r}); from rss import ChildPeak; "
    "from qaworkbench.reporting.runner import render_html; t = time.perf_counter(); "
    "d = Path(tempfile.mkdtemp()); w = ChildPeak().__enter__(); "
    f"pm.execute_notebook({str(ROOT / 'bench' / 'floor_report.ipynb')!r}, str(d / 'o.ipynb'), "
    "progress_bar=False, kernel_name='python3'); w.__exit__(); "
    "(d / 'o.html').write_text(render_html(d / 'o.ipynb', 'floor', '')); "
    "print('INPROC', time.perf_counter() - t); print('KERNEL', w.peak_mib)"
)

SAMPLE = (
    "from qaworkbench.sampling import load_plan, sample_month",
    f"s = sample_month({str(TWO)!r}, '2026-05', load_plan('hotline'), 1)",
    "len(s.contacts)",
)

# The year's two questions as plain DuckDB SQL over the files: the floor of "year_duckdb".
_YEAR_FILES = str(YEAR / "contacts" / "*.parquet")
_YEAR_PLAIN = (
    "SELECT strftime(start_time, '%Y-%m') AS month, agent_id, channel, count(*) AS handled "
    f"FROM read_parquet('{_YEAR_FILES}') WHERE answered AND agent_id IS NOT NULL "
    "GROUP BY ALL ORDER BY ALL",
    "SELECT strftime(start_time, '%Y-%m') AS month, (hour(start_time) * 60 + minute(start_time)) "
    "// 30 * 30 AS interval, channel, count(*) AS offered, count(*) FILTER (WHERE answered AND "
    f"queue_wait_s <= 20) / count(*) AS service_level FROM read_parquet('{_YEAR_FILES}') "
    "WHERE direction = 'inbound' GROUP BY ALL ORDER BY ALL",
)


def _year(engine: str) -> str:
    """The year's two questions through the package's engine layer (``engine``)."""
    return (
        f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); from rss import ChildPeak; "
        "w = ChildPeak().__enter__(); "
        + _timed(
            "from datetime import datetime as d; from qaworkbench.data import engine",
            f"con = engine.open_engine({str(YEAR)!r}, ('contacts',), engine={engine!r}); "
            "a = engine.handled_per_agent_month(con, d(2025, 11, 1), d(2026, 11, 1)); "
            "b = engine.service_level_by_month_interval(con, d(2025, 11, 1), d(2026, 11, 1)); "
            "assert a['month'].nunique() == 12 and len(b) > 1000",
        )
        + "; w.__exit__(); print('KERNEL', w.peak_mib)"  # Spark's JVM, a child process
    )


CASES: dict[str, Case] = {
    "python": Case("floor: start the interpreter", "pass"),
    "import": Case(
        "import the package (pandas, pyarrow, pydantic)", "import qaworkbench", "python"
    ),
    "load_floor": Case(
        "floor: read every column of a 2,000-agent month's contacts from Parquet (pandas)",
        f"import pandas as pd; d = pd.read_parquet({str(MONTH / 'contacts')!r}); print(len(d))",
    ),
    "load_month": Case(
        "load and validate a 2,000-agent month from Parquet (all 8 tables, strict)",
        _timed("import qaworkbench as q", f"c = q.load_center({str(MONTH)!r})"),
        "load_floor",
        3.0,
        2048,
    ),
    "score_floor": Case(
        "floor: read evaluations and items from Parquet, mean deduction per agent (pandas)",
        _timed(
            "import pandas as pd",
            f"e = pd.read_parquet({str(MONTH / 'evaluations')!r}); "
            f"i = pd.read_parquet({str(MONTH / 'evaluation_items')!r}); "
            "m = i.merge(e[['evaluation_id', 'agent_id']], on='evaluation_id')"
            ".groupby('agent_id')['points_deducted'].mean()",
        ),
    ),
    "score_month": Case(
        "score a 2,000-agent month's evaluations and items: appeals, sections, agent-month "
        "means with intervals, partial pooling",
        _timed(
            "import pandas as pd; from pathlib import Path; from qaworkbench import scoring, stats; "
            "from qaworkbench.data.load import find_table_file; "
            f"r = lambda n: pd.read_parquet(find_table_file(Path({str(MONTH)!r}), n)); "
            "ev, it, ap, ag = r('evaluations'), r('evaluation_items'), r('appeals'), r('agents')",
            "sc, sec = scoring.score_evaluations(ev, it, ap); "
            "sc = sc.merge(ag[['agent_id', 'team']], on='agent_id'); "
            "sc['month'] = sc['evaluated_at'].dt.strftime('%Y-%m'); "
            "iv = stats.score_intervals(sc, ['agent_id', 'month']); pp = stats.partial_pooling(sc)",
        ),
        "score_floor",
        3.0,
    ),
    "groupby_two_months": Case(
        "floor: per-agent count of May's contacts, DuckDB over Parquet",
        _timed(
            "from datetime import datetime; from qaworkbench.data import engine",
            f"con = engine.connect({str(TWO)!r}); "
            "d = engine.handled_per_agent(con, datetime(2026, 5, 1), datetime(2026, 6, 1))",
        ),
    ),
    "sample_month": Case(
        "sample a 2,000-agent month (3.55 M contacts), hotline plan: every rule, adaptive quota "
        "from the cached history of closed months, spread, slots",
        _timed(*SAMPLE),
        "groupby_two_months",
        3.0,
        2048,
    ),
    "sample_month_cold": Case(
        "the same, first run after the QA tables changed: closed months scored (1.2 M item "
        "rows) and cached",
        f"import shutil; shutil.rmtree({str(TWO / '.qaw-cache')!r}, ignore_errors=True); "
        + _timed(*SAMPLE),
        "groupby_two_months",
    ),
    "sample_month_csv": Case(
        "the same sample from the same center as CSV files (contacts read through their "
        "Parquet copy in .qaw-cache, made on the first run)",
        _timed(SAMPLE[0], SAMPLE[1].replace(repr(str(TWO)), repr(str(TWO_CSV))), SAMPLE[2]),
        "groupby_two_months",
    ),
    "sample_month_csv_first": Case(
        "the same from CSV, first run after contacts.csv changed: validated and converted "
        "(7.1 M rows) before sampling",
        f"import shutil, pathlib; [f.unlink() for f in pathlib.Path({str(TWO_CSV / '.qaw-cache')!r})"
        ".glob('table-*.parquet')]; "
        + _timed(SAMPLE[0], SAMPLE[1].replace(repr(str(TWO)), repr(str(TWO_CSV))), SAMPLE[2]),
        "groupby_two_months",
    ),
    "report_floor": Case(
        "floor: papermill + nbconvert (same template) on a notebook with 6 charts and tables, "
        "no data work",
        _FLOOR_CODE,
    ),
    # The floor as the runner starts it: without rfc3987_syntax's 38 Lark grammars, which
    # jsonschema imports for IRI formats no notebook uses (see runner.py). Its time beside the
    # floor says how much of a report's gain over the floor is that import alone.
    "report_floor_lean": Case(
        "floor without the rfc3987_syntax import (as the runner starts papermill)",
        "import sys; sys.modules['rfc3987_syntax'] = None; " + _FLOOR_CODE,
        "report_floor",
    ),
    "report_weekly": Case(
        "weekly report 2026-W20 of a 2,000-agent month: compute, papermill, nbconvert, checks, "
        "Excel, publish",
        _report("weekly", "2026-W20"),
        "report_floor",
        30.0,
        1536,
        1.5,
    ),
    "report_monthly": Case(
        "monthly report 2026-05 of a 2,000-agent month",
        _report("monthly", "2026-05"),
        "report_floor",
        60.0,
        1536,
        2.0,
    ),
    "report_daily": Case(
        "daily monitoring report 2026-05-20 of a 2,000-agent month (the month's QA tables "
        "loaded, the day's tables, service level by interval, sample owed)",
        _report("daily", "2026-05-20"),
        "report_floor",
        30.0,
        1536,
        1.5,
    ),
    "report_archives": Case(
        "300 personal archives 2026-05 of a 2,000-agent month in one batch (`qaw report agent`)",
        f"import sys, tempfile; sys.path.insert(0, {str(ROOT / 'bench')!r}); from rss import ChildPeak; "
        "from qaworkbench.reporting.batch import run_agent_batch; "
        "from qaworkbench.reporting.contents import report_center; "
        "from qaworkbench.order import natural_sorted; import time; t = time.perf_counter(); "
        f"c = report_center({str(MONTH)!r}); ids = natural_sorted(c.agents['agent_id'])[:300]; "
        f"w = ChildPeak().__enter__(); r = run_agent_batch('2026-05', ids, data={str(MONTH)!r}, "
        "center=c, reports_dir=tempfile.mkdtemp()); w.__exit__(); "
        "assert len(r.published) == 300, r.failed; "
        "print('INPROC', time.perf_counter() - t); print('KERNEL', w.peak_mib)",
        "report_floor",
        120.0,
    ),
    "year_floor": Case(
        "floor: handled contacts per agent-month and service level per month x 30-min interval "
        "over a 2,000-agent year (43 M contacts), as two plain DuckDB queries",
        _timed(
            "import duckdb",
            "con = duckdb.connect(); con.execute('SET enable_progress_bar = false'); "
            f"r = [con.execute(q).df() for q in {_YEAR_PLAIN!r}]",
        ),
    ),
    "year_duckdb": Case(
        "the same two questions through the engine layer (`engine.handled_per_agent_month`, "
        "`engine.service_level_by_month_interval`), DuckDB",
        _year("duckdb"),
        "year_floor",
        None,
        512,
        2.0,
    ),
    "year_spark": Case(
        "the same on Apache Spark, local[2] (PySpark 4.3, the SQL translated by sqlglot); "
        "RSS: Python + the JVM",
        _year("spark"),
        "year_floor",
    ),
    "report_monthly_year": Case(
        "monthly report 2026-10 of the 2,000-agent year, with its 12-month section",
        _report("monthly", "2026-10", YEAR),
        "report_floor",
        60.0,
        1536,
        2.0,
    ),
    "autoqa_floor": Case(
        "floor: read the month's chat messages and transcripts (Parquet, pyarrow), no checks",
        _timed(
            "import pyarrow.parquet as pq",
            f"msgs = pq.read_table({str(MONTH / 'chat_messages')!r}); "
            f"turns = pq.read_table({str(MONTH / 'transcripts')!r})",
        ),
    ),
    "autoqa_month": Case(
        "auto-QA of every chat (all its messages) and transcript of a 2,000-agent month "
        "(`qaw autoqa`): read, segment, match, time, agreement with the evaluators, write",
        _timed(
            "from qaworkbench.cli import main",
            f"main(['autoqa', '--month', '2026-05', '--data', {str(MONTH)!r}], "
            "standalone_mode=False)",
        ),
        "autoqa_floor",
        60.0,
        2048,
    ),
    "autoqa_month_unique": Case(
        "the same on the month with every message and turn distinct (no canned replies to "
        "reuse work on: the worst case)",
        _timed(
            "from qaworkbench.cli import main",
            f"main(['autoqa', '--month', '2026-05', '--data', {str(UNIQUE)!r}], "
            "standalone_mode=False)",
        ),
        "autoqa_floor",
        60.0,
        2048,
    ),
}


def _items_changed(center: Path) -> str:
    """Code that rewrites one item row's comment of ``center`` (new content: the caches keyed
    by the QA tables' files miss), before the timed work."""
    items = str(center / "evaluation_items")
    return (
        "import glob, time, pyarrow as pa, pyarrow.parquet as pq; "
        f"f = sorted(glob.glob({items!r} + '/*.parquet'))[-1]; t = pq.read_table(f); "
        "c = t.column('comment').to_pylist(); c[0] = f'bench {time.time()}'; "
        "pq.write_table(t.set_column(t.schema.get_field_index('comment'), 'comment', "
        "pa.array(c, t.schema.field('comment').type)), f)"
    )


CASES["report_monthly_items_changed"] = Case(
    "monthly report 2026-05 of a 2,000-agent month, the first run after one row of the "
    "month's item results changed (its scores and caches rebuilt)",
    _items_changed(MONTH) + "; " + _report("monthly", "2026-05"),
    "report_floor",
    None,
    1536,
    2.0,
)
CASES["sample_month1"] = Case(
    "sample the 2,000-agent month (one-month center, 3.58 M contacts), hotline plan",
    _timed(
        SAMPLE[0],
        f"s = sample_month({str(MONTH)!r}, '2026-05', load_plan('hotline'), 1)",
        SAMPLE[2],
    ),
    "groupby_month",
    None,
    2048,
    2.0,
    also="scan_floor",
)
# The sampler's own I/O: DuckDB reading the month's columns the draw uses (keys, times, codes,
# flags and the three text columns) into Arrow, as ``scan.scan_month`` does, with no rule.
CASES["scan_floor"] = Case(
    "floor: the month's columns the draw reads, DuckDB over Parquet into Arrow",
    _timed(
        "import duckdb",
        "con = duckdb.connect(); con.execute('SET threads TO 2'); "
        'tb = con.sql("SELECT agent_id, start_time, channel, direction, answered, talk_s, '
        "queue_wait_s, hash(contact_id) AS h, hash(customer_id) AS c, contact_id, customer_id, "
        f"recording_ref FROM read_parquet('{MONTH / 'contacts' / '*.parquet'}') WHERE "
        "start_time >= '2026-05-01' AND start_time < '2026-06-01'\").to_arrow_table()",
    ),
)
CASES["groupby_month"] = Case(
    "floor: per-agent count of the month's contacts, DuckDB over Parquet",
    _timed(
        "from datetime import datetime; from qaworkbench.data import engine",
        f"con = engine.connect({str(MONTH)!r}); "
        "d = engine.handled_per_agent(con, datetime(2026, 5, 1), datetime(2026, 6, 1))",
    ),
)
CASES["load_month"] = replace(CASES["load_month"], target_s=None, target_mib=1024,
                              target_ratio=2.0)  # fmt: skip
# The contacts are checked in Arrow and read on first use: an analyst's load, then the table.
CASES["load_month_read"] = Case(
    "load and validate the 2,000-agent month, then read its contacts into pandas (first use)",
    _timed("import qaworkbench as q", f"c = q.load_center({str(MONTH)!r}); n = len(c.contacts)"),
    "load_floor",
)

# The cost curve: each step at each size, beside its floor. A step is a 2,000-agent case
# (on MONTH) run on the size's center: (name, the case it copies, its floor's name, label).
_CURVE = [
    ("load_floor", "load_floor", None,
     "floor: read every column of the {n}-agent month's contacts (pandas)"),
    ("load", "load_month", "load_floor", "load and validate the {n}-agent month (all tables, strict)"),
    ("count", "groupby_month", None, "floor: per-agent count of the {n}-agent month, DuckDB"),
    ("scan", "scan_floor", None,
     "floor: the {n}-agent month's columns the draw reads, DuckDB into Arrow"),
    ("sample", "sample_month1", "count", "sample the {n}-agent month, hotline plan"),
    ("score_floor", "score_floor", None, "floor: mean deduction per agent, pandas, {n} agents"),
    ("score", "score_month", "score_floor",
     "score the {n}-agent month (sections, intervals, partial pooling)"),
    ("autoqa_floor", "autoqa_floor", None,
     "floor: read the {n}-agent month's messages and transcripts (pyarrow)"),
    ("autoqa", "autoqa_month", "autoqa_floor",
     "auto-QA of every chat and transcript of the {n}-agent month (`qaw autoqa`, DuckDB)"),
]  # fmt: skip
for _n, _c in SIZES.items():
    _s = f"{_n}"
    for _step, _base, _floor, _label in _CURVE:
        CASES[f"c{_s}_{_step}"] = Case(
            _label.format(n=f"{_n:,d}"),
            CASES[_base].code.replace(str(MONTH), str(_c)),
            _floor and f"c{_s}_{_floor}",
            also=f"c{_s}_scan" if _step == "sample" else None,
        )
    CASES[f"c{_s}_autoqa_spark"] = Case(
        "the same on Spark local[2] (`qaw autoqa --engine spark`); RSS: Python + the JVM",
        f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); from rss import ChildPeak; "
        "w = ChildPeak().__enter__(); "
        + _timed(
            "from qaworkbench.cli import main",
            f"main(['autoqa', '--month', '2026-05', '--data', {str(_c)!r}, '--engine', 'spark', "
            "'--master', 'local[2]'], standalone_mode=False)",
        )
        + "; w.__exit__(); print('KERNEL', w.peak_mib)",
        f"c{_s}_autoqa_floor",
    )
    CASES[f"c{_s}_report"] = Case(
        f"monthly report 2026-05 of the {_n:,d}-agent month",
        _report("monthly", "2026-05", _c),
        "report_floor",
    )


# Issue #32 goal 2: the first conversion of a CSV table, beside DuckDB's CSV reader writing
# Parquet from the same file. The month's 3.58 M contacts as CSV, UTF-8 (576 MB) and GBK.
MONTH_CSV = BENCH_DATA / "month_csv"
MONTH_GBK = BENCH_DATA / "month_csv_gbk"


def _csv_convert(folder: Path) -> str:
    """The first ``engine.connect`` of a CSV folder: its cached Parquet copy removed first."""
    return _timed(
        "import shutil; from qaworkbench.data import engine; "
        f"shutil.rmtree({str(folder / '.qaw-cache')!r}, ignore_errors=True)",
        f"con = engine.connect({str(folder)!r}); "
        "n = con.execute('SELECT count(*) FROM contacts').fetchone()[0]",
        "n",
    )


CASES["csv_floor"] = Case(
    "floor: DuckDB reads the month's contacts.csv (UTF-8, 576 MB, 3.58 M rows) and writes "
    "Parquet (read_csv, types detected)",
    _timed(
        "import duckdb, tempfile; out = tempfile.mkdtemp() + '/c.parquet'",
        f"duckdb.execute(\"COPY (SELECT * FROM read_csv('{MONTH_CSV / 'contacts.csv'}', "
        'all_varchar=false)) TO \'" + out + "\'")',
    ),
)
CASES["csv_convert"] = Case(
    "first engine.connect of the month's contacts.csv (UTF-8): read, checked and typed part by "
    "part into the cached Parquet copy (strict)",
    _csv_convert(MONTH_CSV),
    "csv_floor",
    None,
    2048,
    3.0,
)
CASES["csv_convert_gbk"] = Case(
    "the same file in GBK (561 MB; the floor reads the UTF-8 file: DuckDB reads no GBK)",
    _csv_convert(MONTH_GBK),
    "csv_floor",
    None,
    2048,
    3.0,
)
CASES["csv_convert_whole"] = Case(
    "before: the month's contacts.csv loaded whole (load_table, the exact path), kept as Parquet",
    _timed(
        "import tempfile; from qaworkbench.data.load import load_table",
        f"df = load_table({str(MONTH_CSV / 'contacts.csv')!r}, 'contacts')[0]; "
        "df.to_parquet(tempfile.mkdtemp() + '/c.parquet', index=False)",
    ),
    "csv_floor",
)


CASES["load_csv"] = Case(
    "first load_center of a folder of that contacts.csv and the month's agents (strict): "
    "converted part by part into the cache, checked in Arrow, contacts left on disk",
    _timed(
        "import shutil; import qaworkbench as q; "
        f"shutil.copy({str(MONTH / 'agents.parquet')!r}, {str(MONTH_CSV)!r}); "
        f"shutil.rmtree({str(MONTH_CSV / '.qaw-cache')!r}, ignore_errors=True)",
        f"c = q.load_center({str(MONTH_CSV)!r})",
    ),
    "csv_floor",
)
CASES["load_csv_again"] = Case(
    "load_center of the same folder again (the converted copy kept in the cache)",
    _timed("import qaworkbench as q", f"c = q.load_center({str(MONTH_CSV)!r})"),
    "csv_floor",
)


# Excel at its row limit: the month's first 1,048,000 contacts as one sheet (86 MB), with the
# month's agents. Floor: pandas reading the sheet through python-calamine, nothing checked.
MONTH_XLSX = BENCH_DATA / "month_xlsx"
XLSX_ROWS = 1_048_000
CASES["xlsx_floor"] = Case(
    f"floor: pandas reads a sheet of {XLSX_ROWS:,d} contacts (read_excel, engine calamine)",
    _timed(
        "import pandas as pd",
        f"df = pd.read_excel({str(MONTH_XLSX / 'contacts.xlsx')!r}, engine='calamine')",
        "len(df)",
    ),
)
CASES["xlsx_convert"] = Case(
    f"first engine.connect of a contacts.xlsx of {XLSX_ROWS:,d} rows: read (calamine where its "
    "rows are openpyxl's), checked and kept as Parquet (strict)",
    _csv_convert(MONTH_XLSX),
    "xlsx_floor",
    None,
    2048,
    3.0,
)


def _month_xlsx() -> None:
    """The month's first ``XLSX_ROWS`` contacts as ``MONTH_XLSX/contacts.xlsx`` (xlsxwriter,
    row by row in constant memory: ~5 minutes; pandas' ``to_excel`` writes by column, which
    constant memory cannot take), beside the month's agents."""
    code = (
        "import pandas as pd, pathlib, shutil, xlsxwriter\n"
        f"d = pathlib.Path({str(MONTH_XLSX)!r}); d.mkdir(parents=True, exist_ok=True)\n"
        f"shutil.copy({str(MONTH / 'agents.parquet')!r}, d)\n"
        f"df = pd.read_parquet({str(MONTH / 'contacts')!r}).head({XLSX_ROWS})\n"
        "wb = xlsxwriter.Workbook(str(d / 'contacts.xlsx'), {'constant_memory': True, "
        "'default_date_format': 'yyyy-mm-dd hh:mm:ss'})\n"
        "ws = wb.add_worksheet('contacts'); ws.write_row(0, 0, list(df.columns))\n"
        "for i, row in enumerate(df.astype(object).itertuples(index=False), start=1):\n"
        "    ws.write_row(i, 0, [None if v is None or v != v else v for v in row])\n"
        "wb.close()\n"
    )
    subprocess.run([PY, "-c", code], check=True)


def _month_csv() -> None:
    """The month's contacts written as CSV, UTF-8 and GBK (``MONTH_CSV``, ``MONTH_GBK``)."""
    code = (
        "import pandas as pd, pathlib; "
        f"df = pd.read_parquet({str(MONTH / 'contacts')!r}); "
        f"[(pathlib.Path(d).mkdir(parents=True, exist_ok=True), df.to_csv(d + '/contacts.csv', "
        f"index=False, encoding=e)) for d, e in (({str(MONTH_CSV)!r}, 'utf-8'), "
        f"({str(MONTH_GBK)!r}, 'gbk'))]"
    )
    subprocess.run([PY, "-c", code], check=True)


_DEMO = [PY, "-m", "qaworkbench.cli", "demo", "--agents", "2000", "--teams", "134",
         "--chat-teams", "20", "--contacts-per-day", "97", "--evaluators", "40", "--force",
         "--random-evaluations"]  # fmt: skip


def ensure_data(codes: list[str]) -> None:
    """Build the benchmark centers the chosen cases (their ``codes``) read, once, and warm the
    history cache "sample_month" reads."""
    if any(str(YEAR) in c for c in codes) and not (YEAR / "contacts").is_dir():
        subprocess.run([*_DEMO, "--out", str(YEAR), "--months", "12", "--start", "2025-11-01",
                        "--messages", "sample", "--contacts-per-day", "103"], check=True)  # fmt: skip
    for n, center in SIZES.items():  # the cost curve's centers, scaled from the 2,000 agents'
        if (
            n != 2000
            and any(f"{center}'" in c for c in codes)
            and not (center / "transcripts").is_dir()
        ):
            k = n / 2000
            subprocess.run([PY, "-m", "qaworkbench.cli", "demo", "--agents", str(n), "--teams",
                            str(round(134 * k)), "--chat-teams", str(round(20 * k)),
                            "--contacts-per-day", "97", "--evaluators", str(round(40 * k)),
                            "--force", "--out", str(center), "--months", "1"], check=True)  # fmt: skip
    if any(str(MONTH_XLSX) in c for c in codes) and not (MONTH_XLSX / "contacts.xlsx").exists():
        _month_xlsx()
    if any(str(MONTH_CSV) in c for c in codes) and not (MONTH_GBK / "contacts.csv").exists():
        if not (MONTH / "transcripts").is_dir():
            subprocess.run([*_DEMO, "--out", str(MONTH), "--months", "1"], check=True)
        _month_csv()
    if not any(str(TWO) in c for c in codes):  # the two-month centers (Parquet and CSV)
        # a month built before the demo wrote every chat's messages and transcripts is rebuilt
        if not (MONTH / "transcripts").is_dir():
            subprocess.run([*_DEMO, "--out", str(MONTH), "--months", "1"], check=True)
            shutil.rmtree(UNIQUE, ignore_errors=True)
        if any(str(UNIQUE) in c for c in codes) and not (UNIQUE / "transcripts").is_dir():
            _distinct_texts()
        return
    demo = _DEMO
    if not (TWO / "contacts").is_dir():
        subprocess.run(
            [*demo, "--out", str(TWO), "--months", "2", "--start", "2026-04-01"], check=True
        )
    warm = (
        "import pandas as pd; from qaworkbench.scoring.history import history_before; "
        f"history_before({str(TWO)!r}, pd.Timestamp('2026-05-01'))"
    )
    subprocess.run([PY, "-c", warm], check=True)
    if not (TWO_CSV / "contacts.csv").exists():
        convert = (
            "import pathlib, pandas as pd; "
            f"src, out = pathlib.Path({str(TWO)!r}), pathlib.Path({str(TWO_CSV)!r}); "
            "out.mkdir(parents=True, exist_ok=True); "
            "[pd.read_parquet(f).to_csv(out / (f.name.removesuffix('.parquet') + '.csv'), "
            "index=False) for f in src.iterdir() if not f.name.startswith('.')]"
        )
        subprocess.run([PY, "-c", convert], check=True)
    warm_csv = warm.replace(repr(str(TWO)), repr(str(TWO_CSV)))
    subprocess.run([PY, "-c", warm_csv], check=True)
    if not (MONTH / "transcripts").is_dir():
        subprocess.run([*demo, "--out", str(MONTH), "--months", "1"], check=True)


def _distinct_texts() -> None:
    """``UNIQUE``: ``MONTH`` with a running number added to every message and turn."""
    code = (
        "import shutil, pathlib, numpy as np, pyarrow as pa, pyarrow.compute as pc, "
        "pyarrow.parquet as pq; "
        f"src, dst = pathlib.Path({str(MONTH)!r}), pathlib.Path({str(UNIQUE)!r}); "
        "shutil.rmtree(dst, ignore_errors=True); dst.mkdir(parents=True); "
        "[shutil.copy(f, dst / f.name) for f in src.glob('*.parquet')]\n"
        "[shutil.copytree(f, dst / f.name) for f in src.iterdir() if f.is_dir() "
        "and f.name not in ('chat_messages', 'transcripts', '.qaw-cache', 'autoqa')]\n"
        "for name in ('chat_messages', 'transcripts'):\n"
        "    t = pq.read_table(src / name); n = t.num_rows; L = pa.large_string()\n"
        "    num = pc.cast(pa.array(np.arange(n)), L)\n"
        "    text = pc.binary_join_element_wise(t['text'].cast(L), pa.array(['（工单'] * n, L), "
        "num, pa.array(['）'] * n, L), pa.scalar('', L))\n"
        "    t = t.set_column(t.schema.get_field_index('text'), pa.field('text', L), text)\n"
        "    (dst / name).mkdir(); pq.write_table(t, dst / name / '2026-05.parquet')"
    )
    subprocess.run([PY, "-c", code], check=True)


def _tree(tree: Path | None) -> dict:
    """How to start a case's process: in this checkout, or with the package of ``tree`` (another
    commit's checkout) first on the path. (``python -c`` puts its folder first: it starts in
    ``tree``, or PYTHONPATH alone would still import this checkout's package.)"""
    if tree is None:
        return {"cwd": ROOT}
    return {"cwd": tree, "env": dict(os.environ, PYTHONPATH=str(tree))}


def run_once(code: str, tree: Path | None = None) -> tuple[float, float | None]:
    """Wall seconds of one fresh Python process running ``code`` (imports included), and the
    seconds the process itself reports after its imports (a line ``INPROC <s>``), if any."""
    t0 = time.perf_counter()
    probe = (
        f"import resource\n{code}\nprint('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    proc = subprocess.run([PY, "-c", probe], capture_output=True, text=True, **_tree(tree))
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"benchmark failed:\n{proc.stderr}")
    inproc = [float(x.split()[1]) for x in proc.stdout.splitlines() if x.startswith("INPROC ")]
    me = [int(x.split()[1]) / 1024 for x in proc.stdout.splitlines() if x.startswith("RSS ")]
    kernel = [float(x.split()[1]) for x in proc.stdout.splitlines() if x.startswith("KERNEL ")]
    _RSS.setdefault((code, tree), []).append((me[-1] if me else 0.0, kernel[-1] if kernel else 0.0))
    return wall, (inproc[-1] if inproc else None)


# per case's code and checkout: (process, kernel) MiB per run
_RSS: dict[tuple[str, Path | None], list[tuple[float, float]]] = {}


def peak_rss(code: str, tree: Path | None = None) -> tuple[float, float]:
    """Peak RSS (MiB) of one process running ``code``, and of its kernel if it reports one
    (they run at the same time; the kernel sampled from /proc by bench/rss.py)."""
    probe = (
        f"import resource\n{code}\nprint('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    proc = subprocess.run([PY, "-c", probe], capture_output=True, text=True, check=True,
                          **_tree(tree))  # fmt: skip
    me = int([x for x in proc.stdout.splitlines() if x.startswith("RSS ")][-1].split()[1]) / 1024
    kernel = [float(x.split()[1]) for x in proc.stdout.splitlines() if x.startswith("KERNEL ")]
    return me, (kernel[-1] if kernel else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("cases", nargs="*", default=[n for n, c in CASES.items() if c.floor])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rss-in-runs", action="store_true",
                    help="peak RSS from the timed runs (the largest), not one more process")  # fmt: skip
    ap.add_argument("--against", type=Path, metavar="TREE",
                    help="also run each named case with the package of TREE (a checkout of "
                         "another commit, e.g. a git worktree), in the same rounds: before and "
                         "after meet the machine in the same state")  # fmt: skip
    args = ap.parse_args()
    unknown = set(args.cases) - set(CASES)
    if unknown:
        raise SystemExit(f"no case {', '.join(sorted(unknown))}; cases: {', '.join(CASES)}")
    chosen = list(
        dict.fromkeys(f for n in args.cases for f in (CASES[n].floor, CASES[n].also, n) if f)
    )
    ensure_data([CASES[n].code for n in chosen])
    against = args.against.resolve() if args.against else None
    for tree in (ROOT, against):  # every module compiled, as an installed package is: a tree
        if tree is not None:  # edited since, under PYTHONDONTWRITEBYTECODE, would compile on
            subprocess.run(  # every start (+0.1-0.2 s a run), and before/after would differ
                [sys.executable, "-m", "compileall", "-q", str(tree / "qaworkbench")], check=True
            )
    jobs = [(n, n, None) for n in chosen]  # (row, case, checkout)
    if against is not None:
        jobs += [(f"{n} @ {against.name}", n, against) for n in args.cases]
        CASES.update({row: CASES[n] for row, n, tree in jobs if tree is not None})
    runs: dict[str, list[tuple[float, float | None]]] = {row: [] for row, _, _ in jobs}
    for _ in range(args.runs):  # interleaved: every case and its floor once per round
        for row, name, tree in jobs:
            runs[row].append(run_once(CASES[name].code, tree))
    median = {n: statistics.median(w for w, _ in r) for n, r in runs.items()}
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}, "
          f"{args.runs} interleaved rounds")  # fmt: skip
    print(
        "\n| case | median wall, whole process (s) | min–max (s) | median after imports (s) "
        "| peak RSS (MiB) | floor | floor median (s) | × floor | target | met |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    for name, _, tree in jobs:
        c, walls = CASES[name], [w for w, _ in runs[name]]
        inner = [i for _, i in runs[name] if i is not None]
        me, kernel = max(_RSS[c.code, tree]) if args.rss_in_runs else peak_rss(c.code, tree)
        rss = f"{me:,.0f}" if kernel < 1 else f"{me:,.0f} + {kernel:,.0f} = {me + kernel:,.0f}"
        floor = (
            f"{c.floor} | {median[c.floor]:.2f} | {median[name] / median[c.floor]:.1f}"
            if c.floor
            else "| |"
        )
        if c.also:
            floor += f" ({median[name] / median[c.also]:.1f} × {c.also})"
        target = ", ".join(
            t for t in (c.target_s and f"≤ {c.target_s:g} s", c.target_mib and
                        f"≤ {c.target_mib / 1024:g} GiB", c.target_ratio and
                        f"≤ {c.target_ratio:g}× floor") if t
        )  # fmt: skip
        met = ""
        if target:
            ok_s = c.target_s is None or median[name] <= c.target_s
            ok_m = c.target_mib is None or me + kernel <= c.target_mib
            ok_r = c.target_ratio is None or median[name] / median[c.floor] <= c.target_ratio
            met = "yes" if ok_s and ok_m and ok_r else "**no**"
        inner_s = f"{statistics.median(inner):.2f}" if inner else "–"
        print(
            f"| {name}: {c.label} | {median[name]:.2f} | {min(walls):.2f}–{max(walls):.2f} | "
            f"{inner_s} | {rss} | {floor} | {target} | {met} |"
        )


if __name__ == "__main__":
    main()
