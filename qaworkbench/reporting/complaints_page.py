"""How the complaints and satisfaction sections read on a report page (``complaints`` computes
them): which days the complaints cover, one sentence of counts, the tables, the complaints one
by one folded, and a plain line when the export has no complaints or no ratings."""

from __future__ import annotations

import html as _html

import pandas as pd
from IPython.display import HTML, display

from . import display as display_
from . import i18n


def _note(text: str) -> None:
    display(HTML(f'<p class="qaw-note">{_html.escape(text)}</p>'))


def _sub(key: str, lang: str) -> None:
    display(HTML(f'<h3 class="qaw-sub" id="sec-{key}">{_html.escape(i18n.t(key, lang))}</h3>'))


def window_text(meta: dict, lang: str) -> str:
    """ "Complaints received 2026-10-09 (Friday) to 2026-10-15 (Thursday) …" for the page."""
    start, end = meta["start"], meta["end"] - pd.Timedelta(days=1)
    key = (
        "complaint_window"
        if meta.get("week_ends", "sunday") == "sunday"
        else "complaint_window_plan"
    )
    if meta.get("kind") == "month":
        key = "complaint_window"
    day = {d: i18n.value("weekday", d.day_name().lower(), lang) for d in (start, end)}
    return i18n.say(key, lang, start=f"{start:%Y-%m-%d}", end=f"{end:%Y-%m-%d}",
                    start_day=day[start], end_day=day[end])  # fmt: skip


def headline_text(row: pd.Series, lang: str) -> str:
    """One sentence of a complaints row's counts and upheld share (``complaints.by_team``)."""
    if not row["complaints"]:
        return i18n.say("complaint_headline_none", lang)
    few = i18n.value("verdict", "too_few", lang)
    share = f"{row['upheld_share']:.0%}" if row["decided"] else few
    lo = f"{row['upheld_lo']:.0%}" if row["decided"] else "–"
    hi = f"{row['upheld_hi']:.0%}" if row["decided"] else "–"
    return i18n.say("complaint_headline", lang, n=int(row["complaints"]),
                    attitude=int(row["attitude"]), business=int(row["business"]),
                    decided=int(row["decided"]), upheld=int(row["upheld"]), share=share,
                    lo=lo, hi=hi, open=int(row["open"]))  # fmt: skip


def show_complaints(tables: dict[str, pd.DataFrame], meta: dict, lang: str) -> None:
    """The complaints section below its heading: days covered, counts by team and category,
    the trend, QA findings on the complained contacts (each complaint folded) and repeat
    complainants."""
    if not meta.get("has_complaints"):
        _note(i18n.say("no_complaints_table", lang))
        return
    _note(window_text(meta, lang))
    teams = tables["complaints"]
    if len(teams):
        display(
            HTML(f'<p class="qaw-lead">{_html.escape(headline_text(teams.iloc[-1], lang))}</p>')
        )
    shown = teams[teams["complaints"] > 0] if len(teams) else teams
    _maybe_folded(shown, "complaint_by_team", lang)
    _sub("complaint_trend", lang)
    trend = tables["complaint_trend"]
    unit = {("week", "zh"): "投诉周", ("week", "en"): "complaint weeks",
            ("month", "zh"): "月", ("month", "en"): "months"}[(meta.get("kind", "week"), lang)]  # fmt: skip
    _note(i18n.say("complaint_trend_note", lang, k=len(trend), unit=unit))
    display(display_.table(trend, lang, split=False))
    _sub("complaint_qa", lang)
    _note(i18n.say("complaint_qa_note", lang))
    display(display_.table(tables["complaint_qa"], lang, split=False))
    listed = tables["complaint_contacts"]
    if len(listed):
        body = display_.table(listed, lang, split=False).data
        display(display_.folded(i18n.say("complaint_list", lang, n=len(listed)), body, lang))
    _sub("complaint_repeat", lang)
    if not meta.get("has_customers", True):
        _note(i18n.say("complaint_no_customers", lang))
        return
    _note(i18n.say("complaint_repeat_note", lang, days=meta["repeat_days"]))
    display(display_.table(tables["complaint_repeat"], lang, split=False))


def show_satisfaction(tables: dict[str, pd.DataFrame], meta: dict, lang: str) -> None:
    """The satisfaction section below its heading, or the line saying why there is none."""
    if not meta.get("has_satisfaction"):
        key = "no_satisfaction_period" if meta.get("any_satisfaction") else "no_satisfaction"
        _note(i18n.say(key, lang))
        return
    lo, hi = meta["scale"]
    _note(i18n.say("satisfaction_note", lang, lo=f"{lo:g}", hi=f"{hi:g}"))
    sat = tables["satisfaction"]
    center = sat["team"] == i18n.t("center", lang)
    if center.any() and len(sat) > FOLD_ROWS:  # the center's rows shown, the teams' folded
        display(display_.table(sat[center], lang, split=False))
        sat = sat[~center]
    _maybe_folded(sat, "satisfaction_by_team", lang)


FOLD_ROWS = 8  # a longer per-team table is folded (the center's line is in the sentence above)


def _maybe_folded(df: pd.DataFrame, key: str, lang: str) -> None:
    """``df`` as a table, folded under "per team (n teams)" when longer than ``FOLD_ROWS``."""
    body = display_.table(df, lang, split=False)
    if len(df) <= FOLD_ROWS:
        display(body)
    else:
        display(display_.folded(i18n.say(key, lang, n=df["team"].nunique()), body.data, lang))
