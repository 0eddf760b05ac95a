"""The coaching dashboard (辅导面谈): one agent's month for a team lead and the agent, and the
form where what they agree is recorded, edited and closed.

In the order of the talk: a message when the link or a choice cannot be shown, the choices
(team, agent, month), the agent with their status (frozen, demoted …) and its reason, the
header figures (the month's score with n and interval, the change on last month, open coaching
actions) and the open actions; then the forms; then the month in detail, auto-QA findings
summarised per rule with the full list folded.
"""

from __future__ import annotations

import html as _html
import uuid
from datetime import date, timedelta
from pathlib import Path

import ipywidgets as w
import pandas as pd
from IPython.display import HTML

from .. import coaching
from ..reporting import i18n
from ..reporting.display import table
from ..stats import MIN_N, judged, mean_change
from . import views
from .charts import interval_chart
from .coaching_evidence import _audio, evidence_html  # noqa: F401 - the page's evidence folds
from .views import DashboardData, guarded, header, heading, message, scroll, wrap

PRESELECT = 3  # the agent's most-deducted items preselected in the form


def agent_deductions(d: DashboardData, agent_id: str, month: str) -> pd.DataFrame:
    """Per item: the agent's fails and fail rate against the team's in the month (with n)."""
    team = d.roster.at[agent_id, "team"]
    it = d.items[
        (d.items["month"] == month) & (d.items["team"] == team) & (d.items["result"] != "na")
    ]
    it = it.assign(fail=(it["result"] == "fail").astype("int64"))  # numeric even when empty
    team_rate = it.groupby("item_id")["fail"].agg(team_n="size", team_fail_rate="mean")
    mine = it[it["agent_id"] == agent_id].groupby("item_id")["fail"].agg(n="size", fails="sum")
    out = mine.join(team_rate).reset_index()
    out["fail_rate"] = out["fails"] / out["n"]
    out["item"] = out["item_id"].map(d.item_label)
    out = out[["item_id", "item", "n", "fails", "fail_rate", "team_n", "team_fail_rate"]]
    return out.sort_values(["fails", "fail_rate"], ascending=False, kind="stable")


def strengths(ded: pd.DataFrame) -> pd.DataFrame:
    """Items the agent passes more often than the team (no fail, team fails ≥ 5%)."""
    s = ded[(ded["fails"] == 0) & (ded["team_fail_rate"] >= 0.05)]
    return s[["item", "n", "team_fail_rate"]]


def agent_contacts(d: DashboardData, agent_id: str, month: str) -> pd.DataFrame:
    """The agent's evaluated contacts of the month, newest first: score, failed items, comments."""
    ev = d.regular[(d.regular["agent_id"] == agent_id) & (d.regular["month"] == month)]
    it = d.items[(d.items["agent_id"] == agent_id) & (d.items["month"] == month)
                 & (d.items["result"] == "fail")]  # fmt: skip
    comma, semicolon = ("、", "；") if d.language == "zh" else (", ", "; ")
    fails = it.groupby("evaluation_id").agg(
        items=("item_id", lambda s: comma.join(d.item_label(i) for i in s)),
        comments=("comment", lambda s: semicolon.join(x for x in s if isinstance(x, str))),
    )
    names = d.center.evaluators.set_index("evaluator_id")["name"]
    out = ev.join(fails, on="evaluation_id").assign(evaluator=ev["evaluator_id"].map(names))
    out = out[["evaluated_at", "contact_id", "evaluator", "mode", "score", "items", "comments"]]
    out = out.join(d.contacts[["customer_id"]], on="contact_id")
    return out.sort_values("evaluated_at", ascending=False, kind="stable").reset_index(drop=True)


def header_figures(d: DashboardData, agent_id: str, month: str, acts: pd.DataFrame) -> HTML:
    """The agent's month score with n and interval, the change on last month with its interval
    and verdict, and the open coaching actions (how many overdue)."""
    lang = d.language
    am = d.agent_month[d.agent_month["agent_id"] == agent_id].set_index("month")
    few = i18n.value("verdict", "too_few", lang)
    cells = []
    if month in am.index:
        r = am.loc[month]
        detail = (
            i18n.say("n_few", lang, n=int(r["n"]), few=few) if r["n"] < MIN_N
            else i18n.say("n_interval", lang, n=int(r["n"]),
                          interval=f"{r['lo']:.1f}\u2009–\u2009{r['hi']:.1f}")
        )  # fmt: skip
        cells.append((d.t("month_score"), f"{r['mean']:.1f}", detail))
    else:
        cells.append((d.t("month_score"), "—", d.t("no_evaluations_agent")))
    prev = views.months_back(month)
    if month in am.index and prev in am.index:
        a, b = am.loc[prev], am.loc[month]
        # SE from the interval's half width over 1.96: wider than the t-based SE, so cautious
        c = mean_change(a["mean"], a["half_width"] / 1.96, b["mean"], b["half_width"] / 1.96)
        verdict = "too_few" if min(a["n"], b["n"]) < MIN_N else c["verdict"]
        detail = i18n.say("change_detail", lang, lo=f"{c['change_lo']:+.1f}",
                          hi=f"{c['change_hi']:+.1f}", verdict=i18n.value("verdict", verdict, lang))  # fmt: skip
        cells.append((d.t("change_since"), f"{c['change']:+.1f}", detail))
    else:
        cells.append((d.t("change_since"), "—", i18n.value("verdict", "no_evaluations", lang)))
    open_ = acts[acts["status"] == "open"] if len(acts) else acts
    overdue = (
        int((pd.to_datetime(open_["due"]) < pd.Timestamp(views_today())).sum()) if len(open_) else 0
    )
    cells.append((d.t("open_actions"), str(len(open_)),
                  i18n.say("action_summary", lang, n=len(open_), overdue=overdue)))  # fmt: skip
    return header(cells)


def views_today() -> date:
    """Today's date (due dates are compared with it)."""
    return date.today()


def agent_status(d: DashboardData, agent_id: str, month: str) -> tuple[str, str] | None:
    """The agent's status at the end of ``month`` (frozen, demoted, full_marks, normal) and its
    reason in the page's language, as the monthly report gives it; None for a month older than
    the meeting's twelve."""
    tables = d.monthly.get(month)
    if tables is None:
        return None
    s = tables["status"]
    s = s[s["agent_id"] == agent_id]
    if s.empty:
        return "normal", ""
    return str(s["status"].iat[0]), str(s["evidence"].iat[0])


def _title(d: DashboardData, agent_id: str, month: str) -> HTML:
    name, team = d.roster.at[agent_id, "name"], d.roster.at[agent_id, "team"]
    who = f"{name}（{agent_id}）" if d.language == "zh" else f"{name} ({agent_id})"
    return HTML(f'<h2 id="agent-title">{_html.escape(f"{who} · {team} · {month}")}</h2>')


def status_banner(d: DashboardData, agent_id: str, month: str) -> HTML:
    """The agent's status and its reason, first thing under the name (red when frozen or
    demoted); said once: a freeze's or a demotion's reason begins by naming it."""
    st = agent_status(d, agent_id, month)
    if st is None:
        return HTML("")
    status, reason = st
    text = label = i18n.value("status", status, d.language)
    if reason and status in ("frozen", "demoted"):  # "Frozen since …", not "Frozen: frozen …"
        text = reason[:1].upper() + reason[1:]
    elif reason:
        text = i18n.say("status_reason", d.language, status=label, reason=reason)
    return HTML(
        f'<div class="qaw-status qaw-status-{status}" id="agent-status">'
        f"<span>{_html.escape(d.t('agent_status_now'))}</span> <b>{_html.escape(text)}</b></div>"
    )


def _actions_table(d: DashboardData, acts: pd.DataFrame) -> pd.DataFrame:
    label = "、".join if d.language == "zh" else ", ".join
    return acts.assign(
        item_ids=acts["item_ids"].map(lambda ids: label(d.item_label(i) for i in ids.split(","))),
        action_status=acts["status"],
    )[["action_id", "created_at", "created_by", "item_ids", "agreed", "due", "action_status",
       "outcome"]]  # fmt: skip


@guarded
def show_head(parts: list, d: DashboardData, agent_id: str, month: str, store) -> None:
    """What the coaching talk starts from: the agent, their status and its reason, the month's
    score with n and interval, the change on last month, and the open coaching actions;
    called as ``show_head(out, d, agent_id, month, store)``."""
    acts = coaching.actions(store, agent_id)
    parts.append(_title(d, agent_id, month))
    parts.append(status_banner(d, agent_id, month))
    parts.append(header_figures(d, agent_id, month, acts))
    open_ = acts[acts["status"] == "open"] if len(acts) else acts
    if len(open_):
        parts.append(heading(d.t("open_actions"), 3, "open-actions"))
        parts.append(scroll(table(_actions_table(d, open_), d.language)))


@guarded
def show_agent(
    parts: list, d: DashboardData, agent_id: str, month: str, store, recordings: Path | None = None,
    deductions: pd.DataFrame | None = None,
) -> None:  # fmt: skip
    """The month in detail, below the forms: deductions against the team, strengths, the
    12-month history, the evaluated contacts with their evidence, auto-QA findings per rule
    (the list folded) and every coaching action with its follow-up; called as
    ``show_agent(out, d, ...)`` (``deductions``: ``agent_deductions`` of the agent and month,
    when already computed)."""
    lang = d.language
    acts = coaching.actions(store, agent_id)
    parts.append(heading(d.t("detail_month"), 2, "detail-title"))
    trend = d.agent_month[d.agent_month["agent_id"] == agent_id]
    first = str(pd.Period(month, "M") - 11)  # the 12 months ending with the one shown
    trend = trend[(trend["month"] >= first) & (trend["month"] <= month)]
    contacts = agent_contacts(d, agent_id, month)
    if contacts.empty:
        parts.append(HTML(message(d.t("no_evaluations_agent"), ok=False)))
    if len(contacts):
        ded = agent_deductions(d, agent_id, month) if deductions is None else deductions
        parts.append(heading(d.t("deductions_vs_team")))
        parts.append(wrap(table(ded[ded["fails"] > 0].drop(columns=["item_id"]), lang)))
        parts.append(heading(d.t("strengths")))
        parts.append(wrap(table(strengths(ded), lang)))
    if len(trend):
        parts.append(heading(d.t("history")))
        trend = judged(trend)  # no interval below MIN_N evaluations: "too few to judge"
        parts.append(interval_chart(trend, "month", lang, d.t("history"), False))
        parts.append(scroll(table(trend[["month", "n", "mean", "lo", "hi"]], lang)))
    if len(contacts):
        parts.append(heading(d.t("evaluated_contacts")))
        parts.append(scroll(table(contacts, lang)))
        parts.append(heading(d.t("transcripts")))
        parts.append(HTML(evidence_html(d, contacts, recordings)))
    parts.append(heading(d.t("autoqa_findings"), 3, "autoqa-title"))
    parts.append(autoqa_findings(d, agent_id, month))
    parts.append(heading(d.t("coaching"), 3, "coaching-title"))
    if acts.empty:
        parts.append(HTML(f"<p><em>{d.t('none')}</em></p>"))
        return
    parts.append(scroll(table(_actions_table(d, acts), lang)))
    follow = coaching.follow_up(acts, d.items[["agent_id", "item_id", "result", "evaluated_at"]])
    follow = follow.assign(item=follow["item_id"].map(d.item_label)).drop(columns=["item_id"])
    parts.append(scroll(table(follow, lang)))
    ups = coaching.updates(store, agent_id)
    if len(ups):
        parts.append(heading(d.t("change_history"), 4))
        ups = ups.assign(action_status=ups["status"])[
            ["action_id", "updated_at", "updated_by", "action_status", "outcome", "agreed", "due"]
        ]
        parts.append(scroll(table(ups, lang)))


def autoqa_findings(d: DashboardData, agent_id: str, month: str) -> HTML:
    """The agent's auto-QA violations of the month with their evidence (masked quotes), the
    violation rate with its interval, advisory rules marked."""
    lang = d.language
    r = d.autoqa_rates
    r = r[(r["agent_id"] == agent_id) & (r["month"] == month)]
    if r.empty:
        return HTML(f"<p><em>{_html.escape(d.t('autoqa_none'))}</em></p>")
    row = r.iloc[0]
    if pd.isna(row["rate"]):  # no rule agrees well enough with the evaluators yet
        line = i18n.say("autoqa_agent_advisory", lang, n=int(row["checked"]))
    else:
        line = i18n.say("autoqa_agent", lang, n=int(row["checked"]), k=int(row["violations"]),
                        rate=f"{row['rate']:.1%}", lo=f"{row['lo']:.1%}", hi=f"{row['hi']:.1%}")  # fmt: skip
    f = d.autoqa
    f = f[(f["agent_id"] == agent_id) & (f["month"] == month)]
    f = f.assign(trust=f["advisory"].map({True: "advisory", False: "counted"}))
    f = f.sort_values(["advisory", "contact_id", "seq"], kind="stable")  # counted rules first
    per_rule = (
        f.groupby(["rule", "trust"], sort=False).size().rename("violations").reset_index()
        .sort_values(["trust", "violations"], ascending=[False, False], kind="stable")
    )[["rule", "violations", "trust"]]  # fmt: skip
    shown = f[["contact_id", "rule", "seq", "quote", "found", "trust"]]
    fold = _html.escape(i18n.say("all_findings", lang, n=len(shown)))
    return HTML(f'<p class="qaw-note">{_html.escape(line)}</p>'
                + f'<h4 id="autoqa-by-rule">{_html.escape(d.t("findings_by_rule"))}</h4>'
                + scroll(table(per_rule, lang, split=False)).data
                + f'<details id="autoqa-all"><summary>{fold}</summary>'
                + scroll(table(shown, lang, split=False)).data + "</details>")  # fmt: skip


def check_action(lang: str, items, agreed: str, due, who: str, today: date) -> list[str]:
    """What is missing or wrong in a new action, in the page's language (empty when fine)."""
    say = i18n.PHRASES
    k = 0 if lang == "zh" else 1
    problems = []
    if not items:
        problems.append(say["need_items"][k])
    text = (agreed or "").strip()
    if len(text) < 4:
        problems.append(say["need_agreed"][k])
    elif text.startswith(("=", "+", "-", "@")):
        problems.append(say["no_formula"][k])
    if not isinstance(due, date) or due < today:
        problems.append(say["need_due"][k])
    if not (who or "").strip():
        problems.append(say["need_by"][k])
    return problems


class CoachingPage:
    """The coaching dashboard's widgets and their wiring (the notebook displays ``widget`` and
    calls ``open`` with the page's query string)."""

    def __init__(self, d: DashboardData, store, recordings: Path | None = None):
        t = d.t
        self.d, self.store, self.recordings = d, store, recordings
        lang = d.language
        self.msg = w.HTML(message(t("loading")))  # until the link is read
        self.team = w.Dropdown(options=d.teams, description=t("w_team"))
        self.agent = w.Dropdown(options=[], description=t("w_agent"))
        self.month = w.Dropdown(options=list(reversed(d.months)), description=t("w_month"))
        self.head, self.view = w.Output(), w.Output()
        self.items = w.SelectMultiple(options=[], rows=8, description=t("w_items"))
        self.agreed = w.Textarea(placeholder=t("agreed_hint"), description=t("w_agreed"))
        self.due = w.DatePicker(value=views_today() + timedelta(days=7), description=t("w_due"))
        self.who = w.Text(placeholder=t("by_hint"), description=t("w_by"))
        self.save = w.Button(description=t("save"), button_style="primary")
        self.note = w.HTML()
        self.action = w.Dropdown(options=[], description=t("w_action"))
        self.status = w.Dropdown(
            options=[(i18n.value("action_status", s, lang), s) for s in coaching.STATUSES],
            description=t("w_status"),
        )
        self.outcome = w.Textarea(placeholder=t("outcome_hint"), description=t("w_outcome"))
        self.who2 = w.Text(placeholder=t("by_hint"), description=t("w_by"))
        self.update = w.Button(description=t("update"))
        self.note2 = w.HTML()
        self._request = uuid.uuid4().hex  # the new-action form's one-time key
        views.warm()
        self._quiet = False
        controls = w.HBox([self.team, self.agent, self.month])
        controls.add_class("qaw-controls")
        new = w.HBox([self.items, w.VBox([self.agreed, self.due, self.who, self.save])])
        edit = w.HBox(
            [w.VBox([self.action, self.status]), w.VBox([self.outcome, self.who2, self.update])]
        )
        new.add_class("qaw-form")
        edit.add_class("qaw-form")
        self.edit = w.VBox(
            [w.HTML(f"<h3>{_html.escape(t('update_action'))}</h3>"), edit, self.note2]
        )
        self.forms = w.VBox([
            w.HTML(f"<h3>{_html.escape(t('record_action'))}</h3>"), new, self.note, self.edit,
        ])  # fmt: skip
        self.widget = w.VBox([
            w.HTML(views.CSS + f"<h1>{_html.escape(t('coaching_title'))}</h1>"),
            self.msg, controls, self.head, self.forms, self.view,
        ])  # fmt: skip
        self.widget.add_class("qaw-page")
        self.team.observe(self._team_changed, names="value")
        for x in (self.agent, self.month):
            x.observe(lambda _: self.draw(), names="value")
        for x in (self.items, self.agreed, self.due):
            x.observe(self._form_changed, names="value")
        self._status_of: dict[int, str] = {}
        self.action.observe(self._action_chosen, names="value")
        self.save.on_click(self._save)
        self.update.on_click(self._update)

    def open(self, q: dict[str, str]) -> None:
        """Show what the link asks for (``agent``, ``month``); a message at the top and nothing
        else when it names an agent or month that cannot be shown."""
        d, lang = self.d, self.d.language
        problems = []
        agent = q.get("agent", "")
        month = q.get("month", "")
        if agent and agent not in d.roster.index:
            problems.append(i18n.say("agent_unknown", lang, agent=agent[:40]))
        if month and not views.valid_month(month):
            problems.append(i18n.say("month_malformed", lang, month=month[:20]))
        elif month and month not in d.months:
            problems.append(i18n.say("month_empty", lang, month=month))
        if not d.months:
            problems.append(d.t("no_data"))
        self._quiet = True
        try:
            team = d.roster.at[agent, "team"] if agent in d.roster.index else d.teams[0]
            self.team.value = team
            self.agent.options = d.agents_of(team)
            if agent in d.roster.index:
                self.agent.value = agent
            if month in d.months:
                self.month.value = month
            elif d.default_month:
                self.month.value = d.default_month
        finally:
            self._quiet = False
        if problems:
            self.msg.value = "".join(message(p, ok=False) for p in problems)
            views.clear(self.head)
            views.clear(self.view)
            self.forms.layout.display = "none"
            return
        self.draw()

    def _team_changed(self, _change) -> None:
        if self._quiet:
            return
        self._quiet = True
        try:
            self.agent.options = self.d.agents_of(self.team.value)
        finally:
            self._quiet = False
        self.draw()

    def draw(self) -> None:
        """Redraw the view and reset the forms for the chosen agent and month."""
        if self._quiet:
            return
        if self.agent.value is None or self.month.value is None:  # a link without an agent, a
            self.msg.value = message(self.d.t("pick_agent"))  # new team: ask, show no one
            views.clear(self.head)
            views.clear(self.view)
            self.forms.layout.display = "none"
            return
        self.msg.value = self.note.value = self.note2.value = ""
        self.forms.layout.display = None
        agent, month = self.agent.value, self.month.value
        ded = agent_deductions(self.d, agent, month)
        self._reset_form(agent, ded)
        show_head(self.head, self.d, agent, month, self.store)
        show_agent(self.view, self.d, agent, month, self.store, self.recordings, ded)

    def _reset_form(self, agent: str, deductions: pd.DataFrame) -> None:
        d = self.d
        own = d.items_of(agent)
        top = [i for i in deductions[deductions["fails"] > 0]["item_id"] if i in own]
        self._quiet = True
        try:
            first = top[:PRESELECT]  # the most-deducted items first, preselected
            self.items.options = [
                (d.item_label(i), i) for i in first + [i for i in own if i not in first]
            ]
            self.items.value = tuple(first)
            self.agreed.value = ""
            self.due.value = views_today() + timedelta(days=7)
            acts = coaching.actions(self.store, agent)
            self.action.options = [
                (f"#{a.action_id} {a.created_at:%Y-%m-%d} · "
                 f"{i18n.value('action_status', a.status, d.language)} · {a.agreed[:20]}", a.action_id)
                for a in acts.itertuples()
            ]  # fmt: skip
            self._status_of = dict(zip(acts["action_id"], acts["status"], strict=True))
            self.action.value = self.action.options[0][1] if self.action.options else None
            self.status.value = self._status_of.get(self.action.value, "open")
            self.outcome.value = ""
            self.edit.layout.display = None if len(acts) else "none"
        finally:
            self._quiet = False
        self._request = uuid.uuid4().hex
        self.save.disabled = False

    def _action_chosen(self, _change) -> None:
        """The update form starts from the chosen action's current status."""
        if not self._quiet and self.action.value in self._status_of:
            self.status.value = self._status_of[self.action.value]

    def _form_changed(self, _change) -> None:
        if not self._quiet:
            self.save.disabled = False

    def _save(self, _button=None) -> None:
        if self.save.disabled:  # a second click of the same form: it was saved once
            return
        self.save.disabled = True
        d, lang = self.d, self.d.language
        problems = check_action(lang, self.items.value, self.agreed.value, self.due.value,
                                self.who.value, views_today())  # fmt: skip
        if problems:
            why = "；".join(problems) if lang == "zh" else "; ".join(problems)
            self.note.value = message(i18n.say("not_saved", lang, why=why), ok=False)
            self.save.disabled = False
            return
        agent = self.agent.value
        try:
            action_id = coaching.add_action(
                self.store, agent, list(self.items.value), self.agreed.value, self.due.value,
                self.who.value, known_agents=set(d.roster.index), known_items=set(d.item_names.index),
                request_id=self._request,
            )  # fmt: skip
        except Exception:
            import logging

            logging.getLogger("qaworkbench.dashboard").exception("saving an action failed")
            self.note.value = message(i18n.say("not_saved", lang, why=d.t("view_failed")), ok=False)
            self.save.disabled = False
            return
        due = self.due.value
        self.draw()  # the action appears in the view; the form clears
        self.save.disabled = True  # until something new is written
        self.note.value = message(i18n.say("saved", lang, agent=agent, action=action_id, due=due))

    def _update(self, _button=None) -> None:
        lang = self.d.language
        k = 0 if lang == "zh" else 1
        problems = []
        if self.action.value is None:
            problems.append(i18n.PHRASES["need_action"][k])
        if self.status.value != "open" and len(self.outcome.value.strip()) < 2:
            problems.append(i18n.PHRASES["need_outcome"][k])
        if self.outcome.value.strip().startswith(("=", "+", "-", "@")):
            problems.append(i18n.PHRASES["no_formula"][k])
        if not self.who2.value.strip():
            problems.append(i18n.PHRASES["need_by"][k])
        if problems:
            why = "；".join(problems) if lang == "zh" else "; ".join(problems)
            self.note2.value = message(i18n.say("not_saved", lang, why=why), ok=False)
            return
        action_id, status = self.action.value, self.status.value
        coaching.update_action(self.store, action_id, status, self.outcome.value, self.who2.value)
        self.draw()
        self.note2.value = message(i18n.say(
            "updated", lang, action=action_id, status=i18n.value("action_status", status, lang)
        ))  # fmt: skip
