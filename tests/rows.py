"""Canonical contact rows for tests that write real files, without dependencies: shared by
conftest.py and tests/data/make_xls.py (which runs in a throwaway environment with xlwt only)."""

from __future__ import annotations

CONTACT_HEADER = ["contact_id", "agent_id", "start_time", "channel", "direction", "answered",
                  "queue_wait_s", "talk_s", "customer_id", "topic"]  # fmt: skip


def contact_row(i: int, **over: object) -> list[object]:
    """A valid canonical contact row; keyword arguments replace fields."""
    row = {
        "contact_id": f"C{i:04d}",
        "agent_id": "A0001",
        "start_time": f"2026-05-0{1 + i % 9} 09:{i % 60:02d}:00",
        "channel": "voice",
        "direction": "inbound",
        "answered": "Y",
        "queue_wait_s": 12,
        "talk_s": 180,
        "customer_id": f"138{i:08d}",
        "topic": "话费查询",
    } | over
    return [row[h] for h in CONTACT_HEADER]
