"""The daily monitoring report (监听日报: 次日9点前，提交至现场所有管理人员).

One day's tables: the day's evaluations and mean score per team (n, 95% interval, judged
too-few as elsewhere), the day's new bottom-line cases, the serious findings to act on today
(under the plan's ``faulty_below`` points or a critical item failed), the trusted auto-QA
red flags of the day, service level per interval against the plan's target and what the
month's sample still owes by the day. Scores are points; rates and service level shares.
"""

from __future__ import annotations

import html as _html
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from .. import config, scoring
from ..data.load import Center
from ..frames import isin
from ..order import sort_natural
from ..periods import Period, parse_period
from ..sampling.allocation import completion
from ..sampling.plan import SamplingPlan, load_plan
from ..scoring import penalties
from ..scoring.scorecard import scorecard_versions
from ..stats import MIN_AGENTS, clustered_intervals, judged
from . import display as display_
from . import evidence, i18n, pageone

# The daily page's sections (key -> i18n label), page one first.
TITLES = {
    "day_teams": "day_teams", "critical": "critical", "serious": "serious",
    "autoqa_flags": "autoqa_flags", "service_level": "service_level_day", "owed": "owed",
}  # fmt: skip
PAGE_ONE = ("day_teams", "critical", "serious")
TEAM_ROWS = 8  # more teams than this: their table in up to three columns side by side


class _Cases:
    """What ``pageone.bottom_line_cases`` reads of a period's scores: its penalty cases."""

    def __init__(self, cases: pd.DataFrame):
        self.cases = cases


def daily_tables(
    source: str | Path, center: Center, scored: pd.DataFrame, p: Period, team: str, lang: str,
    samples_dir: str | Path | None = None, plan: SamplingPlan | None = None,
) -> dict[str, pd.DataFrame]:  # fmt: skip
    """The day ``p``'s tables (unmasked; ``build`` masks them). ``scored``: every evaluation
    scored (``score_evaluations``' first table); ``center``: loaded with the item results of
    the day's month (auto-QA agreement is the month's, as in the monthly report)."""
    plan = plan or load_plan()
    roster = center.agents.drop_duplicates("agent_id").set_index("agent_id")
    ev = scored[(scored["evaluated_at"] >= p.start) & (scored["evaluated_at"] < p.end)]
    ev = ev[ev["mode"] != "calibration"]
    ev = ev.assign(team=ev["agent_id"].map(roster["team"]), name=ev["agent_id"].map(roster["name"]))
    day = ev  # the whole center's day: a team's interval is the one the center's page gives it
    ev = _scope(ev, team)
    names = evidence.item_names(scoring.item_table(scorecard_versions()), lang)
    code = penalties.load_penalty_code()
    cases = penalties.most_severe(
        penalties.penalty_events(code, center.complaints, scored, center.evaluation_items,
                                 center.penalty_events), code,
    )  # fmt: skip
    if len(cases):
        cases = cases[pd.to_datetime(cases["at"]) < p.end]
    critical = pageone.bottom_line_cases(_Cases(cases), center.agents, p.start, team, code, names,
                                         lang)  # fmt: skip
    serious = serious_findings(ev, center, plan.neighbours.faulty_below, names, lang)
    flags, autoqa_state = autoqa_flags(source, center, p, team, lang)
    sl = service_level(source, p, plan)
    owed, sample_state = owed_by(center, p, team, samples_dir)
    if len(ev):
        every = clustered_intervals(day, "team")  # floored by the center's spread (one number)
        whole = (
            every[every["team"] == team].iloc[0] if team else clustered_intervals(day, None).iloc[0]
        )
        teams = judged(_scope(every, team))[["team", "agents", "n", "mean", "lo", "hi"]]
    else:
        whole = pd.Series({"n": 0, "agents": 0, "mean": float("nan"), "lo": float("nan"),
                           "hi": float("nan")})  # fmt: skip
        teams = pd.DataFrame(columns=["team", "agents", "n", "mean", "lo", "hi"])
    few = whole["agents"] < MIN_AGENTS
    headline = pd.DataFrame([{
        "n": int(whole["n"]), "agents": int(whole["agents"]), "mean": float(whole["mean"]),
        "lo": float("nan") if few else float(whole["lo"]),
        "hi": float("nan") if few else float(whole["hi"]),
        "bottom_line": len(critical), "serious": len(serious),
        "faulty_below": float(plan.neighbours.faulty_below),
        "sl_target": float(plan.long_contacts.target),
        "sl_intervals": int(sl[["interval_start"]].drop_duplicates().shape[0]),
        "sl_missed": int(sl.loc[sl["target"] == "missed", "interval_start"].nunique()),
        "flags": int(flags["contact_id"].nunique()) if len(flags) else 0,
        "autoqa_state": autoqa_state, "sample_state": sample_state,
        "planned": int(owed["planned"].sum()) if len(owed) else 0,
        "done": int(owed["done"].sum()) if len(owed) else 0,
    }])  # fmt: skip
    return {
        "day_headline": headline, "day_teams": sort_natural(teams, ["team"]).reset_index(drop=True),
        "critical": critical, "serious": serious, "autoqa_flags": flags, "service_level": sl,
        "owed": owed,
    }  # fmt: skip


def _scope(df: pd.DataFrame, team: str) -> pd.DataFrame:
    return df[df["team"] == team] if team and "team" in df else df


def serious_findings(
    ev: pd.DataFrame, center: Center, below: float, names: pd.Series, lang: str
) -> pd.DataFrame:
    """The day's evaluations under ``below`` points or with a critical item failed, lowest
    score first: who, which contact (customer masked by ``build``), score and failed items."""
    cols = ["team", "name", "agent_id", "contact_id", "customer_id", "score", "items",
            "evaluator"]  # fmt: skip
    bad = ev[(ev["score"] < below) | ev["critical_failed"].astype(bool)]
    if bad.empty:
        return pd.DataFrame(columns=cols)
    items = center.evaluation_items
    failed = items[isin(items["evaluation_id"], bad["evaluation_id"]) & (items["result"] == "fail")]
    said = evidence.counted_by(failed, "evaluation_id", names, lang, top=99)
    bad = bad.merge(center.contacts[["contact_id", "customer_id"]], on="contact_id", how="left")
    who = center.evaluators.set_index("evaluator_id")["name"]
    bad = bad.assign(items=bad["evaluation_id"].map(said).fillna(""),
                     evaluator=bad["evaluator_id"].map(who).fillna(bad["evaluator_id"]))  # fmt: skip
    return bad.sort_values(["score", "team"], kind="stable")[cols].reset_index(drop=True)


def autoqa_flags(
    source: str | Path, center: Center, p: Period, team: str, lang: str
) -> tuple[pd.DataFrame, str]:
    """The day's violations of trusted (not advisory) auto-QA rules, one row per finding, and
    a state: ``flagged``, ``not_run`` (no results for the month), ``none_trusted`` (every rule
    advisory) or ``none_flagged``."""
    from ..autoqa import advisory_rules, agreement_for, load_results, load_ruleset
    from ..autoqa.agreement import targeted_by_autoqa
    from ..autoqa.run import kept_results, month_sample
    from ..data import engine
    from .autoqa_tables import _item_names, finding_text

    cols = ["team", "name", "agent_id", "channel", "rule", "item", "contact_id", "found"]
    month = parse_period(p.month)
    path = kept_results(source, month)  # (counted where it lies: the month's millions of rows)
    if path is None:
        return pd.DataFrame(columns=cols), "not_run"
    rules = load_ruleset()
    agree = agreement_for(path, center, rules, targeted_by_autoqa(month_sample(month)))
    advisory = advisory_rules(agree)
    if len(advisory) == len(agree):
        return pd.DataFrame(columns=cols), "none_trusted"
    fails = load_results(source, month, fails_only=True)
    trusted = [
        (r, c) not in advisory for r, c in zip(fails["rule_id"], fails["channel"], strict=True)
    ]
    fails = fails[trusted]
    con = engine.connect(source, tables=("contacts",))
    con.register("flagged", pd.DataFrame({"contact_id": fails["contact_id"].unique()}))
    day = con.execute(
        "SELECT contact_id FROM contacts JOIN flagged USING (contact_id) "
        "WHERE start_time >= $s AND start_time < $e", {"s": p.start, "e": p.end}
    ).df()  # fmt: skip
    con.close()
    fails = fails[fails["contact_id"].isin(day["contact_id"])]
    roster = center.agents.drop_duplicates("agent_id").set_index("agent_id")
    fails = fails.assign(team=fails["agent_id"].map(roster["team"]),
                         name=fails["agent_id"].map(roster["name"]))  # fmt: skip
    fails = _scope(fails, team)
    if fails.empty:
        return pd.DataFrame(columns=cols), "none_flagged"
    items = _item_names(rules, lang)
    out = fails.assign(
        rule=[rules.rule(r).label(lang) for r in fails["rule_id"]],
        item=[items.get((c, i), i) for c, i in zip(fails["channel"], fails["item_id"], strict=True)],
        found=[finding_text(rules.rule(r).check, m, x, lang)
               for r, m, x in zip(fails["rule_id"], fails["measure"], fails["matched"], strict=True)],
    )  # fmt: skip
    return sort_natural(out[cols], ["team", "agent_id"]).reset_index(drop=True), "flagged"


def service_level(source: str | Path, p: Period, plan: SamplingPlan) -> pd.DataFrame:
    """Service level per interval (the plan's ``interval_min`` minutes) and channel of the day:
    inbound offered, answered within ``answer_within_s`` s, the share, and ``target`` met or
    missed against the plan's target (as the long-contacts rule reads it)."""
    from ..data import engine

    r = plan.long_contacts
    con = engine.connect(source, tables=("contacts",))
    sl = engine.service_level_by_interval(
        con, p.start, p.end, interval_min=r.interval_min, answer_within_s=r.answer_within_s,
        abandoned=r.abandoned_before_threshold,
    )  # fmt: skip
    con.close()
    sl["target"] = (sl["service_level"] >= r.target).map({True: "met", False: "missed"})
    return sl[
        ["interval_start", "channel", "offered", "answered_in_time", "service_level", "target"]
    ]


def owed_by(
    center: Center, p: Period, team: str, samples_dir: str | Path | None
) -> tuple[pd.DataFrame, str]:
    """Per evaluator, the month's sampled contacts due on or before the day (``planned``),
    evaluated by its end (``done``) and not yet (``owed``); state ``sampled`` or ``no_sample``
    (``qaw sample`` has not written the month's sample.csv)."""
    cols = ["evaluator", "evaluator_id", "planned", "done", "owed", "late"]
    path = Path(samples_dir or config.REPORTS_DIR / "samples") / p.month / "sample.csv"
    if not path.exists():
        return pd.DataFrame(columns=cols), "no_sample"
    planned = pd.read_csv(path, dtype={"contact_id": str, "agent_id": str}, encoding="utf-8-sig")
    planned = _scope(planned, team)
    planned = planned[pd.to_datetime(planned["due"]) < p.end]
    ev = center.evaluations
    ev = ev[(ev["evaluated_at"] >= pd.Timestamp(f"{p.month}-01")) & (ev["evaluated_at"] < p.end)]
    by_eval, _ = completion(planned, ev)
    if by_eval.empty:
        return pd.DataFrame(columns=cols), "sampled"
    by_eval["owed"] = by_eval["planned"] - by_eval["done"]
    by_eval = by_eval.merge(
        center.evaluators[["evaluator_id", "name"]].rename(columns={"name": "evaluator"}),
        on="evaluator_id", how="left",
    )  # fmt: skip
    by_eval["evaluator"] = by_eval["evaluator"].fillna(by_eval["evaluator_id"])
    by_eval = by_eval.sort_values(["owed", "evaluator_id"], ascending=[False, True], kind="stable")
    return by_eval[cols].reset_index(drop=True), "sampled"


def headline(h: pd.DataFrame, p: Period, lang: str) -> HTML:
    """Page one's figures of the day as sentences: evaluations and mean with its interval (or
    a sentence that there were none), bottom-line cases, serious findings, service level,
    auto-QA flags and the sample owed."""
    r = h.iloc[0]
    if r["n"] == 0:
        lines = [i18n.say("day_none", lang, day=p.label)]
    elif pd.isna(r["lo"]):
        lines = [i18n.say("day_score_few", lang, n=int(r["n"]), agents=int(r["agents"]),
                          mean=f"{r['mean']:.1f}", few=i18n.value("verdict", "too_few", lang))]  # fmt: skip
    else:
        lines = [i18n.say("day_score", lang, n=int(r["n"]), agents=int(r["agents"]),
                          mean=f"{r['mean']:.1f}", lo=f"{r['lo']:.1f}", hi=f"{r['hi']:.1f}")]  # fmt: skip
    lines.append(i18n.say("bottom_line_count", lang, n=int(r["bottom_line"])))
    lines.append(i18n.say("day_serious", lang, n=int(r["serious"]), below=f"{r['faulty_below']:g}"))
    if r["sl_intervals"]:
        lines.append(i18n.say("day_sl", lang, missed=int(r["sl_missed"]), n=int(r["sl_intervals"]),
                              target=f"{r['sl_target']:.0%}"))  # fmt: skip
    else:
        lines.append(i18n.t("day_sl_none", lang))
    if r["autoqa_state"] == "flagged":
        lines.append(i18n.say("day_flags", lang, n=int(r["flags"])))
    if r["sample_state"] == "no_sample":
        lines.append(i18n.t("day_no_sample", lang))
    else:
        lines.append(i18n.say("day_owed", lang, planned=int(r["planned"]), done=int(r["done"]),
                              owed=int(r["planned"] - r["done"])))  # fmt: skip
    items = "".join(f"<li>{_html.escape(x)}</li>" for x in lines)
    return HTML(
        f'<div class="qaw-headline qaw-flat qaw-day"><p class="qaw-period">{_html.escape(p.label)}</p>'
        f"<ul>{items}</ul></div>"
    )


def _heading(key: str, lang: str) -> HTML:
    h2 = f'<h2 class="qaw-section" id="sec-{key}">{i18n.t(TITLES[key], lang)}</h2>'
    return HTML(f'<div class="qaw-tight">{h2}</div>' if key in PAGE_ONE else h2)  # one screen


def _note(text: str) -> HTML:
    return HTML(f'<p class="qaw-note">{_html.escape(text)}</p>')


def page_one(ctx) -> None:
    """Display the daily page one: the day's figures, team scores, new bottom-line cases and
    the serious findings to act on today."""
    from IPython.display import display

    lang = ctx.language  # no heading over the figures: page one fits one screen (1366x900)
    display(headline(ctx.tables["day_headline"], parse_period(ctx.period), lang))
    for key in PAGE_ONE:
        section(ctx, key)


def section(ctx, key: str) -> None:
    """Display one section of the daily report: heading, a note saying what it counts (or why
    it is empty) and its whole table."""
    from IPython.display import display

    lang, shown = ctx.language, ctx.tables[key]
    h = ctx.tables["day_headline"].iloc[0]
    display(_heading(key, lang))
    if key == "day_teams":
        display(_note(i18n.say("day_teams_note", lang, agents=MIN_AGENTS)))
    elif key == "autoqa_flags" and shown.empty:
        display(_note(i18n.t(f"day_autoqa_{h['autoqa_state']}", lang)))
        return
    elif key == "service_level":
        display(_note(i18n.say("day_sl_note", lang, target=f"{h['sl_target']:.0%}")))
    elif key == "owed" and h["sample_state"] == "no_sample":
        display(_note(i18n.t("day_no_sample", lang)))
        return
    if key == "day_teams" and len(shown) > TEAM_ROWS:  # page one on one screen
        display(side_by_side(shown, lang))
        return
    if key == "service_level" and not shown.empty:
        shown = shown.assign(interval_start=shown["interval_start"].dt.strftime("%H:%M"))
    # the day's auto-QA flags (175 on the demo) folded per team: the reader opens their own
    fold = key == "autoqa_flags"
    display(display_.table(shown, lang, split=key not in ("critical", "serious"), fold=fold))


def side_by_side(df: pd.DataFrame, lang: str, parts: int = 3) -> HTML:
    """A short-rowed table as up to ``parts`` tables side by side (rows in order, top to bottom
    then left to right), each whole with its header: team scores on one screen."""
    rows = -(-len(df) // parts)
    tables = [display_.table(df.iloc[i : i + rows], lang, split=False).data
              for i in range(0, len(df), rows)]  # fmt: skip
    return HTML(f'<div class="qaw-side">{"".join(tables)}</div>')
