"""Personal archives for a whole team or center in one run: the period is scored once, one
kernel executes the archive notebook for every agent (parameters injected as papermill does),
and each archive is checked and published on its own, as ``run_report`` would.

A failed archive publishes nothing and leaves that agent's previous archive in place; the
others go on. Every archive leaves a line in ``runs.jsonl``; the index is written once.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

from ..errors import QAWError
from ..periods import parse_period
from ..privacy import mask_text, masked
from ..scoring.history import cached_scores
from ..scoring.period import score_period
from ..settings import get
from . import contents
from .index import write_index
from .publish import write_excel
from .runlog import append_run, begin_run
from .runner import (
    KERNEL_QUIET,
    NOTEBOOKS,
    _publish,
    _versions,
    check_html,
    check_parameters,
    i18n_period,
    render_html,
)


@dataclass
class BatchResult:
    """What a batch published (agent → report folder) and what failed (agent → why)."""

    published: dict[str, Path] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def run_agent_batch(
    period: str, agent_ids: list[str], *, data: str | Path = "", team: str = "",
    language: str = "zh", reports_dir: str | Path | None = None, center=None,
    execution_timeout: int = 300, progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> BatchResult:  # fmt: skip
    """Publish the personal archive of each agent in ``agent_ids`` for the month ``period``.

    ``workers`` processes (default: one per core; one below 20 agents) each run one kernel;
    the period's shared tables are computed once and handed to the workers."""
    from filelock import FileLock, Timeout

    t0 = time.perf_counter()
    reports_dir = Path(get("reports", reports_dir))
    reports_dir.mkdir(parents=True, exist_ok=True)
    base = {"period": period, "data_dir": str(data), "team": team, "language": language}
    check_parameters("agent", base | {"agent_id": agent_ids[0] if agent_ids else ""})
    try:
        lock = FileLock(reports_dir / ".qaw-report.lock", timeout=0)
        lock.acquire()
    except Timeout:
        raise QAWError(
            f"another report run holds {reports_dir / '.qaw-report.lock'}; runs cannot overlap"
        ) from None
    result = BatchResult()
    try:
        begin_run(reports_dir, {"run_id": f"batch-{time.strftime('%Y%m%dT%H%M%S')}",
                                "kind": "agent", "period": period, "parameters": base | {"agents": len(agent_ids)}})  # fmt: skip
        p = parse_period(period)
        center = center or contents.period_center(data or get("data"), p, archive=True)
        scored = cached_scores(data or get("data"), center)
        st = score_period(center, p, scored=scored)
        shared = contents.archive_data(center, st, p, language, scored[0])
        job = _Job(base, shared, reports_dir, execution_timeout)
        n = workers or min(os.cpu_count() or 1, 2 if len(agent_ids) >= 20 else 1)
        chunks = [agent_ids[i::n] for i in range(n)]
        if n == 1:
            for agent_id, link, failure in _run_chunk(job, agent_ids):
                _tally(result, agent_id, link, failure, progress)
        else:
            # spawned, not forked: this process may hold threads (ZMQ, a kernel client) whose
            # locks a fork would copy held; the shared tables travel pickled, once per worker
            ctx = multiprocessing.get_context("spawn")
            with ctx.Manager() as manager:
                queue = manager.Queue()
                with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
                    futures = [pool.submit(_chunk_worker, job, c, queue) for c in chunks]
                    left = len(agent_ids)
                    while left:
                        try:
                            item = queue.get(timeout=1)
                        except Empty:  # a worker that died reports nothing more: stop waiting
                            for f in futures:
                                if f.done() and f.exception() is not None:
                                    raise QAWError(
                                        f"an archive worker failed: {f.exception()}"
                                    ) from None
                            continue
                        _tally(result, *item, progress)
                        left -= 1
                    for f in futures:
                        f.result()
        write_index(reports_dir)
    finally:
        lock.release()
    result.seconds = round(time.perf_counter() - t0, 1)
    return result


@dataclass
class _Job:
    base: dict
    shared: contents.ArchiveData
    reports_dir: Path
    timeout: int


def _tally(result: BatchResult, agent_id: str, link, failure, progress) -> None:
    if link is not None:
        result.published[agent_id] = Path(link)
    else:
        result.failed[agent_id] = failure
    if progress:
        progress(agent_id)


def _chunk_worker(job: _Job, agent_ids: list[str], queue) -> None:
    for item in _run_chunk(job, agent_ids):
        queue.put(item)


def _run_chunk(job: _Job, agent_ids: list[str]):
    """Execute and file each agent's archive with one kernel; yields (agent, link, failure)."""
    import copy

    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb_path = NOTEBOOKS / "agent.ipynb"
    template = load_notebook_node(str(nb_path))  # as papermill reads it (tags on every cell)
    language, period = job.base["language"], job.base["period"]
    km = KernelManager(kernel_name="python3")
    km.start_kernel(extra_arguments=KERNEL_QUIET)
    kc = None
    try:
        # The kernel executes one archive while this process renders and files the previous
        # one: a thread, since waiting on the kernel releases the GIL.
        with ThreadPoolExecutor(max_workers=1) as post:
            pending = []
            for agent_id in agent_ids:
                run_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
                params = job.base | {"agent_id": agent_id}
                log = {"run_id": run_id, "kind": "agent", "period": period, "parameters": params,
                       "notebook": str(nb_path), "versions": _versions(), "attempts": 1, "batch": True}  # fmt: skip
                staging = job.reports_dir / ".staging" / run_id
                staging.mkdir(parents=True)
                try:
                    tables = contents.archive_tables(job.shared, agent_id)  # checks the roster
                    ctx = contents.ReportContext(
                        "agent", period, language, job.shared.team_of(agent_id), agent_id,
                        contents.archive_title(job.shared, agent_id),
                    )  # fmt: skip
                    ctx.tables = {k: masked(v) for k, v in tables.items()}
                    ctx.save(staging / "context.pkl")
                    # a copy: papermill writes into the notebook it is given, and the cells
                    # would be shared with the archive still being filed (its page showed
                    # the next agent's tables)
                    nb = parameterize_notebook(
                        copy.deepcopy(template),
                        params | {"context_path": str(staging / "context.pkl")},
                    )
                    client = NotebookClient(
                        nb, km=km, timeout=job.timeout, kernel_name="python3",
                        resources={"metadata": {"path": str(staging)}},
                        # as papermill: a cell's output that has not arrived is an error, never
                        # a page published without it (nbclient waits 4 s, then moves on)
                        iopub_timeout=60, raise_on_iopub_timeout=True,
                    )  # fmt: skip
                    client.kc = kc  # one kernel and one client for the whole chunk
                    try:
                        client.execute()
                    except CellExecutionError as e:
                        raise _Failed("cell", str(e).strip().splitlines()[-1]) from None
                    except Exception as e:  # a dead or silent kernel, a lost output
                        raise _Failed("infrastructure", f"{type(e).__name__}: {e}") from None
                    finally:
                        kc = client.kc
                    nbformat.write(nb, staging / "report.ipynb")
                except (_Failed, QAWError, ValueError, KeyError) as e:
                    shutil.rmtree(staging, ignore_errors=True)
                    yield _finish(job.reports_dir, agent_id, log, None, e)
                    continue
                future = post.submit(_file, ctx, nb, staging, job.reports_dir, language, log)
                pending.append((agent_id, log, future))
                while pending and (pending[0][2].done() or len(pending) > 2):
                    yield _collect(job.reports_dir, *pending.pop(0))
            while pending:
                yield _collect(job.reports_dir, *pending.pop(0))
    finally:
        km.shutdown_kernel(now=True)


def _file(ctx, executed, staging: Path, reports_dir: Path, language: str, log: dict) -> Path:
    """Render, check and publish one executed archive (in the batch's filing thread)."""
    try:
        title = ctx.title
        page = render_html(executed, title, i18n_period(ctx), language)
        problems = check_html(page, executed)
        if problems:
            raise _Failed("check", "; ".join(problems))
        (staging / "report.html").write_text(page, encoding="utf-8")
        write_excel(ctx.appendix(), staging / "appendix.xlsx")
        (staging / "context.pkl").unlink()
        log |= {"status": "published", "published_at": time.strftime("%Y-%m-%d %H:%M")}
        (staging / "run.json").write_text(
            json.dumps(log, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return _publish(staging, reports_dir, "agent", ctx.period, ctx.agent_id, language)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _collect(reports_dir: Path, agent_id: str, log: dict, future):
    try:
        return _finish(reports_dir, agent_id, log, future.result(), None)
    except (_Failed, QAWError, ValueError, KeyError, OSError) as e:
        return _finish(reports_dir, agent_id, log, None, e)


def _finish(reports_dir: Path, agent_id: str, log: dict, link, error):
    """Log the archive's run; (agent, link as text or None, failure or None)."""
    if error is not None:
        kind, message = (
            (error.kind, error.message) if isinstance(error, _Failed) else ("data", str(error))
        )
        log |= {"status": "failed", "failure": {"kind": kind, "message": mask_text(message)}}
    append_run(reports_dir, log)
    return (
        agent_id,
        (str(link) if link is not None else None),
        log.get("failure") and (f"{log['failure']['kind']}: {log['failure']['message']}"),
    )


class _Failed(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message
