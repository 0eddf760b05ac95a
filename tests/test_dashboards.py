"""The dashboards in a real browser: Voila serving, headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from qaworkbench.dashboards.server import voila_command
from qaworkbench.privacy import find_unmasked

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="needs Chromium: `make browser` installs it"
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(name: str, data, db: str, tmp_path):
    port = free_port()
    env = dict(os.environ, QAW_DASHBOARD_DATA=str(data), QAW_COACHING_DB=db)
    log = open(tmp_path / f"voila-{name}.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        voila_command(name, port=port), env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(120):  # bounded: at most 60 s
        try:
            urllib.request.urlopen(url + "api/status", timeout=1)
            break
        except urllib.error.HTTPError:  # any HTTP answer means the server is up
            break
        except OSError:
            time.sleep(0.5)
    return proc, url, log


@pytest.fixture(scope="module")
def center_copy(tmp_path_factory, small_dir):
    from qaworkbench.dashboards.views import DashboardData

    d = tmp_path_factory.mktemp("dash") / "center"
    shutil.copytree(small_dir, d)
    DashboardData.cached(d)  # build the session cache once, before two servers start
    return d


@pytest.fixture(scope="module")
def servers(tmp_path_factory, center_copy):
    tmp = tmp_path_factory.mktemp("voila")
    db = f"sqlite:///{tmp / 'coaching.db'}"
    coaching, meeting = (
        serve("coaching", center_copy, db, tmp),
        serve("meeting", center_copy, db, tmp),
    )
    yield {"coaching": coaching[1], "meeting": meeting[1], "db": db}
    for proc, _, log in (coaching, meeting):
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, url: str, ready: str):
    """Open a dashboard and wait until its view is drawn (45 s at most each)."""
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url, timeout=45_000)
    page.wait_for_selector(ready, timeout=45_000)
    return page


def safe(page) -> None:
    text = re.sub(r"data:image/[^\"']+", "", page.content())
    found = find_unmasked(text)
    where = [text[max(0, text.find(n) - 60) : text.find(n) + 30] for n in found]
    assert found == [], where  # the context says what on the page held the number
    assert "Traceback" not in page.inner_text("body")


def test_coaching_opens_on_the_agent_from_the_url(browser, servers):
    page = open_page(browser, servers["coaching"] + "?agent=A0005", "#agent-title")
    assert page.inner_text("#agent-title").startswith("A0005")
    assert page.locator("img").count() >= 1  # the score-trend chart
    safe(page)
    page.close()


def test_a_selection_change_redraws_the_view(browser, servers):
    page = open_page(browser, servers["coaching"] + "?agent=A0005", "#agent-title")
    agent = page.locator("select").nth(1)
    other = next(o for o in agent.locator("option").all_inner_texts() if not o.startswith("A0005"))
    agent.select_option(label=other)
    page.wait_for_function(
        "(a) => document.querySelector('#agent-title').innerText.startsWith(a)",
        arg=other.split()[0],
        timeout=30_000,
    )
    assert page.inner_text("#agent-title").startswith(other.split()[0])
    safe(page)
    page.close()


def test_a_coaching_action_is_saved_and_read_back(browser, servers):
    page = open_page(browser, servers["coaching"] + "?agent=A0005", "#agent-title")
    page.locator("select[multiple]").select_option(value=["SKL02"]) if page.locator(
        "select[multiple] option[value='SKL02']"
    ).count() else page.locator("select[multiple]").select_option(index=0)
    page.locator("textarea").fill("每天上班前复习资费口径，班长周五抽听两通")
    page.locator("input[type=text]").last.fill("李班长")
    page.get_by_role("button", name=re.compile("Save")).click()
    page.wait_for_selector(".qaw-msg", timeout=30_000)
    assert "已保存" in page.inner_text(".qaw-msg")
    page.close()
    again = open_page(
        browser, servers["coaching"] + "?agent=A0005", "#agent-title"
    )  # a new session
    again.wait_for_function(
        "document.body.innerText.includes('每天上班前复习资费口径')", timeout=30_000
    )
    assert "李班长" in again.inner_text("body")
    again.close()


def test_bad_input_shows_a_clear_message_not_a_traceback(browser, servers):
    page = open_page(browser, servers["coaching"] + "?agent=A0006", "#agent-title")
    page.get_by_role("button", name=re.compile("Save")).click()  # nothing filled in
    page.wait_for_selector(".qaw-msg", timeout=30_000)
    msg = page.inner_text(".qaw-msg")
    assert "未保存" in msg and "write what was agreed" in msg
    safe(page)
    page.close()
    bad = open_page(browser, servers["coaching"] + "?agent=NOBODY", "#agent-title")
    assert "not in the roster" in bad.inner_text("body")
    safe(bad)
    bad.close()


def test_quality_meeting_drills_from_pareto_to_contacts(browser, servers):
    page = open_page(browser, servers["meeting"], "#meeting-title")
    assert page.locator("img").count() >= 2  # team comparison and Pareto
    team = page.locator("select").nth(1)
    first_team = team.locator("option").all_inner_texts()[1]
    team.select_option(label=first_team)
    page.wait_for_function(
        "(a) => document.querySelector('#pareto-title').innerText.includes(a)",
        arg=first_team,
        timeout=30_000,
    )
    item = page.locator("select").nth(2)
    item.select_option(index=0)
    page.wait_for_selector("#drill-title", timeout=30_000)
    assert page.locator("#drill-title").count() == 1
    safe(page)
    page.close()
