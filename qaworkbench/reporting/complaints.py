"""The complaints (投诉工单) and customer-satisfaction sections of the weekly and monthly reports.

The hotline code wants complaint tickets summarised and analysed every week and reported on
Thursdays ("投诉工单…每周四汇总上报", "对…投诉工单进行总结分析"): a weekly report's complaints
cover the complaint week of the plan's ``complaints_report.week_ends`` (the 7 days ending on
the last such weekday on or before the report week's Sunday), a monthly report's the month,
each ticket by when it was received. Shares are shares (0.25 = 25%), intervals 95%.
Satisfaction is the contacts' own rating (``contacts.satisfaction``), of the contacts that
started in the report's period, on the export's scale.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..data import engine
from ..data.load import ABSENT, Center
from ..order import sort_natural
from ..periods import Period, parse_period
from ..sampling.plan import WEEKDAYS, ComplaintsReport
from ..stats import t_quantile, wilson

CATEGORIES = ("attitude", "business")
TABLES = ("complaints", "complaint_trend", "complaint_qa", "complaint_contacts",
          "complaint_repeat", "satisfaction")  # fmt: skip
NO_SATISFACTION = "no contacts.satisfaction: reports show no customer satisfaction"


def complaint_window(p: Period, week_ends: str = "sunday") -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the complaints a report of ``p`` summarises: a month's are the month; a
    week's the 7 days ending on the last ``week_ends`` day on or before the ISO week's Sunday
    (thursday: Friday to Thursday of the same ISO week)."""
    if p.kind != "week":
        return p.start, p.end
    sunday = p.end - pd.Timedelta(days=1)
    back = (sunday.weekday() - WEEKDAYS.index(week_ends)) % 7
    end = sunday - pd.Timedelta(days=back) + pd.Timedelta(days=1)
    return end - pd.Timedelta(days=7), end


def _windows(p: Period, settings: ComplaintsReport) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """The trend's periods, oldest first, the report's own last: (label, start, end)."""
    if p.kind == "week":
        start, end = complaint_window(p, settings.week_ends)
        out = []
        for k in range(settings.trend_weeks - 1, -1, -1):
            a, b = start - pd.Timedelta(days=7 * k), end - pd.Timedelta(days=7 * k)
            out.append((f"{a:%m-%d} – {b - pd.Timedelta(days=1):%m-%d}", a, b))
        return out
    first = pd.Period(p.label, "M") - (settings.trend_months - 1)
    months = [str(first + k) for k in range(settings.trend_months)]
    return [(m, parse_period(m).start, parse_period(m).end) for m in months]


def has_complaints(center: Center) -> bool:
    """Whether the export has a complaints table at all (an empty one is a week without any)."""
    return any(r.table == "complaints" and r.file != ABSENT for r in center.reports)


def _with_team(complaints: pd.DataFrame, agents: pd.DataFrame) -> pd.DataFrame:
    roster = agents.set_index("agent_id")
    return complaints.assign(
        team=complaints["agent_id"].map(roster["team"]),
        name=complaints["agent_id"].map(roster["name"]),
    )


def _counts(c: pd.DataFrame) -> dict[str, object]:
    """Counts of one group of complaints: by category, decided, upheld, its share and interval."""
    decided = int(c["upheld"].notna().sum())
    upheld = int(c["upheld"].fillna(False).astype(bool).sum())
    lo, hi = wilson(upheld, decided)
    row: dict[str, object] = {"complaints": len(c)}
    row |= {k: int((c["category"] == k).sum()) for k in CATEGORIES}
    row |= {"open": len(c) - decided, "decided": decided, "upheld": upheld,
            "upheld_share": upheld / decided if decided else np.nan,
            "upheld_lo": float(lo), "upheld_hi": float(hi)}  # fmt: skip
    return row


def by_team(c: pd.DataFrame, team: str, center_label: str) -> pd.DataFrame:
    """Complaints per team (every team with one), then the whole center's row (not for one
    team's report): counts by category, still open, upheld of the ``decided``, the upheld
    share and its Wilson interval."""
    rows = [{"team": t, **_counts(g)} for t, g in c.groupby("team", dropna=False)]
    out = sort_natural(pd.DataFrame(rows), ["team"]) if rows else pd.DataFrame()
    if not team:
        out = pd.concat([out, pd.DataFrame([{"team": center_label, **_counts(c)}])])
    elif out.empty:  # a team's report says "no complaints" in its own row
        out = pd.DataFrame([{"team": team, **_counts(c)}])
    return out.reset_index(drop=True)


def trend(
    all_c: pd.DataFrame, windows: list[tuple[str, pd.Timestamp, pd.Timestamp]]
) -> pd.DataFrame:
    """Each trend period's counts (``_counts``), oldest first."""
    got = all_c["received_at"]
    rows = [{"period": label, **_counts(all_c[(got >= a) & (got < b)])} for label, a, b in windows]
    return pd.DataFrame(rows)


def qa_findings(
    c: pd.DataFrame, scored: pd.DataFrame, items: pd.DataFrame, names: pd.Series, sep: str = "、"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What QA found on the complained contacts: per category and in all, how many were
    evaluated (ever, calibration left out), their mean score with n and a t interval (points,
    one evaluation per contact: its latest) and the items failed most; and the complaints one
    by one (evaluated or not, score, items failed). ``sep`` joins item names (the page's
    language: "、" or "; ")."""
    regular = scored[scored["mode"] != "calibration"].sort_values("evaluated_at")
    last = regular.drop_duplicates("contact_id", keep="last").set_index("contact_id")
    one = c.assign(
        evaluated=c["contact_id"].isin(last.index),
        score=c["contact_id"].map(last["score"]),
        evaluation_id=c["contact_id"].map(last["evaluation_id"]),
    )
    # the failed items of those evaluations only (a month holds 100,000 evaluations' items)
    fails = items[(items["result"] == "fail") & items["evaluation_id"].isin(one["evaluation_id"])]
    failed = (
        fails.assign(item=fails["item_id"].map(names).fillna(fails["item_id"]))
        .groupby("evaluation_id")["item"]
        .agg(lambda s: sep.join(dict.fromkeys(s)))
    )
    failed_ids = fails.groupby("evaluation_id")["item_id"].agg(list)
    one["items"] = one["evaluation_id"].map(failed).astype("str").fillna("")  # (none failed: NaN)
    summary = []
    for cat, g in [*((k, one[one["category"] == k]) for k in CATEGORIES), ("all", one)]:
        if cat != "all" and g.empty:
            continue
        s = g["score"].dropna()
        n = len(s)
        hw = float(t_quantile(0.975, n - 1) * s.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        mean = float(s.mean()) if n else np.nan
        ev = g[g["evaluated"]]
        top = ev["evaluation_id"].map(failed_ids)
        counts = pd.Series([i for lst in top.dropna() for i in lst], dtype=object).value_counts()
        text = sep.join(f"{names.get(i, i)} ×{k}" for i, k in counts.head(3).items())
        summary.append({
            "category": cat, "complaints": len(g), "evaluated": len(ev),
            "evaluated_share": len(ev) / len(g) if len(g) else np.nan, "n": n, "mean": mean,
            "lo": max(mean - hw, 0.0) if n > 1 else np.nan,
            "hi": min(mean + hw, 100.0) if n > 1 else np.nan, "top_items": text,
        })  # fmt: skip
    one["complaint_outcome"] = np.where(
        one["upheld"].isna(), "open", np.where(one["upheld"].fillna(False), "upheld", "not_upheld")
    )
    one["qa_evaluated"] = np.where(one["evaluated"], "yes", "no")
    cols = ["received_at", "team", "name", "agent_id", "category", "complaint_outcome",
            "qa_evaluated", "score", "items"]  # fmt: skip
    listed = one.sort_values(["received_at", "complaint_id"])[cols].reset_index(drop=True)
    return pd.DataFrame(summary), listed


def repeats(
    c: pd.DataFrame, window: pd.DataFrame, customers: pd.Series, sep: str = "、"
) -> pd.DataFrame:
    """Customers who complained in the period and complained at least twice in ``window``
    (the complaints of the last ``repeat_days`` up to the period's end): customer id (masked
    by the report), complaints, of them in the period, by category, upheld, the teams
    complained about. Never a name or an unmasked number (``masked`` runs on every report table)."""
    w = window.assign(customer_id=window["contact_id"].map(customers))
    w = w.dropna(subset=["customer_id"])
    now = set(w.loc[w["complaint_id"].isin(c["complaint_id"]), "customer_id"])
    w = w[w["customer_id"].isin(now)]
    rows = []
    for cust, g in w.groupby("customer_id"):
        if len(g) < 2:
            continue
        rows.append({
            "customer_id": cust, "complaints": len(g),
            "in_period": int(g["complaint_id"].isin(c["complaint_id"]).sum()),
            "upheld": int(g["upheld"].fillna(False).astype(bool).sum()),
            **{k: int((g["category"] == k).sum()) for k in CATEGORIES},
            "teams": sep.join(sorted(set(g["team"].dropna()))),
            "last": g["received_at"].max(),
        })  # fmt: skip
    cols = ["customer_id", "complaints", "in_period", *CATEGORIES, "upheld", "teams", "last"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["complaints", "last"], ascending=False).reset_index(drop=True)


def satisfaction(
    con: duckdb.DuckDBPyConnection,
    p: Period,
    agents: pd.DataFrame,
    team: str,
    center_label: str,
    rating_scale: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Mean satisfaction per team and channel and for the whole center (contacts started in
    ``p``, rated ones only): ``n`` ratings, of ``agents`` agents, mean on the export's scale and
    a 95% interval clustered by agent (one agent's customers are not independent evidence).
    Empty when no contact of the period has a rating. ``rating_scale``: ``scale(con)``, when
    the caller has it."""
    per = engine.run(
        con,
        """
        SELECT agent_id, channel, count(satisfaction) AS n, sum(satisfaction) AS s1
        FROM contacts
        WHERE start_time >= $start AND start_time < $end AND satisfaction IS NOT NULL
              AND agent_id IS NOT NULL
        GROUP BY 1, 2
        """,
        {"start": p.start.to_pydatetime(), "end": p.end.to_pydatetime()},
    )
    if per.empty:
        return pd.DataFrame()
    per["team"] = per["agent_id"].map(agents.set_index("agent_id")["team"])
    if team:
        per = per[per["team"] == team]
    groups = [(t, ch, g) for (t, ch), g in per.groupby(["team", "channel"])]
    if not team:
        groups += [(center_label, ch, g) for ch, g in per.groupby("channel")]
    lo_scale, hi_scale = rating_scale or scale(con)
    rows = [{"team": t, "channel": ch, **_clustered(g, lo_scale, hi_scale)} for t, ch, g in groups]
    out = pd.DataFrame(rows)
    center = out[out["team"] == center_label] if not team else out.iloc[:0]
    teams = sort_natural(out[out["team"] != center_label], ["team", "channel"])
    return pd.concat([teams, center]).reset_index(drop=True)


def scale(con: duckdb.DuckDBPyConnection) -> tuple[float, float]:
    """The export's rating scale as its ratings show it (lowest, highest; NaN without any)."""
    r = engine.run(con, "SELECT min(satisfaction) AS lo, max(satisfaction) AS hi FROM contacts")
    lo, hi = r[["lo", "hi"]].astype(float).iloc[0]
    return float(lo), float(hi)


def _clustered(g: pd.DataFrame, lo_scale: float, hi_scale: float) -> dict[str, float]:
    """Mean of the ratings summed per agent (``n`` ratings, ``s1`` their sum) and its CR1
    interval (no interval under 3 agents)."""
    n = float(g["n"].sum())
    mean = float(g["s1"].sum()) / n
    k = len(g)
    resid = g["s1"].to_numpy(float) - g["n"].to_numpy(float) * mean
    se = np.sqrt(k / (k - 1) * np.sum(resid**2)) / n if k > 1 else np.nan
    hw = float(t_quantile(0.975, k - 1) * se) if k > 1 else np.nan
    ok = k >= 3 and np.isfinite(hw)
    return {"n": int(n), "agents": k, "rating": mean,
            "rating_lo": max(mean - hw, lo_scale) if ok else np.nan,
            "rating_hi": min(mean + hw, hi_scale) if ok else np.nan}  # fmt: skip


def complaint_tables(
    source: str | Path,
    center: Center,
    scored: pd.DataFrame,
    p: Period,
    team: str,
    names: pd.Series,
    settings: ComplaintsReport,
    center_label: str,
    lang: str = "zh",
) -> tuple[dict[str, pd.DataFrame], dict[str, object], list[str]]:
    """The complaints and satisfaction tables of a weekly or monthly report (``TABLES``), what
    the page says about them (window, which data exists) and the limits to log. ``names``:
    item names in the page's language ``lang``."""
    sep = "、" if lang == "zh" else "; "
    start, end = complaint_window(p, settings.week_ends)
    meta: dict[str, object] = {"kind": p.kind, "start": start, "end": end,
                               "week_ends": settings.week_ends,
                               "repeat_days": settings.repeat_days}  # fmt: skip
    limits: list[str] = []
    con = engine.connect(source, tables=("contacts",))
    tables: dict[str, pd.DataFrame] = {}
    meta["has_complaints"] = has_complaints(center)
    if meta["has_complaints"]:
        all_c = _with_team(center.complaints, center.agents)
        if team:
            all_c = all_c[all_c["team"] == team]
        got = all_c["received_at"]
        c = all_c[(got >= start) & (got < end)]
        tables["complaints"] = by_team(c, team, center_label)
        tables["complaint_trend"] = trend(all_c, _windows(p, settings))
        qa, listed = qa_findings(c, scored, center.evaluation_items, names, sep)
        tables["complaint_qa"], tables["complaint_contacts"] = qa, listed
        recent = all_c[(got >= end - pd.Timedelta(days=settings.repeat_days)) & (got < end)]
        cust = engine.contact_columns(con, recent["contact_id"], ("customer_id",))
        customers = cust.set_index("contact_id")["customer_id"]
        meta["has_customers"] = bool(customers.notna().any()) or recent.empty
        tables["complaint_repeat"] = repeats(c, recent, customers, sep)
    meta["scale"] = scale(con)  # NaN, NaN: no rating in the whole export
    meta["any_satisfaction"] = not np.isnan(meta["scale"][0])
    if not meta["any_satisfaction"]:
        limits.append(NO_SATISFACTION)
    sat = satisfaction(con, p, center.agents, team, center_label, meta["scale"])
    meta["has_satisfaction"] = not sat.empty
    if not sat.empty:
        tables["satisfaction"] = sat
    return tables, meta, limits
