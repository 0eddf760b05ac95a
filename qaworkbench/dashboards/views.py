"""What the Voila dashboards show: data loaded and pre-aggregated once per session, views drawn
from memory on every selection (no data read again).

The notebooks under notebooks/dashboards/ build the widgets and wire one
callback each; everything they display is computed here, masked.
"""

from __future__ import annotations

import html as _html
import os
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd
from IPython.display import HTML

from .. import coaching, scoring
from ..config import DEMO_DIR, REPORTS_DIR
from ..errors import QAWError
from ..order import natural_sorted, sort_natural
from ..privacy import masked
from ..reporting import evidence
from ..reporting.contents import report_center
from ..reporting.display import table
from ..reporting.i18n import t
from ..scoring import calibration, penalties
from ..scoring.scorecard import scorecard_versions
from ..stats import clustered_intervals, judged, pareto, score_intervals


def query_param(name: str, default: str = "") -> str:
    """A parameter of the page's URL query string (Voila passes it to the kernel)."""
    values = parse_qs(os.environ.get("QUERY_STRING", "")).get(name)
    return values[0] if values else default


def data_source(data_dir: str = "") -> str:
    """The data folder: the notebook's parameter, else ``QAW_DASHBOARD_DATA``, else the demo."""
    return data_dir or os.environ.get("QAW_DASHBOARD_DATA", "") or str(DEMO_DIR)


class DashboardData:
    """A center's QA data for one dashboard session: loaded, scored and aggregated once."""

    def __init__(self, source: str | Path, language: str = "zh"):
        from ..reporting.plotting import use_cjk_font

        use_cjk_font()
        self.language = language
        self.center = report_center(source)
        scored, _ = scoring.score_evaluations(
            self.center.evaluations, self.center.evaluation_items, self.center.appeals
        )
        scored = scored.merge(
            self.center.agents[["agent_id", "name", "team"]], on="agent_id", how="left"
        )
        scored["month"] = scored["evaluated_at"].dt.strftime("%Y-%m")
        self.scored = scored
        self.regular = scored[scored["mode"] != "calibration"]
        meta = scoring.item_table(scorecard_versions())
        self.item_names = meta.drop_duplicates("item_id").set_index("item_id")[
            ["item", "item_en", "points", "critical"]
        ]
        items = self.center.evaluation_items.merge(
            self.regular[
                [
                    "evaluation_id",
                    "agent_id",
                    "team",
                    "month",
                    "evaluated_at",
                    "contact_id",
                    "evaluator_id",
                    "score",
                ]
            ],
            on="evaluation_id",
        )
        self.items = items
        self.agent_month = score_intervals(self.regular, ["agent_id", "month"])
        per_month = self.regular.groupby("month").size()
        self.months = sorted(per_month.index)
        full = per_month[per_month >= 0.5 * per_month.median()]
        self.default_month = full.index.max()  # not a month of a few late evaluations
        self.teams = natural_sorted(self.center.agents["team"].dropna().unique())
        self.roster = self.center.agents.set_index("agent_id")
        contacts = masked(self.center.contacts)
        self.contacts = contacts.set_index("contact_id")

    @classmethod
    def cached(cls, source: str | Path, language: str = "zh") -> DashboardData:
        """Load the session's data, from a cache when the data folder has not changed since.

        The cache key is the folder's table files (name, size, modification time), the
        package version and the language; building once validates and scores, later
        sessions open in a fraction of the time.
        """
        import pickle

        from ..data.cache import cache_dir, stamp, write_atomic
        from ..data.readers import is_url
        from ..reporting.plotting import use_cjk_font

        if is_url(source):
            return cls(source, language)
        folder = Path(source)
        files = sorted(
            f for f in folder.iterdir() if f.is_file() and f.suffix in (".parquet", ".csv", ".xlsx")
        )
        key = stamp(files, str(folder.resolve()), language)
        path = cache_dir(folder) / f"dashboard-{key}.pkl"
        if path.exists():
            use_cjk_font()
            return pickle.loads(path.read_bytes())
        data = cls(source, language)
        for old in cache_dir(folder).glob("dashboard-*.pkl"):
            old.unlink(missing_ok=True)
        write_atomic(path, pickle.dumps(data))
        return data

    def agents_of(self, team: str) -> list[tuple[str, str]]:
        """(label, agent_id) for a team's agents, for a dropdown."""
        a = sort_natural(self.center.agents[self.center.agents["team"] == team], ["agent_id"])
        return [(f"{r.agent_id} {r.name}", r.agent_id) for r in a.itertuples()]

    def item_label(self, item_id: str) -> str:
        """An item's name in the dashboard's language."""
        if item_id not in self.item_names.index:
            return item_id
        return self.item_names.at[item_id, "item" if self.language == "zh" else "item_en"]


def _output(part) -> dict:
    """One Output-widget output (nbformat ``display_data``) for an HTML object or a matplotlib
    figure (rendered to PNG at the figure's dpi, then closed)."""
    import base64
    import io

    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    if isinstance(part, Figure):
        buf = io.BytesIO()
        part.savefig(buf, format="png", bbox_inches="tight")
        plt.close(part)
        data = {
            "image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
            "text/plain": "<Figure>",
        }
    else:
        data = {"text/html": part.data, "text/plain": "<HTML>"}
    return {"output_type": "display_data", "data": data, "metadata": {}}


def show(out, parts: list) -> None:
    """Make the ``out`` Output widget show ``parts`` (HTML objects, figures), in one state update.

    Never ``with out: display(...)``: under Voila that capture makes the server's notebook client
    write to the kernel's shell socket while it awaits the cell's reply, and a page load now and
    then hangs until the cell timeout (nbclient's output-widget sync racing pyzmq's poll).
    """
    out.outputs = tuple(_output(p) for p in parts)


def clear(out) -> None:
    """Empty an Output widget (see ``show`` for why not ``out.clear_output()``)."""
    out.outputs = ()


def guarded(view):
    """Run a view that appends what it shows to a list, then show that list in its Output; on any
    failure show a clear message instead of a traceback (the traceback goes to the server's log)."""
    import functools
    import logging

    @functools.wraps(view)
    def run(out, *args, **kwargs):
        parts: list = []
        try:
            result = view(parts, *args, **kwargs)
        except Exception as e:  # a dashboard must never show a traceback
            logging.getLogger("qaworkbench.dashboard").exception("view %s failed", view.__name__)
            import matplotlib.pyplot as plt

            for p in parts:  # figures drawn before the failure: free them (long-lived kernel)
                if not isinstance(p, HTML):
                    plt.close(p)
            text = f"could not show this view / 无法显示: {type(e).__name__}: {e}"
            show(out, [HTML(message(text, ok=False))])
            return []
        show(out, parts)
        return result

    return run


def _h(text: str, level: int = 3) -> HTML:
    return HTML(f"<h{level}>{_html.escape(text)}</h{level}>")


def message(text: str, ok: bool = True) -> str:
    """HTML for a short message box (green when ok, red otherwise)."""
    color = "#e6f4ea" if ok else "#fdecea"
    return f'<div class="qaw-msg" style="background:{color};padding:6px 10px;border-radius:4px">{_html.escape(text)}</div>'


def agent_deductions(d: DashboardData, agent_id: str, month: str) -> pd.DataFrame:
    """Per item: the agent's fail rate against the team's in the month (with n)."""
    team = d.roster.at[agent_id, "team"]
    it = d.items[
        (d.items["month"] == month) & (d.items["team"] == team) & (d.items["result"] != "na")
    ]
    team_rate = it.groupby("item_id")["result"].agg(
        team_n="size", team_fail_rate=lambda r: (r == "fail").mean()
    )
    mine = (
        it[it["agent_id"] == agent_id]
        .groupby("item_id")["result"]
        .agg(n="size", fails=lambda r: (r == "fail").sum())
    )
    out = mine.join(team_rate).reset_index()
    out["fail_rate"] = out["fails"] / out["n"]
    out["item"] = out["item_id"].map(d.item_label)
    out = out[["item_id", "item", "n", "fails", "fail_rate", "team_n", "team_fail_rate"]]
    return out.sort_values(["fails", "fail_rate"], ascending=False, kind="stable")


def agent_contacts(d: DashboardData, agent_id: str, month: str) -> pd.DataFrame:
    """The agent's evaluated contacts of the month: score, failed items, comments, recording."""
    ev = d.regular[(d.regular["agent_id"] == agent_id) & (d.regular["month"] == month)]
    it = d.items[d.items["evaluation_id"].isin(ev["evaluation_id"]) & (d.items["result"] == "fail")]
    fails = it.groupby("evaluation_id").agg(
        items=("item_id", lambda s: ", ".join(d.item_label(i) for i in s)),
        comments=("comment", lambda s: "; ".join(x for x in s if isinstance(x, str))),
    )
    out = ev.join(fails, on="evaluation_id")[
        ["evaluated_at", "contact_id", "evaluator_id", "mode", "score", "items", "comments"]
    ]
    out = out.join(d.contacts[["customer_id", "recording_ref"]], on="contact_id")
    return out.sort_values("evaluated_at", ascending=False, kind="stable")


def strengths(ded: pd.DataFrame) -> pd.DataFrame:
    """Items the agent passes more often than the team (no fail, team fails ≥ 5%)."""
    s = ded[(ded["fails"] == 0) & (ded["team_fail_rate"] >= 0.05)]
    return s[["item", "n", "team_fail_rate"]]


@guarded
def show_agent(parts: list, d: DashboardData, agent_id: str, month: str, store) -> None:
    """The coaching view of one agent and month; called as ``show_agent(out, d, ...)``."""

    from ..reporting import plotting

    lang = d.language
    if agent_id not in d.roster.index:
        parts.append(
            HTML(message(f"agent {agent_id!r} is not in the roster / 工号不存在", ok=False))
        )
        return
    name, team = d.roster.at[agent_id, "name"], d.roster.at[agent_id, "team"]
    parts.append(
        HTML(
            f'<h2 id="agent-title">{_html.escape(agent_id)} {_html.escape(name)} · {_html.escape(team)} · {month}</h2>'
        )
    )
    trend = d.agent_month[d.agent_month["agent_id"] == agent_id]
    if trend.empty:
        parts.append(HTML(message("no evaluations yet / 暂无质检记录", ok=False)))
    else:
        fig = plotting.interval_plot(trend, "month", lang, t("history", lang), sort=False)
        parts.append(fig)
        parts.append(table(judged(trend[["month", "n", "mean", "lo", "hi"]]), lang))
    ded = agent_deductions(d, agent_id, month)
    parts.append(_h("扣分项（与班组对比）/ Deductions against the team"))
    parts.append(table(ded[ded["fails"] > 0].drop(columns=["item_id"]), lang))
    parts.append(_h("优势 / Strengths"))
    parts.append(table(strengths(ded), lang))
    parts.append(_h("本月质检记录 / Evaluated contacts"))
    parts.append(table(agent_contacts(d, agent_id, month), lang))
    parts.append(_h("辅导记录与效果 / Coaching actions and whether they worked"))
    acts = coaching.actions(store, agent_id)
    if acts.empty:
        parts.append(HTML(f"<p><em>{t('none', lang)}</em></p>"))
    else:
        parts.append(
            table(
                acts[["action_id", "created_at", "created_by", "item_ids", "agreed", "due"]].assign(
                    item_ids=acts["item_ids"].map(
                        lambda ids: "、".join(d.item_label(i) for i in ids.split(","))
                    )
                ),
                lang,
            )
        )
        follow = coaching.follow_up(
            acts, d.items[["agent_id", "item_id", "result", "evaluated_at"]]
        )
        follow = follow.assign(item=follow["item_id"].map(d.item_label)).drop(columns=["item_id"])
        parts.append(table(follow, lang))


def save_action(
    d: DashboardData, store, agent_id: str, items: list[str], agreed: str, due, who: str
) -> str:
    """Save a coaching action from the form; returns the message HTML (never raises on bad input)."""
    try:
        if due is None:
            raise QAWError("give a due date / 请选择完成日期")
        action_id = coaching.add_action(
            store, agent_id, list(items), agreed, due, who,
            known_agents=set(d.roster.index), known_items=set(d.item_names.index),
        )  # fmt: skip
    except QAWError as e:
        return message(f"not saved / 未保存: {e}", ok=False)
    return message(f"saved / 已保存: action {action_id} for {agent_id}, due {due}")


@guarded
def show_meeting(parts: list, d: DashboardData, month: str) -> None:
    """Team comparison, calibration, flagged agents and plan completion for a month; called as
    ``show_meeting(out, d, month)``."""

    from ..reporting import plotting

    lang = d.language
    reg = d.regular[d.regular["month"] == month]
    if reg.empty:
        parts.append(HTML(message(f"no evaluations in {month} / 本月无质检数据", ok=False)))
        return
    teams = clustered_intervals(reg, "team")
    parts.append(HTML(f'<h2 id="meeting-title">{t("comparison", lang)} · {month}</h2>'))
    fig = plotting.interval_plot(teams, "team", lang, t("team_scores", lang))
    parts.append(fig)
    parts.append(table(judged(teams[["team", "agents", "n", "mean", "lo", "hi"]]), lang))
    parts.append(_h(t("calibration", lang)))
    cal = d.scored[(d.scored["month"] == month) & (d.scored["mode"] == "calibration")]
    if cal.empty:
        parts.append(HTML(f"<p><em>{t('none', lang)}</em></p>"))
    else:
        parts.append(
            table(
                judged(
                    calibration.evaluator_deviation(
                        calibration.calibration_scores(cal, d.center.evaluators)
                    )
                ),
                lang,
            )
        )
    parts.append(_h(t("status", lang)))
    pen = penalties.load_penalty_code()
    cases = penalties.most_severe(
        penalties.penalty_events(
            pen,
            d.center.complaints,
            d.scored,
            d.center.evaluation_items,
            d.center.penalty_events,
        ),
        pen,
    )
    st = penalties.agent_status(cases, d.scored, pen, month)
    names = evidence.item_names(scoring.item_table(scorecard_versions()), lang)
    st["evidence"] = evidence.status_evidence(st, cases, pen, names, lang)
    st = st[st["status"] != "normal"].merge(
        d.center.agents[["agent_id", "name", "team"]], on="agent_id"
    )
    st = sort_natural(st, ["team", "agent_id"])
    parts.append(
        table(st[["team", "name", "agent_id", "status", "penalty_points", "evidence"]], lang)
    )
    parts.append(_h(t("completion", lang)))
    path = REPORTS_DIR / "samples" / month / "sample.csv"
    if path.exists():
        from ..sampling.allocation import completion

        planned = pd.read_csv(
            path, dtype={"contact_id": str, "agent_id": str}, encoding="utf-8-sig"
        )
        parts.append(table(completion(planned, d.center.evaluations)[0], lang))
    else:
        parts.append(HTML(f"<p><em>{t('no_plan', lang)}</em></p>"))


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

    from ..reporting import plotting

    p = team_pareto(d, month, team)
    parts.append(
        HTML(
            f'<h3 id="pareto-title">{t("pareto", d.language)} · {_html.escape(team or "(center)")} · {month}</h3>'
        )
    )
    if p.empty:
        parts.append(HTML(f"<p><em>{t('none', d.language)}</em></p>"))
        return []
    fig = plotting.pareto_chart(p, team or t("center", d.language), d.language)
    parts.append(fig)
    parts.append(table(p[["item", "fails", "points", "share", "cum_share"]], d.language))
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
    it = it.join(d.contacts[["customer_id", "recording_ref"]], on="contact_id")
    it = it.merge(d.center.agents[["agent_id", "name"]], on="agent_id")
    parts.append(
        HTML(f'<h3 id="drill-title">{_html.escape(d.item_label(item_id))} · {len(it)}</h3>')
    )
    parts.append(
        table(
            it[
                [
                    "evaluated_at",
                    "team",
                    "name",
                    "agent_id",
                    "contact_id",
                    "customer_id",
                    "score",
                    "comment",
                    "recording_ref",
                ]
            ],
            d.language,
        )
    )


def today() -> date:
    """Today's date (the dashboard's default due date is a week after)."""
    return date.today()
