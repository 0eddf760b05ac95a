"""How a report's tables read: in one language, intervals as "lo–hi" or "too few to judge",
shares as percentages, long agent tables split per team (whole, printable), no column ids."""

from __future__ import annotations

import html as _html

import numpy as np
import pandas as pd
from IPython.display import HTML

from ..order import natural_sorted
from ..privacy import masked
from . import i18n

# Interval pairs shown as one "lo–hi" column; a missing end means too few to judge.
INTERVALS = {
    ("lo", "hi"): "interval",
    ("change_lo", "change_hi"): "change_interval",
    ("score_change_lo", "score_change_hi"): "score_change_interval",
    ("effect_lo", "effect_hi"): "effect_interval",
    ("rate_lo", "rate_hi"): "rate_interval",
    ("kappa_lo", "kappa_hi"): "kappa_interval",
    ("reviewed_lo", "reviewed_hi"): "reviewed_interval",
    ("precision_lo", "precision_hi"): "precision_interval",
    ("recall_lo", "recall_hi"): "recall_interval",
    ("yield_lo", "yield_hi"): "yield_interval",
    ("rating_lo", "rating_hi"): "rating_interval",
    ("upheld_lo", "upheld_hi"): "upheld_interval",
}
PERCENT = {"share", "cum_share", "completion", "before", "after", "fail_rate", "within_tolerance",
           "upheld_share", "team_fail_rate", "rate_lo", "rate_hi", "coverage",
           "violation_rate", "service_level", "yield", "yield_lo", "yield_hi", "evaluated_share",
           "upheld_lo", "upheld_hi", "reviewed_precision", "reviewed_lo", "reviewed_hi",
           "precision", "precision_lo", "precision_hi", "recall", "recall_lo", "recall_hi"}  # fmt: skip
PERCENT_POINTS = {"rate_change", "comparison_change", "effect", "effect_lo", "effect_hi",
                  "change", "change_lo", "change_hi"}  # fmt: skip
SIGNED = {"score_change", "score_change_lo", "score_change_hi", "leniency", "mean_deviation"}
HIDDEN = {"vital_few", "half_width", "se", "sd", "reliability", "pooled_lo", "pooled_hi", "basis",
          "rank_raw", "scorecard_id", "scorecard_version", "autoqa_state", "sample_state",
          "faulty_below", "sl_target", "rank_n"}  # fmt: skip
WHOLE = {"points", "deducted", "penalty_points", "fails", "n", "planned", "done", "late",
         "overdue", "not_due", "checked", "violations", "n_compared", "reviewed", "n_verdicts",
         "answered", "contacts", "bottom_line",
         "with_deduction", "offered", "answered_in_time", "owed", "serious", "sl_intervals",
         "sl_missed", "flags", "complaints", "attitude", "business", "open", "decided",
         "evaluated", "in_period"}  # fmt: skip
TWO_DECIMALS = {"kappa", "kappa_lo", "kappa_hi", "rating", "rating_lo", "rating_hi"}
SPLIT_ROWS = 25  # a table with more rows and several teams is shown per team
WORD = 6  # characters: a column no wider (a name, an id, a score) is never broken on paper
FOLD_ROWS = 12  # a longer detail table is folded (<details>, printed open) when asked to fold
# Control-chart signals by what they mean for quality: good news, bad news (coloured so).
GOOD_SIGNALS = {"above UCL", "run of 8 above"}
BAD_SIGNALS = {"below LCL", "run of 8 below"}


def _num(c: str, v: object) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if c in PERCENT:
        return f"{v:.1%}"
    if c in PERCENT_POINTS:
        return f"{v * 100:+.1f} pp"
    if c in SIGNED:
        return f"{v:+.1f}"
    if isinstance(v, float | np.floating):
        if c == "alpha":
            return f"{v:.3f}"
        if c in TWO_DECIMALS:
            return f"{v:.2f}" if abs(v) >= 0.005 else "0.00"  # never "-0.00"
        if c in WHOLE and float(v).is_integer():
            return f"{v:,.0f}" if abs(v) >= 10_000 else f"{v:.0f}"  # 96,095 as in int columns
        return f"{v:.1f}"
    return str(v)


def present(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``df`` as a reader sees it: masked, intervals joined, numbers formatted, coded values and
    column names in ``lang`` (KeyError on a column or value without a translation)."""
    out = masked(df).drop(columns=[c for c in df.columns if c in HIDDEN])
    too_few = i18n.value("verdict", "too_few", lang)
    for (lo, hi), name in INTERVALS.items():
        if lo in out and hi in out:
            text = [
                too_few if pd.isna(a) or pd.isna(b) else f"{_num(lo, a)}\u2009–\u2009{_num(hi, b)}"
                for a, b in zip(out[lo], out[hi], strict=True)
            ]
            at = out.columns.get_loc(lo)
            out = out.drop(columns=[lo, hi])
            out.insert(at, name, text)
    counts = [c for c in out.columns if c in WHOLE and pd.api.types.is_integer_dtype(out[c])]
    # a count of five digits or more reads 31,485, and then every count of the table is written
    # alike (9653 answered beside 9653 checked, not 9,653 beside 9653)
    big = any(len(out[c]) and out[c].max() >= 10_000 for c in counts)
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[c] = s.dt.strftime("%Y-%m-%d %H:%M")
        elif c in counts and big:
            out[c] = [f"{v:,d}" for v in s]
        elif pd.api.types.is_float_dtype(s) or c in PERCENT | PERCENT_POINTS:
            out[c] = [_num(c, v) for v in s]
    if "rank_pooled" in out and "rank_n" in df:  # "3 of 240": a rank says out of how many
        out["rank_pooled"] = [
            "" if pd.isna(r) else i18n.say("rank_of", lang, r=int(r), n=int(n))
            for r, n in zip(df["rank_pooled"], df["rank_n"], strict=True)
        ]
    return i18n.columns(out, lang, strict=True)


def tones(df: pd.DataFrame) -> list[str]:
    """Each row's tone for the page: ``good`` or ``bad`` for a control-chart signal by its
    direction (above the line is good news); ``bad`` for an interval that missed its service
    level target; else ``""``."""
    if "signal" not in df:
        missed = df["target"] == "missed" if "target" in df else [False] * len(df)
        return ["bad" if m else "" for m in missed]
    return [
        "good" if s in GOOD_SIGNALS else "bad" if s in BAD_SIGNALS else "" for s in df["signal"]
    ]


def _html_table(shown: pd.DataFrame, row_tones: list[str] | None = None) -> str:
    """A presented table as HTML, every cell escaped (a plain writer: pandas' ``to_html`` is
    100x slower on the 2,000-agent tables)."""
    esc = _html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in shown.columns)
    cols = [["" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else esc(str(v))
             for v in shown[c].tolist()] for c in shown.columns]  # fmt: skip
    # short values (dates, ids, names, figures) stay on one line; long text wraps; a word-short
    # column (names, ids, scores) stays whole on paper too, where other cells wrap to the page
    widths = [max(map(len, c), default=0) for c in cols]
    opens = ['<td class="qaw-nw qaw-word">' if w <= WORD else '<td class="qaw-nw">' if w <= 20
             else "<td>" for w in widths]  # fmt: skip
    trs = [f'<tr class="qaw-{t}">' if t else "<tr>" for t in (row_tones or [""] * len(shown))]
    rows = "".join(
        tr + "".join(f"{o}{v}</td>" for o, v in zip(opens, row, strict=True)) + "</tr>"
        for tr, row in zip(trs, zip(*cols, strict=True), strict=True)
    )
    return f'<table class="qaw-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def card(df: pd.DataFrame, lang: str) -> HTML:
    """A one-row table (one agent's figures) as label–value rows: read whole on a phone, where
    ten columns side by side would scroll sideways."""
    shown = present(df, lang)
    row = _html_table(pd.DataFrame({"k": list(shown.columns), "v": shown.iloc[0].tolist()}))
    row = row.replace("<thead><tr><th>k</th><th>v</th></tr></thead>", "")  # no header row
    return HTML(row.replace('<table class="qaw-table">', '<table class="qaw-table qaw-card">'))


def table(df: pd.DataFrame | None, lang: str, split: bool = True, fold: bool = False) -> HTML:
    """A whole table for a report page (never cut): per team under its own heading when it is
    long and spans several teams; "none" when empty. ``fold``: a table longer than
    ``FOLD_ROWS`` is folded, each team's part under its own one-line summary (or the whole
    table under one), for the reader to open; printed open."""
    if df is None or df.empty:
        return HTML(f"<p><em>{i18n.t('none', lang)}</em></p>")
    fold = fold and len(df) > FOLD_ROWS
    row_tones = np.array(tones(df), dtype=object)
    if split and "team" in df and len(df) > SPLIT_ROWS and df["team"].nunique() > 1:
        shown = present(df.drop(columns=["team"]), lang)
        parts = []
        teams = df["team"].to_numpy()
        for team in natural_sorted(pd.unique(teams[~pd.isna(teams)])):
            mine = teams == team
            body = _html_table(shown[mine], list(row_tones[mine]))
            if fold:
                line = i18n.say("fold_team", lang, team=team, n=int(mine.sum()))
                parts.append(folded(line, body, lang, "qaw-fold qaw-fold-team").data)
            else:
                parts.append(f'<h3 class="qaw-team">{_html.escape(str(team))}</h3>' + body)
        if fold:  # the teams' lines side by side; an opened one takes the whole width
            return HTML(f'<div class="qaw-folds">{"".join(parts)}</div>')
        return HTML("".join(parts))
    body = _html_table(present(df, lang), list(row_tones))
    if fold:
        return folded(i18n.say("fold_all", lang, n=len(df)), body, lang)
    return HTML(body)


def headline(h: pd.DataFrame, period_label: str, previous_label: str, lang: str) -> HTML:
    """Page one's figures as sentences: the score with n and interval, the change on the
    previous period with its interval and verdict, bottom-line cases and plan completion."""
    r = h.iloc[0]
    random = r.get("basis") == "random"  # the quality level from the random picks
    key = "headline_level" if random else "headline_score"
    if pd.isna(r["lo"]):
        score = i18n.say(f"{key}_few", lang, mean=f"{r['mean']:.1f}", n=r["n"],
                         few=i18n.value("verdict", "too_few", lang))  # fmt: skip
    else:
        score = i18n.say(key, lang, mean=f"{r['mean']:.1f}", n=r["n"],
                         lo=f"{r['lo']:.1f}", hi=f"{r['hi']:.1f}")  # fmt: skip
    if r["verdict"] == "no_evaluations":
        change = i18n.say("headline_no_prev", lang, prev=previous_label)
    elif r["verdict"] == "too_few":
        change = f"{previous_label}: {i18n.value('verdict', 'too_few', lang)}"
    else:
        change = i18n.say(
            "headline_change", lang, prev=previous_label,
            direction=i18n.say("up" if r["score_change"] >= 0 else "down", lang),
            change=f"{abs(r['score_change']):.1f}", lo=f"{r['score_change_lo']:+.1f}",
            hi=f"{r['score_change_hi']:+.1f}", verdict=i18n.value("verdict", r["verdict"], lang),
        )  # fmt: skip
    lines = [score, change, i18n.say("bottom_line_count", lang, n=int(r["bottom_line"]))]
    if random and r["all_n"] > r["n"]:
        lines.insert(
            1, i18n.say("headline_all_mean", lang, mean=f"{r['all_mean']:.1f}", n=r["all_n"])
        )
    if "planned" in h and pd.notna(r.get("planned")) and r["planned"]:
        lines.append(i18n.say("completion_line", lang, done=int(r["done"]), planned=int(r["planned"]),
                              share=f"{r['done'] / r['planned']:.0%}",
                              overdue=int(r.get("overdue", 0)), not_due=int(r.get("not_due", 0))))  # fmt: skip
    elif h.attrs.get("no_sample"):
        lines.append(i18n.say("completion_none", lang, month=h.attrs["no_sample"]))
    verdict_class = {"higher": "up", "lower": "down"}.get(r["verdict"], "flat")
    items = "".join(f"<li>{_html.escape(x)}</li>" for x in lines)
    return HTML(
        f'<div class="qaw-headline qaw-{verdict_class}"><p class="qaw-period">{_html.escape(period_label)}</p>'
        f"<ul>{items}</ul></div>"
    )


def folded(summary: str, body: str, lang: str, css: str = "qaw-fold") -> HTML:
    """``body`` (HTML) folded under a one-line ``summary`` the reader clicks to open ("click to
    open" on screen only); printed open (the template's print styles)."""
    hint = f' <span class="qaw-click">· {i18n.say("click_to_open", lang)}</span>'
    return HTML(
        f'<details class="{css}"><summary>{_html.escape(summary)}{hint}</summary>{body}</details>'
    )
