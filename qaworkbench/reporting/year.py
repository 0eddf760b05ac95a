"""The last 12 months of a monthly report: contacts and service level from the engine's
SQL over the monthly Parquet files (DuckDB or Spark, never the year in pandas), scores and
deductions from the scored evaluations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data import engine
from ..data.load import Center
from ..order import sort_natural
from ..periods import Period
from ..scoring.level import level_sample
from ..stats import clustered_intervals, judged

YEAR_MONTHS = 12


def year_window(p: Period, months: int = YEAR_MONTHS) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first instant of the month ``months - 1`` before ``p`` and the end of ``p``."""
    return pd.Timestamp(p.start) - pd.DateOffset(months=months - 1), pd.Timestamp(p.end)


def year_tables(
    source: str | Path,
    center: Center,
    scored: pd.DataFrame,
    p: Period,
    team: str = "",
    *,
    cases: pd.DataFrame | None = None,
    engine_name: str | None = None,
    master: str | None = None,
) -> dict[str, pd.DataFrame]:
    """``year``: one row per month of the 12 ending with ``p`` that has data (contacts,
    answered, service level for the center; answered by the team's agents for a team;
    then evaluations n, mean score with its interval, mean points deducted, new bottom-line
    cases). ``year_teams`` (center only): the same scores per team and month.

    One number per period: a month's mean and interval are page one's (``clustered_intervals``
    over that month's evaluations of the scope), and its bottom-line cases are the penalty
    cases of ``cases`` (``ScoreTables.cases``) that arose in the month, as page one counts them."""
    start, end = year_window(p)
    roster = center.agents.drop_duplicates("agent_id")[["agent_id", "team"]]
    query = engine.handled_per_agent_month if team else engine.monthly_contacts
    counts = _scanned(source, query, start, end, engine_name, master)
    if team:
        per = counts.merge(roster, on="agent_id", how="left")
        contacts = per[per["team"] == team].groupby("month")[["handled"]].sum()
        contacts = contacts.rename(columns={"handled": "answered"})
    else:
        contacts = counts.set_index("month")
    regular = scored[
        (scored["mode"] != "calibration")
        & (scored["evaluated_at"] >= start)
        & (scored["evaluated_at"] < end)
    ].merge(roster, on="agent_id", how="left")
    if team:
        regular = regular[regular["team"] == team]
    regular = level_sample(regular)  # the quality level, as page one states it
    regular = regular.assign(month=regular["evaluated_at"].dt.strftime("%Y-%m"))
    bottom = _bottom_line(cases, roster, start, team)
    scores = _scores(regular, ["month"], bottom)
    year = contacts.join(scores.set_index("month"), how="outer").reset_index()
    year = year.sort_values("month", ignore_index=True)
    for c in ("contacts", "answered", "agents", "n", "bottom_line"):
        if c in year:
            year[c] = year[c].fillna(0).astype(int)
    out = {"year": year}
    if not team:
        teams = _scores(regular.dropna(subset=["team"]), ["team", "month"], bottom)
        out["year_teams"] = sort_natural(teams, ["team", "month"])
    return out


def _scanned(
    source: str | Path, query, start: pd.Timestamp, end: pd.Timestamp, engine_name: str | None,
    master: str | None,
) -> pd.DataFrame:  # fmt: skip
    """``query(con, start, end)`` over the contacts, kept in the data folder's cache while the
    contacts' files are unchanged: a year's scan takes seconds, and the weekly and monthly
    reports of the same data ask it again."""
    from ..config import engine_setting
    from ..data.cache import cached_frame, stamp
    from ..data.load import find_table_file
    from ..data.readers import is_url

    def scan() -> pd.DataFrame:
        con = engine.open_engine(source, ("contacts",), engine=engine_name, master=master)
        return query(con, start.to_pydatetime(), end.to_pydatetime())

    folder = Path(source)
    if is_url(source) or (files := find_table_file(folder, "contacts")) is None:
        return scan()
    name = engine_setting(engine_name, master)[0]  # each engine answers for itself
    key = stamp([files], query.__name__, name, str(start), str(end))
    return cached_frame(folder, f"year-{query.__name__}", key, scan)


def _bottom_line(
    cases: pd.DataFrame | None, roster: pd.DataFrame, start: pd.Timestamp, team: str
) -> pd.DataFrame:
    """New bottom-line cases per team and month ("YYYY-MM") from ``start`` on."""
    if cases is None or not len(cases):
        return pd.DataFrame(columns=["team", "month", "bottom_line"])
    c = cases[cases["bottom_line"].astype(bool)]
    at = pd.to_datetime(c["at"])
    c = c[at >= start].merge(roster, on="agent_id", how="left")
    if team:
        c = c[c["team"] == team]
    c = c.assign(month=pd.to_datetime(c["at"]).dt.strftime("%Y-%m"))
    return c.groupby(["team", "month"]).size().rename("bottom_line").reset_index()


def _scores(regular: pd.DataFrame, by: list[str], bottom: pd.DataFrame) -> pd.DataFrame:
    """n, mean score and its interval (page one's estimator, month by month), mean points
    deducted and new bottom-line cases per group; ``by`` ends with "month"."""
    cols = [*by, "agents", "n", "mean", "lo", "hi", "mean_deducted", "bottom_line"]
    if regular.empty:
        return pd.DataFrame(columns=cols)
    inner = by[:-1]
    si = pd.concat(
        [
            clustered_intervals(g, inner or None).assign(month=m)
            for m, g in regular.groupby("month")
        ],
        ignore_index=True,
    )
    deducted = regular.groupby(by)["points_deducted"].mean().rename("mean_deducted").reset_index()
    cases = bottom.groupby(by)["bottom_line"].sum().reset_index()
    out = si.merge(deducted, on=by).merge(cases, on=by, how="left")
    out["bottom_line"] = out["bottom_line"].fillna(0).astype(int)
    return judged(out[cols])
