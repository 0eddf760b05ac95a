"""What the Voila dashboards share: the session's data (loaded, scored and aggregated once, from
a cache), the query string, and drawing into Output widgets without ever showing a traceback.

The pages themselves are ``coaching_page`` and ``meeting_page``; the notebooks under
notebooks/dashboards/ only build a page and display it.
"""

from __future__ import annotations

import html as _html
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import pandas as pd
from IPython.display import HTML

from .. import scoring
from ..data.load import Center
from ..order import natural_sorted, sort_natural
from ..privacy import mask_text, masked
from ..reporting import i18n
from ..reporting.contents import build, report_center
from ..scoring.scorecard import scorecard_versions
from ..stats import score_intervals

CACHE_FORMAT = 9  # bump when DashboardData's attributes change: older caches are rebuilt (9: meeting sections; each rule's reviewed precision)
MEETING_TABLES = ("headline", "team_scores", "leniency", "calibration", "section_alpha", "status",
                  "completion", "autoqa_coverage", "autoqa", "autoqa_teams")  # fmt: skip
FINDING_COLUMNS = ["month", "agent_id", "contact_id", "rule", "seq", "quote", "found", "advisory"]
REQUEST_ATTEMPTS = 5  # tries to receive the request's details in a pre-heated kernel
KEEPALIVE_S = 120  # a pre-heated kernel shows activity this often (the cull waits far longer)
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# Phone width: controls and tables stack, wide tables scroll inside their own box.
CSS = """<style>
.qaw-page .widget-hbox.qaw-controls, .qaw-page .widget-hbox.qaw-form {flex-wrap: wrap; gap: 4px 12px}
.qaw-page .widget-dropdown, .qaw-page .widget-text, .qaw-page .widget-textarea,
.qaw-page .widget-select-multiple, .qaw-page .widget-datepicker {max-width: 100%; min-width: 0}
.qaw-page .widget-dropdown > select {min-width: 0; max-width: 100%}
.qaw-page .widget-label {min-width: 4.5em; width: auto}
.jp-OutputArea-output table.qaw-table, .qaw-page table.qaw-table {border-collapse: collapse; font-size: 13px}
.qaw-page .qaw-scroll {overflow-x: auto; max-width: 100%}
.qaw-page table.qaw-table th, .qaw-page table.qaw-table td {padding: 2px 6px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top}
.qaw-page img, .qaw-page figure img {max-width: 100%; height: auto}
.qaw-page figure {margin: 0}
.qaw-page .qaw-header {display: flex; flex-wrap: wrap; gap: 8px 24px; background: #f5f7fa; padding: 8px 12px; border-radius: 6px}
.qaw-page .qaw-header div {min-width: 12em}
.qaw-page .qaw-header b {display: block; font-size: 20px}
.qaw-page details {margin: 4px 0}
.qaw-page details > summary {cursor: pointer; color: #1f4e8c}
.qaw-page .qaw-status {margin: 6px 0; padding: 6px 12px; border-radius: 6px; background: #e6f4ea}
.qaw-page .qaw-status-frozen, .qaw-page .qaw-status-demoted {background: #fdecea; border-left: 6px solid #c44e52}
.qaw-page .qaw-status b {font-size: 16px}
.qaw-page .qaw-turn {margin: 2px 0 2px 1em}
@media (min-width: 601px) {  /* short cells (times, ids, names) on one line; long text wraps */
  .qaw-page table.qaw-table td.qaw-nw {white-space: nowrap}
}
@media (max-width: 600px) {
  .qaw-page .widget-hbox.qaw-controls, .qaw-page .widget-hbox.qaw-form {flex-direction: column; align-items: stretch}
  .qaw-page .widget-dropdown, .qaw-page .widget-text, .qaw-page .widget-textarea,
  .qaw-page .widget-select-multiple, .qaw-page .widget-datepicker, .qaw-page .widget-button {
    width: auto !important; margin-left: 0 !important; margin-right: 0 !important}  /* stretched: 100% and a margin ran past the screen */
  .qaw-page .widget-vbox {width: 100% !important}
  .qaw-page table.qaw-table {font-size: 12px}
  /* a wide table scrolls in its box rather than stacking its words a character a line */
  .qaw-page .qaw-scroll table.qaw-table th, .qaw-page .qaw-scroll table.qaw-table td {white-space: nowrap}
  /* a narrow table wraps its long names to the screen; its figures stay on one line */
  .qaw-page .qaw-wrap table.qaw-table td.qaw-nw {white-space: nowrap}
  .qaw-page .qaw-wrap table.qaw-table th {word-break: keep-all}  /* 累计占比, not 累计占/比 */
  .qaw-page .qaw-wrap table.qaw-table td:first-child {white-space: normal}
}
</style>"""


def query(url_query: str | None = None) -> dict[str, str]:
    """The page's URL query string as a dict (first value of each key); Voila passes it to the
    kernel in ``QUERY_STRING``."""
    raw = os.environ.get("QUERY_STRING", "") if url_query is None else url_query
    return {k: v[0] for k, v in parse_qs(raw).items() if v}


def query_param(name: str, default: str = "") -> str:
    """One parameter of the page's URL query string."""
    return query().get(name, default)


def warm() -> None:
    """Import now what the first view needs (Chinese numerals for natural order, scipy for
    intervals): a pre-heated kernel then draws its first view without those ~0.4 s."""
    from ..stats import mean_change

    natural_sorted(["二组", "十组"])
    mean_change(0.0, 1.0, 0.0, 1.0)


def on_request(
    apply: Callable[[dict[str, str]], None], waiting=None, prepare: Callable[[], None] | None = None
) -> None:
    """Call ``apply(query)`` with the page's query string: now in a kernel started for the
    request, or, in a kernel Voila pre-heated before any request, once the request arrives (in
    a thread: the notebook has finished and its page is already drawn).

    While a pre-heated kernel waits, ``waiting`` (a widget, e.g. the page's message) is touched
    every KEEPALIVE_S seconds: the server counts that as activity, so its idle-kernel cull does
    not remove a kernel that is only waiting in the pool (Voila does not refill the pool then).
    ``prepare`` runs first in a pre-heated kernel: it can draw the likely view (e.g. the
    meeting's latest month) before anyone asks.
    """
    if os.environ.get("VOILA_PREHEAT", "False") != "True":
        apply(query())
        return
    if prepare is not None:
        prepare()
    arrived = threading.Event()

    def wait() -> None:
        import logging
        import time

        from voila.utils import wait_for_request

        for attempt in range(REQUEST_ATTEMPTS):  # a dropped connection: ask again (Voila
            try:  # keeps the request's details for a kernel that connects late)
                wait_for_request()
                break
            except Exception:
                logging.getLogger("qaworkbench.dashboard").exception("waiting for the request")
                time.sleep(1 + attempt)
        arrived.set()
        apply(query())

    def keepalive() -> None:
        while waiting is not None and not arrived.wait(KEEPALIVE_S):
            waiting.send_state("value")  # one comm message on IOPub: the kernel is active

    threading.Thread(target=wait, name="qaw-query", daemon=True).start()
    threading.Thread(target=keepalive, name="qaw-keepalive", daemon=True).start()


def data_source(data_dir: str = "") -> str:
    """The data folder: the notebook's parameter, else ``QAW_DASHBOARD_DATA``, else the
    workspace's ``data`` setting."""
    from ..settings import get

    return data_dir or os.environ.get("QAW_DASHBOARD_DATA", "") or get("data")


def language(lang: str = "") -> str:
    """The page language: the notebook's parameter, else ``QAW_DASHBOARD_LANGUAGE``, else the
    workspace's ``language`` setting (zh by default)."""
    from ..settings import get

    return lang or os.environ.get("QAW_DASHBOARD_LANGUAGE", "") or get("language")


def recordings_dir(folder: str = "") -> Path | None:
    """The recordings folder: the notebook's parameter, else ``QAW_RECORDINGS_DIR``; None
    when neither is set (pages then show the recording's reference)."""
    folder = folder or os.environ.get("QAW_RECORDINGS_DIR", "")
    return Path(folder) if folder else None


class DashboardData:
    """A center's QA data for one dashboard session: loaded, scored and aggregated once.

    Scores are points (0–100); intervals 95%. ``monthly[m]`` holds month ``m``'s monthly-report
    tables (the meeting shows the numbers the report publishes).
    """

    def __init__(self, source: str | Path, language: str = "zh"):
        i18n.t("none", language)  # validates the language
        self.language = language
        self.center = center = report_center(source)
        raw = scoring.score_evaluations(center.evaluations, center.evaluation_items, center.appeals)
        scored = raw[0].merge(
            center.agents[["agent_id", "name", "team"]], on="agent_id", how="left"
        )
        scored["month"] = scored["evaluated_at"].dt.strftime("%Y-%m")
        self.regular = scored[scored["mode"] != "calibration"]
        meta = scoring.item_table(scorecard_versions())
        self.scorecard_items = {
            card: list(dict.fromkeys(g["item_id"])) for card, g in meta.groupby("scorecard_id")
        }
        self.item_names = meta.drop_duplicates("item_id").set_index("item_id")[
            ["item", "item_en", "points", "critical", "scorecard_id"]
        ]
        channel = {card.id: card.channel for card in scorecard_versions().values()}
        self.item_channel = self.item_names["scorecard_id"].map(channel).to_dict()
        cols = ["evaluation_id", "agent_id", "team", "month", "evaluated_at", "contact_id",
                "evaluator_id", "score"]  # fmt: skip
        items = center.evaluation_items.merge(self.regular[cols], on="evaluation_id")
        # the columns a selection filters on, as categories: a 600,000-row filter in ~1 ms
        self.items = items.astype({c: "category" for c in ("agent_id", "team", "month", "result")})
        self.agent_month = score_intervals(self.regular, ["agent_id", "month"])
        per_month = self.regular.groupby("month").size()
        self.months = sorted(per_month.index)
        full = per_month[per_month >= 0.5 * per_month.median()]
        self.default_month = full.index.max() if len(full) else None  # not a month of a few
        self.teams = natural_sorted(center.agents["team"].dropna().unique())
        self.roster = center.agents.set_index("agent_id")
        self.contacts = masked(center.contacts).set_index("contact_id")
        # each agent's scorecard: the one most of their evaluations used, else their team's
        cards = self.regular.groupby(["agent_id", "scorecard_id"]).size().reset_index(name="k")
        cards = cards.sort_values("k", ascending=False, kind="stable").drop_duplicates("agent_id")
        self.agent_card = cards.set_index("agent_id")["scorecard_id"].to_dict()
        team_cards = self.regular.groupby("team")["scorecard_id"].agg(lambda s: s.mode().iat[0])
        self.team_card = team_cards.to_dict()
        self.regular = self.regular.astype({"agent_id": "category", "month": "category"})
        self.chats = self._chats(source, center)
        self.bottom_line = self._bottom_line(center, raw[0], meta, language)
        self.autoqa, self.autoqa_rates = self._autoqa(source, center, language)
        self.monthly = {  # only the tables the meeting shows: each kernel holds them
            m: {k: v for k, v in build("monthly", source, m, language=language, center=center,
                                       scored=raw).tables.items() if k in MEETING_TABLES}
            for m in self.months[-12:]
        }  # fmt: skip
        # every kernel of the session holds this object: keep only what the pages read
        self.center = Center(
            {k: center.tables[k] for k in ("agents", "evaluators")}, [], center.source
        )

    def _bottom_line(self, center, scored: pd.DataFrame, meta: pd.DataFrame, lang: str):
        """Every bottom-line case (红线) with its kind (the failed bottom-line item, else the
        penalty rule), points, severity rank (``meeting_sections.rank_kinds``), month, team and
        what was found, in ``lang``."""
        from ..reporting import evidence
        from ..scoring import penalties
        from .meeting_sections import rank_kinds

        code = penalties.load_penalty_code()
        cases = penalties.most_severe(penalties.penalty_events(
            code, center.complaints, scored, center.evaluation_items, center.penalty_events
        ), code)  # fmt: skip
        cols = ["agent_id", "team", "name", "at", "month", "bottom_line_kind", "points",
                "scorecard_item", "case", "contact_id", "rank"]  # fmt: skip
        if cases.empty:
            return pd.DataFrame(columns=cols)
        c = cases[cases["bottom_line"].astype(bool)].reset_index(drop=True)
        rules = {r.id: (r.name if lang == "zh" else r.name_en) for r in code.rules}
        critical = set(self.item_names.index[self.item_names["critical"].astype(bool)])
        kinds, own = [], []
        for r in c.itertuples():
            words = str(r.evidence).split()
            listed = words[words.index("item") + 1].split(",") if "item" in words else []
            found = [i for i in listed if i in critical]
            own.append(bool(found) and r.source == "evaluation")
            sep = "、" if lang == "zh" else ", "
            kinds.append(sep.join(map(self.problem_label, found)) if own[-1]
                         else rules.get(r.rule_id, r.rule_id))  # fmt: skip
        names = evidence.item_names(meta, lang)
        roster = center.agents.drop_duplicates("agent_id").set_index("agent_id")
        at = pd.to_datetime(c["at"])
        ref = c["evidence"].astype(str).str.split().str[1]
        out = pd.DataFrame({
            "agent_id": c["agent_id"].astype(str), "team": c["agent_id"].map(roster["team"]),
            "name": c["agent_id"].map(roster["name"]), "at": at, "month": at.dt.strftime("%Y-%m"),
            "bottom_line_kind": kinds, "points": c["points"].astype(float), "scorecard_item": own,
            "case": evidence.case_texts(c, code, names, lang),
            "contact_id": c["case_id"].where(c["case_id"] != ref, ""),
        })  # fmt: skip
        return out.assign(rank=rank_kinds(out))[cols]

    @staticmethod
    def _chats(source, center) -> dict[str, list[tuple[str, str, str]]]:
        """Masked chat transcripts of the evaluated chats: contact → [(time, sender, text)]."""
        from ..data.load import load_table, present_tables
        from ..data.readers import is_url

        if is_url(source):
            msgs = center.tables.get("chat_messages")
        else:
            present = present_tables(source)
            if "chat_messages" not in present:
                return {}
            path = Path(present["chat_messages"])
            if path.suffix == ".parquet":  # only the evaluated chats' messages reach memory
                import pyarrow.parquet as pq

                ids = center.evaluations["contact_id"].astype(str).unique().tolist()
                msgs = pq.read_table(path, filters=[("conversation_id", "in", ids)]).to_pandas()
            else:
                msgs, _ = load_table(path, "chat_messages", allow_empty=True)
        if msgs is None or msgs.empty:
            return {}
        msgs = msgs[msgs["conversation_id"].isin(center.evaluations["contact_id"])]
        msgs = msgs.sort_values(["conversation_id", "seq"], kind="stable")
        if "timestamp" not in msgs:  # an export without message times
            msgs = msgs.assign(timestamp=pd.NaT)
        out: dict[str, list[tuple[str, str, str]]] = {}
        for r in msgs.itertuples():
            text = mask_text(r.text) if isinstance(r.text, str) else ""
            when = "" if pd.isna(r.timestamp) else r.timestamp.strftime("%H:%M:%S")
            out.setdefault(r.conversation_id, []).append((when, str(r.sender), text))
        return out

    @staticmethod
    def _autoqa(source, center, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Every month's auto-QA violations (masked evidence, rule names in ``lang``, advisory
        marked) and each agent's violation rate per month, from ``<data>/autoqa/``."""
        from ..autoqa import advisory_rules, agreement_for, load_ruleset, targeted_by_autoqa
        from ..autoqa.rates import checked_by, violation_rates
        from ..autoqa.run import load_results, month_sample
        from ..data.readers import is_url
        from ..periods import parse_period
        from ..reporting.autoqa_tables import finding_text

        folder = Path(source) / "autoqa" if not is_url(source) else None
        found, rates = [], []
        if folder is not None and folder.is_dir():
            rules = load_ruleset()
            for path in sorted(folder.glob("????-??.parquet")):
                # counted where they lie: a month's results are millions of rows, its fails few
                period = parse_period(path.stem)
                exclude = targeted_by_autoqa(month_sample(period))
                advisory = advisory_rules(agreement_for(path, center, rules, exclude))
                month = path.stem
                checked = checked_by(path, "agent_id")
                counted = violation_rates(path, ["agent_id"], advisory).set_index("agent_id")
                rates.append(counted.drop(columns="n").join(checked, how="right")
                             .reset_index().assign(month=month))  # fmt: skip
                fails = load_results(source, period, fails_only=True)
                fails["advisory"] = [(r, c) in advisory for r, c in
                                     zip(fails["rule_id"], fails["channel"], strict=True)]  # fmt: skip
                fails["rule"] = [rules.rule(r).label(lang) for r in fails["rule_id"]]
                fails["found"] = [
                    finding_text(rules.rule(r).check, m, x, lang)
                    for r, m, x in zip(fails["rule_id"], fails["measure"], fails["matched"],
                                       strict=True)
                ]  # fmt: skip
                found.append(fails.assign(month=month)[FINDING_COLUMNS])
        cols = FINDING_COLUMNS
        found_df = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=cols)
        found_df = found_df.astype({"month": "category", "agent_id": "category"})
        rates_df = pd.concat(rates, ignore_index=True) if rates else pd.DataFrame(
            columns=["agent_id", "violations", "rate", "lo", "hi", "checked", "month"])  # fmt: skip
        return found_df, rates_df

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

        if is_url(source):
            return cls(source, language)
        folder = Path(source)
        files = sorted(  # a table is a file or a folder of monthly files (stamp reads inside)
            f for f in folder.iterdir()
            if not f.name.startswith(".")
            and (f.is_dir() or f.suffix in (".parquet", ".csv", ".xlsx"))
        )  # fmt: skip
        key = stamp(files, str(folder.resolve()), f"v{CACHE_FORMAT}", language)
        path = cache_dir(folder) / f"dashboard-{language}-{key}.pkl"
        if path.exists():
            return pickle.loads(path.read_bytes())
        data = cls(source, language)
        others = tuple(f"dashboard-{x}-" for x in i18n.LANGUAGES if x != language)
        for old in cache_dir(folder).glob("dashboard-*.pkl"):
            if not old.name.startswith(others):  # this language's older caches
                old.unlink(missing_ok=True)
        write_atomic(path, pickle.dumps(data))
        return data

    def t(self, key: str) -> str:
        """A label in the session's language."""
        return i18n.t(key, self.language)

    def agents_of(self, team: str) -> list[tuple[str, str]]:
        """(label, agent_id) for a team's agents in natural order, for a dropdown."""
        a = sort_natural(self.center.agents[self.center.agents["team"] == team], ["agent_id"])
        return [(f"{r.name}（{r.agent_id}）" if self.language == "zh" else f"{r.name} ({r.agent_id})",
                 r.agent_id) for r in a.itertuples()]  # fmt: skip

    def item_label(self, item_id: str) -> str:
        """An item's name in the dashboard's language."""
        if item_id not in self.item_names.index:
            return item_id
        return self.item_names.at[item_id, "item" if self.language == "zh" else "item_en"]

    def problem_label(self, item_id: str) -> str:
        """An item's name, with its channel where another channel's scorecard has an item of
        that name (标准结束语 on the voice and the chat scorecards: two items, two rows)."""
        label = self.item_label(item_id)
        mine = self.item_channel.get(item_id)
        col = "item" if self.language == "zh" else "item_en"
        same = self.item_names.index[self.item_names[col] == label]
        if mine is None or {self.item_channel.get(i) for i in same} <= {mine}:
            return label
        ch = i18n.value("channel", mine, self.language)
        return f"{label}（{ch}）" if self.language == "zh" else f"{label} ({ch})"

    def items_of(self, agent_id: str) -> list[str]:
        """The items of the agent's own scorecard (the one their evaluations use, else their
        team's, else every item)."""
        team = self.roster.at[agent_id, "team"] if agent_id in self.roster.index else None
        card = self.agent_card.get(agent_id) or self.team_card.get(team)
        return self.scorecard_items.get(card, list(self.item_names.index))


def _output(part: HTML) -> dict:
    """One Output-widget output (nbformat ``display_data``) for an HTML object."""
    return {"output_type": "display_data", "data": {"text/html": part.data, "text/plain": "<HTML>"},
            "metadata": {}}  # fmt: skip


def show(out, parts: list) -> None:
    """Make the ``out`` Output widget show ``parts`` (HTML objects), in one state update.

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
    def run(out, d: DashboardData, *args, **kwargs):
        parts: list = []
        try:
            result = view(parts, d, *args, **kwargs)
        except Exception:  # a dashboard must never show a traceback
            logging.getLogger("qaworkbench.dashboard").exception("view %s failed", view.__name__)
            show(out, [HTML(message(d.t("view_failed"), ok=False))])
            return None
        show(out, parts)
        return result

    return run


def heading(text: str, level: int = 3, anchor: str = "") -> HTML:
    """A heading, escaped."""
    ident = f' id="{anchor}"' if anchor else ""
    return HTML(f"<h{level}{ident}>{_html.escape(text)}</h{level}>")


def message(text: str, ok: bool = True) -> str:
    """HTML for a short message box (green when ok, red otherwise)."""
    color = "#e6f4ea" if ok else "#fdecea"
    kind = "ok" if ok else "error"
    return (
        f'<div class="qaw-msg qaw-{kind}" role="status" style="background:{color};padding:6px 10px;'
        f'border-radius:4px">{_html.escape(text)}</div>'
    )


def header(cells: list[tuple[str, str, str]]) -> HTML:
    """The header figures: (label, figure, detail) boxes in a row that wraps."""
    boxes = "".join(
        f"<div><span>{_html.escape(label)}</span><b>{_html.escape(fig)}</b>"
        f"<small>{_html.escape(detail)}</small></div>"
        for label, fig, detail in cells
    )
    return HTML(f'<div class="qaw-header" id="qaw-header">{boxes}</div>')


def scroll(part: HTML) -> HTML:
    """A wide table in a box of its own that scrolls sideways at phone width."""
    return HTML(f'<div class="qaw-scroll">{part.data}</div>')


def wrap(part: HTML) -> HTML:
    """A narrow table (a name and a few figures) read whole at phone width: its text wraps
    instead of the table scrolling sideways."""
    return HTML(f'<div class="qaw-wrap">{part.data}</div>')


def valid_month(month: str) -> bool:
    """Whether ``month`` is written YYYY-MM (the page then says if it has no evaluations)."""
    return bool(MONTH_RE.match(month or ""))


def months_back(month: str, k: int = 1) -> str:
    """The month ``k`` months before ``month`` (YYYY-MM)."""
    return str(pd.Period(month, "M") - k)
