"""Charts for reports and dashboards: a real CJK font, intervals drawn from the data.

Intervals are precomputed (points); seaborn's bootstrap is never used
(``errorbar=None``), which is both honest about what is shown and fast.
"""

from __future__ import annotations

import base64
import functools
import html
import io
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML
from matplotlib import font_manager

from .display import tones
from .i18n import say, t

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"


def cjk_font_path() -> Path:
    """The Noto Sans CJK SC font file installed with the environment (package mplfonts)."""
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / CJK_FONT_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"CJK font {path} missing: run `make env` to install the environment"
        )
    return path


@functools.cache
def use_cjk_font() -> str:
    """Register the CJK font with matplotlib and make it the default; returns its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["figure.dpi"] = 100
    plt.rcParams["savefig.dpi"] = 100
    return name


def figure(fig: plt.Figure, alt: str | None = None) -> HTML:
    """A chart for a page: SVG (sharp on screen and in print, text drawn as shapes so any
    browser shows the CJK font) with alt text in the page's language; closes ``fig``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    alt = alt or (fig.axes[0].get_title() if fig.axes else "")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return HTML(
        f'<figure class="qaw-chart"><img src="data:image/svg+xml;base64,{data}" '
        f'alt="{html.escape(alt, quote=True)}" role="img"></figure>'
    )


TREND_WEEKS = 13  # a quarter: a year of weekly ticks cannot be read


def control_chart(
    control: pd.DataFrame, team: str, lang: str, weeks: int = TREND_WEEKS
) -> plt.Figure:
    """A team's weekly mean score over its last ``weeks`` weeks, with its center line and
    control limits (computed from its whole history); signals green above the centre line
    (good news), red below."""
    d = control[control["team"] == team].tail(weeks).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 3.4))
    x = range(len(d))
    ax.plot(x, d["mean"], marker="o", color="#1f77b4", label=t("score", lang))
    ax.plot(x, d["center"], color="grey", lw=1, label=t("center_line", lang))
    ax.step(x, d["ucl"], where="mid", color="grey", ls="--", lw=1, label=t("limits", lang))
    ax.step(x, d["lcl"], where="mid", color="grey", ls="--", lw=1)
    # signals by direction: above the centre line is good news (green), below bad (red)
    for tone, color in (("good", "#2e7d32"), ("bad", "#c62828")):
        sig = np.array([x == tone for x in tones(d)], dtype=bool)
        if sig.any():  # a legend entry only for what the chart shows
            ax.scatter(
                np.flatnonzero(sig),
                d.loc[sig, "mean"],
                color=color,
                zorder=3,
                s=60,
                label=t(f"signal_{tone}", lang),
            )
    ax.set_xticks(list(x), [w.split("/")[0][5:] for w in d["week"]], rotation=45, fontsize=8)
    title = say("trend_weeks", lang, team=team, k=len(d))
    ax.set(title=title, xlabel=t("week", lang), ylabel=t("score", lang))
    top = min(100.0, max(d["ucl"].max(), d["mean"].max()) + 2)
    ax.set_ylim(max(0.0, min(d["lcl"].min(), d["mean"].min()) - 2), top + 0.5)
    # below the axes: inside, it hid the points it describes
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=4, frameon=False)
    fig.tight_layout()
    return fig


def interval_plot(
    df: pd.DataFrame, label: str, lang: str, title: str, sort: bool = True
) -> plt.Figure:
    """Means with their 95% intervals as horizontal bars, one row per ``label`` (n in the label);
    sorted by mean, or in the given order (top to bottom) with ``sort=False``. A row without an
    interval (too few to judge) shows its mean as a hollow point."""
    d = df.sort_values("mean") if sort else df.iloc[::-1]
    d = d.reset_index(drop=True)
    height = max(2.5, 0.32 * len(d) + 1)  # inches
    fig, ax = plt.subplots(figsize=(8, height))
    y = list(range(len(d)))
    judged = d["lo"].notna() & d["hi"].notna()
    yj = [i for i, j in zip(y, judged, strict=True) if j]
    dj = d[judged]
    ax.errorbar(dj["mean"], yj, xerr=[dj["mean"] - dj["lo"], dj["hi"] - dj["mean"]], fmt="o",
                capsize=3, label=t("mean_with_interval", lang))  # fmt: skip
    if (~judged).any():
        ax.scatter(d.loc[~judged, "mean"], [i for i, j in zip(y, judged, strict=True) if not j],
                   facecolors="none", edgecolors="#555", label=t("too_few_point", lang))  # fmt: skip
    ax.set_yticks(y, [f"{v} (n={n})" for v, n in zip(d[label], d["n"], strict=True)], fontsize=9)
    ax.set_xlim(
        max(0, float(d["lo"].min(skipna=True) if judged.any() else d["mean"].min()) - 5), 100.5
    )
    ax.set(title=title, xlabel=t("score", lang))
    # the legend in a strip of its own below the axis label, whatever the chart's height
    fig.legend(fontsize=8, loc="lower center", ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0.3 / height, 1, 1))
    return fig


def pareto_chart(pareto: pd.DataFrame, team: str, lang: str, top: int = 10) -> plt.Figure:
    """Points lost per item (bars) and the cumulative share (line); ``pareto`` has the item
    names in the page's language in ``item``."""
    d = pareto.head(top)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.bar(range(len(d)), d["points"], color="#4c72b0", label=t("points_lost", lang))
    ax.set_xticks(range(len(d)), d["item"], rotation=35, ha="right", fontsize=8)
    ax.set(ylabel=t("points_lost", lang), title=f"{team} — {t('pareto', lang)}")
    ax2 = ax.twinx()
    ax2.plot(range(len(d)), d["cum_share"] * 100, color="#dd8452", marker="o",
             label=t("cum_share", lang))  # fmt: skip
    ax2.set_ylim(0, 105)
    ax2.set_ylabel(t("cum_share", lang) + " (%)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="center right")
    fig.tight_layout()
    return fig


def year_chart(year: pd.DataFrame, lang: str, title: str) -> plt.Figure:
    """Twelve months in two panels: the mean score with its 95% interval (hollow: too few
    to judge), and below it the service level (%) or, without one, contacts answered."""
    months = year["month"].tolist()
    x = list(range(len(months)))
    fig, (top, low) = plt.subplots(2, 1, figsize=(8, 5.2), sharex=True,
                                   gridspec_kw={"height_ratios": [3, 2]})  # fmt: skip
    judged = (year["lo"].notna() & year["hi"].notna()).to_numpy()
    xj = [i for i, j in zip(x, judged, strict=True) if j]
    dj = year[judged]
    top.errorbar(xj, dj["mean"], yerr=[dj["mean"] - dj["lo"], dj["hi"] - dj["mean"]], fmt="o-",
                 capsize=3, label=t("mean_with_interval", lang))  # fmt: skip
    few = ~judged & year["mean"].notna().to_numpy()
    if few.any():
        top.scatter([i for i, f in zip(x, few, strict=True) if f], year.loc[few, "mean"],
                    facecolors="none", edgecolors="#555", label=t("too_few_point", lang))  # fmt: skip
    low_end = float(year["lo"].min(skipna=True)) if judged.any() else float(year["mean"].min())
    top.set_ylim(max(0.0, (low_end if low_end == low_end else 90.0) - 2), 100.5)
    top.set(title=title, ylabel=t("score", lang))
    top.legend(fontsize=8, loc="lower left", frameon=False)
    if "service_level" in year and year["service_level"].notna().any():
        low.bar(x, year["service_level"].fillna(0) * 100, color="#8fb3d9")
        low.set(ylabel=t("service_level_pct", lang), ylim=(0, 100))
    else:
        low.bar(x, year["answered"], color="#8fb3d9")
        low.set(ylabel=t("contacts_answered", lang))
    low.set_xticks(x, months, rotation=45, fontsize=8)
    low.set(xlabel=t("month", lang))
    fig.tight_layout()
    return fig
