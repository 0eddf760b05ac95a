"""How the dashboards are served: Voila with sources stripped, tracebacks hidden, an execution
timeout and idle kernels culled."""

from __future__ import annotations

import sys

from ..config import PROJ_ROOT
from ..errors import QAWError

DASHBOARDS = {"coaching": "coaching.ipynb", "meeting": "quality_meeting.ipynb"}


def voila_command(
    name: str, *, host: str = "127.0.0.1", port: int = 8866, token: str = "",
    execution_timeout_s: int = 120, cull_idle_s: int = 900,
) -> list[str]:  # fmt: skip
    """The Voila command line for a dashboard: sources stripped, tracebacks hidden, an execution
    timeout, idle kernels culled, bound to ``host`` (localhost by default), optional token."""
    if name not in DASHBOARDS:
        raise QAWError(f"no dashboard {name!r}; choose one of {', '.join(DASHBOARDS)}")
    notebook = PROJ_ROOT / "notebooks" / "dashboards" / DASHBOARDS[name]
    cmd = [
        sys.executable, "-m", "voila", str(notebook), "--no-browser",
        f"--Voila.ip={host}", f"--port={port}",
        "--strip_sources=True", "--show_tracebacks=False",
        f"--VoilaExecutor.timeout={execution_timeout_s}",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_s}",
        "--MappingKernelManager.cull_interval=60",
        "--VoilaConfiguration.file_allowlist=[]",
    ]  # fmt: skip
    cmd.append(f"--token={token}" if token else "--Voila.token=")
    return cmd
