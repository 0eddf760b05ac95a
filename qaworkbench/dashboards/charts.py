"""Small charts drawn straight as SVG for the dashboards: a selection redraws in milliseconds
(matplotlib takes ~180 ms per chart), the text is the page's own (any CJK font the browser has),
and the chart scales to the screen's width."""

from __future__ import annotations

import html as _html

import pandas as pd
from IPython.display import HTML

from ..reporting.i18n import t

ROW = 22  # px per row
LEFT = 130  # px for the row labels
WIDTH = 520  # px of the drawing (it scales with the page)


def interval_chart(
    df: pd.DataFrame, label: str, lang: str, title: str, show_title: bool = True
) -> HTML:
    """Means (points) with their 95% intervals as horizontal whiskers, one row per ``label`` in
    the given order, n in the label; a row without an interval (too few to judge) shows a
    hollow point. The axis runs from 5 below the lowest end to 100. ``title`` names the chart
    for screen readers, and above it unless ``show_title`` is False (a heading says it)."""
    esc = _html.escape
    d = df.reset_index(drop=True)
    ends = pd.concat([d["lo"].dropna(), d["mean"].dropna()])
    x0 = max(0.0, float(ends.min()) - 5) if len(ends) else 0.0
    x0 = float(int(x0 // 5 * 5))
    span = WIDTH - LEFT - 20

    def x(v: float) -> float:
        return LEFT + (v - x0) / (100 - x0) * span

    top = 28 if show_title else 8
    height = top + ROW * len(d) + 44
    out = [f'<text x="{LEFT}" y="16" font-size="14" font-weight="bold">{esc(title)}</text>']
    out = out if show_title else []
    for tick in range(int(x0), 101, 5 if 100 - x0 <= 30 else 10):
        out.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{top + ROW * len(d)}" '
                   f'stroke="#e3e3e3"/><text x="{x(tick):.1f}" y="{top + ROW * len(d) + 14}" '
                   f'font-size="11" text-anchor="middle">{tick}</text>')  # fmt: skip
    for i, r in d.iterrows():
        y = top + ROW * i + ROW / 2
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="12" text-anchor="end">'
                   f"{esc(str(r[label]))} (n={int(r['n'])})</text>")  # fmt: skip
        if pd.notna(r["lo"]) and pd.notna(r["hi"]):
            out.append(f'<line x1="{x(r["lo"]):.1f}" x2="{x(r["hi"]):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                       f'stroke="#1f77b4" stroke-width="2"/>'
                       f'<circle cx="{x(r["mean"]):.1f}" cy="{y:.1f}" r="4" fill="#1f77b4"/>')  # fmt: skip
        elif pd.notna(r["mean"]):
            out.append(
                f'<circle cx="{x(r["mean"]):.1f}" cy="{y:.1f}" r="4" fill="none" stroke="#555"/>'
            )
    ly = top + ROW * len(d) + 34
    out.append(
        f'<circle cx="{LEFT}" cy="{ly - 4}" r="4" fill="#1f77b4"/><text x="{LEFT + 8}" y="{ly}" '
        f'font-size="11">{esc(t("mean_with_interval", lang))} · {esc(t("score", lang))}</text>'
    )
    if d["lo"].isna().any():
        out.append(f'<circle cx="{LEFT + 260}" cy="{ly - 4}" r="4" fill="none" stroke="#555"/>'
                   f'<text x="{LEFT + 268}" y="{ly}" font-size="11">{esc(t("too_few_point", lang))}</text>')  # fmt: skip
    body = "".join(out)
    return HTML(
        f'<figure class="qaw-chart"><svg role="img" aria-label="{esc(title)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" style="max-width:{WIDTH}px" font-family="sans-serif">{body}</svg></figure>'
    )


def _fit(text: str, px: float, size: float = 12) -> str:
    """``text`` cut with an ellipsis to about ``px`` pixels at font ``size`` (a CJK character
    about one em wide, others about half)."""
    used = 0.0
    for i, ch in enumerate(text):
        used += size if ord(ch) > 0x2E80 else size * 0.55
        if used > px:
            return text[: max(i - 1, 1)] + "…"
    return text


def pareto_bars(
    p: pd.DataFrame, lang: str, title: str, top: int = 10, show_title: bool = True
) -> HTML:
    """The Pareto of deductions as horizontal bars, largest first: points lost per item (the
    ``top`` items) with the cumulative share of all points written beside each bar."""
    esc = _html.escape
    d = p.head(top).reset_index(drop=True)
    most = float(d["points"].max()) or 1.0
    span = WIDTH - LEFT - 120
    top_px = 28 if show_title else 8
    height = top_px + ROW * len(d) + 24
    out = [f'<text x="{LEFT}" y="16" font-size="14" font-weight="bold">{esc(title)}</text>']
    out = out if show_title else []
    for i, r in d.iterrows():
        y = top_px + ROW * i
        w = max(1.0, float(r["points"]) / most * span)
        name = _fit(str(r["item"]), LEFT - 10)
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 15}" font-size="12" text-anchor="end">'
            f"<title>{esc(str(r['item']))}</title>{esc(name)}</text>"
            f'<rect x="{LEFT}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}" fill="#d62728"/>'
            f'<text x="{LEFT + w + 6:.1f}" y="{y + 15}" font-size="11">{float(r["points"]):.0f} · '
            f"{float(r['cum_share']):.0%}</text>"
        )
    ly = top_px + ROW * len(d) + 16
    out.append(
        f'<text x="{LEFT}" y="{ly}" font-size="11">{esc(t("points_lost", lang))} · '
        f"{esc(t('cum_share', lang))}</text>"
    )
    return HTML(
        f'<figure class="qaw-chart"><svg role="img" aria-label="{esc(title)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" style="max-width:{WIDTH}px" font-family="sans-serif">{"".join(out)}</svg></figure>'
    )
