"""Run the benchmarks: each case in a fresh process, wall time and peak RSS, median of N runs.

Usage: python bench/run.py [case ...] [--runs N]. Builds the 2,000-agent
benchmark center under data/bench once. Prints a Markdown table to paste
into bench/README.md together with the machine and the date.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DATA = ROOT / "data" / "bench"
MONTH = BENCH_DATA / "month"  # 2,000 agents, one month (2026-05), ~3.6 M contacts
TWO = BENCH_DATA / "two_months"  # 2,000 agents, 2026-04 and 2026-05 (quotas from April)
PY = sys.executable

CASES: dict[str, tuple[str, str]] = {
    "import": ("import the package (pandas, pyarrow, pydantic)", "import qaworkbench"),
    "load_month": (
        "load and validate a 2,000-agent month from Parquet (all tables, strict)",
        "import time; import qaworkbench as q; t = time.perf_counter(); "
        f"c = q.load_center({str(MONTH)!r}); "
        "print('INPROC', time.perf_counter() - t, len(c.contacts))",
    ),
    "score_month": (
        "score 47,389 evaluations x 16.4 items (775,835 item rows): appeals, sections, "
        "agent-month means with intervals and partial pooling",
        "import time; import pandas as pd; from qaworkbench import scoring, stats; "
        f"r = lambda n: pd.read_parquet({str(MONTH)!r} + f'/{{n}}.parquet'); "
        "ev, it, ap, ag = r('evaluations'), r('evaluation_items'), r('appeals'), r('agents'); "
        "t = time.perf_counter(); sc, sec = scoring.score_evaluations(ev, it, ap); "
        "sc = sc.merge(ag[['agent_id', 'team']], on='agent_id'); "
        "sc['month'] = sc['evaluated_at'].dt.strftime('%Y-%m'); "
        "iv = stats.score_intervals(sc, ['agent_id', 'month']); pp = stats.partial_pooling(sc); "
        "print('INPROC', time.perf_counter() - t, len(sc), len(iv))",
    ),
    "sample_month": (
        "sample a 2,000-agent month (3.55 M contacts; April's volumes for quotas, history for "
        "the adaptive rule from the cache), hotline plan",
        "import time; from qaworkbench.sampling import load_plan, sample_month; "
        "t = time.perf_counter(); "
        f"s = sample_month({str(TWO)!r}, '2026-05', load_plan('hotline'), 1); "
        "print('INPROC', time.perf_counter() - t, len(s.contacts))",
    ),
    "sample_month_cold": (
        "the same, first run after the QA tables changed: closed months' history scored "
        "(1.2 M item rows) and cached",
        f"import shutil; shutil.rmtree({str(TWO / '.qaw-cache')!r}, ignore_errors=True); "
        "import time; from qaworkbench.sampling import load_plan, sample_month; "
        "t = time.perf_counter(); "
        f"s = sample_month({str(TWO)!r}, '2026-05', load_plan('hotline'), 1); "
        "print('INPROC', time.perf_counter() - t, len(s.contacts))",
    ),
    "groupby_two_months": (
        "floor: plain per-agent count of May's contacts on the same data (DuckDB over Parquet)",
        "import time; from datetime import datetime; from qaworkbench.data import engine; t = time.perf_counter(); "
        f"con = engine.connect({str(TWO)!r}); "
        "d = engine.handled_per_agent(con, datetime(2026, 5, 1), datetime(2026, 6, 1)); "
        "print('INPROC', time.perf_counter() - t, len(d))",
    ),
    "groupby_pandas_two_months": (
        "floor: plain per-agent count of May's contacts on the same data (pandas, Parquet)",
        "import time; import pandas as pd; t = time.perf_counter(); "
        f"d = pd.read_parquet({str(TWO / 'contacts.parquet')!r}, columns=['agent_id', 'start_time'], "
        "filters=[('start_time', '>=', pd.Timestamp('2026-05-01')), ('start_time', '<', pd.Timestamp('2026-06-01'))]); "
        "print('INPROC', time.perf_counter() - t, d.groupby('agent_id').size().size)",
    ),
    "report_weekly": (
        "weekly report for a 2,000-agent month (2026-W20): compute, papermill, nbconvert, checks, publish",
        f"import sys, time, tempfile; sys.path.insert(0, {str(ROOT / 'bench')!r}); from rss import ChildPeak; "
        "from qaworkbench.reporting.runner import run_report; t = time.perf_counter(); w = ChildPeak().__enter__(); "
        f"p = run_report('weekly', '2026-W20', data={str(MONTH)!r}, reports_dir=tempfile.mkdtemp()); w.__exit__(); "
        "print('INPROC', time.perf_counter() - t, p.log['timings_s']); print('KERNEL', w.peak_mib)",
    ),
    "report_monthly": (
        "monthly report for a 2,000-agent month (2026-05): compute, papermill, nbconvert, checks, publish",
        f"import sys, time, tempfile; sys.path.insert(0, {str(ROOT / 'bench')!r}); from rss import ChildPeak; "
        "from qaworkbench.reporting.runner import run_report; t = time.perf_counter(); w = ChildPeak().__enter__(); "
        f"p = run_report('monthly', '2026-05', data={str(MONTH)!r}, reports_dir=tempfile.mkdtemp()); w.__exit__(); "
        "print('INPROC', time.perf_counter() - t, p.log['timings_s']); print('KERNEL', w.peak_mib)",
    ),
    "report_floor": (
        "floor: papermill + nbconvert (same template) on a notebook with 6 such charts and tables, no data work",
        f"import sys, time, tempfile, papermill as pm; from pathlib import Path; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
        "from rss import ChildPeak; from qaworkbench.reporting.runner import render_html; t = time.perf_counter(); "
        "d = Path(tempfile.mkdtemp()); w = ChildPeak().__enter__(); "
        f"pm.execute_notebook({str(ROOT / 'bench' / 'floor_report.ipynb')!r}, str(d / 'o.ipynb'), progress_bar=False, kernel_name='python3'); "
        "w.__exit__(); (d / 'o.html').write_text(render_html(d / 'o.ipynb', 'floor', '')); "
        "print('INPROC', time.perf_counter() - t); print('KERNEL', w.peak_mib)",
    ),
    "groupby_floor": (
        "floor: read contacts' agent_id from Parquet and count per agent (pandas)",
        f"import pandas as pd; d = pd.read_parquet({str(MONTH / 'contacts.parquet')!r}, "
        "columns=['agent_id']); print(d.groupby('agent_id').size().size)",
    ),
}


def ensure_data() -> None:
    if not (TWO / "contacts.parquet").exists():
        subprocess.run(
            [PY, "-m", "qaworkbench.cli", "demo", "--out", str(TWO), "--agents", "2000",
             "--teams", "134", "--chat-teams", "20", "--months", "2", "--start", "2026-04-01",
             "--contacts-per-day", "97", "--evaluators", "40", "--force"],
            check=True,
        )  # fmt: skip
    warm = f"import pandas as pd; from qaworkbench.scoring.history import history_before; history_before({str(TWO)!r}, pd.Timestamp('2026-05-01'))"
    subprocess.run([PY, "-c", warm], check=True)  # "sample_month" measures a warm history cache
    if not (MONTH / "contacts.parquet").exists():
        subprocess.run(
            [PY, "-m", "qaworkbench.cli", "demo", "--out", str(MONTH), "--agents", "2000",
             "--teams", "134", "--chat-teams", "20", "--months", "1", "--contacts-per-day", "97",
             "--evaluators", "40", "--force"],
            check=True,
        )  # fmt: skip


def run_once(code: str) -> tuple[float, float | None]:
    """Wall seconds of one fresh Python process running ``code`` (imports included), and the
    seconds the process itself reports after its imports (a line ``INPROC <s>``), if any."""
    t0 = time.perf_counter()
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"benchmark failed:\n{proc.stderr}")
    inproc = [float(x.split()[1]) for x in proc.stdout.splitlines() if x.startswith("INPROC ")]
    return wall, (inproc[-1] if inproc else None)


def peak_rss(code: str) -> str:
    """Peak RSS (MiB) of one process running ``code``, as it reports it; with a kernel, "process +
    kernel" (they run at the same time; the kernel sampled from /proc by bench/rss.py)."""
    probe = (
        f"import resource\n{code}\n"
        "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    proc = subprocess.run([PY, "-c", probe], capture_output=True, text=True, check=True)
    fields = [x for x in proc.stdout.splitlines() if x.startswith("RSS ")][-1].split()
    kernel = [float(x.split()[1]) for x in proc.stdout.splitlines() if x.startswith("KERNEL ")]
    me, child = int(fields[1]) / 1024, (kernel[-1] if kernel else 0.0)
    return f"{me:,.0f}" if child < 1 else f"{me:,.0f} + {child:,.0f} = {me + child:,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("cases", nargs="*", default=list(CASES))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    ensure_data()
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")  # fmt: skip
    print(
        "\n| case | median wall, whole process (s) | min–max (s) | median after imports (s) "
        "| peak RSS (MiB) |\n| --- | --- | --- | --- | --- |"
    )
    for name in args.cases:
        label, code = CASES[name]
        runs = [run_once(code) for _ in range(args.runs)]
        walls = [w for w, _ in runs]
        inner = [i for _, i in runs if i is not None]
        inner_s = f"{statistics.median(inner):.2f}" if inner else "–"
        rss = peak_rss(code)
        print(f"| {name}: {label} | {statistics.median(walls):.2f} | "
              f"{min(walls):.2f}–{max(walls):.2f} | {inner_s} | {rss} |")  # fmt: skip


if __name__ == "__main__":
    main()
