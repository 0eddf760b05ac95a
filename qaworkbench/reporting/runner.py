"""Run a report notebook unattended and publish it only if it is whole.

Execute with papermill in a staging folder → fail on any cell error → render
code-free HTML with the project's nbconvert template → check it (no
traceback, no raw phone number) → write the Excel appendix → publish
atomically (a symlink swapped with ``os.replace``) → log the run. A failed
run never replaces a good report; only infrastructure failures (a dead
kernel, a kernel that would not start) are retried, never data errors.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import html
import json
import os
import platform
import re
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import yaml
from filelock import FileLock, Timeout

from .._version import __version__
from ..config import PROJ_ROOT, REPORTS_DIR, TEMPLATES_DIR
from ..errors import ConfigError, QAWError
from ..order import natural_key
from ..periods import parse_period
from ..privacy import find_unmasked, mask_text
from . import contents
from .publish import write_excel

NOTEBOOKS = PROJ_ROOT / "notebooks" / "reports"
KEEP_VERSIONS = 3


class ReportFailed(QAWError):
    """A report run failed; nothing was published. ``log`` is the run's log record."""

    def __init__(self, message: str, log: dict):
        super().__init__(message)
        self.log = log


@dataclass
class Published:
    """Where a published report lives (``path`` is the stable link) and its run log."""

    path: Path
    html: Path
    log: dict


def check_parameters(
    kind: str, params: dict[str, Any], notebook: Path | None = None
) -> dict[str, Any]:
    """Parameters checked against the notebook's sidecar YAML; defaults filled in.

    Errors name the sidecar file and the parameter.
    """
    sidecar = (notebook or NOTEBOOKS / f"{kind}.ipynb").with_suffix(".yaml")
    spec = yaml.safe_load(sidecar.read_text(encoding="utf-8"))["parameters"]
    unknown = set(params) - set(spec)
    if unknown:
        raise ConfigError(
            f"{sidecar}: no parameter(s) {', '.join(sorted(unknown))}; known: {', '.join(spec)}"
        )
    out = {}
    for name, s in spec.items():
        value = params.get(name, s.get("default"))
        if s.get("type") == "string" and not isinstance(value, str):
            raise ConfigError(f"{sidecar}: parameter {name}: expected a string, got {value!r}")
        if "allowed" in s and value not in s["allowed"]:
            raise ConfigError(
                f"{sidecar}: parameter {name}: expected one of {s['allowed']}, got {value!r}"
            )
        if "pattern" in s and not re.fullmatch(s["pattern"], value):
            raise ConfigError(
                f"{sidecar}: parameter {name}: {value!r} is not {s.get('description', s['pattern'])}"
            )
        out[name] = value
    return out


def run_report(
    kind: str,
    period: str,
    *,
    data: str | Path = "",
    team: str = "",
    language: str = "zh",
    agent_id: str = "",
    reports_dir: str | Path = REPORTS_DIR,
    notebook: str | Path | None = None,
    center=None,
    retries: int = 2,
    lock_timeout: float = 0,
    execution_timeout: int = 600,
    pdf: bool = False,
) -> Published:
    """Execute, check and publish one report; raises ReportFailed with nothing published."""
    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    nb_path = Path(notebook) if notebook else NOTEBOOKS / f"{kind}.ipynb"
    params = {"period": period, "data_dir": str(data), "team": team, "language": language}
    if kind == "agent":
        params["agent_id"] = agent_id
    params = check_parameters(kind, params, nb_path)
    run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    log: dict[str, Any] = {"run_id": run_id, "kind": kind, "period": period, "parameters": params,
                           "notebook": str(nb_path), "versions": _versions(), "timings_s": {}, "attempts": 0}  # fmt: skip
    try:
        lock = FileLock(reports_dir / ".qaw-report.lock", timeout=lock_timeout)
        lock.acquire()
    except Timeout:
        raise QAWError(
            f"another report run holds {reports_dir / '.qaw-report.lock'}; runs cannot overlap"
        ) from None
    try:
        begin_run(reports_dir, log)
    except BaseException:
        lock.release()
        raise
    staging = reports_dir / ".staging" / run_id
    background = ThreadPoolExecutor(max_workers=1)
    try:
        staging.mkdir(parents=True)
        t0 = time.perf_counter()
        try:
            ctx = contents.build(kind, params["data_dir"] or _demo(), period, team=team, language=language,
                                agent_id=agent_id, center=center, samples_dir=reports_dir / "samples")  # fmt: skip
        except (QAWError, ValueError, KeyError) as e:
            raise _fail(
                log, "data", f"could not compute the report: {e}", staging, reports_dir
            ) from e
        ctx.save(staging / "context.pkl")
        log["limits"] = ctx.limits
        log["timings_s"]["compute"] = round(time.perf_counter() - t0, 2)
        # the Excel appendix is written while the kernel runs the notebook
        excel = background.submit(write_excel, ctx.appendix(), staging / "appendix.xlsx")
        executed = staging / "report.ipynb"
        t1 = time.perf_counter()
        _execute(nb_path, executed, params | {"context_path": str(staging / "context.pkl")}, log, retries,
                 execution_timeout, staging, reports_dir)  # fmt: skip
        log["timings_s"]["execute"] = round(time.perf_counter() - t1, 2)
        t2 = time.perf_counter()
        subtitle = f"{i18n_period(ctx)} · {__version__}"
        page = render_html(executed, ctx.title, subtitle, language)
        problems = check_html(page, executed)
        if problems:
            raise _fail(log, "check", "; ".join(problems), staging, reports_dir)
        (staging / "report.html").write_text(page, encoding="utf-8")
        if pdf:
            from .pdf import print_pdf

            try:
                print_pdf(staging / "report.html", staging / "report.pdf")
            except QAWError as e:
                raise _fail(log, "render", str(e), staging, reports_dir) from e
        excel.result()
        (staging / "context.pkl").unlink()
        log["timings_s"]["render"] = round(time.perf_counter() - t2, 2)
        log["status"] = "published"
        log["published_at"] = time.strftime("%Y-%m-%d %H:%M")
        (staging / "run.json").write_text(
            json.dumps(log, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        link = _publish(staging, reports_dir, kind, period, agent_id or team, language)
        _log(reports_dir, log)
        write_index(reports_dir)
        return Published(link, link / "report.html", log)
    except OSError as e:  # a full disk or a read-only folder names no file: name the folder
        if log.get("status") not in ("failed", "published"):  # the end line, from the reserve
            log["status"] = "failed"
            where = e.filename or reports_dir
            log["failure"] = {"kind": "os", "message": mask_text(f"{where}: {e.strerror or e}")}
            with contextlib.suppress(OSError):
                _log(reports_dir, log)
        if e.filename is None:
            raise OSError(e.errno, e.strerror or str(e), str(reports_dir)) from e
        raise
    finally:
        background.shutdown(wait=True)
        shutil.rmtree(staging, ignore_errors=True)
        lock.release()


def begin_run(reports_dir: Path, log: dict) -> None:
    """Start a run that holds the reports lock: clear the staging folders runs killed before
    they finished left behind (no other run can be writing them), and write the run's start
    line to ``runs.jsonl``, so a run killed from here on still leaves a trace (a start line
    without its end).

    The folder keeps a reserve file (``RESERVE_BYTES``) that a full disk gives back, so the
    end line of a run the disk stopped is always written. A run that finds the disk already
    full writes its start and end lines from the reserve and stops (OSError, naming the
    folder)."""
    for old in (reports_dir / ".staging").glob("*"):
        shutil.rmtree(old, ignore_errors=True)
    start = {k: log[k] for k in ("run_id", "kind", "period", "parameters") if k in log}
    start |= {"status": "started", "started_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        _log(reports_dir, start, spare=False)
    except OSError as e:
        if e.errno != errno.ENOSPC or not _release_reserve(reports_dir):
            raise
        _log(reports_dir, start)
        log["status"] = "failed"
        log["failure"] = {"kind": "os", "message": f"{reports_dir}: {os.strerror(errno.ENOSPC)}"}
        _log(reports_dir, log)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(reports_dir)) from None
    _keep_reserve(reports_dir)


RESERVE = ".qaw-reserve"
RESERVE_BYTES = 256 * 1024  # a few hundred lines of runs.jsonl


def _keep_reserve(reports_dir: Path) -> None:
    """Create the reserve file if it is missing and the disk has room (else go without)."""
    path = reports_dir / RESERVE
    if path.exists() and path.stat().st_size >= RESERVE_BYTES:
        return
    try:
        with path.open("wb") as f:
            f.write(b"\0" * RESERVE_BYTES)
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        path.unlink(missing_ok=True)


def _release_reserve(reports_dir: Path) -> bool:
    """Give the reserve's space back; whether there was one."""
    path = reports_dir / RESERVE
    if not path.exists():
        return False
    path.unlink()
    return True


def i18n_period(ctx: contents.ReportContext) -> str:
    from .i18n import t

    lang = ctx.language
    scope = ctx.team or t("all_teams", lang)
    colon = "：" if lang == "zh" else ": "
    period = contents._period_text(parse_period(ctx.period), lang)
    return f"{t('period', lang)}{colon}{period} · {t('scope', lang)}{colon}{scope}"


def _demo() -> Path:
    from ..config import DEMO_DIR

    return DEMO_DIR


INFRA_ERRORS = (
    "DeadKernelError",
    "TimeoutError",
    "Kernel died",
    "didn't respond",
    "Kernel didn't respond",
)


def _execute(
    nb: Path,
    out: Path,
    params: dict,
    log: dict,
    retries: int,
    timeout: int,
    staging: Path,
    reports_dir: Path,
) -> None:
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    for attempt in range(retries + 1):
        log["attempts"] = attempt + 1
        try:
            pm.execute_notebook(str(nb), str(out), parameters=params, kernel_name="python3", progress_bar=False,
                                cwd=str(staging), execution_timeout=timeout, start_timeout=120)  # fmt: skip
            return
        except PapermillExecutionError as e:  # a cell raised: a data or code error, never retried
            raise _fail(
                log,
                "cell",
                f"cell {e.exec_count} raised {e.ename}: {e.evalue}",
                staging,
                reports_dir,
            ) from e
        except CellTimeoutError as e:  # a cell that hangs hangs again: the data's, not retried
            raise _fail(
                log,
                "timeout",
                f"a cell ran longer than {timeout} s (a query too slow for this data, or one that "
                "never ends); not retried",
                staging,
                reports_dir,
            ) from e
        except Exception as e:  # kernel start or death: infrastructure, retried
            text = f"{type(e).__name__}: {e}"
            if not any(k in text for k in INFRA_ERRORS) or attempt == retries:
                raise _fail(
                    log,
                    "infrastructure" if any(k in text for k in INFRA_ERRORS) else "error",
                    text,
                    staging,
                    reports_dir,
                ) from e
            log.setdefault("retried", []).append(text)
            time.sleep(2 * (attempt + 1))


def render_html(executed, title: str, subtitle: str, language: str = "zh") -> str:
    """Code-free HTML with the project's template (``lang`` set), a table of contents from
    the section headings; ``executed`` is the executed notebook's path or node."""
    import copy

    import nbformat

    exporter = _exporter("zh-CN" if language == "zh" else "en")
    nb = (
        copy.deepcopy(executed)
        if isinstance(executed, nbformat.NotebookNode)
        else nbformat.read(executed, as_version=4)
    )
    nb.cells = [c for c in nb.cells if "remove-cell" not in c.get("metadata", {}).get("tags", [])]
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(
        nb, resources={"qaw": {"title": title, "subtitle": subtitle}}
    )
    heads = re.findall(r'<h2 class="qaw-section" id="(sec-[\w-]+)">(.*?)</h2>', body)
    toc = "<ol>" + "".join(f'<li><a href="#{i}">{t}</a></li>' for i, t in heads) + "</ol>"
    return body.replace("<!--QAW-TOC-->", toc, 1)


@functools.cache
def _exporter(language_code: str):
    """The project's code-free HTML exporter (built once per process and language)."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        """HTMLExporter without its closing BeautifulSoup pass, which only adds alt text to
        images that lack it and tabindex to input and output areas: every chart here carries
        its own alt text (``plotting.figure``) and a report has no inputs. The pass took 1.5 s
        on a 2,000-agent weekly report."""

        def from_notebook_node(self, nb, resources=None, **kw):
            self.register_filter("highlight_code", Highlight2HTML(parent=self))
            resources = self._init_resources(resources)
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources
                ),
            )
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    exporter = ReportExporter(
        template_name="qaw", extra_template_basedirs=[str(TEMPLATES_DIR / "nbconvert")]
    )
    exporter.language_code = language_code
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def check_html(page: str, executed) -> list[str]:
    """What makes a page unfit to publish: error outputs, tracebacks, raw phone numbers
    (``executed``: the executed notebook's path or node)."""
    import nbformat

    problems = []
    nb = (
        executed
        if isinstance(executed, nbformat.NotebookNode)
        else nbformat.read(executed, as_version=4)
    )
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    if errors:
        problems.append(f"{len(errors)} cell(s) produced an error")
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    if "Traceback (most recent call last)" in text:
        problems.append("the page shows a traceback")
    phones = find_unmasked(re.sub(r"data:image/[^\"']+", "", page))
    if phones:
        problems.append(f"{len(phones)} unmasked phone number(s), e.g. {phones[0][:3]}…")
    return problems


def _publish(
    staging: Path, reports_dir: Path, kind: str, period: str, scope: str, language: str
) -> Path:
    """Move the finished run to a version folder and swap the stable link to it atomically.

    Reports are filed by kind, period, scope (``center``, a team, or an agent for archives)
    and language: ``reports/monthly/2026-10/center/zh``, ``.../话务一组/en``; no variant
    replaces another. The last ``KEEP_VERSIONS`` runs of each variant are kept.
    """
    base = reports_dir / kind / period
    if base.is_symlink():  # a report filed before scopes and languages had folders
        base.unlink()
    link = base / _segment(scope or "center") / language
    variant = f"{period}~{_segment(scope or 'center')}~{language}~"
    versions = reports_dir / kind / ".versions"
    versions.mkdir(parents=True, exist_ok=True)
    target = versions / f"{variant}{staging.name}"
    staging.rename(target)
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() and not link.is_symlink():
        raise QAWError(f"{link} exists and is not a published-report link; move it away first")
    tmp = link.with_name(f".{language}.{staging.name}.link")
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)  # atomic: readers see the old report or the new one, never half of one
    _prune(versions, variant, target)
    return link


def _segment(name: str) -> str:
    """A team or agent name as one safe folder name (no separators, no leading dot)."""
    return name.replace("/", "_").replace("\\", "_").lstrip(".") or "_"


def _prune(versions: Path, prefix: str, current: Path) -> None:
    old = sorted(
        (p for p in versions.iterdir() if p.name.startswith(prefix) and p != current),
        key=lambda p: p.name,
    )
    for p in old[: max(len(old) - (KEEP_VERSIONS - 1), 0)]:
        shutil.rmtree(p, ignore_errors=True)


def _fail(log: dict, kind: str, message: str, staging: Path, reports_dir: Path) -> ReportFailed:
    message = mask_text(message)  # cell values in an error reach the log and cron's mail
    log["status"] = "failed"
    log["failure"] = {"kind": kind, "message": message}
    failed = reports_dir / ".failed" / staging.name
    if (staging / "report.ipynb").exists():  # keep the executed notebook to diagnose, unpublished
        try:
            failed.mkdir(parents=True, exist_ok=True)
            text = (staging / "report.ipynb").read_text(encoding="utf-8")
            (failed / "report.ipynb").write_text(mask_text(text), encoding="utf-8")  # masked too
            log["failed_notebook"] = str(failed / "report.ipynb")
        except OSError as e:  # a full disk: the end line matters more than the copy
            shutil.rmtree(failed, ignore_errors=True)
            log["failed_notebook"] = f"not kept: {e.strerror or e}"
    _log(reports_dir, log)
    return ReportFailed(
        f"{log['kind']} report {log['period']} failed ({kind}): {message}; nothing was published",
        log,
    )


def _log(reports_dir: Path, log: dict, *, spare: bool = True) -> None:
    """Append ``log`` as one line to ``runs.jsonl``; on a full disk, from the reserve's space
    (``spare``). A line is written whole or not at all."""
    line = (json.dumps(log, ensure_ascii=False) + "\n").encode("utf-8")
    path = reports_dir / "runs.jsonl"
    try:
        _append(path, line)
    except OSError as e:
        if not spare or e.errno != errno.ENOSPC or not _release_reserve(reports_dir):
            raise
        _append(path, line)


def _append(path: Path, line: bytes) -> None:
    size = path.stat().st_size if path.exists() else 0
    try:
        with path.open("ab") as f:
            f.write(line)
            f.flush()
    except OSError:
        with contextlib.suppress(OSError), path.open("ab") as f:
            f.truncate(size)  # no half line left behind
        raise


@functools.cache
def _versions() -> dict[str, str]:
    import nbconvert
    import pandas
    import papermill

    return {"python": platform.python_version(), "qaworkbench": __version__, "pandas": pandas.__version__,
            "papermill": papermill.__version__, "nbconvert": nbconvert.__version__}  # fmt: skip


def write_index(reports_dir: str | Path = REPORTS_DIR) -> Path:
    """The index of every published report variant, newest period first: ``index.html`` in
    Chinese and ``index.en.html`` in English, each linking to the other."""
    from .i18n import t

    reports_dir = Path(reports_dir)
    runs = []
    for kind in contents.KINDS:
        d = reports_dir / kind
        if d.exists():
            for link in d.rglob("*"):
                if link.is_symlink() and (link / "run.json").exists():
                    runs.append((link, json.loads((link / "run.json").read_text(encoding="utf-8"))))

    def scope(run: dict) -> str:
        return run["parameters"].get("agent_id") or run["parameters"].get("team") or ""

    runs.sort(
        key=lambda r: (r[1]["kind"], natural_key(scope(r[1])), r[1]["parameters"]["language"])
    )
    runs.sort(key=lambda r: r[1]["period"], reverse=True)  # newest first, each period in order
    for lang, name, other in (
        ("zh", "index.html", "index.en.html"),
        ("en", "index.en.html", "index.html"),
    ):
        rows = []
        for link, run in runs:
            # a team or agent name in the path: URL-quoted (#, ?, %), then escaped for the attribute
            rel = html.escape(quote(link.relative_to(reports_dir).as_posix()), quote=True)
            p = run["parameters"]
            rows.append(
                f"<tr><td>{html.escape(t(run['kind'], lang))}</td>"
                f"<td><a href='{rel}/report.html'>{html.escape(_period_label(run['period']))}</a></td>"
                f"<td>{html.escape(scope(run) or t('center', lang))}</td><td>{html.escape(t('lang_' + p.get('language', 'zh'), lang))}</td>"
                f"<td>{html.escape(run.get('published_at', run['run_id']))}</td>"
                f"<td><a href='{rel}/appendix.xlsx'>xlsx</a> · <a href='{rel}/report.ipynb'>ipynb</a>"
                + (f" · <a href='{rel}/report.pdf'>pdf</a>" if (link / "report.pdf").exists() else "")
                + "</td></tr>"
            )  # fmt: skip
        head = "".join(
            f"<th>{t(k, lang)}</th>"
            for k in ("report", "period", "scope", "language", "published", "files")
        )
        page = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{t('reports_index', lang)}</title>"
                "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}</style></head>"
                f"<body><h1>{t('reports_index', lang)}</h1><p><a href='{other}'>{t('other_language', lang)}</a></p>"
                f"<table><tr>{head}</tr>" + "".join(rows) + "</table></body></html>")  # fmt: skip
        tmp = reports_dir / f".{name}.tmp"
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, reports_dir / name)
    return reports_dir / "index.html"


def _period_label(period: str) -> str:
    """A month as it is; a week with its dates: 2026-W43 (10-19 – 10-25)."""
    p = parse_period(period)
    if p.kind != "week":
        return period
    return f"{period} ({p.start:%m-%d} – {p.end - pd.Timedelta(days=1):%m-%d})"
