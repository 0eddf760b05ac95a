"""Check the pinned versions in requirements.lock against the advisory list kept in the repo.

Usage: python .ci/audit_deps.py [--lock FILE] [--advisories FILE] [--refresh]

The check works offline: each advisory in ``.ci/advisories.json`` names a PyPI package and the
version ranges it affects, in OSV's form (events ``introduced``, ``fixed``,
``last_affected``). A pinned version inside a range fails the check (exit 1), naming the
package, the version, the advisory and the first fixed version, unless the advisory carries
``accepted``: the reason the project lives with it, reviewed like any other change.

``--refresh`` (run by ``make lock``) asks OSV (https://api.osv.dev, or ``QAW_OSV_URL``) which
advisories affect the pinned versions, adds those not yet listed, and writes the list; without
a network it says so, keeps the list as it is and exits 0, so the check stays offline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
ADVISORIES = ROOT / ".ci" / "advisories.json"
OSV = "https://api.osv.dev"


def pins(lock: Path) -> dict[str, str]:
    """``name==version`` lines of a pip-compile/uv lock file, by canonical name."""
    out = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            out[canonicalize_name(name.split("[")[0])] = version.split(";")[0].strip()
    return out


def _v(text: str) -> Version:
    return Version("0") if text == "0" else Version(text)


def affected(version: str, ranges: list[list[dict[str, str]]]) -> bool:
    """Whether ``version`` falls in any of OSV's ECOSYSTEM ranges (each a list of events),
    evaluated as OSV specifies: events in version order, ``introduced`` opens, ``fixed``
    closes before, ``last_affected`` closes after."""
    try:
        v = Version(version)
    except InvalidVersion:
        return True  # an unparseable pin cannot be shown safe
    for events in ranges:
        ordered = sorted(
            ((_v(val), kind) for e in events for kind, val in e.items()),
            key=lambda x: (x[0], x[1] == "introduced"),  # a fix before a re-introduction
        )
        hit = False
        for at, kind in ordered:
            if kind == "introduced" and at <= v:
                hit = True
            elif (kind == "fixed" and at <= v) or (kind == "last_affected" and at < v):
                hit = False
        if hit:
            return True
    return False


def _fixed(ranges: list[list[dict[str, str]]]) -> str:
    fixed = sorted({_v(e["fixed"]) for r in ranges for e in r if "fixed" in e})
    return ", ".join(str(f) for f in fixed) or "no fixed version"


def check(lock: Path = LOCK, advisories: Path = ADVISORIES) -> list[str]:
    """Findings, one line each: a pinned version an advisory affects. Accepted advisories are
    returned too, marked as such, but do not count as failures (see ``main``)."""
    listed = json.loads(advisories.read_text(encoding="utf-8"))
    pinned = pins(lock)
    out = []
    for adv in listed["advisories"]:
        name = canonicalize_name(adv["package"])
        if name in pinned and affected(pinned[name], adv["ranges"]):
            aka = f" ({', '.join(adv['aliases'])})" if adv.get("aliases") else ""
            line = (
                f"{name}=={pinned[name]} is affected by {adv['id']}{aka}: {adv['summary']} "
                f"Fixed in {_fixed(adv['ranges'])}."
            )
            if adv.get("accepted"):
                line = f"accepted: {line} Reason: {adv['accepted']}"
            out.append(line)
    return out


def _get(url: str, body: dict | None = None, timeout_s: float = 20) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout_s) as r:
        return json.loads(r.read().decode("utf-8"))


def _entry(vuln: dict, package: str) -> dict:
    ranges = [
        r["events"]
        for a in vuln.get("affected", [])
        if canonicalize_name(a.get("package", {}).get("name", "")) == package
        for r in a.get("ranges", [])
        if r.get("type") == "ECOSYSTEM"
    ]
    text = (vuln.get("summary") or vuln.get("details") or "").strip().split("\n")[0]
    return {
        "id": vuln["id"], "aliases": vuln.get("aliases", []), "package": package,
        "summary": text[:200], "ranges": ranges,
    }  # fmt: skip


def refresh(lock: Path = LOCK, advisories: Path = ADVISORIES, base: str = "") -> int:
    """Add the advisories OSV knows for the pinned versions to the list; returns how many were
    new. Raises OSError when OSV cannot be reached."""
    base = (base or os.environ.get("QAW_OSV_URL") or OSV).rstrip("/")
    pinned = sorted(pins(lock).items())
    queries = [{"package": {"name": n, "ecosystem": "PyPI"}, "version": v} for n, v in pinned]
    results = _get(f"{base}/v1/querybatch", {"queries": queries})["results"]
    listed = json.loads(advisories.read_text(encoding="utf-8"))
    known = {(a["id"], a["package"]) for a in listed["advisories"]}
    new = 0
    for (name, _), res in zip(pinned, results, strict=True):
        for v in res.get("vulns", []):
            if (v["id"], name) not in known:
                listed["advisories"].append(_entry(_get(f"{base}/v1/vulns/{v['id']}"), name))
                known.add((v["id"], name))
                new += 1
    listed["as_of"] = date.today().isoformat()
    listed["advisories"].sort(key=lambda a: (a["package"], a["id"]))
    advisories.write_text(json.dumps(listed, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return new


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lock", type=Path, default=LOCK)
    ap.add_argument("--advisories", type=Path, default=ADVISORIES)
    ap.add_argument("--refresh", action="store_true", help="add OSV's advisories first (network)")
    a = ap.parse_args(argv)
    if a.refresh:
        try:
            print(f"advisories: {refresh(a.lock, a.advisories)} new from OSV")
        except (OSError, ValueError, KeyError) as e:
            print(f"advisories not refreshed (OSV unreachable: {e}); checking the kept list")
    listed = json.loads(a.advisories.read_text(encoding="utf-8"))
    findings = check(a.lock, a.advisories)
    failing = [f for f in findings if not f.startswith("accepted: ")]
    for f in findings:
        print(f)
    n = len(pins(a.lock))
    print(
        f"{n} pinned packages checked against {len(listed['advisories'])} advisories "
        f"(list as of {listed['as_of']}): {len(failing)} affected"
    )
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
