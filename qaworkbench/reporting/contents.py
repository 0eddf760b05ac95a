"""What the weekly, monthly and personal reports show, computed in one place.

``build`` returns a ``ReportContext`` of tables (customer ids masked); the
report notebooks only display it, so weekly and monthly cannot drift apart.
Scores are points; intervals 95%.

Why this module is long: it is every section of the three reports, one small
function each, and they share helpers (scope, items, agent tables); kept in one
module so a section reads next to the others it must agree with. Issue #14's
page one and sections will split it by report section.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from .. import scoring
from ..config import REPORTS_DIR
from ..data.load import Center, load_center
from ..errors import QAWError
from ..order import natural_sorted, sort_natural
from ..periods import Period, parse_period
from ..privacy import masked
from ..sampling.allocation import completion
from ..scoring.period import ScoreTables, score_period
from ..scoring.scorecard import scorecard_versions
from ..stats import rate_change
from . import i18n

KINDS = ("weekly", "monthly", "agent")
# An agent score as reports show it: n, mean, 95% interval, pooled score and its rank.
AGENT_SCORE_COLUMNS = ["team", "agent_id", "name", "n", "mean", "lo", "hi", "pooled", "rank_pooled"]


@dataclass
class ReportContext:
    """Everything a report shows: metadata and named tables (already masked)."""

    kind: str
    period: str
    language: str
    team: str
    agent_id: str
    title: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    teams: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)  # what the data did not allow (for the log)

    def save(self, path: str | Path) -> Path:
        """Pickle the context for a notebook run (the runner computes, the notebook shows)."""
        path = Path(path)
        path.write_bytes(pickle.dumps(self))
        return path

    @staticmethod
    def load(path: str | Path) -> ReportContext:
        """Read a context pickled by ``save``."""
        return pickle.loads(Path(path).read_bytes())

    def appendix(self) -> dict[str, pd.DataFrame]:
        """The tables for the Excel appendix, columns in the report's language."""
        return {
            k: i18n.columns(v, self.language)
            for k, v in self.tables.items()
            if isinstance(v, pd.DataFrame)
        }


def build(
    kind: str, source: str | Path, period: str, *, team: str = "", language: str = "zh", agent_id: str = "",
    center: Center | None = None, samples_dir: str | Path | None = None,
) -> ReportContext:  # fmt: skip
    """Compute a report's tables: ``kind`` weekly (ISO week), monthly (month) or agent (month)."""
    if kind not in KINDS:
        raise ValueError(f"report kind must be one of {KINDS}, not {kind!r}")
    i18n.t("weekly", language)  # validates the language
    p = parse_period(period)
    if kind == "weekly" and p.kind != "week":
        raise ValueError(f"a weekly report needs an ISO week like 2026-W43, not {period!r}")
    if kind != "weekly" and p.kind != "month":
        raise ValueError(f"a {kind} report needs a month like 2026-10, not {period!r}")
    center = center or report_center(source)
    st = score_period(center, p)
    teams = natural_sorted(st.agents["team"].dropna().unique())
    if team and team not in teams:
        raise ValueError(f"team {team!r} has no evaluations in {period}; teams: {', '.join(teams)}")
    ctx = ReportContext(kind, period, language, team, agent_id, i18n.t(kind, language), teams=teams)
    ctx.limits = center.limits()
    if kind == "weekly":
        ctx.tables = _weekly(center, st, p, team, language, samples_dir)
    elif kind == "monthly":
        ctx.tables = _monthly(center, st, p, team, language, samples_dir)
    else:
        ctx.tables = _agent(center, st, p, agent_id, language)
    ctx.tables = {k: masked(v) for k, v in ctx.tables.items()}
    return ctx


QA_TABLES = (
    "agents", "evaluators", "evaluations", "evaluation_items", "complaints", "appeals",
    "penalty_events",
)  # fmt: skip


def report_center(source: str | Path) -> Center:
    """The tables a report reads: the roster and QA tables, loaded and validated, and of the
    contacts only the evaluated ones (id, customer, recording) — a month of millions of
    contacts is never loaded for a report. A database URL is loaded whole."""
    from ..data import engine
    from ..data.readers import is_url

    if is_url(source):
        return load_center(source)
    center = load_center(source, tables=QA_TABLES)
    con = engine.connect(source, tables=("contacts",))
    contacts = engine.contact_columns(
        con, center.evaluations["contact_id"], ("customer_id", "recording_ref")
    )
    missing = set(center.evaluations["contact_id"]) - set(contacts["contact_id"])
    if missing:
        raise QAWError(
            f"{len(missing)} evaluation(s) of contacts not in {source}/contacts, e.g. {sorted(missing)[0]}"
        )
    center.tables["contacts"] = contacts
    return center


def _scope(df: pd.DataFrame, team: str) -> pd.DataFrame:
    return df[df["team"] == team] if team and "team" in df else df


def _items(center: Center, st: ScoreTables) -> pd.DataFrame:
    """Failed items of the period's regular evaluations, with names and the correct handling."""
    ev = st.evaluations[st.evaluations["mode"] != "calibration"]
    meta = scoring.item_table(scorecard_versions())[
        [
            "scorecard_id",
            "scorecard_version",
            "item_id",
            "item",
            "item_en",
            "points",
            "critical",
            "correct_handling",
            "correct_handling_en",
        ]
    ]
    it = center.evaluation_items.merge(ev[["evaluation_id", "contact_id", "agent_id", "name", "team", "evaluator_id",
                                            "evaluated_at", "scorecard_id", "scorecard_version", "score"]], on="evaluation_id")  # fmt: skip
    it = it.merge(meta, on=["scorecard_id", "scorecard_version", "item_id"], how="left")
    it = it.merge(
        center.contacts[["contact_id", "customer_id", "recording_ref"]], on="contact_id", how="left"
    )
    return it[it["result"] == "fail"]


def _agents_table(st: ScoreTables, team: str) -> pd.DataFrame:
    cols = [*AGENT_SCORE_COLUMNS, "rank_raw", "status"]
    return (
        _scope(st.agents, team)[cols]
        .pipe(sort_natural, ["team", "rank_pooled"])
        .reset_index(drop=True)
    )


def _common(
    center: Center, st: ScoreTables, p: Period, team: str, lang: str, samples_dir
) -> dict[str, pd.DataFrame]:
    failed = _scope(_items(center, st), team)
    handling = "correct_handling" if lang == "zh" else "correct_handling_en"
    name = "item" if lang == "zh" else "item_en"
    top = failed.groupby("item_id").size().sort_values(ascending=False).head(5).index
    examples = (
        failed[failed["item_id"].isin(top)]
        .sort_values(["item_id", "evaluated_at"], kind="stable")
        .groupby("item_id").head(3)
        [["item_id", name, "agent_id", "name", "contact_id", "customer_id", "evaluator_id", "comment", handling]]
    )  # fmt: skip
    per_agent = (
        failed.groupby(["team", "agent_id", "name"])
        .agg(deducted=("points_deducted", "sum"), items=("item_id", lambda s: ", ".join(f"{k}×{v}" for k, v in s.value_counts().items())))
        .reset_index().sort_values("deducted", ascending=False, kind="stable")
    )  # fmt: skip
    crit = failed[failed["critical"].fillna(False).astype(bool)][
        [
            "team",
            "agent_id",
            "name",
            "contact_id",
            "customer_id",
            "item_id",
            name,
            "comment",
            "evaluator_id",
            "evaluated_at",
        ]
    ]
    teams = _scope(st.teams, team).rename(columns={"half_width": "±"})
    coach = _scope(st.agents, team)
    team_mean = coach["team"].map(st.teams.set_index("team")["mean"])
    coach = coach[
        (coach["pooled_hi"] < team_mean)
        | (coach["critical_fails"] > 0)
        | coach["status"].isin(["frozen", "demoted"])
    ]
    coach = coach[
        [
            "team",
            "agent_id",
            "name",
            "n",
            "mean",
            "lo",
            "hi",
            "pooled",
            "critical_fails",
            "status",
            "evidence",
        ]
    ]
    return {
        "team_scores": teams.round(2),
        "agent_scores": _agents_table(st, team).round(2),
        "problems": examples,
        "deductions": per_agent,
        "critical": crit,
        "completion": _completion(center, p, team, samples_dir),
        "coach": coach.sort_values("pooled", kind="stable").round(2),
    }


def _completion(center: Center, p: Period, team: str, samples_dir) -> pd.DataFrame:
    """Planned against done per evaluator. A week counts the evaluations due in that week (from
    the samples of the months it touches) and what was evaluated by its end; a month counts its
    whole sample."""
    folder = Path(samples_dir or REPORTS_DIR / "samples")
    last_day = p.end - pd.Timedelta(days=1)
    months = sorted({p.start.strftime("%Y-%m"), last_day.strftime("%Y-%m")})
    paths = [folder / m / "sample.csv" for m in months if (folder / m / "sample.csv").exists()]
    if not paths:
        return pd.DataFrame(
            {"note": [i18n.LABELS["no_plan"][0] + " / " + i18n.LABELS["no_plan"][1]]}
        )
    planned = pd.concat(
        [pd.read_csv(f, dtype={"contact_id": str, "agent_id": str}, encoding="utf-8-sig")
         for f in paths],
        ignore_index=True,
    )  # fmt: skip
    planned = _scope(planned, team)
    evaluations = center.evaluations
    if p.kind == "week":
        due = pd.to_datetime(planned["due"])
        planned = planned[(due >= p.start) & (due < p.end)]
        evaluations = evaluations[evaluations["evaluated_at"] < p.end]
    by_eval, _ = completion(planned, evaluations)
    return by_eval


def _weekly(center, st, p, team, lang, samples_dir) -> dict[str, pd.DataFrame]:
    return _common(center, st, p, team, lang, samples_dir)


def _monthly(center, st, p, team, lang, samples_dir) -> dict[str, pd.DataFrame]:
    out = _common(center, st, p, team, lang, samples_dir)
    out["control"] = _scope(st.control, team)
    out["pareto"] = st.pareto[
        st.pareto["team"].isin([team] if team else st.pareto["team"].unique())
    ]
    out["calibration"] = st.calibration.round(2)
    out["section_alpha"] = st.section_alpha.round(3)
    out["appeals"] = st.appeals
    out["status"] = _scope(
        st.status.merge(center.agents[["agent_id", "name", "team"]], on="agent_id"), team
    )
    out["status"] = out["status"][out["status"]["status"] != "normal"][
        ["team", "agent_id", "name", "status", "penalty_points", "evidence"]
    ]
    out["actions"] = _actions(center, p, team, st)
    out["recordings"] = _recordings(center, st, team)
    return out


def _actions(center: Center, p: Period, team: str, now: ScoreTables) -> pd.DataFrame:
    """Each team's top problem of the previous month: its fail rate then and now, with the 95%
    interval of the change — did the improvement work?"""
    prev = parse_period(str(pd.Period(p.month, "M") - 1))
    try:
        before = score_period(center, prev)
    except QAWError:  # no previous month to compare with
        return pd.DataFrame(
            {
                "note": [
                    f"no evaluations in {prev.label} to compare with / {prev.label} 无质检数据可对比"
                ]
            }
        )
    top = (
        before.pareto[(before.pareto["team"] != "(center)")]
        .groupby("team")
        .head(1)[["team", "item_id", "item", "item_en"]]
    )
    rows = []
    for r in _scope(top, team).itertuples():
        rates = []
        for tables in (before, now):
            ev = tables.evaluations
            ev = ev[(ev["mode"] != "calibration") & (ev["team"] == r.team)]
            it = center.evaluation_items[
                center.evaluation_items["evaluation_id"].isin(ev["evaluation_id"])
                & (center.evaluation_items["item_id"] == r.item_id)
            ]
            applicable = it[it["result"] != "na"]
            rates.append(((applicable["result"] == "fail").sum(), len(applicable)))
        (f0, n0), (f1, n1) = rates
        rows.append(
            {
                "team": r.team,
                "item_id": r.item_id,
                "item": r.item,
                "item_en": r.item_en,
                "n": f"{n0} → {n1}",
            }
            | {
                k: (round(v, 3) if isinstance(v, float) else v)
                for k, v in rate_change(f0, n0, f1, n1).items()
            }
        )
    return pd.DataFrame(rows)


def _recordings(center: Center, st: ScoreTables, team: str, n: int = 10) -> pd.DataFrame:
    ev = _scope(st.evaluations[st.evaluations["mode"] != "calibration"], team)
    ev = ev.merge(
        center.contacts[["contact_id", "customer_id", "recording_ref"]], on="contact_id", how="left"
    )
    cols = [
        "kind",
        "team",
        "agent_id",
        "name",
        "contact_id",
        "customer_id",
        "recording_ref",
        "score",
        "evaluator_id",
    ]
    best = ev[ev["score"] >= 100].drop_duplicates("agent_id").head(n).assign(kind="excellent 优秀")
    worst = (
        ev.sort_values("score", kind="stable")
        .drop_duplicates("agent_id")
        .head(n)
        .assign(kind="problem 问题")
    )
    return pd.concat([best, worst])[cols]


def _agent(
    center: Center, st: ScoreTables, p: Period, agent_id: str, lang: str
) -> dict[str, pd.DataFrame]:
    if agent_id not in set(center.agents["agent_id"]):
        raise ValueError(f"agent {agent_id!r} is not in the roster")
    scored, _ = scoring.score_evaluations(
        center.evaluations, center.evaluation_items, center.appeals
    )
    mine = scored[
        (scored["agent_id"] == agent_id)
        & (scored["mode"] != "calibration")
        & (scored["evaluated_at"] < p.end)
    ]
    mine = mine.assign(month=mine["evaluated_at"].dt.strftime("%Y-%m"))
    from ..stats import score_intervals

    regular = scored[scored["mode"] != "calibration"].assign(
        month=scored["evaluated_at"].dt.strftime("%Y-%m")
    )
    history = score_intervals(regular, ["agent_id", "month"])
    history = history[history["agent_id"] == agent_id][["month", "n", "mean", "lo", "hi"]].round(2)
    items = center.evaluation_items.merge(
        mine[["evaluation_id", "month", "contact_id", "evaluator_id", "evaluated_at"]],
        on="evaluation_id",
    )
    failed = items[items["result"] == "fail"]
    meta = scoring.item_table(scorecard_versions()).drop_duplicates("item_id").set_index("item_id")
    recurring = (
        failed.groupby("item_id")
        .agg(months=("month", "nunique"), fails=("item_id", "size"))
        .reset_index()
    )
    recurring = recurring[recurring["months"] >= 2].sort_values(
        ["months", "fails"], ascending=False, kind="stable"
    )
    recurring["item"] = recurring["item_id"].map(meta["item" if lang == "zh" else "item_en"])
    recurring["correct_handling"] = recurring["item_id"].map(
        meta["correct_handling" if lang == "zh" else "correct_handling_en"]
    )
    notes = failed.merge(
        center.contacts[["contact_id", "customer_id"]], on="contact_id", how="left"
    )
    notes = notes.sort_values("evaluated_at", ascending=False, kind="stable").head(20)
    this = st.agents[st.agents["agent_id"] == agent_id]
    from .. import coaching

    if coaching.recorded():  # reading a report never creates the store
        acts = coaching.actions(coaching.connect(), agent_id)
        acts = acts[acts["created_at"] < p.end] if len(acts) else acts
    else:
        acts = pd.DataFrame()
    results = center.evaluation_items.merge(
        scored[["evaluation_id", "agent_id", "evaluated_at"]], on="evaluation_id"
    )[["agent_id", "item_id", "result", "evaluated_at"]]
    results = results[results["evaluated_at"] < p.end]
    follow = coaching.follow_up(acts, results) if len(acts) else pd.DataFrame()
    coached = (
        acts[["action_id", "created_at", "created_by", "item_ids", "agreed", "due"]].merge(follow, on="action_id")
        if len(acts) else pd.DataFrame()
    )  # fmt: skip
    return {
        "coaching": coached.round(
            {c: 3 for c in ("before", "after", "change", "change_lo", "change_hi")}
        )
        if len(coached)
        else coached,
        "agent_scores": this[[*AGENT_SCORE_COLUMNS, "status", "evidence"]].round(2),
        "history": history,
        "recurring": recurring[["item_id", "item", "months", "fails", "correct_handling"]],
        "notes": notes[
            ["evaluated_at", "evaluator_id", "contact_id", "customer_id", "item_id", "comment"]
        ],
    }


def table(df: pd.DataFrame, lang: str, max_rows: int = 60) -> HTML:
    """A table for a report page: masked, columns in ``lang``, numbers rounded, no index."""
    if df is None or df.empty:
        return HTML(f"<p><em>{i18n.t('none', lang)}</em></p>")
    shown = i18n.columns(masked(df.head(max_rows)), lang)
    html = shown.to_html(
        index=False, float_format=lambda x: f"{x:.2f}", na_rep="", classes="qaw-table", border=0
    )
    more = (
        f"<p><em>… {len(df) - max_rows} more (Excel appendix)</em></p>"
        if len(df) > max_rows
        else ""
    )
    return HTML(html + more)


SECTION_TITLES = {
    "team_scores": "team_scores", "agent_scores": "agent_scores", "problems": "problems",
    "deductions": "deductions", "critical": "critical", "completion": "completion", "coach": "coach",
    "control": "trend", "pareto": "pareto", "calibration": "calibration", "appeals": "appeals",
    "status": "status", "actions": "actions", "recordings": "recordings", "history": "history",
    "recurring": "recurring", "notes": "notes", "coaching": "coaching",
}  # fmt: skip


def load_or_build(
    kind: str,
    context_path: str,
    data_dir: str,
    period: str,
    team: str,
    language: str,
    agent_id: str = "",
) -> ReportContext:
    """The context the runner prepared, or (opened by hand in JupyterLab) one built now."""
    from ..config import DEMO_DIR

    if context_path:
        return ReportContext.load(context_path)
    return build(
        kind, data_dir or DEMO_DIR, period, team=team, language=language, agent_id=agent_id
    )


def section(ctx: ReportContext, key: str) -> None:
    """Display one report section: its heading, its chart (if any) and its table."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    from . import plotting

    lang = ctx.language
    display(
        HTML(f'<h2 class="qaw-section" id="sec-{key}">{i18n.t(SECTION_TITLES[key], lang)}</h2>')
    )
    tables = ctx.tables
    fig = None
    if key == "team_scores" and not tables[key].empty:
        display(HTML(f'<p class="qaw-note">{i18n.t("interval_note", lang)}</p>'))
        fig = plotting.interval_plot(tables[key], "team", lang, i18n.t("team_scores", lang))
    elif key == "history" and not tables[key].empty:
        fig = plotting.interval_plot(
            tables[key], "month", lang, i18n.t("history", lang), sort=False
        )
    elif key == "control" and not tables[key].empty:
        signals = tables[key][tables[key]["signal"] != ""]["team"].unique().tolist()
        for team in [ctx.team] if ctx.team else signals[:4] or ctx.teams[:1]:
            f = plotting.control_chart(tables[key], team, lang)
            display(f)
            plt.close(f)
        display(table(tables[key][tables[key]["signal"] != ""], lang))
        return
    elif key == "pareto" and not tables[key].empty:
        fig = plotting.pareto_chart(tables[key], ctx.team or "(center)", lang)
        tables = {key: tables[key][tables[key]["vital_few"]]}
    if fig is not None:
        display(fig)
        plt.close(fig)
    display(table(tables[key], lang))
    if key == "calibration" and "section_alpha" in ctx.tables:
        display(table(ctx.tables["section_alpha"], lang))
