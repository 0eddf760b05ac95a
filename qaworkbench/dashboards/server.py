"""How the dashboards are served: Voila with sources stripped, tracebacks hidden, an execution
timeout and idle kernels culled."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

from ..config import NOTEBOOKS_DIR
from ..errors import QAWError

DASHBOARDS = {"coaching": "coaching.ipynb", "meeting": "quality_meeting.ipynb"}


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a name other than localhost may resolve anywhere
        return False


def access_token(host: str, token: str = "") -> str:
    """The token a dashboard requires: ``token`` when given; otherwise, on a loopback address,
    a new random one (as Jupyter does). Serving beyond this machine without a token chosen on
    purpose is refused (QAWError)."""
    if token:
        return token
    if not is_loopback(host):
        raise QAWError(
            f"refusing to serve on {host} without a token: anyone who can reach the address "
            "would see customers' and agents' data. Pass --token (and share the link with "
            "?token=...), or serve on 127.0.0.1 behind a reverse proxy"
        )
    return secrets.token_urlsafe(24)


def dashboard_url(host: str, port: int, token: str) -> str:
    """The link to open a dashboard, its token in the query string."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/?token={token}"


def voila_command(
    name: str, *, host: str = "127.0.0.1", port: int = 8866, token: str = "",
    execution_timeout_s: int = 120, cull_idle_s: int = 1200, pool_size: int = 1,
    refill_delay_s: float = 1.0,
) -> list[str]:  # fmt: skip
    """The Voila command line for a dashboard: sources stripped, tracebacks hidden, an execution
    timeout, idle kernels culled, bound to ``host`` (localhost by default), closed by a token
    (``access_token``: a random one when none is given; none off loopback is refused).

    A tab's kernel is shut down when the tab closes (Voila's beforeunload call); one whose tab
    was left open, or vanished without closing, is culled after ``cull_idle_s`` seconds without
    activity. ``pool_size`` kernels are pre-heated: they load the session's data and draw the page before
    any request, and read the link's query string when one arrives (0 turns this off)."""
    if name not in DASHBOARDS:
        raise QAWError(f"no dashboard {name!r}; choose one of {', '.join(DASHBOARDS)}")
    token = access_token(host, token)
    notebook = NOTEBOOKS_DIR / "dashboards" / DASHBOARDS[name]
    cmd = [
        sys.executable, "-m", "voila", str(notebook), "--no-browser",
        f"--Voila.ip={host}", f"--port={port}",
        "--strip_sources=True", "--show_tracebacks=False",
        f"--VoilaExecutor.timeout={execution_timeout_s}",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_s}",
        # an open tab left idle is culled too (a closed tab's kernel is shut down at once)
        "--MappingKernelManager.cull_connected=True",
        # Voila's page never sets the _xsrf cookie its own tab-close beacon must send, so the
        # beacon was refused (403) and every closed tab kept its kernel until the cull. The
        # only POST is that shutdown, by an unguessable kernel id: no XSRF check needed.
        '--Voila.tornado_settings={"disable_check_xsrf": True}',
        "--MappingKernelManager.cull_interval=60",
        "--VoilaConfiguration.file_allowlist=[]",
    ]  # fmt: skip
    if pool_size > 0:
        cmd += ["--preheat_kernel=True", f"--pool_size={pool_size}",
                f"--VoilaKernelManager.fill_delay={refill_delay_s}"]  # fmt: skip
    cmd.append(f"--token={token}")
    return cmd


def stop_tree(pid: int, timeout_s: float = 10.0) -> None:
    """Stop a process and every process it started, kernels included (they run in sessions of
    their own, so a process-group signal misses them): SIGTERM to all, SIGKILL after
    ``timeout_s`` seconds to those still running."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.terminate()
    _, alive = psutil.wait_procs(procs, timeout=timeout_s)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    psutil.wait_procs(alive, timeout=timeout_s)


def quiet_kernel_env(env: dict[str, str], folder: Path) -> dict[str, str]:
    """``env`` with a Python kernel spec written in ``folder`` and put first on JUPYTER_PATH:
    the dashboards' kernel (``python3``, as their notebooks name it) started with the report
    runner's ``KERNEL_QUIET``, so Voila's log carries no ``[IPKernelApp] WARNING`` lines about
    a loopback connection no one can act on. Voila has no setting for a kernel's arguments."""
    from ..reporting.runner import KERNEL_QUIET

    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    argv = ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}", *KERNEL_QUIET]
    kernel = {"argv": argv, "display_name": "Python 3", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    paths = [str(folder), *filter(None, [env.get("JUPYTER_PATH", "")])]
    return {**env, "JUPYTER_PATH": os.pathsep.join(paths)}


def serve(cmd: list[str], env: dict[str, str]) -> int:
    """Run Voila in the foreground until it exits or this process is told to stop (Ctrl-C,
    SIGTERM, SIGHUP); then stop Voila and its kernels with it. Its kernels log errors only
    (``quiet_kernel_env``). Returns Voila's exit code."""
    with tempfile.TemporaryDirectory(prefix="qaw-kernels-") as folder:
        return _serve(cmd, quiet_kernel_env(env, Path(folder)))


def _serve(cmd: list[str], env: dict[str, str]) -> int:
    import signal
    import subprocess

    proc = subprocess.Popen(cmd, env=env)
    stopping = []

    def stop(signum, _frame):
        stopping.append(signum)
        stop_tree(proc.pid)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    try:
        code = proc.wait()
    finally:
        stop_tree(proc.pid)  # kernels left behind by a Voila that died on its own
    return 0 if stopping else code
