"""The quality-meeting dashboard (质量例会): the month against the last, teams compared with
bounded intervals, evaluators (leniency and calibration with verdicts), agent status with
thin-evidence flags, plan completion, and the common problems down to their contacts.

The numbers are the monthly report's (``DashboardData.monthly``), so the meeting and the
published report never disagree.
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
from ..stats import pareto
from . import views
from .charts import interval_chart, pareto_bars
from .views import DashboardData, guarded, heading, message, scroll


def _headline(d: DashboardData, month: str, store) -> HTML:
    lang = d.language
    p = parse_period(month)
    prev = i18n.say("previous_month", lang)
    prev += f"（{_period_text(previous(p), lang)}）" if lang == "zh" else f" ({previous(p).label})"
    h = display.headline(d.monthly[month]["headline"], _period_text(p, lang), prev, lang)
    if store is None:
        return h
    acts = coaching.actions(store)
    n_open = int((acts["status"] == "open").sum()) if len(acts) else 0
    line = (
        f"<p>{_html.escape(d.t('open_actions'))}：{n_open}</p>"
        if lang == "zh"
        else (f"<p>{_html.escape(d.t('open_actions'))}: {n_open}</p>")
    )
    return HTML(h.data.replace("</ul></div>", f"</ul>{line}</div>"))


@guarded
def show_meeting(parts: list, d: DashboardData, month: str, store=None) -> None:
    """The month's overview; called as ``show_meeting(out, d, month, store)``."""
    lang = d.language
    tables = d.monthly.get(month)
    if tables is None or tables["headline"]["n"].iat[0] == 0:
        parts.append(HTML(message(i18n.say("month_empty", lang, month=month), ok=False)))
        return
    parts.append(HTML(f'<h2 id="meeting-title">{_html.escape(d.t("headline"))}</h2>'))
    parts.append(_headline(d, month, store))
    teams = tables["team_scores"]
    parts.append(heading(d.t("comparison")))
    if len(teams) > CHART_ROWS:  # a large center: the lowest teams, all of them in the table
        shown = teams.sort_values("mean", kind="stable").head(CHART_ROWS)
        title = i18n.say("lowest_teams", lang, k=CHART_ROWS, n=len(teams))
    else:
        shown, title = teams, d.t("team_scores")
    parts.append(interval_chart(shown, "team", lang, title, show_title=len(teams) > CHART_ROWS))
    parts.append(scroll(table(teams, lang, split=False)))
    parts.append(heading(d.t("evaluators")))
    parts.append(HTML(f'<p class="qaw-note">{_html.escape(d.t("leniency_note"))}</p>'))
    parts.append(scroll(table(tables["leniency"], lang)))
    parts.append(heading(d.t("calibration"), 4))
    parts.append(scroll(table(tables["calibration"], lang)))
    parts.append(HTML(f'<p class="qaw-note">{_html.escape(d.t("alpha_note"))}</p>'))
    parts.append(scroll(table(tables["section_alpha"], lang)))
    parts.append(heading(d.t("status")))
    parts.append(scroll(table(tables["status"], lang)))
    parts.append(heading(d.t("completion")))
    if tables["completion"].empty:
        parts.append(HTML(f"<p><em>{_html.escape(d.t('no_plan'))}</em></p>"))
    else:
        parts.append(scroll(table(tables["completion"], lang)))
    parts.append(heading(d.t("autoqa_coverage")))
    parts.append(HTML(f'<p class="qaw-note">{_html.escape(autoqa_note(lang))}</p>'))
    for key in ("autoqa_coverage", "autoqa", "autoqa_teams"):
        if key != "autoqa_coverage":
            parts.append(heading(d.t(key), 4))
        why = empty_note(tables, key, lang)
        parts.append(HTML(f'<p class="qaw-note">{_html.escape(why)}</p>') if why
                     else scroll(table(tables[key], lang, split=False)))  # fmt: skip


def team_pareto(d: DashboardData, month: str, team: str) -> pd.DataFrame:
    """The deduction Pareto of one team (or the center with "") in a month."""
    failed = d.items[(d.items["month"] == month) & (d.items["result"] == "fail")]
    if team:
        failed = failed[failed["team"] == team]
    failed = failed.assign(deduction=failed["points_deducted"], team=team or "(center)")
    p = pareto(failed)
    p["item"] = p["item_id"].map(d.item_label)
    return p


@guarded
def show_pareto(parts: list, d: DashboardData, month: str, team: str) -> list[str]:
    """A team's Pareto, called as ``show_pareto(out, d, month, team)``; returns its item ids for
    the drill-down selector."""
    who = team or d.t("center")
    p = team_pareto(d, month, team)
    parts.append(HTML(
        f'<h3 id="pareto-title">{_html.escape(d.t("pareto"))} · {_html.escape(who)} · {month}</h3>'
    ))  # fmt: skip
    if p.empty:
        parts.append(HTML(f"<p><em>{d.t('none')}</em></p>"))
        return []
    parts.append(pareto_bars(p, d.language, f"{d.t('pareto')} · {who}", show_title=False))
    parts.append(scroll(table(p[["item", "fails", "points", "share", "cum_share"]], d.language)))
    return p["item_id"].tolist()


@guarded
def drill(parts: list, d: DashboardData, month: str, team: str, item_id: str) -> None:
    """The contacts behind one item of the Pareto (customer masked, with evaluator comments);
    called as ``drill(out, d, month, team, item_id)``."""
    it = d.items[
        (d.items["month"] == month)
        & (d.items["result"] == "fail")
        & (d.items["item_id"] == item_id)
    ]
    if team:
        it = it[it["team"] == team]
    it = it.join(d.contacts[["customer_id"]], on="contact_id")
    it = it.merge(d.center.agents[["agent_id", "name"]], on="agent_id")
    names = d.center.evaluators.set_index("evaluator_id")["name"]
    it = it.assign(evaluator=it["evaluator_id"].map(names))
    parts.append(heading(f"{d.item_label(item_id)} · {len(it)}", 3, "drill-title"))
    cols = ["evaluated_at", "team", "name", "agent_id", "contact_id", "customer_id", "score",
            "comment", "evaluator"]  # fmt: skip
    parts.append(scroll(table(it.sort_values("evaluated_at", kind="stable")[cols], d.language)))


class MeetingPage:
    """The meeting dashboard's widgets and their wiring (the notebook displays ``widget`` and
    calls ``open`` with the page's query string: ``month``, ``team``)."""

    def __init__(self, d: DashboardData, store=None):
        t = d.t
        self.d, self.store = d, store
        self.msg = w.HTML(message(t("loading")))  # until the link is read
        self.month = w.Dropdown(options=list(reversed(d.months)), description=t("w_month"))
        self.team = w.Dropdown(options=[(t("center"), "")] + [(x, x) for x in d.teams],
                               description=t("w_team"))  # fmt: skip
        self.item = w.Dropdown(options=[], description=t("w_item"))
        self.overview, self.pareto, self.drill = w.Output(), w.Output(), w.Output()
        self._quiet = False
        self._shown: tuple[str, str] | None = None  # the month and team drawn
        views.warm()
        problems = w.VBox([
            w.HTML(f"<h2>{_html.escape(t('common_problems'))}</h2>"), self.team, self.pareto,
            self.item, self.drill,
        ])  # fmt: skip
        self.body = w.VBox([self.overview, problems])
        controls = w.HBox([self.month])
        controls.add_class("qaw-controls")
        self.widget = w.VBox([
            w.HTML(views.CSS + f"<h1>{_html.escape(t('meeting_title'))}</h1>"),
            self.msg, controls, self.body,
        ])  # fmt: skip
        self.widget.add_class("qaw-page")
        self.month.observe(lambda _: self.draw(overview=True), names="value")
        self.team.observe(lambda _: self.draw(overview=False), names="value")
        self.item.observe(lambda _: self._drill(), names="value")

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
            if team in d.teams:
                self.team.value = team
        finally:
            self._quiet = False
        if problems:
            self.msg.value = "".join(message(p, ok=False) for p in problems)
            self.body.layout.display = "none"
            for out in (self.overview, self.pareto, self.drill):  # drawn while waiting
                views.clear(out)
            self._shown = None
            return
        if self._shown == (self.month.value, self.team.value):  # drawn while waiting: shown
            self.msg.value = ""
            self.body.layout.display = None
            return
        self.draw(overview=True)

    def draw(self, overview: bool = True) -> None:
        """Redraw for the chosen month and team (the overview only when the month changed)."""
        if self._quiet or self.month.value is None:
            return
        self.msg.value = ""
        self.body.layout.display = None
        if overview or self._shown is None or self._shown[0] != self.month.value:
            show_meeting(self.overview, self.d, self.month.value, self.store)
        self._shown = (self.month.value, self.team.value)
        ids = show_pareto(self.pareto, self.d, self.month.value, self.team.value) or []
        self._quiet = True
        try:
            self.item.options = [(self.d.t("pick_item"), "")] + [
                (self.d.item_label(i), i) for i in ids
            ]
            self.item.value = ""
        finally:
            self._quiet = False
        views.clear(self.drill)

    def _drill(self) -> None:
        if self._quiet:
            return
        if self.item.value:
            drill(self.drill, self.d, self.month.value, self.team.value, self.item.value)
        else:
            views.clear(self.drill)
