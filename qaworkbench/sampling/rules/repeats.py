"""Repeat contacts (重复来电): contacts whose customer was in touch within a window before."""

from __future__ import annotations

from concurrent.futures import Future
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ..plan import SamplingPlan
from ..scan import US_PER_HOUR, Month, take
from . import Draw, MonthPicks, Repeats, Rule, targeted


def repeat_contacts(
    contacts: pd.DataFrame, repeats: pd.DataFrame, plan: SamplingPlan, seed: int
) -> pd.DataFrame:
    """Contacts whose customer called within ``within_hours`` before (``repeats``: contact_id,
    previous_contact_id, hours_since, from ``repeat_rows`` or the SQL engine)."""
    r = plan.repeat_contacts
    f = contacts.merge(repeats, on="contact_id", how="inner")
    f = f.assign(
        detail=[
            f"again {h:.1f} h after {p}"
            for h, p in zip(f["hours_since"], f["previous_contact_id"], strict=True)
        ]
    )
    return targeted(f.drop(columns=["hours_since", "previous_contact_id"]), r, "repeat", seed + 105)


def repeat_rows(m: Month, within_hours: float) -> Repeats:
    """Answered contacts of the month whose customer also had an answered contact within
    ``within_hours`` before: their rows, the previous contact's rows, and the gaps (hours).

    Two contacts of a customer at the same second are ordered by contact id. The
    customer hash groups the contacts; every pair found is checked against the
    customer ids, and the rare hash collision is redone on the ids themselves.
    """
    sel = np.flatnonzero(m.answered & m.has_customer)
    got = _repeats(m, sel, m.c[sel], within_hours, hashed=True)
    cust = m.text.column("customer_id")
    same = pc.equal(take(cust, got[0]), take(cust, got[1])).to_numpy(zero_copy_only=False)
    if not same.all():  # two customers with one hash: group by the ids themselves
        codes = pc.dictionary_encode(take(cust, sel)).indices
        got = _repeats(m, sel, codes.to_numpy().astype(np.uint64), within_hours, hashed=False)
    return got


def _repeats(
    m: Month, sel: np.ndarray, group: np.ndarray, within_hours: float, *, hashed: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``repeat_rows`` with ``group`` the customer of each row in ``sel``."""
    rows, g = sel, group
    # only customers seen twice need ordering: bucket counts rule most others out
    for shift in (42, 20) if hashed else (None,):
        bucket = (g >> np.uint64(shift)).astype(np.intp) if shift else g.astype(np.intp)
        if shift:
            bucket &= (1 << 22) - 1
        twice = np.bincount(bucket)[bucket] > 1
        rows, g = rows[twice], g[twice]
    if not len(rows):
        return rows, rows, np.empty(0)
    o = np.argsort(g)  # by customer, then by time within each customer's run
    rows, g = rows[o], g[o]
    run = np.r_[0, np.cumsum(g[1:] != g[:-1])].astype(np.int64)
    t = m.t[rows]
    o = by_run_then_time(run, t)
    rows, g, t = rows[o], g[o], t[o]
    tie = (g[1:] == g[:-1]) & (t[1:] == t[:-1])
    if tie.any():  # same customer, same second: contact id order
        first = np.flatnonzero(tie & ~np.r_[False, tie[:-1]])
        last = np.flatnonzero(tie & ~np.r_[tie[1:], False]) + 1
        spans = [np.arange(a, b + 1) for a, b in zip(first, last, strict=True)]
        ids = take(m.text.column("contact_id"), rows[np.concatenate(spans)]).to_pylist()
        k = 0
        for span in spans:
            names = ids[k : k + len(span)]
            rows[span] = rows[span][np.argsort(names, kind="stable")]
            k += len(span)
    gap = t[1:] - t[:-1]
    hit = (g[1:] == g[:-1]) & (gap <= within_hours * US_PER_HOUR) & (t[1:] >= m.start_us)
    return rows[1:][hit], rows[:-1][hit], gap[hit] / US_PER_HOUR


def by_run_then_time(run: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The order of rows by ``run`` (ascending, from 0), then by time ``t`` (µs; equal times
    in any order). One int64 key when run and time fit in 63 bits, times counted in the
    coarsest unit that holds them all exactly (an export's whole seconds: a month in 22 bits,
    so 14 M contacts of 8,000 agents still fit); else two stable sorts (~4x slower)."""
    if not len(t):
        return np.arange(0)
    d = t - t.min()
    for unit in (1_000_000, 1_000):  # whole seconds, whole milliseconds
        if not (d % unit).any():
            d = d // unit
            break
    bits = int(d.max()).bit_length()
    if bits + int(run.max()).bit_length() <= 63:  # one int64 key: a fast sort
        return np.argsort((run << bits) | d)
    o = np.argsort(t, kind="stable")
    return o[np.argsort(run[o], kind="stable")]


class RepeatContacts(Rule):
    reasons: ClassVar[dict[str, str]] = {"repeat": "重复来电 / repeat contact by the same customer"}

    setting = "repeat_contacts"

    def enabled(self, plan: SamplingPlan) -> bool:
        return plan.repeat_contacts.enabled

    def usable(self, m: Month, plan: SamplingPlan) -> bool:
        return bool(m.has_customer[m.in_month].any())

    def mark(self, p: MonthPicks) -> None:
        """The share and cap of the repeat contacts; ``p.repeats`` is ``repeat_rows``' result,
        or a Future of it (another thread may still be finding them), or None to find them."""
        found = p.repeats
        if found is None:
            found = repeat_rows(p.m, p.plan.repeat_contacts.within_hours)
        elif isinstance(found, Future):
            found = found.result()
        p.repeats = found
        flagged = np.zeros(len(p.m), dtype=bool)
        flagged[found[0]] = True
        p.capped("repeat", p.plan.repeat_contacts, flagged)

    def hand_over(self, p: MonthPicks, rows: np.ndarray) -> dict[str, object]:
        """The repeat contacts among the fetched ``rows``, with the previous contact."""
        again, before, hours = p.repeats
        fetched = np.zeros(len(p.m), dtype=bool)
        fetched[rows] = True
        kept = fetched[again]
        ids = p.m.text.column("contact_id")
        return {
            "repeats": pd.DataFrame(
                {
                    "contact_id": pd.array(take(ids, again[kept]), dtype="str"),
                    "previous_contact_id": pd.array(take(ids, before[kept]), dtype="str"),
                    "hours_since": hours[kept],
                }
            )
        }

    def pick(self, d: Draw) -> pd.DataFrame | None:
        if d.repeats is None:
            return None
        return repeat_contacts(d.marked("_sel_repeat"), d.repeats, d.plan, d.seed)
