"""CI: QA Workbench installed like a Python tool works in a workspace of its own.

Builds the wheel from a copy of the repository's files, installs it in a fresh venv outside
the repository (the locked versions as constraints, from uv's cache), then, with HOME and
TMPDIR set to empty folders: ``qaw init``, ``qaw demo`` (small), ``qaw report weekly`` and one
dashboard page over HTTP, all run from the workspace. Fails when a step fails, when the
repository or the venv changed, or when anything but Jupyter's and matplotlib's own runtime
files appeared in HOME or TMPDIR. Prints each step's time (s).

Usage: .venv/bin/python .ci/check_install.py [--keep]
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
TOKEN = "qaw-install-check"
# In the page Voila serves: the output of display(page.widget), and what it shows instead of a
# failed cell's traceback (qaw dashboard hides tracebacks).
# The repository's own environment and tools' caches (its data/ and reports/ are checked).
REPO_SKIP = (".git/", ".venv/", ".pytest_cache/", ".ruff_cache/")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CELL_ERROR = "There was an error when executing cell"
# What third-party tools keep in HOME whoever runs them: Jupyter's kernel connection files,
# IPython's profile, matplotlib's font cache. Anything else in HOME or TMPDIR is a failure.
TOOLS_OWN = (".local/share/jupyter/", ".ipython/", ".jupyter/", ".cache/matplotlib/",
             ".config/matplotlib/", ".cache/fontconfig/")  # fmt: skip


def listing(root: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple[int, int]]:
    """Every file below ``root`` but Python's bytecode caches (``__pycache__``): relative
    path → (size in bytes, mtime in ns)."""
    out = {}
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if "__pycache__" in p.parts:
            continue
        if p.is_file() and not p.is_symlink() and not rel.startswith(skip):
            st = p.stat()
            out[rel] = (st.st_size, st.st_mtime_ns)
    return out


def changed(before: dict, after: dict) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def run(
    cmd: list[str], cwd: Path, env: dict | None = None, timeout: int = 300,
    exit_on_error: bool = True,
) -> float:  # fmt: skip
    """Run ``cmd`` in ``cwd``; its time (s). A failure exits with its output (or raises
    CalledProcessError when not ``exit_on_error``)."""
    t0 = time.perf_counter()
    print("$", " ".join(str(c) for c in cmd), f"(in {cwd})", flush=True)
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if r.returncode and not exit_on_error:
        raise subprocess.CalledProcessError(r.returncode, cmd, r.stdout, r.stderr)
    if r.returncode:
        sys.exit(f"FAILED ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    print(r.stdout.strip()[-800:], flush=True)
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dashboard_page(qaw: str, ws: Path, env: dict, log: Path) -> tuple[float, int, str]:
    """`qaw dashboard meeting` from the workspace; the page's HTTP status and HTML."""
    t0 = time.perf_counter()
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [qaw, "dashboard", "meeting", "--port", str(port), "--token", TOKEN,
             "--pool-size", "0"],
            cwd=ws, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}/?token={TOKEN}"
            for _ in range(240):  # at most 120 s until the server answers
                try:
                    with urllib.request.urlopen(url, timeout=150) as r:
                        return time.perf_counter() - t0, r.status, r.read().decode()
                except urllib.error.HTTPError as e:
                    return time.perf_counter() - t0, e.code, e.read().decode(errors="replace")
                except OSError:
                    if proc.poll() is not None:
                        break
                    time.sleep(0.5)
            sys.exit(f"FAILED: the dashboard did not answer:\n{log.read_text()[-3000:]}")
        finally:
            proc.send_signal(signal.SIGTERM)  # qaw stops Voila and its kernels
            proc.wait(timeout=60)


def main() -> None:
    keep = "--keep" in sys.argv
    t_all = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="qaw-install-"))
    src, dist, venv = tmp / "src", tmp / "dist", tmp / "venv"
    home, tmpdir, ws = tmp / "home", tmp / "tmp", tmp / "center"
    times: dict[str, float] = {}
    try:
        # the repository's files (tracked and new, not ignored), built outside it
        files = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
            capture_output=True, text=True, check=True,
        ).stdout.split("\0")  # fmt: skip
        for f in filter(None, files):
            if (REPO / f).is_file():
                (src / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / f, src / f)
        times["build"] = run([UV, "build", "--wheel", "--out-dir", str(dist), "--quiet"], src)
        wheel = next(dist.glob("qaworkbench-*.whl"))
        t0 = time.perf_counter()
        run([UV, "venv", "--quiet", "--python", sys.executable, str(venv)], tmp)
        py = venv / "bin" / "python"
        install = [UV, "pip", "install", "--quiet", "--python", str(py),
                   "-c", str(REPO / "requirements.lock"), str(wheel)]  # fmt: skip
        try:  # the locked packages from uv's cache (make env filled it); else from the index
            run([*install, "--offline"], tmp, exit_on_error=False)
        except subprocess.CalledProcessError:
            run(install, tmp)
        times["install"] = time.perf_counter() - t0
        qaw = str(venv / "bin" / "qaw")

        home.mkdir(), tmpdir.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QAW_", "VIRTUAL_ENV"))}
        env |= {"HOME": str(home), "TMPDIR": str(tmpdir), "PATH": f"{venv / 'bin'}:{env['PATH']}"}
        env.pop("PYTHONPATH", None)
        repo_before = listing(REPO, skip=REPO_SKIP)
        venv_before = listing(venv)

        times["init"] = run([qaw, "init", str(ws)], tmp, env)
        times["demo"] = run([qaw, "demo", "--agents", "24", "--teams", "4", "--chat-teams", "1",
                             "--evaluators", "3", "--months", "2"], ws, env)  # fmt: skip
        times["report"] = run([qaw, "report", "weekly", "--period", "2026-W25"], ws, env)
        html = ws / "reports" / "index.html"
        if not html.is_file():
            sys.exit(f"FAILED: no {html}")
        times["dashboard"], status, page = dashboard_page(qaw, ws, env, tmp / "voila.log")
        (tmp / "dashboard.html").write_text(page, encoding="utf-8")
        print(f"dashboard page: HTTP {status}, {len(page):,d} characters")
        if status != 200 or WIDGET_VIEW not in page:  # the page's widget, drawn
            sys.exit(f"FAILED: the dashboard page (HTTP {status}):\n{page[-2000:]}")
        if CELL_ERROR in page:
            sys.exit(f"FAILED: a cell of the dashboard failed (see {tmp / 'voila.log'})")

        problems = []
        if c := changed(repo_before, listing(REPO, skip=REPO_SKIP)):
            problems.append(f"the repository changed: {c[:10]}")
        if c := changed(venv_before, listing(venv)):
            problems.append(f"the venv changed: {c[:10]}")
        foreign = [f for f in [*listing(home), *(f"TMPDIR/{f}" for f in listing(tmpdir))]
                   if not f.startswith(TOOLS_OWN)]  # fmt: skip
        if foreign:
            problems.append(f"written outside the workspace (HOME, TMPDIR): {foreign[:10]}")
        print("tools' own files in HOME:", sorted({f.split('/')[0] + '/' + f.split('/')[1]
                                                   for f in listing(home)}) or "none")  # fmt: skip
        print(f"workspace: {len(listing(ws)):,d} files")
        times["total"] = time.perf_counter() - t_all
        print("times (s):", ", ".join(f"{k} {v:.1f}" for k, v in times.items()))
        if problems:
            sys.exit("FAILED:\n" + "\n".join(problems))
        print("install check passed")
    finally:
        if keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
