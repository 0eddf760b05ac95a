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
import functools
import json
import os
import platform
import re
import shutil
import sys
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock, Timeout

from .._version import __version__
from ..config import NOTEBOOKS_DIR, TEMPLATES_DIR
from ..errors import ConfigError, QAWError
from ..periods import parse_period
from ..privacy import mask_text
from . import contents
from .index import write_index
from .pagecheck import check_html
from .publish import write_excel
from .runlog import append_run, begin_run

# papermill and nbconvert validate notebooks with jsonschema, which imports rfc3987_syntax when
# it is installed (jupyter_server's dependencies install it); that module compiles 38 Lark
# grammars at import: 1.0-1.2 s here, 2 s beside the report's tables, and only for the IRI
# formats no notebook schema uses (python-jsonschema/jsonschema#1428). Without it jsonschema
# leaves those two formats unchecked. A process that imported jsonschema already is unchanged.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

NOTEBOOKS = NOTEBOOKS_DIR / "reports"
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


# The kernel's "running over TCP without encryption" warning is about a kernel on this
# machine's loopback that only this process talks to: it said nothing a user can act on.
KERNEL_QUIET = ["--IPKernelApp.log_level=ERROR"]


def run_report(
    kind: str,
    period: str,
    *,
    data: str | Path = "",
    team: str = "",
    language: str = "zh",
    agent_id: str = "",
    reports_dir: str | Path | None = None,
    notebook: str | Path | None = None,
    center=None,
    retries: int = 2,
    lock_timeout: float = 0,
    execution_timeout: int = 600,
    pdf: bool = False,
    draft: bool = False,
) -> Published:
    """Execute, check and publish one report into ``reports_dir`` (default: the workspace's
    ``reports`` setting); raises ReportFailed with nothing published. ``draft``: filed as a
    draft marked 待确认 beside the published version, which stays until the draft is signed
    off (``signoff.approve``)."""
    from ..settings import get

    reports_dir = Path(
        get("reports", reports_dir)
    ).absolute()  # papermill changes folder while compute runs
    reports_dir.mkdir(parents=True, exist_ok=True)
    nb_path = Path(notebook) if notebook else NOTEBOOKS / f"{kind}.ipynb"
    params = {"period": period, "data_dir": str(data), "team": team, "language": language}
    if kind == "agent":
        params["agent_id"] = agent_id
    params = check_parameters(kind, params, nb_path)
    run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    log: dict[str, Any] = {"run_id": run_id, "kind": kind, "period": period, "parameters": params,
                           "notebook": str(nb_path), "versions": {}, "timings_s": {}, "attempts": 0}  # fmt: skip
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
        context = staging / "context.pkl"

        data_dir = Path(params["data_dir"] or _demo()).absolute()  # as reports_dir

        def early(part: contents.ReportContext) -> None:  # page one, shown while the rest comes
            part.rest = str(contents.rest_path(context))
            part.save(context)
            log["timings_s"]["early"] = round(time.perf_counter() - t0, 2)

        def compute() -> contents.ReportContext:
            try:
                ctx = contents.build(kind, data_dir, period, team=team, language=language,
                                     agent_id=agent_id, center=center, samples_dir=reports_dir / "samples",
                                     early=early)  # fmt: skip
                sent_early = "early" in log["timings_s"]  # the notebook has page one's tables
                ctx.save(contents.rest_path(context) if sent_early else context)
            except BaseException:
                _stop_waiting(context)
                raise
            log["timings_s"]["compute"] = round(time.perf_counter() - t0, 2)
            write_excel(ctx.appendix(), staging / "appendix.xlsx")  # while the kernel runs
            return ctx

        # The tables are computed in a thread while papermill starts the kernel and the
        # notebook's imports run; its first cell waits for them (contents.wait_for_context).
        t0 = time.perf_counter()
        computing = background.submit(compute)
        log["versions"] = _versions()  # imports papermill and nbconvert (~2 s) beside the tables
        executed = staging / "report.ipynb"
        t1 = time.perf_counter()
        _execute(nb_path, executed, params | {"context_path": str(context)}, log, retries,
                 execution_timeout, staging, reports_dir, computing)  # fmt: skip
        log["timings_s"]["execute"] = round(time.perf_counter() - t1, 2)
        _compute_failure(computing, log, staging, reports_dir)
        ctx = computing.result()
        log["limits"] = ctx.limits
        t2 = time.perf_counter()
        subtitle = f"{i18n_period(ctx)} · {__version__}"
        page = render_html(executed, ctx.title, subtitle, language)
        problems = check_html(page, executed)
        if problems:
            raise _fail(log, "check", "; ".join(problems), staging, reports_dir)
        if draft:
            from .signoff import draft_mark

            page = draft_mark(page, language)
        (staging / "report.html").write_text(page, encoding="utf-8")
        if pdf:
            from .pdf import print_pdf

            try:
                print_pdf(staging / "report.html", staging / "report.pdf")
            except QAWError as e:
                raise _fail(log, "render", str(e), staging, reports_dir) from e
        context.unlink()
        contents.rest_path(context).unlink(missing_ok=True)
        log["timings_s"]["render"] = round(time.perf_counter() - t2, 2)
        log["status"] = "draft" if draft else "published"
        log["published_at"] = time.strftime("%Y-%m-%d %H:%M")
        (staging / "run.json").write_text(
            json.dumps(log, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        link = _publish(staging, reports_dir, kind, period, agent_id or team, language, draft)
        append_run(reports_dir, log)
        write_index(reports_dir)
        return Published(link, link / "report.html", log)
    except OSError as e:  # a full disk or a read-only folder names no file: name the folder
        if log.get("status") not in ("failed", "published", "draft"):  # the end line
            log["status"] = "failed"
            where = e.filename or reports_dir
            log["failure"] = {"kind": "os", "message": mask_text(f"{where}: {e.strerror or e}")}
            with contextlib.suppress(OSError):
                append_run(reports_dir, log)
        if e.filename is None:
            raise OSError(e.errno, e.strerror or str(e), str(reports_dir)) from e
        raise
    finally:
        background.shutdown(wait=True)
        shutil.rmtree(staging, ignore_errors=True)
        lock.release()


def i18n_period(ctx: contents.ReportContext) -> str:
    from .i18n import t

    lang = ctx.language
    scope = ctx.team or t("all_teams", lang)
    colon = "：" if lang == "zh" else ": "
    period = contents._period_text(parse_period(ctx.period), lang)
    return f"{t('period', lang)}{colon}{period} · {t('scope', lang)}{colon}{scope}"


def _demo() -> Path:
    from ..settings import get

    return Path(get("data"))


INFRA_ERRORS = (
    "DeadKernelError",
    "TimeoutError",
    "Kernel died",
    "didn't respond",
    "Kernel didn't respond",
)


def _stop_waiting(context: Path) -> None:
    """Tell the kernel waiting for ``context`` that it will not come: a marker file, or, where
    the disk takes no file, an interrupt to this process's kernels."""
    try:
        for path in (context, contents.rest_path(context)):  # page one's tables may be there
            path.with_name(path.name + ".failed").touch()
    except OSError:
        import signal

        import psutil

        for child in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if "ipykernel" in " ".join(child.cmdline()):
                    child.send_signal(signal.SIGINT)


def _compute_failure(computing: Future | None, log: dict, staging: Path, reports_dir: Path) -> None:
    """Wait for the tables being computed; if that failed, fail the run with its reason (a
    data error; anything else is raised as it is)."""
    if computing is None:
        return
    e = computing.exception()  # waits for the computation to end
    if e is None:
        return
    if isinstance(e, (QAWError, ValueError, KeyError)):
        raise _fail(log, "data", f"could not compute the report: {e}", staging, reports_dir) from e
    raise e


def _execute(
    nb: Path,
    out: Path,
    params: dict,
    log: dict,
    retries: int,
    timeout: int,
    staging: Path,
    reports_dir: Path,
    computing: Future | None = None,
) -> None:
    """Execute with papermill, retrying only a dead kernel. ``computing``: the tables being
    computed for the notebook; when they fail, that is the run's failure (data), not the
    cell that waited for them."""
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    for attempt in range(retries + 1):
        log["attempts"] = attempt + 1
        try:
            # Written once at the end (and on a cell's error), not at each cell's start and end:
            # 40 writes of a notebook growing with its charts cost 0.6 s between the cells.
            pm.execute_notebook(str(nb), str(out), parameters=params, kernel_name="python3", progress_bar=False,
                                cwd=str(staging), execution_timeout=timeout, start_timeout=120,
                                request_save_on_cell_execute=False,
                                extra_arguments=KERNEL_QUIET)  # fmt: skip
            return
        except PapermillExecutionError as e:  # a cell raised: a data or code error, never retried
            _compute_failure(computing, log, staging, reports_dir)
            raise _fail(
                log,
                "cell",
                f"cell {e.exec_count} raised {e.ename}: {e.evalue}",
                staging,
                reports_dir,
            ) from e
        except CellTimeoutError as e:  # a cell that hangs hangs again: the data's, not retried
            cell = str(e).partition("preview of the cell contents:")[2].strip("-\n ")
            raise _fail(
                log,
                "timeout",
                f"a cell ran longer than {timeout} s (a query too slow for this data, or one that "
                f"never ends); not retried. The cell: {cell[:300]}",
                staging,
                reports_dir,
            ) from e
        except Exception as e:  # kernel start or death: infrastructure, retried
            _compute_failure(computing, log, staging, reports_dir)  # the tables failed first?
            if isinstance(e, OSError):  # a full disk or a read-only folder: not retried
                raise
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


def _publish(
    staging: Path, reports_dir: Path, kind: str, period: str, scope: str, language: str,
    draft: bool = False,
) -> Path:  # fmt: skip
    """Move the finished run to a version folder and swap the stable link to it atomically.

    Reports are filed by kind, period, scope (``center``, a team, or an agent for archives)
    and language: ``reports/monthly/2026-10/center/zh``, ``.../话务一组/en``; no variant
    replaces another. The last ``KEEP_VERSIONS`` runs of each variant are kept.
    """
    base = reports_dir / kind / period
    if base.is_symlink():  # a report filed before scopes and languages had folders
        base.unlink()
    name = language + ("-draft" if draft else "")  # a draft is filed beside, never over
    link = base / _segment(scope or "center") / name
    variant = f"{period}~{_segment(scope or 'center')}~{name}~"
    versions = reports_dir / kind / ".versions"
    versions.mkdir(parents=True, exist_ok=True)
    target = versions / f"{variant}{staging.name}"
    staging.rename(target)
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() and not link.is_symlink():
        raise QAWError(f"{link} exists and is not a published-report link; move it away first")
    tmp = link.with_name(f".{name}.{staging.name}.link")
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
    append_run(reports_dir, log)
    return ReportFailed(
        f"{log['kind']} report {log['period']} failed ({kind}): {message}; nothing was published",
        log,
    )


@functools.cache
def _versions() -> dict[str, str]:
    import nbconvert
    import pandas
    import papermill

    return {"python": platform.python_version(), "qaworkbench": __version__, "pandas": pandas.__version__,
            "papermill": papermill.__version__, "nbconvert": nbconvert.__version__}  # fmt: skip
