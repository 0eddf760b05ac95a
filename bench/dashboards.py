"""Dashboard timings in a real browser (issue #15 targets).

Usage: python bench/dashboards.py DATA_DIR [--runs N] [--changes K] [--concurrent C] [--pool P]
[--refill-delay S].

Serves the coaching and meeting dashboards with ``qaw dashboard`` (production flags, one
pre-heated kernel each) on DATA_DIR, its session cache built first as after any first visit,
and a bare one-widget Voila notebook without pre-heating as the floor, then drives them with
headless Chromium (Playwright, Debian's Chromium):

- first render: navigation to the agent's view (``?agent=``) drawn, the pool warm (median of
  N, the pool refilled and the server idle for SETTLE_S between loads); the bare notebook's
  first render (no pre-heating) beside it;
- selection change: choosing another agent (coaching) or team (meeting) until the view is
  redrawn (K changes each: median and 90th percentile);
- C concurrent first loads of the coaching page (P pre-heated kernels, refilled S seconds
  after use): each page's time to its view, how many never completed within 60 s, and the CPU
  seconds each side spent on them (the browser's processes; the server and its kernels);
  beside them, as the floor, C concurrent loads of the bare notebook in the same browser.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
FILLED = "is filled with"  # Voila's log line when its kernel pool is (re)filled
SETTLE_S = 5.0  # after a refill: the pool's kernel has drawn its page and the server is idle


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str) -> None:
    for _ in range(240):
        try:
            urllib.request.urlopen(url + "api/status", timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)


TOKEN = "qaw-bench-token"  # the dashboards served here require it (the bare one is open)


class Server:
    """``qaw dashboard NAME`` (or a bare notebook under Voila) with its log kept to follow the
    kernel pool."""

    def __init__(self, name: str, data: str, log: Path, pool: int = 1, refill_s: float = 1.0):
        self.port, self.log = _port(), log
        env = dict(os.environ, QAW_DASHBOARD_DATA=data,
                   QAW_COACHING_DB="sqlite:////tmp/qaw-bench-coaching.db")  # fmt: skip
        if name == "bare":
            cmd = [sys.executable, "-m", "voila", str(ROOT / "bench" / "bare_voila.ipynb"),
                   "--no-browser", f"--port={self.port}", "--Voila.ip=127.0.0.1", "--Voila.token="]  # fmt: skip
        else:
            cmd = [sys.executable, "-m", "qaworkbench.cli", "dashboard", name, "--data", data,
                   "--port", str(self.port), "--pool-size", str(pool),
                   "--refill-delay", str(refill_s), "--token", TOKEN]  # fmt: skip
        self.proc = subprocess.Popen(cmd, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)  # noqa: SIM115
        self.url = f"http://127.0.0.1:{self.port}/"
        _wait_up(self.url)

    def filled(self) -> int:
        return self.log.read_text(errors="replace").count(FILLED)

    def wait_pool(self, times: int, timeout_s: float = 120) -> None:
        """Wait until the pool has been filled ``times`` times (the first fill and refills),
        then SETTLE_S for the server to be idle (a warm session, as between two visits)."""
        end = time.monotonic() + timeout_s
        while self.filled() < times and time.monotonic() < end:
            time.sleep(0.2)
        time.sleep(SETTLE_S)

    def cpu_s(self) -> float:
        """CPU seconds (user + system) of the server and its kernels so far."""
        return _cpu_s(_tree(self.proc.pid))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def _tree(pid: int) -> list:
    import psutil

    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _cpu_s(procs: list) -> float:
    import psutil

    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def _browser_cpu_s() -> float:
    """CPU seconds of this process's Chromium processes (Playwright's driver excluded)."""
    return _cpu_s([p for p in _tree(os.getpid())[1:] if "chrom" in p.name()])


async def _concurrent(browser, urls: list[str], text: list[str], server: Server) -> dict:
    """Load ``urls`` in as many tabs at once: each tab's seconds to its view (None: not within
    60 s), and the CPU seconds the browser and the server spent meanwhile."""
    pages = [await browser.new_page() for _ in urls]

    async def one(pg, url, x):
        try:
            return await _ready(pg, url, "#agent-title", x, 60_000)
        except Exception:
            return None

    b0, s0 = _browser_cpu_s(), server.cpu_s()
    got = await asyncio.gather(*(one(pg, u, x) for pg, u, x in zip(pages, urls, text, strict=True)))
    out = {"each": got, "browser_cpu": _browser_cpu_s() - b0, "server_cpu": server.cpu_s() - s0}
    for pg in pages:
        await pg.close()
    return out


async def _ready(page, url: str, selector: str, text: str = "", timeout_ms: int = 120_000) -> float:
    t = time.perf_counter()
    url += ("&" if "?" in url else "?") + f"token={TOKEN}"  # `qaw dashboard` is closed by one
    await page.goto(url, timeout=timeout_ms, wait_until="commit")
    await page.wait_for_function(
        "([s, x]) => { const e = document.querySelector(s); return e && e.innerText.includes(x); }",
        arg=[selector, text], timeout=timeout_ms,
    )  # fmt: skip
    return time.perf_counter() - t


async def _changes(page, select_index: int, selector: str, k: int, pick) -> list[float]:
    """Time ``k`` selection changes of the ``select_index``-th dropdown until ``selector``
    shows the chosen option's text (``pick`` turns an option label into that text)."""
    select = page.locator("select").nth(select_index)
    labels = [x for x in await select.locator("option").all_inner_texts()]
    out = []
    for label in (labels[1:] + labels[:1]) * (k // max(len(labels), 1) + 1):
        if len(out) == k:
            break
        t = time.perf_counter()
        await select.select_option(label=label)
        await page.wait_for_function(
            "([s, x]) => document.querySelector(s).innerText.includes(x)",
            arg=[selector, pick(label)], timeout=60_000,
        )  # fmt: skip
        out.append(time.perf_counter() - t)
    return out


async def run(a) -> dict:
    from playwright.async_api import async_playwright

    from qaworkbench.dashboards.views import DashboardData

    logs = Path("/tmp/qaw-bench-dash")
    logs.mkdir(exist_ok=True)
    t = time.perf_counter()
    data = DashboardData.cached(a.data)
    print(f"session cache ready in {time.perf_counter() - t:.1f} s", flush=True)
    agents = list(data.regular[data.regular["month"] == data.default_month]["agent_id"].unique())
    res: dict = {}
    coach = Server("coaching", a.data, logs / "coaching.log", a.pool, a.refill_delay)
    meet = Server("meeting", a.data, logs / "meeting.log")
    bare = Server("bare", a.data, logs / "bare.log")
    try:
        async with async_playwright() as p:
            b = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            first, bare_first = [], []
            for i in range(a.runs):
                coach.wait_pool(i + 1)
                page = await b.new_page(viewport={"width": 1300, "height": 1000})
                first.append(
                    await _ready(page, coach.url + f"?agent={agents[i]}", "#agent-title", agents[i])
                )
                if i == 0:
                    res["agent_change"] = await _changes(
                        page, 1, "#agent-title", a.changes, lambda x: x.split("（")[-1].rstrip("）")
                    )
                await page.close()
                page = await b.new_page()
                bare_first.append(await _ready(page, bare.url, "#agent-title"))
                await page.close()
            res["first"], res["bare_first"] = first, bare_first
            res["meeting_first"] = []
            for i in range(a.runs):
                meet.wait_pool(i + 1)
                page = await b.new_page(viewport={"width": 1300, "height": 1000})
                res["meeting_first"].append(await _ready(page, meet.url, "#meeting-title"))
                if i == 0:
                    res["team_change"] = await _changes(
                        page, 1, "#pareto-title", a.changes, lambda x: x
                    )
                await page.close()
            coach.wait_pool(a.runs + 1)
            picks = [agents[i % len(agents)] for i in range(a.concurrent)]
            res["concurrent"] = await _concurrent(
                b, [coach.url + f"?agent={x}" for x in picks], picks, coach
            )
            res["bare_concurrent"] = await _concurrent(
                b, [bare.url] * a.concurrent, ["bare"] * a.concurrent, bare
            )
            await b.close()
    finally:
        for s in (coach, meet, bare):
            s.stop()
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--concurrent", type=int, default=10)
    ap.add_argument("--pool", type=int, default=1, help="pre-heated coaching kernels")
    ap.add_argument("--refill-delay", type=float, default=1.0, help="seconds before a refill")
    a = ap.parse_args()
    a.data = str(Path(a.data).resolve())
    r = asyncio.run(run(a))
    md = statistics.median

    def p90(xs):
        return statistics.quantiles(xs, n=10)[-1] if len(xs) > 1 else xs[0]

    print(
        f"first render, coaching (s): {[round(x, 2) for x in r['first']]} median {md(r['first']):.2f}"
    )
    print(f"floor, bare Voila first render (s): median {md(r['bare_first']):.2f}")
    print(f"first render, meeting (s): {[round(x, 2) for x in r['meeting_first']]} "
          f"median {md(r['meeting_first']):.2f}")  # fmt: skip
    for k in ("agent_change", "team_change"):
        ms = [x * 1000 for x in r[k]]
        print(f"{k} (ms): median {md(ms):.0f}, p90 {p90(ms):.0f}, max {max(ms):.0f} (n={len(ms)})")
    for k, what in (("concurrent", f"coaching, pool {a.pool}, refill after {a.refill_delay:g} s"),
                    ("bare_concurrent", "floor: bare Voila, no pool")):  # fmt: skip
        c = r[k]
        done = [x for x in c["each"] if x is not None]
        span = f"each {min(done):.1f}–{max(done):.1f} s, median {md(done):.1f} s" if done else ""
        print(f"{len(c['each'])} concurrent loads, {what}: {len(c['each']) - len(done)} not "
              f"within 60 s; {span}; CPU: browser {c['browser_cpu']:.1f} s, server and kernels "
              f"{c['server_cpu']:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
