"""The offline dependency check of `make audit`: pinned versions against the kept advisory list."""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("audit_deps", ROOT / ".ci" / "audit_deps.py")
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)


def _lock(tmp_path: Path, *pins: str) -> Path:
    f = tmp_path / "requirements.lock"
    f.write_text("# via make lock\n" + "".join(f"{p}\n    # via x\n" for p in pins))
    return f


def test_the_projects_lock_has_no_listed_advisory():
    assert audit.main([]) == 0
    assert len(audit.pins(audit.LOCK)) > 100


@pytest.mark.parametrize(
    ("pin", "hit"),
    [
        ("tornado==6.3.1", True), ("tornado==6.3.2", False), ("tornado==6.6.1", False),
        ("pyspark==3.1.2", True), ("pyspark==3.2.1", True), ("pyspark==3.2.2", False),
        ("pyspark==3.0.3", True), ("pyspark==4.3.0", False),
        ("urllib3==1.26.17", True), ("urllib3==1.26.18", False), ("urllib3==2.0.6", True),
        ("urllib3==2.0.7", False),
        ("jupyterlab==3.0.16", True), ("jupyterlab==3.0.17", False), ("jupyterlab==3.1.3", True),
        ("jupyterlab==3.1.4", False), ("pyarrow==0.13.0", False), ("pyarrow==14.0.0", True),
        ("Jinja2==2.11.2", True),
    ],
)  # fmt: skip
def test_a_pin_inside_a_listed_range_fails_naming_the_advisory(tmp_path, capsys, pin, hit):
    lock = _lock(tmp_path, "click==8.5.1", pin)
    assert audit.main(["--lock", str(lock)]) == (1 if hit else 0)
    out = capsys.readouterr().out
    assert (
        f"{pin.split('==')[0].lower()}=={pin.split('==')[1]} is affected by PYSEC-" in out
    ) == hit
    assert "2 pinned packages checked" in out


def test_last_affected_and_unparseable_versions():
    ranges = [[{"introduced": "1.0"}, {"last_affected": "1.4"}]]
    assert audit.affected("1.4", ranges) and audit.affected("1.0", ranges)
    assert not audit.affected("1.4.1", ranges) and not audit.affected("0.9", ranges)
    assert audit.affected("not-a-version", ranges)  # cannot be shown safe


def test_an_accepted_advisory_is_shown_but_does_not_fail(tmp_path, capsys):
    listed = json.loads(audit.ADVISORIES.read_text())
    for a in listed["advisories"]:
        if a["id"] == "PYSEC-2023-75":
            a["accepted"] = "served on localhost only"
    adv = tmp_path / "advisories.json"
    adv.write_text(json.dumps(listed))
    lock = _lock(tmp_path, "tornado==6.3.1")
    assert audit.main(["--lock", str(lock), "--advisories", str(adv)]) == 0
    assert "accepted: tornado==6.3.1 is affected by PYSEC-2023-75" in capsys.readouterr().out


class _OSV(BaseHTTPRequestHandler):
    """OSV's two endpoints, answering for tornado 6.3.1 only."""

    def _send(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        q = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["queries"]
        hit = {"vulns": [{"id": "GHSA-test-0001", "modified": "2026-11-30T00:00:00Z"}]}
        self._send({"results": [hit if x["package"]["name"] == "tornado" else {} for x in q]})

    def do_GET(self):
        assert self.path == "/v1/vulns/GHSA-test-0001"
        self._send({
            "id": "GHSA-test-0001", "aliases": ["CVE-2026-0001"], "summary": "A test advisory.",
            "affected": [{"package": {"name": "tornado", "ecosystem": "PyPI"},
                          "ranges": [{"type": "ECOSYSTEM",
                                      "events": [{"introduced": "6.0"}, {"fixed": "6.3.2"}]}]}],
        })  # fmt: skip

    def log_message(self, *args):
        pass


def test_refresh_adds_osvs_advisories_then_the_check_fails(tmp_path, capsys):
    server = HTTPServer(("127.0.0.1", 0), _OSV)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    adv = tmp_path / "advisories.json"
    adv.write_text(json.dumps({"source": "t", "as_of": "2026-01-01", "advisories": []}))
    lock = _lock(tmp_path, "tornado==6.3.1", "click==8.5.1")
    try:
        assert audit.refresh(lock, adv, f"http://127.0.0.1:{server.server_port}") == 1
        assert audit.refresh(lock, adv, f"http://127.0.0.1:{server.server_port}") == 0  # kept once
    finally:
        server.shutdown()
    listed = json.loads(adv.read_text())
    assert [a["id"] for a in listed["advisories"]] == ["GHSA-test-0001"]
    assert audit.main(["--lock", str(lock), "--advisories", str(adv)]) == 1
    assert (
        "GHSA-test-0001 (CVE-2026-0001): A test advisory. Fixed in 6.3.2."
        in capsys.readouterr().out
    )


def test_refresh_without_a_network_keeps_the_list_and_checks_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QAW_OSV_URL", "http://127.0.0.1:9")  # discard port: refused
    adv = tmp_path / "advisories.json"
    adv.write_text(audit.ADVISORIES.read_text())
    lock = _lock(tmp_path, "tornado==6.3.1")
    assert audit.main(["--refresh", "--lock", str(lock), "--advisories", str(adv)]) == 1
    out = capsys.readouterr().out
    assert "advisories not refreshed (OSV unreachable" in out and "PYSEC-2023-75" in out
    assert adv.read_text() == audit.ADVISORIES.read_text()
