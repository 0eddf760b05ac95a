"""The dashboards in a real browser: `qaw dashboard` serving Voila with a pre-heated kernel,
headless Chromium driven by Playwright."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import wave
from pathlib import Path

import pytest

from qaworkbench import QAWError
from qaworkbench.privacy import find_unmasked

from .conftest import FAILED, needs_chromium

QAW = [sys.executable, "-m", "qaworkbench.cli"]
TOKEN = "qaw-test-token"  # dashboards are closed by a token; the served ones here use this one
pytestmark = [
    pytest.mark.slow,
    needs_chromium,
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str) -> None:
    for _ in range(120):  # bounded: at most 60 s
        try:
            urllib.request.urlopen(url + "api/status", timeout=1)
            return
        except urllib.error.HTTPError:  # any HTTP answer means the server is up
            return
        except OSError:
            time.sleep(0.5)


def serve(name: str, data, db: str, tmp_path, *extra: str):
    """`qaw dashboard NAME` on a free port; returns (process, url, log)."""
    port = free_port()
    log = open(tmp_path / f"voila-{name}-{port}.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [*QAW, "dashboard", name, "--data", str(data), "--port", str(port), "--coaching-db", db,
         *(() if "--token" in extra else ("--token", TOKEN)), *extra],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    wait_up(url)
    return proc, url, log


@pytest.fixture(scope="module")
def center_copy(tmp_path_factory, dashboard_dir):
    from qaworkbench.dashboards.views import DashboardData

    d = tmp_path_factory.mktemp("dash") / "center"
    shutil.copytree(dashboard_dir, d)  # with a frozen agent, a bottom-line item, auto-QA
    DashboardData.cached(d)  # build the session cache once, before the servers start
    return d


@pytest.fixture(scope="module")
def data(center_copy):
    from qaworkbench.dashboards.views import DashboardData

    return DashboardData.cached(center_copy)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, data):
    """A recordings folder holding the recording of one evaluated call of the default month."""
    folder = tmp_path_factory.mktemp("recordings")
    m = data.regular[(data.regular["month"] == data.default_month)
                     & ~data.regular["contact_id"].isin(data.chats)].iloc[0]  # fmt: skip
    path = folder / data.contacts.at[m["contact_id"], "recording_ref"]
    path.parent.mkdir(parents=True)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1), f.setsampwidth(2), f.setframerate(8000)
        f.writeframes(b"\0\x10" * 8000)  # one second
    return folder, m["agent_id"], m["contact_id"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory, center_copy, recorded):
    tmp = tmp_path_factory.mktemp("voila")
    db = f"sqlite:///{tmp / 'coaching.db'}"
    coaching = serve("coaching", center_copy, db, tmp, "--recordings", str(recorded[0]))
    meeting = serve("meeting", center_copy, db, tmp)
    yield {"coaching": coaching[1], "meeting": meeting[1], "db": db,
           "logs": [Path(coaching[2].name), Path(meeting[2].name)]}  # fmt: skip
    for proc, _, log in (coaching, meeting):
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(autouse=True)
def server_logs_on_failure(request):
    """After a failed test that used the servers, their logs' last lines in its report (a page
    that never drew says why only there)."""
    yield
    if request.node.stash.get(FAILED, False) and "servers" in request.fixturenames:
        for log in request.getfixturevalue("servers")["logs"]:
            lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
            print(f"--- {log.name}, last 80 of {len(lines)} lines ---", *lines[-80:], sep="\n")


def with_token(url: str, token: str = TOKEN) -> str:
    """The link with the dashboard's token added to its query string."""
    return url + ("&" if "?" in url else "?") + f"token={token}"


def open_page(browser, url: str, ready: str, width: int = 1300):
    """Open a dashboard and wait until ``ready`` is drawn (45 s at most)."""
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.goto(with_token(url), timeout=45_000)
    page.wait_for_selector(ready, timeout=45_000)
    return page


def safe(page) -> None:
    text = re.sub(r"data:(image|audio)/[^\"']+", "", page.content())
    found = find_unmasked(text)
    where = [text[max(0, text.find(n) - 60) : text.find(n) + 30] for n in found]
    assert found == [], where  # the context says what on the page held the number
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body


def test_coaching_opens_on_the_agent_and_month_from_the_link(browser, servers, data):
    month = data.months[0]
    agent = data.regular[data.regular["month"] == month]["agent_id"].iat[0]
    page = open_page(browser, servers["coaching"] + f"?agent={agent}&month={month}", "#agent-title")
    title = page.inner_text("#agent-title")
    assert f"（{agent}）" in title and month in title
    header = page.locator("#qaw-header").bounding_box()
    chart = page.locator("svg").first.bounding_box()
    assert header["y"] < chart["y"]  # the figures come first
    assert "本月得分" in page.inner_text("#qaw-header") and "次质检" in page.inner_text(
        "#qaw-header"
    )
    safe(page)
    page.close()


def test_a_selection_change_redraws_the_view(browser, servers, data):
    agent = data.roster.index[0]
    page = open_page(browser, servers["coaching"] + f"?agent={agent}", "#agent-title")
    select = page.locator("select").nth(1)
    other = next(o for o in select.locator("option").all_inner_texts() if agent not in o)
    select.select_option(label=other)
    other_id = re.search(r"（(\w+)）", other).group(1)
    page.wait_for_function(
        "(a) => document.querySelector('#agent-title').innerText.includes(a)",
        arg=other_id, timeout=30_000,
    )  # fmt: skip
    safe(page)
    page.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?agent=NOBODY", "NOBODY 不在花名册中"),
        ("?agent=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", "不在花名册中"),
        ("?month=2026-13", "无法识别"),
        ("?month=2019-01", "2019-01 没有质检数据"),
        ("?agent=A0001&month=", None),  # an empty value is no value
    ],
)
def test_a_link_that_cannot_be_shown_says_so_at_the_top(browser, servers, query, expected):
    dialogs = []
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(with_token(servers["coaching"] + query), timeout=45_000)
    if expected is None:
        page.wait_for_selector("#agent-title", timeout=45_000)
    else:
        page.wait_for_selector(".qaw-error", timeout=45_000)
        assert expected in page.inner_text(".qaw-error")
        error = page.locator(".qaw-error").bounding_box()
        controls = page.locator("select").first.bounding_box()
        assert error["y"] < controls["y"]  # at the top
        assert page.locator("#agent-title").count() == 0  # nothing else drawn
    assert dialogs == []  # markup in the link never runs
    safe(page)
    page.close()


def test_an_agent_without_evaluations_that_month_gets_a_message(browser, servers, data):
    evaluated = set(data.regular[data.regular["month"] == data.months[0]]["agent_id"])
    agent = next(a for a in data.roster.index if a not in evaluated)
    page = open_page(
        browser, servers["coaching"] + f"?agent={agent}&month={data.months[0]}", "#agent-title"
    )
    assert "该坐席本月没有质检记录" in page.inner_text("body")
    safe(page)
    page.close()


def save_form(page, agreed: str, who: str) -> None:
    page.get_by_label("约定").fill(agreed)
    page.locator("input[type=text]").first.fill(who)


def test_an_action_is_saved_once_edited_closed_and_read_back(browser, servers, data):
    import sqlalchemy as sa

    agent = (
        data.regular[data.regular["month"] == data.default_month]["agent_id"]
        .value_counts()
        .index[0]
    )
    page = open_page(browser, servers["coaching"] + f"?agent={agent}", "#agent-title")
    items = page.locator("select[multiple]")
    selected = items.evaluate("s => Array.from(s.selectedOptions).map(o => o.value)")
    assert selected, "the agent's most-deducted items are preselected"
    save_form(page, "每天上班前复习资费口径，班长周五抽听两通", "李班长")
    page.get_by_role("button", name="保存").dblclick()
    page.wait_for_selector(".qaw-ok", timeout=30_000)
    assert "已保存" in page.inner_text(".qaw-ok")
    page.wait_for_function("document.querySelector('textarea').value === ''", timeout=10_000)
    page.wait_for_timeout(1500)  # a second save would have landed by now
    engine = sa.create_engine(servers["db"])
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT action_id FROM coaching_actions WHERE agent_id = :a"),
                            {"a": agent}).fetchall()  # fmt: skip
    assert len(rows) == 1
    # close it with an outcome, as a second person
    page.get_by_role("button", name="更新").wait_for(timeout=10_000)
    page.get_by_label("状态").select_option(label="已完成")
    page.get_by_label("结果").fill("两周内未再出现资费解释错误")
    page.locator("input[type=text]").nth(1).fill("王主管")
    page.get_by_role("button", name="更新").click()
    page.wait_for_function("document.body.innerText.includes('已更新')", timeout=30_000)
    page.close()
    again = open_page(
        browser, servers["coaching"] + f"?agent={agent}", "#agent-title"
    )  # new session
    again.wait_for_function("document.body.innerText.includes('修改记录')", timeout=30_000)
    body = again.inner_text("body")
    for expected in (
        "每天上班前复习资费口径",
        "李班长",
        "已完成",
        "两周内未再出现资费解释错误",
        "王主管",
    ):
        assert expected in body, expected
    safe(again)
    again.close()


def test_bad_form_input_is_refused_in_the_pages_language(browser, servers, data):
    page = open_page(
        browser, servers["coaching"] + f"?agent={data.roster.index[1]}", "#agent-title"
    )
    page.get_by_role("button", name="保存").click()  # nothing written
    page.wait_for_selector(".qaw-error", timeout=30_000)
    msg = page.inner_text(".qaw-error")
    assert "未保存" in msg and "请写明约定的改进措施" in msg and "请填写记录人" in msg
    safe(page)
    page.close()


def test_a_call_recording_plays_inline_and_a_chat_shows_its_transcript(
    browser, servers, data, recorded
):
    _, agent, contact = recorded
    page = open_page(browser, servers["coaching"] + f"?agent={agent}", "#agent-title")
    page.locator("summary", has_text=contact).click()
    audio = page.locator("audio")
    assert audio.count() == 1
    duration = audio.evaluate(
        "a => new Promise(r => { a.onloadedmetadata = () => r(a.duration); a.load(); })"
    )
    assert duration == pytest.approx(1.0, abs=0.05)
    page.close()
    chat = next(iter(data.chats))
    row = data.regular[data.regular["contact_id"] == chat].iloc[0]
    page = open_page(
        browser,
        servers["coaching"] + f"?agent={row['agent_id']}&month={row['month']}",
        "#agent-title",
    )
    fold = page.locator("details", has=page.locator("summary", has_text=chat))
    fold.locator("summary").click()
    assert fold.locator(".qaw-turn").first.is_visible()
    assert fold.locator(".qaw-turn").count() >= 2  # the conversation, message by message
    safe(page)
    page.close()


def shoot(page, path) -> None:
    """A screenshot of the whole page (Voila scrolls inside the page: the viewport is made as
    tall as its content for the shot, then put back)."""
    size = page.viewport_size
    tall = page.evaluate(
        "Math.max(...Array.from(document.querySelectorAll('*'), e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": min(int(tall), 16_000)})
    page.wait_for_timeout(300)
    page.screenshot(path=path, full_page=True)
    page.set_viewport_size(size)


def fits_the_phone(page) -> None:
    """Nothing wider than a 390 px screen, except inside the boxes that scroll tables sideways;
    the controls stacked one per row."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter(e => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.right > window.innerWidth + 1 && !e.closest('.qaw-scroll');
    }).map(e => e.tagName + '.' + e.className).slice(0, 5)""")
    assert wide == []
    boxes = [s.bounding_box() for s in page.locator(".qaw-controls select").all()]
    assert len({round(b["x"]) for b in boxes}) == 1 or len(boxes) == 1  # stacked, one per row
    assert all(b["x"] + b["width"] <= 391 for b in boxes)


def top(page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["y"]


def test_the_meeting_in_agenda_order_for_a_team_at_1366_and_390_px(
    browser, servers, data, center_copy, tmp_path
):
    import pandas as pd

    complained = pd.read_parquet(center_copy / "complaints.parquet")["agent_id"].iat[0]
    team = data.roster.at[complained, "team"]
    others = [a for a in data.roster.index if data.roster.at[a, "team"] != team]
    url = servers["meeting"] + f"?team={urllib.parse.quote(team)}"
    page = open_page(browser, url, "#sec-more", width=1366)
    page.wait_for_function(  # a pre-heated kernel drew the center first: the team's, drawn last
        "(t) => (document.querySelector('#sec-red-lines') || {innerText: ''}).innerText.includes(t)",
        arg=team, timeout=60_000,
    )  # fmt: skip
    order = ["#meeting-title", "#sec-problems", "#sec-red-lines", "#sec-teams", "#sec-trend",
             "#sec-more"]  # fmt: skip
    ys = [top(page, x) for x in order]
    assert ys == sorted(ys), dict(zip(order, ys, strict=True))
    assert team in page.inner_text(".qaw-headline") and team in page.inner_text("#pareto-title")
    red = page.locator("table.qaw-table", has_text="底线类别").first.inner_text()
    body = page.inner_text("body")
    assert "服务态度投诉" in body and "泄露客户信息" not in body  # the other team's case is out
    assert [a for a in others if a in page.content()] == []  # every section is the team's
    pareto = page.locator("table.qaw-table").first  # the common problems' table
    assert "累计占比" in pareto.locator("thead").inner_text()
    rows = pareto.locator("tbody tr td:first-child").all_inner_texts()
    assert rows and len(rows) == len(set(rows))  # one row per item
    assert "服务态度投诉" in red
    page.locator("select").nth(2).select_option(index=1)
    page.wait_for_selector("#drill-title", timeout=60_000)
    shoot(page, tmp_path / "meeting-1366.png")
    fits_the_phone(page)
    shoot(page, tmp_path / "meeting-390.png")
    for t in (pareto, page.locator("table.qaw-table", has_text="底线类别").first):
        box = t.bounding_box()  # read whole on the phone: its names wrap, nothing scrolls
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert t.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    safe(page)
    page.close()
    logs = "".join(log.read_text(encoding="utf-8") for log in servers["logs"])
    assert "Kernel started" in logs and "[IPKernelApp]" not in logs  # kernels started quietly
    bad = browser.new_page()
    bad.goto(with_token(servers["meeting"] + "?team=%E4%B8%8D%E5%AD%98%E5%9C%A8"), timeout=60_000)
    bad.wait_for_selector(".qaw-error", timeout=60_000)
    assert "不存在" in bad.inner_text(".qaw-error")
    assert bad.locator("#meeting-title").count() == 0
    bad.close()


def test_the_coaching_talk_at_1366_and_390_px(browser, servers, data, center_copy, tmp_path):
    import pandas as pd

    agent = pd.read_parquet(center_copy / "complaints.parquet")["agent_id"].iat[0]
    url = servers["coaching"] + f"?agent={agent}&month={data.default_month}"
    page = open_page(browser, url, "#autoqa-title", width=1366)
    status = page.inner_text("#agent-status")
    assert "冻结" in status and "服务态度投诉" in status  # the status and its reason
    form = page.get_by_text("记录辅导措施").first
    assert top(page, "#agent-title") < top(page, "#agent-status") < form.bounding_box()["y"]
    assert form.bounding_box()["y"] < top(page, "#detail-title") < top(page, "#autoqa-title")
    assert form.bounding_box()["y"] < 1000  # on the first screen
    assert page.locator("details#autoqa-all").evaluate("e => e.open") is False  # folded
    shoot(page, tmp_path / "coaching-1366.png")
    fits_the_phone(page)
    box = page.locator("#agent-status").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate(
        "(e => e.scrollWidth <= e.clientWidth)(document.querySelector('#agent-status'))"
    )
    ded = page.locator("table.qaw-table", has_text="班组失误率").first  # the agent vs the team
    box = ded.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert ded.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    shoot(page, tmp_path / "coaching-390.png")
    safe(page)
    page.close()


def test_qaw_dashboard_stops_voila_and_its_kernels(browser, center_copy, tmp_path):
    import psutil

    proc, url, log = serve("coaching", center_copy, f"sqlite:///{tmp_path / 'c.db'}", tmp_path,
                           "--pool-size", "1")  # fmt: skip
    page = open_page(browser, url + "?agent=A0001", "#agent-title")  # one kernel per page...
    tree = psutil.Process(proc.pid).children(recursive=True)
    kernels = [p for p in tree if _is_kernel(p)]
    assert len(kernels) >= 2  # ...and one pre-heated for the next
    assert any("voila" in _cmd(p) for p in tree)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    _, alive = psutil.wait_procs(tree, timeout=15)
    assert alive == []
    page.close()
    log.close()


def test_closing_a_tab_frees_its_kernel(browser, center_copy, tmp_path):
    import psutil

    proc, url, log = serve("coaching", center_copy, f"sqlite:///{tmp_path / 'c.db'}", tmp_path,
                           "--pool-size", "0")  # fmt: skip

    def kernels() -> int:
        return sum(_is_kernel(p) for p in psutil.Process(proc.pid).children(recursive=True))

    try:
        page = open_page(browser, url + "?agent=A0001", "#agent-title")
        assert kernels() == 1
        page.goto("about:blank")  # leaving the page runs its beforeunload, as closing the tab
        for _ in range(40):  # bounded: 20 s
            if kernels() == 0:
                break
            time.sleep(0.5)
        assert kernels() == 0
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _cmd(p) -> str:
    """A process's command line; empty for one gone or a zombie (exited, not yet reaped)."""
    import psutil

    try:
        return "" if p.status() == psutil.STATUS_ZOMBIE else " ".join(p.cmdline())
    except psutil.Error:  # gone, or a zombie, between listing and reading it
        return ""


def _is_kernel(p) -> bool:
    return "ipykernel" in _cmd(p)


def test_a_dashboard_is_closed_without_its_token(browser, servers, data):
    """No token, a wrong one: Jupyter's login page (a redirect), never the dashboard nor its
    API; the right token opens it."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    url = servers["meeting"]
    for path in ("", "?team=x", "?token=wrong", "api/kernels", "api/sessions"):
        with pytest.raises(urllib.error.HTTPError) as e:
            opener.open(url + path, timeout=30)
        assert e.value.code in (302, 403), path
        assert e.value.code == 403 or "/login" in e.value.headers["Location"], path
    page = open_page(browser, url, "#meeting-title")
    page.close()


def test_the_token_is_made_up_when_not_given_and_required_off_this_machine(center_copy):
    """`qaw dashboard` without --token serves on loopback with a random token, printed in the
    link as Jupyter does; on any other address it refuses to start (exit 1) without one."""
    from click.testing import CliRunner

    from qaworkbench.cli import main
    from qaworkbench.dashboards.server import access_token, dashboard_url, voila_command

    a, b = access_token("127.0.0.1"), access_token("localhost")
    assert len(a) >= 32 and a != b and access_token("::1")
    assert access_token("0.0.0.0", "chosen") == "chosen"
    cmd = voila_command("coaching")
    tokens = [c for c in cmd if c.startswith("--token=")]
    assert len(tokens) == 1 and len(tokens[0]) > len("--token=") + 30
    assert "--Voila.token=" not in cmd
    assert dashboard_url("127.0.0.1", 8866, "t") == "http://127.0.0.1:8866/?token=t"
    for host in ("0.0.0.0", "192.168.1.20", "::", "qa.example.com"):
        with pytest.raises(QAWError, match=f"refusing to serve on {re.escape(host)} without a"):
            voila_command("coaching", host=host)
        r = CliRunner().invoke(main, ["dashboard", "meeting", "--data", str(center_copy),
                                      "--host", host])  # fmt: skip
        assert r.exit_code == 1 and "refusing to serve on" in r.output and "--token" in r.output
