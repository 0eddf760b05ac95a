"""Charts for reports and dashboards: a real CJK font, intervals drawn from the data.

Intervals are precomputed (points); seaborn's bootstrap is never used
(``errorbar=None``), which is both honest about what is shown and fast.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import font_manager

from .i18n import t

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


def control_chart(control: pd.DataFrame, team: str, lang: str) -> plt.Figure:
    """A team's weekly mean score with its center line and control limits; signals in red."""
    d = control[control["team"] == team].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    x = range(len(d))
    ax.plot(x, d["mean"], marker="o", color="#1f77b4", label=t("score", lang))
    ax.plot(x, d["center"], color="grey", lw=1)
    ax.step(x, d["ucl"], where="mid", color="grey", ls="--", lw=1)
    ax.step(x, d["lcl"], where="mid", color="grey", ls="--", lw=1)
    sig = d["signal"] != ""
    ax.scatter(
        [i for i, s in zip(x, sig, strict=True) if s],
        d.loc[sig, "mean"],
        color="red",
        zorder=3,
        s=60,
    )
    ax.set_xticks(list(x), [w.split("/")[0][5:] for w in d["week"]], rotation=45, fontsize=8)
    ax.set(title=f"{team} — {t('trend', lang)}", xlabel=t("week", lang), ylabel=t("score", lang))
    fig.tight_layout()
    return fig


def interval_plot(
    df: pd.DataFrame, label: str, lang: str, title: str, sort: bool = True
) -> plt.Figure:
    """Means with their 95% intervals as horizontal bars, one row per ``label`` (n in the label);
    sorted by mean, or in the given order (top to bottom) with ``sort=False``."""
    d = df.sort_values("mean") if sort else df.iloc[::-1]
    d = d.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.32 * len(d) + 1)))
    y = range(len(d))
    ax.errorbar(d["mean"], y, xerr=[d["mean"] - d["lo"], d["hi"] - d["mean"]], fmt="o", capsize=3)
    ax.set_yticks(
        list(y), [f"{v} (n={n})" for v, n in zip(d[label], d["n"], strict=True)], fontsize=9
    )
    ax.set(title=title, xlabel=t("score", lang))
    fig.tight_layout()
    return fig


def pareto_chart(pareto: pd.DataFrame, team: str, lang: str, top: int = 10) -> plt.Figure:
    """Points lost per item (bars) and the cumulative share (line) for one team."""
    d = pareto[pareto["team"] == team].head(top)
    names = d["item"] if lang == "zh" else d["item_en"]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.bar(range(len(d)), d["points"], color="#4c72b0")
    ax.set_xticks(range(len(d)), names, rotation=35, ha="right", fontsize=8)
    ax.set(ylabel=t("points_lost", lang), title=f"{team} — {t('pareto', lang)}")
    ax2 = ax.twinx()
    ax2.plot(range(len(d)), d["cum_share"] * 100, color="#dd8452", marker="o")
    ax2.set_ylim(0, 105)
    ax2.set_ylabel(t("cum_share", lang) + " (%)")
    fig.tight_layout()
    return fig
