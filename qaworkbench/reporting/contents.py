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

import os
import pickle
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from .. import config, scoring
from ..data.load import Center, load_center
from ..errors import QAWError
from ..frames import isin
from ..order import natural_sorted, sort_natural
from ..periods import Period, parse_period, previous, week_of
from ..privacy import masked
from ..sampling.allocation import completion
from ..scoring import penalties
from ..scoring.history import cached_scores
from ..scoring.penalties import load_penalty_code
from ..scoring.period import ScoreTables, score_period
from ..scoring.scorecard import scorecard_versions
from ..stats import MIN_AGENTS, MIN_N, judged
from . import complaints, complaints_page, daily, effects, evaluators, evidence, i18n, pageone
from . import display as display_
from .autoqa_tables import autoqa_note, autoqa_tables, empty_note, split_rules
from .year import YEAR_MONTHS, year_tables, year_window

KINDS = ("weekly", "monthly", "agent", "daily")
# An agent score as reports show it: n, mean, 95% interval, pooled score and its rank.
AGENT_COLUMNS = ["team", "name", "agent_id", "n", "mean", "lo", "hi", "pooled", "rank_pooled",
                 "rank_n", "status", "evidence"]  # fmt: skip
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
    rest: str = ""  # where the tables still being computed will be (``build``'s ``early``)
    meta: dict[str, dict] = field(default_factory=dict)  # what a section says beside its tables

    def save(self, path: str | Path) -> Path:
        """Pickle the context for a notebook run (the runner computes, the notebook shows);
        written under another name and renamed, so a reader never sees half a file."""
        path = Path(path)
        part = path.with_name(path.name + ".part")
        part.write_bytes(pickle.dumps(self))
        os.replace(part, path)
        return path

    @staticmethod
    def load(path: str | Path) -> ReportContext:
        """Read a context pickled by ``save``."""
        return pickle.loads(Path(path).read_bytes())

    def complete(self) -> None:
        """Wait for the tables still being computed (at ``rest``) and take them in."""
        if self.rest:
            whole = wait_for_context(self.rest)
            self.tables, self.meta, self.rest = whole.tables, whole.meta, ""

    def appendix(self) -> dict[str, pd.DataFrame]:
        """The tables for the Excel appendix: sheets named and columns and values written in
        the report's language (numbers stay numbers)."""
        out = {}
        for k, v in self.tables.items():
            sheet = i18n.t(SECTION_TITLES[k], self.language)  # made a valid sheet name on write
            shown = v.drop(columns=[c for c in v.columns if c in display_.HIDDEN])
            out[sheet] = i18n.columns(shown, self.language, strict=True)
        return out


_BESIDE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qaw-report")


def build(
    kind: str, source: str | Path, period: str, *, team: str = "", language: str = "zh", agent_id: str = "",
    center: Center | None = None, samples_dir: str | Path | None = None,
    scored: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    early: Callable[[ReportContext], None] | None = None,
) -> ReportContext:  # fmt: skip
    """Compute a report's tables: ``kind`` weekly (ISO week), monthly (month), agent (month)
    or daily (a day: ``daily.daily_tables``).
    ``scored``: ``scoring.score_evaluations`` of ``center``, when a caller building several
    periods has it already. ``early`` is given a monthly report's first tables (page one,
    team scores, control charts: ``EARLY``) as soon as they are computed, so a notebook can
    show them while the rest is computed."""
    if kind not in KINDS:
        raise ValueError(f"report kind must be one of {KINDS}, not {kind!r}")
    i18n.t("weekly", language)  # validates the language
    p = parse_period(period)
    if kind == "weekly" and p.kind != "week":
        raise ValueError(f"a weekly report needs an ISO week like 2026-W43, not {period!r}")
    if kind == "daily":
        return _daily(source, p, team, language, center, samples_dir, scored)
    if kind != "weekly" and p.kind != "month":
        raise ValueError(f"a {kind} report needs a month like 2026-10, not {period!r}")
    center = center or period_center(source, p, archive=kind == "agent")
    # the auto-QA section reads the month's results (millions of rows; Parquet decodes without
    # the GIL) on the second core while the scores are computed; it reads the center only
    aq = (
        _BESIDE.submit(autoqa_tables, source, center, p, team, language)
        if kind == "monthly"
        else None
    )
    if scored is None:
        scored = cached_scores(source, center)
    st = score_period(center, p, scored=scored)
    before = previous(p)
    prev = scored[0][
        (scored[0]["evaluated_at"] >= before.start)
        & (scored[0]["evaluated_at"] < before.end)
        & (scored[0]["mode"] != "calibration")
    ]
    prev = prev.merge(center.agents[["agent_id", "team"]], on="agent_id", how="left")  # fmt: skip
    teams = natural_sorted(st.agents["team"].dropna().unique())
    if team and team not in teams:
        raise ValueError(f"team {team!r} has no evaluations in {period}; teams: {', '.join(teams)}")
    ctx = ReportContext(kind, period, language, team, agent_id, i18n.t(kind, language), teams=teams)
    ctx.limits = center.limits()
    if kind == "weekly":
        ctx.tables = _weekly(center, st, prev, p, team, language, samples_dir)
        ctx.tables.pop("_status")
    elif kind == "monthly":
        first = _common(center, st, prev, p, team, language, samples_dir)
        first["control"] = _scope(st.control, team)[CONTROL_COLUMNS]
        shown = {k: masked(first.pop(k)) for k in EARLY}
        if early:
            early(replace(ctx, tables=dict(shown)))
        ctx.tables = _monthly(first, center, st, p, team, language, scored[0])
        ctx.tables |= aq.result()
        ctx.tables |= year_tables(source, center, scored[0], p, team, cases=st.cases)
    if kind in ("weekly", "monthly"):
        ctx.tables |= _complaints(source, center, scored[0], p, team, ctx)
    else:
        shared = archive_data(center, st, p, language, scored[0])
        ctx.tables = archive_tables(shared, agent_id)
        ctx.team, ctx.title = shared.team_of(agent_id), archive_title(shared, agent_id)
    ctx.tables = {k: masked(v) for k, v in ctx.tables.items()}
    if kind == "monthly":
        ctx.tables = shown | ctx.tables  # in the page's order
    return ctx


def _complaints(
    source: str | Path, center: Center, scored: pd.DataFrame, p: Period, team: str,
    ctx: ReportContext,
) -> dict[str, pd.DataFrame]:  # fmt: skip
    """The complaints and satisfaction tables (``complaints``); what the page says about them
    goes to ``ctx.meta``, what the data did not allow to ``ctx.limits``."""
    from ..sampling.plan import load_plan

    lang = ctx.language
    names = evidence.item_names(scoring.item_table(scorecard_versions()), lang)
    tables, meta, limits = complaints.complaint_tables(
        source,
        center,
        scored,
        p,
        team,
        names,
        load_plan().complaints_report,
        i18n.t("center", lang),
        lang,
    )
    ctx.meta["complaints"] = meta
    ctx.limits += [x for x in limits if x not in ctx.limits]
    return tables


def _daily(
    source: str | Path, p: Period, team: str, language: str, center: Center | None,
    samples_dir: str | Path | None, scored: tuple[pd.DataFrame, pd.DataFrame] | None,
) -> ReportContext:  # fmt: skip
    """The daily report's context: the day's month loaded as the monthly report loads it (its
    auto-QA agreement is the month's), the day's tables masked."""
    if p.kind != "day":
        raise ValueError(f"a daily report needs a day like 2026-10-21, not {p.label!r}")
    center = center or period_center(source, parse_period(p.month))
    if scored is None:
        scored = cached_scores(source, center)
    teams = natural_sorted(center.agents["team"].dropna().unique())
    if team and team not in teams:
        raise ValueError(f"team {team!r} is not in the roster; teams: {', '.join(teams)}")
    ctx = ReportContext("daily", p.label, language, team, "", i18n.t("daily", language),
                        teams=teams, limits=center.limits())  # fmt: skip
    tables = daily.daily_tables(source, center, scored[0], p, team, language, samples_dir)
    ctx.tables = {k: masked(v) for k, v in tables.items()}
    return ctx


QA_TABLES = (
    "agents", "evaluators", "evaluations", "evaluation_items", "complaints", "appeals",
    "penalty_events",
)  # fmt: skip


def report_center(
    source: str | Path, since: pd.Timestamp | None = None, items_since: pd.Timestamp | None = None
) -> Center:
    """The tables a report reads: the roster and QA tables, loaded and validated, and of the
    contacts only the evaluated ones (id, customer, recording) — a month of millions of
    contacts is never loaded for a report; with ``since``, only those of the evaluations made
    from then on (the ones a report shows: a year holds 450,000). With ``items_since``, the
    item results read are those of evaluations made from then on, every fail (penalties,
    recurring problems) and every result of an item someone was coached on (the effect of
    coaching); a year's passes and n/a results are never read. A database URL is loaded
    whole."""
    from ..data import engine
    from ..data.readers import is_url

    if is_url(source):
        return load_center(source)
    keep = None if items_since is None else {"evaluation_items": _items_wanted(items_since)}
    center = load_center(source, tables=QA_TABLES, keep=keep)
    con = engine.connect(source, tables=("contacts",))
    ev = center.evaluations
    ids = ev["contact_id"] if since is None else ev.loc[ev["evaluated_at"] >= since, "contact_id"]
    contacts = engine.contact_columns(con, ids, ("customer_id", "recording_ref"))
    missing = ids[~isin(ids, contacts["contact_id"])].unique()
    if len(missing):
        raise QAWError(
            f"{len(missing)} evaluation(s) of contacts not in {source}/contacts, e.g. {sorted(missing)[0]}"
        )
    center.tables["contacts"] = contacts
    return center


def period_center(source: str | Path, p: Period, archive: bool = False) -> Center:
    """``report_center`` for a report of period ``p``: the contacts of the period's
    evaluations (an ``archive``'s: its last 12 months), the item results reports read."""
    since = year_window(p)[0] if archive else p.start
    return report_center(source, since=since, items_since=p.start)


def _items_wanted(since: pd.Timestamp):
    """``load_center``'s ``keep`` for the item results reports (and ``qaw score``) read."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .. import coaching
    from ..frames import arrow

    coached: set[str] = set()
    if coaching.recorded():  # reading a report never creates the store
        for ids in coaching.actions(coaching.connect())["item_ids"]:
            coached |= set(str(ids).split(","))

    def given(tables: dict[str, pd.DataFrame]):
        ev = tables["evaluations"]
        recent = ev.loc[ev["evaluated_at"] >= since, "evaluation_id"]

        def mask(items: pd.DataFrame):
            result = pc.utf8_lower(pc.utf8_trim_whitespace(arrow(items["result"].astype("str"))))
            plain = pc.fill_null(pc.is_in(result, value_set=pa.array(["pass", "na"])), False)
            wanted = ~plain.to_numpy(zero_copy_only=False)  # fails, and anything to check
            wanted |= isin(items["evaluation_id"].astype("str"), recent.astype("str"))
            if coached:
                wanted |= items["item_id"].astype("str").isin(coached).to_numpy()
            return wanted

        return mask

    return given


def _scope(df: pd.DataFrame, team: str) -> pd.DataFrame:
    return df[df["team"] == team] if team and "team" in df else df


ITEM_KEYS = ["scorecard_id", "scorecard_version", "item_id"]


def _items(center: Center, st: ScoreTables) -> pd.DataFrame:
    """Item results of the period's regular evaluations with the points they lost. Narrow on
    purpose: names, correct handling and customers are added to the failed ones only
    (``_described``), since every column is copied at each filter of 600,000 rows."""
    ev = st.evaluations[st.evaluations["mode"] != "calibration"]
    meta = scoring.item_table(scorecard_versions())[[*ITEM_KEYS, "points", "critical"]]
    items = center.evaluation_items
    items = items[isin(items["evaluation_id"], ev["evaluation_id"])]  # the period's, not a year's
    it = items.merge(ev[["evaluation_id", "contact_id", "agent_id", "name", "team", "evaluator_id",
                                            "evaluated_at", "scorecard_id", "scorecard_version", "score"]], on="evaluation_id")  # fmt: skip
    it = it.merge(meta, on=ITEM_KEYS, how="left")
    it["deduction"] = it["points_deducted"].where(it["points_deducted"] > 0, it["points"])
    return it


def _described(items: pd.DataFrame, center: Center) -> pd.DataFrame:
    """``items`` with the item's names and correct handling in both languages, and the
    contact's customer and recording."""
    meta = scoring.item_table(scorecard_versions())[
        [*ITEM_KEYS, "item", "item_en", "correct_handling", "correct_handling_en"]
    ]
    it = items.merge(meta, on=ITEM_KEYS, how="left")
    return it.merge(
        center.contacts[["contact_id", "customer_id", "recording_ref"]], on="contact_id", how="left"
    )


def _agents_table(st: ScoreTables, team: str, status: pd.Series) -> pd.DataFrame:
    cols = ["team", "name", "agent_id", "n", "mean", "lo", "hi", "pooled", "rank_pooled", "status"]
    a = _scope(st.agents, team).assign(status=lambda d: d["agent_id"].map(status).fillna("normal"))
    a["rank_n"] = len(st.agents)  # ranks are the whole center's: "3 of 240"
    out = judged(a[[*cols, "rank_n"]]).pipe(sort_natural, ["team", "rank_pooled"])
    return out.reset_index(drop=True)


def _status(
    center: Center, st: ScoreTables, p: Period, names: pd.Series, lang: str
) -> pd.DataFrame:
    """Agent status of the period's month (frozen, demoted, full marks) with evidence in ``lang``."""
    code = load_penalty_code()
    status = penalties.agent_status(st.cases, st.evaluations, code, p.month, center.penalty_events)
    status["evidence"] = evidence.status_evidence(status, st.cases, code, names, lang)
    return status.merge(center.agents[["agent_id", "name", "team"]], on="agent_id")


def _common(
    center: Center, st: ScoreTables, prev: pd.DataFrame, p: Period, team: str, lang: str,
    samples_dir,
) -> dict[str, pd.DataFrame]:  # fmt: skip
    items = _scope(_items(center, st), team)
    failed = _described(items[items["result"] == "fail"], center)
    names = evidence.item_names(scoring.item_table(scorecard_versions()), lang)
    handling = "correct_handling" if lang == "zh" else "correct_handling_en"
    name = "item" if lang == "zh" else "item_en"
    top = failed.groupby("item_id")["deduction"].sum().sort_values(ascending=False).head(5).index
    examples = (
        failed[failed["item_id"].isin(top)]
        .sort_values(["item_id", "evaluated_at"], kind="stable")
        .groupby("item_id").head(3)
        [[name, "name", "agent_id", "contact_id", "customer_id", "evaluator_id", "comment", handling]]
    ).rename(columns={name: "item", handling: "correct_handling"})  # fmt: skip
    who = center.evaluators.drop_duplicates("evaluator_id").set_index("evaluator_id")["name"]
    examples.insert(
        5,
        "evaluator",
        examples["evaluator_id"].map(who).astype("str").fillna(examples["evaluator_id"]),
    )
    examples = examples.drop(columns="evaluator_id")  # the evaluator by name, as elsewhere
    per_agent = (
        failed.groupby(["team", "name", "agent_id"])["deduction"].sum().rename("deducted")
        .reset_index().sort_values("deducted", ascending=False, kind="stable")
        .pipe(sort_natural, ["team"])
    )  # fmt: skip
    per_agent["items"] = per_agent["agent_id"].map(
        evidence.counted_by(failed, "agent_id", names, lang, top=99)
    )
    code = load_penalty_code()
    status = _status(center, st, p, names, lang)
    completion = _completion(center, p, team, samples_dir)
    critical = pageone.bottom_line_cases(st, center.agents, p.start, team, code, names, lang)
    teams = judged(_scope(st.teams, team))
    return {
        "headline": pageone.headline(st, prev, team, completion, len(critical)),
        "critical": critical,
        "top_problems": pageone.top_problems(
            failed, items.loc[items["result"] != "na", ["item_id"]], lang
        ),
        "coach": pageone.agents_to_coach(
            st, failed, team, names, lang, status.set_index("agent_id")["evidence"]
        ),
        "team_scores": teams[["team", "agents", "n", "mean", "lo", "hi"]],
        "agent_scores": _agents_table(st, team, status.set_index("agent_id")["status"]),
        "problems": examples,
        "deductions": per_agent,
        "completion": completion,
        "_status": status,
    }


COMPLETION_COLUMNS = ["evaluator", "evaluator_id", "planned", "done", "late", "overdue", "not_due",
                      "completion"]  # fmt: skip


def _completion(center: Center, p: Period, team: str, samples_dir) -> pd.DataFrame:
    """Planned against done per evaluator. A week counts the evaluations due in that week (from
    the samples of the months it touches) and what was evaluated by its end; a month counts its
    whole sample."""
    folder = Path(samples_dir or config.REPORTS_DIR / "samples")  # (the workspace now)
    last_day = p.end - pd.Timedelta(days=1)
    months = sorted({p.start.strftime("%Y-%m"), last_day.strftime("%Y-%m")})
    paths = [folder / m / "sample.csv" for m in months if (folder / m / "sample.csv").exists()]
    if not paths:
        none = pd.DataFrame(columns=COMPLETION_COLUMNS)
        none.attrs["no_sample"] = months[-1]  # page one says what to run
        return none
    planned = pd.concat(
        [pd.read_csv(f, dtype={"contact_id": str, "agent_id": str}, encoding="utf-8-sig",
                     low_memory=False)  # (one type per column, not per block of rows)
         for f in paths],
        ignore_index=True,
    )  # fmt: skip
    planned = _scope(planned, team)
    evaluations = center.evaluations  # from the first sampled month: live slots are the month's
    evaluations = evaluations[evaluations["evaluated_at"] >= pd.Timestamp(f"{months[0]}-01")]
    if p.kind == "week":
        due = pd.to_datetime(planned["due"])
        planned = planned[(due >= p.start) & (due < p.end)]
        evaluations = evaluations[evaluations["evaluated_at"] < p.end]
    # as of the period's end, or the data's last evaluation when the period is not over
    as_of = min(p.end, center.evaluations["evaluated_at"].max()) if len(evaluations) else p.end
    by_eval, _ = completion(planned, evaluations, as_of=as_of)
    by_eval = by_eval.merge(
        center.evaluators[["evaluator_id", "name"]].rename(columns={"name": "evaluator"}),
        on="evaluator_id", how="left",
    )  # fmt: skip
    by_eval["evaluator"] = by_eval["evaluator"].fillna(by_eval["evaluator_id"])
    return sort_natural(by_eval[COMPLETION_COLUMNS], ["evaluator_id"])


def _weekly(center, st, prev, p, team, lang, samples_dir) -> dict[str, pd.DataFrame]:
    return _common(center, st, prev, p, team, lang, samples_dir)


def _monthly(out, center, st, p, team, lang, scored) -> dict[str, pd.DataFrame]:
    """The monthly report's tables after ``EARLY``; ``out``: the rest of ``_common``'s."""
    names = evidence.item_names(scoring.item_table(scorecard_versions()), lang)
    par = st.pareto[st.pareto["team"] == (team or "(center)")]
    out["pareto"] = par.assign(item=par["item" if lang == "zh" else "item_en"])[
        ["item", "fails", "points", "share", "cum_share", "vital_few"]
    ]
    out["actions"] = _actions(center, scored, p, team, names)
    out["leniency"] = evaluators.leniency_verdicts(st.leniency, center.evaluators)
    cal = st.calibration.merge(
        center.evaluators[["evaluator_id", "name"]].rename(columns={"name": "evaluator"}),
        on="evaluator_id", how="left",
    )  # fmt: skip
    out["calibration"] = judged(cal)[
        ["evaluator", "evaluator_id", "n", "mean_deviation", "lo", "hi", "mean_abs_deviation",
         "within_tolerance"]
    ]  # fmt: skip
    out["section_alpha"] = evaluators.calibration_verdicts(st.section_alpha, _section_names(lang))
    out["appeals"] = st.appeals
    status = out.pop("_status")
    out["status"] = _scope(status[status["status"] != "normal"], team)[
        ["team", "name", "agent_id", "status", "evaluations", "penalty_points", "evidence"]
    ].pipe(sort_natural, ["team", "agent_id"])
    out["recordings"] = _recordings(center, st, team)
    out["rule_yield"] = _rule_yield(st, team, lang)
    return out


def _rule_yield(st: ScoreTables, team: str, lang: str) -> pd.DataFrame:
    """Each sampling reason's yield (share of its evaluations with a deduction), random picks
    first as the baseline, reasons in ``lang``."""
    from ..sampling.rules import REASONS
    from ..scoring.level import rule_yield

    y = rule_yield(_scope(st.evaluations[st.evaluations["mode"] != "calibration"], team))
    labels = {k: v.split("/", 1)[0 if lang == "zh" else 1].strip() for k, v in REASONS.items()}
    labels["outside"] = (
        "样本外（未记录抽样原因）" if lang == "zh" else "outside the sample (no reason recorded)"
    )
    y["sample_reason"] = y["sample_reason"].map(lambda r: labels.get(r, r))
    return y.drop(columns=["random"])


def _section_names(lang: str) -> dict[tuple[str, str], str]:
    names = {}
    for (cid, _), card in scorecard_versions().items():
        for s in card.sections:
            names[(cid, s.id)] = s.name if lang == "zh" else s.name_en
        names[(cid, "(total)")] = ("总分 · " if lang == "zh" else "Total · ") + (
            card.name if lang == "zh" else card.name_en
        )
    return names


def _actions(
    center: Center, scored: pd.DataFrame, p: Period, team: str, names: pd.Series
) -> pd.DataFrame:
    """The coaching actions saved up to the period's end, each item with the coached agent's
    fail rate before and after and the comparison group's change (``effects``)."""
    from .. import coaching

    if not coaching.recorded():  # reading a report never creates the store
        return effects.action_effects(None, None, p.end, names)
    acts = coaching.actions(coaching.connect())
    regular = scored[scored["mode"] != "calibration"]
    results = center.evaluation_items.merge(
        regular[["evaluation_id", "agent_id", "evaluated_at"]], on="evaluation_id"
    )[["agent_id", "item_id", "result", "evaluated_at"]]
    out = effects.action_effects(acts, results, p.end, names)
    roster = center.agents.set_index("agent_id")
    out["team"] = out["agent_id"].map(roster["team"])
    out["name"] = out["agent_id"].map(roster["name"])
    return _scope(out, team).reset_index(drop=True)


def _recordings(center: Center, st: ScoreTables, team: str, n: int = 10) -> pd.DataFrame:
    ev = _scope(st.evaluations[st.evaluations["mode"] != "calibration"], team)
    ev = ev.merge(
        center.contacts[["contact_id", "customer_id", "recording_ref"]], on="contact_id", how="left"
    )
    cols = ["kind", "team", "name", "agent_id", "contact_id", "customer_id", "recording_ref",
            "score", "evaluator_id"]  # fmt: skip
    best = ev[ev["score"] >= 100].drop_duplicates("agent_id").head(n).assign(kind="excellent")
    worst = (
        ev.sort_values("score", kind="stable")
        .drop_duplicates("agent_id")
        .head(n)
        .assign(kind="problem")
    )
    return pd.concat([best, worst])[cols]


@dataclass
class ArchiveData:
    """What every personal archive of one period shares, computed once (a batch of 300
    archives scores the period once): scored evaluations, item results, monthly history,
    status with evidence, coaching actions."""

    period: Period
    language: str
    agents: pd.DataFrame  # the period's agent scores
    regular: pd.DataFrame  # regular scored evaluations up to the period's end
    failed: pd.DataFrame  # failed items of those, with month and customer
    results: pd.DataFrame  # agent_id, item_id, result, evaluated_at (for coaching effects)
    history: pd.DataFrame  # agent x month: n, mean, interval
    status: pd.DataFrame  # indexed by agent_id: status, evidence
    meta: pd.DataFrame  # items by id
    names: pd.Series
    actions: pd.DataFrame | None
    roster: pd.DataFrame  # indexed by agent_id: name, team
    evaluators: pd.Series | None = None  # evaluator names by evaluator_id

    def team_of(self, agent_id: str) -> str:
        """The agent's team (班组) in the roster."""
        return str(self.roster.at[agent_id, "team"])


def archive_title(a: ArchiveData, agent_id: str) -> str:
    """A personal archive's title: "个人质检档案 · 田轩浩（A0022）"."""
    name = a.roster.at[agent_id, "name"]
    who = f"{name}（{agent_id}）" if a.language == "zh" else f"{name} ({agent_id})"
    return f"{i18n.t('agent', a.language)} · {who}"


def archive_data(
    center: Center, st: ScoreTables, p: Period, lang: str, scored: pd.DataFrame | None = None
) -> ArchiveData:
    """The shared part of the period's personal archives (see ``ArchiveData``); ``scored``:
    every evaluation scored already, if at hand."""
    from .. import coaching
    from ..stats import score_intervals

    if scored is None:
        scored, _ = scoring.score_evaluations(
            center.evaluations, center.evaluation_items, center.appeals
        )
    first, _ = year_window(p)  # the archive shows the last 12 months
    regular = scored[
        (scored["mode"] != "calibration")
        & (scored["evaluated_at"] >= first)
        & (scored["evaluated_at"] < p.end)
    ]
    regular = regular.assign(month=regular["evaluated_at"].dt.strftime("%Y-%m"))
    history = score_intervals(regular, ["agent_id", "month"]).merge(
        regular.groupby(["agent_id", "month"])["points_deducted"].mean().rename("mean_deducted"),
        on=["agent_id", "month"],
    )  # the score and the deduction trend of each agent's last 12 months
    items = center.evaluation_items.merge(
        regular[["evaluation_id", "agent_id", "month", "contact_id", "evaluator_id", "evaluated_at"]],
        on="evaluation_id",
    )  # fmt: skip
    failed = items[items["result"] == "fail"].merge(
        center.contacts[["contact_id", "customer_id"]], on="contact_id", how="left"
    )
    table = scoring.item_table(scorecard_versions())
    names = evidence.item_names(table, lang)
    # reading a report never creates the coaching store
    acts = coaching.actions(coaching.connect()) if coaching.recorded() else None
    return ArchiveData(
        period=p, language=lang, agents=st.agents, regular=regular,
        failed=failed.assign(item=failed["item_id"].map(names)),
        results=items[["agent_id", "item_id", "result", "evaluated_at"]],
        history=history, status=_status(center, st, p, names, lang).set_index("agent_id"),
        meta=table.drop_duplicates("item_id").set_index("item_id"), names=names, actions=acts,
        roster=center.agents.drop_duplicates("agent_id").set_index("agent_id")[["name", "team"]],
        evaluators=center.evaluators.drop_duplicates("evaluator_id").set_index("evaluator_id")["name"],
    )  # fmt: skip


def archive_tables(a: ArchiveData, agent_id: str) -> dict[str, pd.DataFrame]:
    """One agent's archive: this month's score, monthly history, recurring deductions, the
    latest evaluator notes and the coaching actions with their effect."""
    if agent_id not in a.roster.index:
        raise ValueError(f"agent {agent_id!r} is not in the roster")
    lang = a.language
    history = a.history[a.history["agent_id"] == agent_id][
        ["month", "n", "mean", "lo", "hi", "mean_deducted"]
    ]
    failed = a.failed[a.failed["agent_id"] == agent_id]
    recurring = (
        failed.groupby("item_id")
        .agg(months=("month", "nunique"), fails=("item_id", "size"))
        .reset_index()
    )
    recurring = recurring[recurring["months"] >= 2].sort_values(
        ["months", "fails"], ascending=False, kind="stable"
    )
    recurring["item"] = recurring["item_id"].map(a.names)
    recurring["correct_handling"] = recurring["item_id"].map(
        a.meta["correct_handling" if lang == "zh" else "correct_handling_en"]
    )
    notes = failed.sort_values("evaluated_at", ascending=False, kind="stable").head(20)
    this = a.agents[a.agents["agent_id"] == agent_id]
    this = this.assign(
        status=this["agent_id"].map(a.status["status"]).fillna("normal"),
        evidence=this["agent_id"].map(a.status["evidence"]).fillna(""),
        rank_n=len(a.agents),  # ranks are the whole center's: "138 of 278"
    )
    acts = a.actions[a.actions["agent_id"] == agent_id] if a.actions is not None else None
    # every action, also one saved after the month (its "after" is then still empty)
    end = a.period.end
    if acts is not None and len(acts):
        end = max(end, pd.Timestamp(acts["created_at"].max()) + pd.Timedelta(seconds=1))
    coached = effects.action_effects(acts, a.results, end, a.names, every_action=a.actions)
    who = a.evaluators if a.evaluators is not None else pd.Series(dtype=str)
    notes = notes.assign(evaluator=notes["evaluator_id"].map(who).fillna(notes["evaluator_id"]))
    return {
        "agent_status": this[["status", "evidence"]],
        "evaluations": _archive_evaluations(a, agent_id, who),
        "agent_scores": judged(this[AGENT_COLUMNS]),
        "history": judged(history),
        "recurring": recurring[["item", "months", "fails", "correct_handling"]],
        "notes": notes[
            ["evaluated_at", "evaluator", "contact_id", "customer_id", "item", "comment"]
        ],
        "coaching": coached.drop(columns=["team", "name", "agent_id"]),
    }


def _archive_evaluations(a: ArchiveData, agent_id: str, who: pd.Series) -> pd.DataFrame:
    """The agent's evaluations of the period's month, newest first: date, score (points),
    evaluator's name and the failed items (four short columns: readable on a phone)."""
    month = a.period.start.strftime("%Y-%m")
    ev = a.regular[(a.regular["agent_id"] == agent_id) & (a.regular["month"] == month)]
    f = a.failed[a.failed["agent_id"] == agent_id]
    sep = "、" if a.language == "zh" else ", "
    items = f.groupby("evaluation_id")["item"].agg(lambda s: sep.join(map(str, s)))
    ev = ev.sort_values("evaluated_at", ascending=False, kind="stable")
    return pd.DataFrame({
        "at": ev["evaluated_at"].dt.strftime("%m-%d"), "score": ev["score"].astype(float),
        "evaluator": ev["evaluator_id"].map(who).fillna(ev["evaluator_id"]),
        "items": ev["evaluation_id"].map(items).fillna(""),
    }).reset_index(drop=True)  # fmt: skip


CHART_ROWS = 30  # teams in the team chart at most
PHONE = (
    "agent_status",
    "evaluations",
    "history",
)  # an archive's tables that wrap to a phone's width
# A monthly report's first tables: the notebook shows them while the rest are computed.
EARLY = ("headline", "critical", "top_problems", "coach", "team_scores", "control")
CONTROL_COLUMNS = ["team", "week", "n", "mean", "center", "lcl", "ucl", "signal"]
PAGE_ONE = ("critical", "top_problems")  # shown whole, not per team
# What a reader acts on, shown open however long; every other long table is folded (<details>).
UNFOLDED = ("problems", "pareto", "actions", "year", "leniency", "appeals", "autoqa")
# Each section's title (an i18n label); page one first, then the detail.
SECTION_TITLES = {
    "critical": "critical", "top_problems": "top_problems", "coach": "coach",
    "team_scores": "team_scores", "agent_scores": "agent_scores", "problems": "problems",
    "deductions": "deductions", "completion": "completion", "control": "trend",
    "pareto": "pareto", "calibration": "calibration", "leniency": "leniency",
    "appeals": "appeals", "status": "status", "actions": "actions", "recordings": "recordings",
    "history": "history", "recurring": "recurring", "notes": "notes", "coaching": "coaching",
    "agent_status": "agent_status_now", "evaluations": "archive_evaluations",
    "headline": "headline", "section_alpha": "section_alpha",
    "autoqa_coverage": "autoqa_coverage", "autoqa": "autoqa", "autoqa_teams": "autoqa_teams",
    "autoqa_learned": "autoqa_learned_title",
    "year": "year", "year_teams": "year_teams", "rule_yield": "rule_yield",
    "day_headline": "day_headline", **daily.TITLES,
    **{k: k for k in complaints.TABLES},
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
        return wait_for_context(context_path)
    return build(
        kind, data_dir or DEMO_DIR, period, team=team, language=language, agent_id=agent_id
    )


def rest_path(path: str | Path) -> Path:
    """Where the runner writes the tables computed after ``EARLY`` (beside the context)."""
    path = Path(path)
    return path.with_name(f"{path.stem}-rest{path.suffix}")


def wait_for_context(path: str | Path, timeout_s: float = 600.0) -> ReportContext:
    """The context at ``path``, waiting for it: the runner computes it while the kernel starts
    and the notebook's imports run. ``<path>.failed`` is the runner's word that it could not."""
    path = Path(path)
    failed = path.with_name(path.name + ".failed")
    end = time.monotonic() + timeout_s
    while not path.exists():
        if failed.exists():
            raise QAWError("the report's tables could not be computed; the run's log says why")
        if time.monotonic() > end:
            raise QAWError(f"no report tables at {path} after {timeout_s:.0f} s")
        time.sleep(0.02)
    return ReportContext.load(path)


def page_one(ctx: ReportContext) -> None:
    """Display page one: the headline against the last period, new bottom-line cases, the top
    common problems and the agents to coach."""
    from IPython.display import display

    if ctx.kind == "daily":
        return daily.page_one(ctx)
    lang = ctx.language
    p = parse_period(ctx.period)
    prev = previous(p)
    label = _period_text(p, lang)
    prev_label = i18n.say("previous_week" if p.kind == "week" else "previous_month", lang)
    inner = _period_text(prev, lang, inner=True)
    prev_label += f"（{inner}）" if lang == "zh" else f" ({inner})"
    display(HTML(f'<h2 class="qaw-section" id="sec-headline">{i18n.t("headline", lang)}</h2>'))
    display(display_.headline(ctx.tables["headline"], label, prev_label, lang))
    for key in ("critical", "top_problems", "coach"):
        section(ctx, key)


def _period_text(p: Period, lang: str, inner: bool = False) -> str:
    """ "2026-W43 (10-19 – 10-25)"; ``inner``: "2026-W43, 10-19 – 10-25", to go in parentheses."""
    if p.kind != "week":
        return p.label
    end = p.end - pd.Timedelta(days=1)
    key = "week_range_inner" if inner else "week_range"
    return i18n.say(key, lang, week=p.label, start=f"{p.start:%m-%d}", end=f"{end:%m-%d}")


def _week_text(week: str, lang: str) -> str:
    """A control table's week ("2026-10-19/2026-10-25") as the page writes weeks elsewhere."""
    return _period_text(week_of(str(week).split("/")[0]), lang)


def section(ctx: ReportContext, key: str) -> None:
    """Display one report section: its heading, its chart (if any) and its whole table."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    from . import plotting

    if ctx.kind == "daily":
        return daily.section(ctx, key)
    lang = ctx.language
    if key not in ctx.tables or (key in ("complaints", "satisfaction") and not ctx.meta):
        ctx.complete()  # computed after page one (``build``'s ``early``)
    if key == "year_teams" and key not in ctx.tables:  # a team's report has its own year only
        return
    display(
        HTML(f'<h2 class="qaw-section" id="sec-{key}">{i18n.t(SECTION_TITLES[key], lang)}</h2>')
    )
    if key in ("complaints", "satisfaction"):
        show = (
            complaints_page.show_complaints
            if key == "complaints"
            else complaints_page.show_satisfaction
        )
        return show(ctx.tables, ctx.meta.get("complaints", {}), lang)
    shown = ctx.tables[key]
    fig = None
    notes = {"leniency": "leniency_note", "actions": "actions_note", "appeals": "appeals_note",
             "rule_yield": "rule_yield_note", "completion": "completion_note"}  # fmt: skip
    if key in notes:
        display(HTML(f'<p class="qaw-note">{i18n.t(notes[key], lang)}</p>'))
    if key == "year":
        note = i18n.t("year_note_team" if ctx.team else "year_note", lang)
        if 0 < len(shown) < YEAR_MONTHS:
            note += i18n.say("year_since", lang, first=shown["month"].iloc[0], n=len(shown))
        display(HTML(f'<p class="qaw-note">{note}</p>'))
    if key == "year_teams":
        sep = "" if lang == "zh" else " "  # no space after a Chinese full stop
        display(HTML(f'<p class="qaw-note">{i18n.t("year_teams_note", lang)}{sep}'
                     f'{i18n.say("min_n_note", lang, agent_n=MIN_N, team_agents=MIN_AGENTS)}</p>'))  # fmt: skip
    if key == "autoqa_coverage":
        display(HTML(f'<p class="qaw-note">{autoqa_note(lang)}</p>'))
    if key in ("team_scores", "agent_scores", "coach"):
        sep = "" if lang == "zh" else " "
        pooled = sep + i18n.t("pooled_note", lang) if key != "team_scores" else ""
        display(HTML(f'<p class="qaw-note">{i18n.t("interval_note", lang)}{sep}'
                     f'{i18n.say("min_n_note", lang, agent_n=MIN_N, team_agents=MIN_AGENTS)}'
                     f'{pooled}</p>'))  # fmt: skip
    if key == "control":
        display(HTML(f'<p class="qaw-note">{i18n.t("control_note", lang)}</p>'))
    if key == "team_scores" and not shown.empty:
        title = i18n.t("team_scores", lang)
        chart = shown
        if (
            len(shown) > CHART_ROWS
        ):  # a chart of 134 teams is unreadable: the lowest, all in the table
            chart = shown.nsmallest(CHART_ROWS, "mean")
            title = i18n.say("lowest_teams", lang, k=CHART_ROWS, n=len(shown))
        fig = plotting.interval_plot(chart, "team", lang, title)
    elif key == "year" and not shown.empty:
        title = i18n.say("year_title", lang, scope=ctx.team or i18n.t("center", lang))
        fig = plotting.year_chart(shown, lang, title)
    elif key == "history" and not shown.empty:
        fig = plotting.interval_plot(shown, "month", lang, i18n.t("history", lang), sort=False)
    elif key == "control" and not shown.empty:
        # the last weeks (limits from the whole history): charts and the signals table agree
        weeks = sorted(shown["week"].unique())[-plotting.TREND_WEEKS :]
        shown = shown[shown["week"].isin(weeks)]
        signals = natural_sorted(shown.loc[shown["signal"] != "", "team"].unique())
        for team in [ctx.team] if ctx.team else signals[:4] or ctx.teams[:1]:
            display(plotting.figure(plotting.control_chart(shown, team, lang)))
        shown = shown[shown["signal"] != ""]
        shown = shown.assign(week=shown["week"].map(lambda w: _week_text(w, lang)))
    elif key == "pareto" and not shown.empty:
        title = ctx.team or i18n.t("center", lang)
        fig = plotting.pareto_chart(shown, title, lang)
        shown = shown[shown["vital_few"]]
    if fig is not None:
        display(plotting.figure(fig))
    plt.close("all")
    if key.startswith("autoqa") and (why := empty_note(ctx.tables, key, lang)):
        display(HTML(f'<p class="qaw-note">{why}</p>'))  # say why there is nothing to show
        return
    if key == "autoqa":  # two tables that fit the page: the rates, then the trust
        rates, trust = split_rules(shown)
        display(display_.table(rates, lang, split=True))
        display(HTML(f'<p class="qaw-note">{i18n.t("autoqa_trust", lang)}</p>'))
        display(display_.table(trust, lang, split=True))
        learned = ctx.tables.get("autoqa_learned")
        if learned is not None and not learned.empty:  # qaw autoqa learn's detectors, beside
            display(HTML(f'<p class="qaw-note">{i18n.t("autoqa_learned", lang)}</p>'))
            display(display_.table(learned, lang, split=True))
        return
    if key == "agent_scores" and ctx.kind == "agent" and len(shown) == 1:
        # one agent: a card of label and figure (the status and its reason are the section above)
        card = display_.card(shown.drop(columns=["status", "evidence"], errors="ignore"), lang)
        display(HTML(f'<div class="qaw-phone">{card.data}</div>'))
        return
    if key in PHONE:  # short columns whose text wraps: read whole on a phone, no scrolling
        display(HTML(f'<div class="qaw-phone">{display_.table(shown, lang).data}</div>'))
        return
    fold = key not in PAGE_ONE + UNFOLDED
    display(display_.table(shown, lang, split=key not in PAGE_ONE, fold=fold))
    if key == "calibration" and "section_alpha" in ctx.tables:
        display(HTML(f'<p class="qaw-note">{i18n.t("alpha_note", lang)}</p>'))
        display(display_.table(ctx.tables["section_alpha"], lang))
