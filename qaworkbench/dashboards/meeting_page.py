"""The quality-meeting dashboard (质量例会), in the meeting's agenda order: the month and its
change on the last, the common problems with a compact drill-down, the bottom-line cases by
severity, the teams and the 12-month trend; then evaluators (leniency, calibration), agent
status, plan completion and auto-QA, folded. A team chosen (``?team=``) applies to every
section; a figure that cannot be split by team says it is the whole center's.

The center's numbers are the monthly report's (``DashboardData.monthly``), so the meeting and
the published report never disagree; a team's are computed as the team's report computes them.
"""

from __future__ import annotations

import html as _html

import ipywidgets as w
import pandas as pd
from IPython.display import HTML

from .. import coaching
from ..periods import parse_period, previous
from ..reporting import display, i18n
from ..reporting.autoqa_tables import autoqa_note, empty_note
from ..reporting.contents import CHART_ROWS, _period_text
from ..reporting.display import table
from . import meeting_sections as ms
from . import views
from .charts import interval_chart, pareto_bars
from .views import DashboardData, guarded, heading, message, scroll, wrap


def _headline(d: DashboardData, month: str, team: str, store) -> HTML:
    lang = d.language
    p = parse_period(month)
    prev = i18n.say("previous_month", lang)
    prev += f"（{_period_text(previous(p), lang)}）" if lang == "zh" else f" ({previous(p).label})"
    scope = f"{_period_text(p, lang)} · {ms.scope_label(d, team)}"
    h = display.headline(ms.scope_headline(d, month, team), scope, prev, lang)
    if store is None:
        return h
    acts = coaching.actions(store)
    if team and len(acts):
        acts = acts[acts["agent_id"].isin(d.center.agents.loc[d.center.agents["team"] == team,
                                                                "agent_id"])]  # fmt: skip
    n_open = int((acts["status"] == "open").sum()) if len(acts) else 0
    sep = "：" if lang == "zh" else ": "
    line = f"<p>{_html.escape(d.t('open_actions'))}{sep}{n_open}</p>"
    return HTML(h.data.replace("</ul></div>", f"</ul>{line}</div>"))


def _note(text: str) -> HTML:
    return HTML(f'<p class="qaw-note">{_html.escape(text)}</p>')


def _fold(summary: str, parts: list[HTML], anchor: str = "") -> HTML:
    """Parts folded under a summary line (opened on demand)."""
    ident = f' id="{anchor}"' if anchor else ""
    body = "".join(p.data for p in parts)
    return HTML(f"<details{ident}><summary>{_html.escape(summary)}</summary>{body}</details>")


def _empty(d: DashboardData, month: str, team: str) -> bool:
    r = d.regular
    return not ((r["month"] == month) & ((r["team"] == team) if team else True)).any()


@guarded
def show_top(parts: list, d: DashboardData, month: str, team: str, store=None) -> None:
    """The headline of the center or team and its change on last month; called as
    ``show_top(out, d, month, team, store)``."""
    lang = d.language
    if month not in d.monthly or _empty(d, month, team):
        parts.append(HTML(message(i18n.say("month_empty", lang, month=month), ok=False)))
        return
    parts.append(heading(d.t("meeting_headline"), 2, "meeting-title"))
    parts.append(_headline(d, month, team, store))


@guarded
def show_pareto(parts: list, d: DashboardData, month: str, team: str) -> list[str]:
    """The common problems of the center or a team: the top items as bars and a table, the
    rest folded; called as ``show_pareto(out, d, month, team)``; returns the item ids for the
    drill-down selector."""
    who = ms.scope_label(d, team)
    p = ms.problem_pareto(d, month, team)
    parts.append(HTML(
        f'<h2 id="sec-problems">{_html.escape(d.t("common_problems"))} · {_html.escape(who)}</h2>'
        f'<p class="qaw-note" id="pareto-title">{_html.escape(d.t("pareto"))} · '
        f"{_html.escape(who)} · {month}</p>"
    ))  # fmt: skip
    if p.empty:
        parts.append(HTML(f"<p><em>{d.t('none')}</em></p>"))
        return []
    parts.append(pareto_bars(p, d.language, f"{d.t('pareto')} · {who}", ms.TOP_ITEMS, False))
    cols = ["item", "fails", "points", "share", "cum_share"]
    parts.append(wrap(table(p[cols].head(ms.TOP_ITEMS), d.language)))
    if len(p) > ms.TOP_ITEMS:
        rest = p[cols].iloc[ms.TOP_ITEMS :]
        parts.append(_fold(i18n.say("more_items", d.language, n=len(rest)),
                           [wrap(table(rest, d.language))], "pareto-rest"))  # fmt: skip
    return p["item_id"].tolist()


@guarded
def drill(parts: list, d: DashboardData, month: str, team: str, item_id: str, k: int) -> int:
    """One problem's drill-down: its count, the agents who failed it most, and its first ``k``
    contacts (customer masked, with the evaluator's comment); called as
    ``drill(out, d, month, team, item_id, k)``; returns how many contacts are left unshown."""
    lang = d.language
    ex = ms.problem_examples(d, month, team, item_id)
    who = ms.problem_agents(d, month, team, item_id)
    n_agents = ms.problem_agent_count(d, month, team, item_id)
    parts.append(heading(i18n.say("drill_count", lang, item=d.problem_label(item_id), n=len(ex),
                                  agents=n_agents), 3, "drill-title"))  # fmt: skip
    parts.append(heading(d.t("drill_agents"), 4))
    parts.append(scroll(table(who, lang, split=False)))
    parts.append(heading(d.t("drill_examples"), 4))
    parts.append(scroll(table(ex.head(k), lang, split=False)))
    return max(0, len(ex) - k)


@guarded
def show_rest(parts: list, d: DashboardData, month: str, team: str) -> None:
    """The sections after the common problems: bottom-line cases by severity, teams (or the
    team's agents) and the 12-month trend, then evaluators, agent status, plan completion and
    auto-QA folded; every one for ``team`` where it can be split by team, else said to be the
    whole center's. Called as ``show_rest(out, d, month, team)``."""
    lang = d.language
    tables = d.monthly.get(month)
    if tables is None or _empty(d, month, team):
        return
    who = ms.scope_label(d, team)
    # bottom-line cases (红线), most severe kind first
    cases = ms.bottom_line_cases(d, month, team)
    parts.append(heading(f"{d.t('red_lines')} · {who}", 2, "sec-red-lines"))
    parts.append(_note(d.t("red_lines_note")))
    if cases.empty:
        parts.append(HTML(f"<p><em>{_html.escape(d.t('none'))}</em></p>"))
    else:
        parts.append(wrap(table(ms.bottom_line_summary(cases), lang)))
        shown = cases[["bottom_line_kind", "at", "team", "name", "case", "contact_id"]]
        shown = shown.assign(at=shown["at"].dt.strftime("%Y-%m-%d"))
        parts.append(_fold(f"{d.t('red_line_cases')} ({len(cases)})",
                           [scroll(table(shown, lang, split=False))], "red-line-cases"))  # fmt: skip
    # teams (or the team's agents) and the trend
    parts.append(heading(f"{d.t('teams_trend')} · {who}", 2, "sec-teams"))
    comp = ms.team_comparison(d, month, team)
    if team:
        title = i18n.say("team_agents", lang, team=team)
        parts.append(heading(title, 4))
        if len(comp):
            parts.append(interval_chart(comp.assign(agent=comp["agent"]), "agent", lang, title,
                                        False))  # fmt: skip
        parts.append(_fold(title, [scroll(table(comp, lang, split=False))]))
    else:
        if len(comp) > CHART_ROWS:  # a large center: the lowest teams, all of them in the table
            shown = comp.sort_values("mean", kind="stable").head(CHART_ROWS)
            title = i18n.say("lowest_teams", lang, k=CHART_ROWS, n=len(comp))
        else:
            shown, title = comp, d.t("team_scores")
        parts.append(interval_chart(shown, "team", lang, title, show_title=len(comp) > CHART_ROWS))
        parts.append(_fold(d.t("team_scores"), [scroll(table(comp, lang, split=False))]))
    trend = ms.trend(d, month, team)
    parts.append(heading(d.t("trend_12"), 3, "sec-trend"))
    if len(trend):
        parts.append(interval_chart(trend, "month", lang, d.t("trend_12"), False))
    # the rest, folded
    parts.append(heading(d.t("more_sections"), 2, "sec-more"))
    status = tables["status"]
    status = status[status["team"] == team] if team else status
    parts.append(_fold(f"{d.t('status')} · {who} ({len(status)})",
                       [scroll(table(status, lang, split=False))], "fold-status"))  # fmt: skip
    keep = ms.evaluators_of(d, month, team)
    ev = []
    if keep is not None:
        ev.append(_note(i18n.say("team_evaluators", lang, team=team)))
    ev.append(_note(d.t("leniency_note")))
    for key in ("leniency", "calibration"):
        t = tables[key]
        t = t[t["evaluator_id"].isin(keep)] if keep is not None else t
        ev += [heading(d.t(key), 4), scroll(table(t, lang))]
    ev += [heading(d.t("section_alpha"), 4), _note(d.t("alpha_note"))]
    if team:
        ev.append(_note(d.t("center_wide")))
    ev.append(scroll(table(tables["section_alpha"], lang)))
    parts.append(_fold(d.t("evaluators"), ev, "fold-evaluators"))
    comp_parts = [_note(d.t("center_wide"))] if team else []
    if tables["completion"].empty:
        comp_parts.append(HTML(f"<p><em>{_html.escape(d.t('no_plan'))}</em></p>"))
    else:
        comp_parts.append(scroll(table(tables["completion"], lang)))
    parts.append(_fold(d.t("completion"), comp_parts, "fold-completion"))
    aq = [_note(autoqa_note(lang))]
    for key in ("autoqa_coverage", "autoqa", "autoqa_teams"):
        aq.append(heading(d.t(key), 4))
        t = tables[key]
        if key == "autoqa_teams" and team:
            t = t[t["team"] == team]
        elif team:
            aq.append(_note(d.t("center_wide")))
        why = empty_note(tables, key, lang)
        aq.append(_note(why) if why else scroll(table(t, lang, split=False)))
    parts.append(_fold(d.t("autoqa_coverage"), aq, "fold-autoqa"))


def team_pareto(d: DashboardData, month: str, team: str) -> pd.DataFrame:
    """The deduction Pareto of one team (or the center with "") in a month: one row per item,
    bottom-line items apart (``meeting_sections.problem_pareto``)."""
    return ms.problem_pareto(d, month, team)


class MeetingPage:
    """The meeting dashboard's widgets and their wiring (the notebook displays ``widget`` and
    calls ``open`` with the page's query string: ``month``, ``team``).

    In the meeting's agenda order: the headline and its change, the common problems with a
    drill-down (the top examples, more on demand), the bottom-line cases by severity, the teams
    and the trend, then the rest folded. The team choice applies to every section."""

    def __init__(self, d: DashboardData, store=None):
        t = d.t
        self.d, self.store = d, store
        self.msg = w.HTML(message(t("loading")))  # until the link is read
        self.month = w.Dropdown(options=list(reversed(d.months)), description=t("w_month"))
        self.team = w.Dropdown(options=[(t("center"), "")] + [(x, x) for x in d.teams],
                               description=t("w_team"))  # fmt: skip
        self.item = w.Dropdown(options=[], description=t("w_item"))
        self.top, self.pareto, self.drill, self.rest = (w.Output() for _ in range(4))
        self.more = w.Button(description="", layout=w.Layout(display="none", width="auto"))
        self.more.add_class("qaw-more")
        self._quiet = False
        self._shown: tuple[str, str] | None = None  # the month and team drawn
        self._k = ms.EXAMPLES  # drill-down contacts shown
        views.warm()
        self.problems = w.VBox([self.pareto, self.item, self.drill, self.more])
        self.body = w.VBox([self.top, self.problems, self.rest])
        controls = w.HBox([self.month, self.team])
        controls.add_class("qaw-controls")
        self.widget = w.VBox([
            w.HTML(views.CSS + f"<h1>{_html.escape(t('meeting_title'))}</h1>"),
            self.msg, controls, self.body,
        ])  # fmt: skip
        self.widget.add_class("qaw-page")
        self.month.observe(lambda _: self.draw(), names="value")
        self.team.observe(lambda _: self.draw(), names="value")
        self.item.observe(lambda _: self._drill(reset=True), names="value")
        self.more.on_click(lambda _: self._drill(reset=False))

    def open(self, q: dict[str, str]) -> None:
        """Show what the link asks for; a message at the top and nothing else when it names a
        month or team that cannot be shown."""
        d, lang = self.d, self.d.language
        month, team = q.get("month", ""), q.get("team", "")
        problems = []
        if month and not views.valid_month(month):
            problems.append(i18n.say("month_malformed", lang, month=month[:20]))
        elif month and month not in d.months:
            problems.append(i18n.say("month_empty", lang, month=month))
        if team and team not in d.teams:
            problems.append(i18n.say("team_unknown", lang, team=team[:40]))
        if not d.months:
            problems.append(d.t("no_data"))
        self._quiet = True
        try:
            if month in d.months:
                self.month.value = month
            elif d.default_month:
                self.month.value = d.default_month
            self.team.value = team if team in d.teams else ""
        finally:
            self._quiet = False
        if problems:
            self.msg.value = "".join(message(p, ok=False) for p in problems)
            self.body.layout.display = "none"
            for out in (self.top, self.pareto, self.drill, self.rest):  # drawn while waiting
                views.clear(out)
            self._shown = None
            return
        if self._shown == (self.month.value, self.team.value):  # drawn while waiting: shown
            self.msg.value = ""
            self.body.layout.display = None
            return
        self.draw()

    def draw(self) -> None:
        """Redraw every section for the chosen month and team."""
        if self._quiet or self.month.value is None:
            return
        d, month, team = self.d, self.month.value, self.team.value
        self.msg.value = ""
        self.body.layout.display = None
        show_top(self.top, d, month, team, self.store)
        self._shown = (month, team)
        empty = month not in d.monthly or _empty(d, month, team)
        self.problems.layout.display = "none" if empty else None
        ids = [] if empty else show_pareto(self.pareto, d, month, team) or []
        self._quiet = True
        try:
            self.item.options = [(d.t("pick_item"), "")] + [(d.problem_label(i), i) for i in ids]
            self.item.value = ""
        finally:
            self._quiet = False
        views.clear(self.drill)
        self.more.layout.display = "none"
        if empty:
            views.clear(self.rest)
        else:
            show_rest(self.rest, d, month, team)

    def _drill(self, reset: bool) -> None:
        if self._quiet:
            return
        if not self.item.value:
            views.clear(self.drill)
            self.more.layout.display = "none"
            return
        self._k = ms.EXAMPLES if reset else self._k + ms.MORE
        left = drill(self.drill, self.d, self.month.value, self.team.value, self.item.value,
                     self._k) or 0  # fmt: skip
        self.more.description = i18n.say("more_examples", self.d.language, k=min(ms.MORE, left),
                                         n=left)  # fmt: skip
        self.more.layout.display = None if left else "none"
