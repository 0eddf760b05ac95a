"""Each agent's scoring history per month (full marks, mean score, spread): what the adaptive
quota and the precision of a month's sample are built from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import SCORECARDS_DIR, TEMPLATES_DIR
from ..data.cache import cached_frame, stamp
from ..data.load import find_table_file, load_center
from ..data.readers import is_url
from ..frames import digest, isin
from . import evaluations, penalties

HISTORY_TABLES = ("evaluations", "evaluation_items", "appeals", "complaints", "penalty_events")
SCORED_TABLES = ("evaluations", "evaluation_items", "appeals")  # what scoring reads
HISTORY_COLUMNS = ["agent_id", "month", "full_marks", "mean_score", "n", "ss"]


def agent_history(
    center_small, code: str = "cloud_service", until: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per agent and month: full_marks, mean_score (points), n evaluations and ss, the sum of
    squared deviations from the agent-month mean (points²); and the scored evaluations
    (before ``until``)."""
    ev = center_small.evaluations
    items = center_small.evaluation_items
    if until is not None:
        ev = ev[ev["evaluated_at"] < until]
        items = items[isin(items["evaluation_id"], ev["evaluation_id"])]
    scored, _ = evaluations.score_evaluations(ev, items, center_small.appeals)
    regular = scored[scored["mode"] != "calibration"]
    if regular.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS), scored
    pen = penalties.load_penalty_code(code)
    cases = penalties.most_severe(
        penalties.penalty_events(
            pen,
            center_small.complaints,
            scored,
            center_small.evaluation_items,
            center_small.tables.get("penalty_events"),
        ),
        pen,
    )
    month = regular["evaluated_at"].dt.strftime("%Y-%m")
    g = regular["score"].groupby([regular["agent_id"], month.rename("month")])
    spread = pd.DataFrame({"mean_score": g.mean(), "n": g.size(), "ss": g.var(ddof=0) * g.size()})
    frames = [penalties.agent_status(cases, scored, pen, m) for m in sorted(month.unique())]
    st = pd.concat(frames, ignore_index=True)
    out = st.assign(full_marks=st["status"] == "full_marks").join(spread, on=["agent_id", "month"])
    out["n"] = out["n"].fillna(0).astype(int)
    return out[HISTORY_COLUMNS], scored


def history_before(
    source: str | Path, until: pd.Timestamp, code: str = "cloud_service"
) -> pd.DataFrame:
    """``agent_history`` of the evaluations before ``until``, kept in the data folder's cache
    (keyed by the QA tables, the scorecards, the penalty code and ``until``): closed months
    are scored once, not at every sampling run."""

    def build() -> pd.DataFrame:
        return agent_history(load_center(source, tables=HISTORY_TABLES), code, until)[0]

    if is_url(source):
        return build()
    folder = Path(source)
    files = [find_table_file(folder, n) or folder / n for n in HISTORY_TABLES]
    files += [SCORECARDS_DIR, TEMPLATES_DIR / "penalties", Path(code)]  # code: a name or a path
    return cached_frame(folder, "history", stamp(files, code, str(until)), build)


def pooled_history_sd(history: pd.DataFrame) -> tuple[float, int]:
    """The within-agent-month score SD (points) pooled over the history, and its degrees of
    freedom: the spread a monthly score's interval is built from."""
    dof = int((history["n"] - 1).clip(lower=0).sum())
    if dof == 0:
        return float("nan"), 0
    return float(np.sqrt(history["ss"].sum() / dof)), dof


def cached_scores(source: str | Path, center_small) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``evaluations.score_evaluations`` of the center's evaluations, items and appeals, kept
    in the data folder's cache: ``qaw score`` and the weekly and monthly reports of the same
    data score it once (a year of a 2,000-agent center: 7 M item rows, about 20 s). Keyed by
    the tables' content (not their files: a caller may pass a center it changed) and the
    scorecards; a center holding only some item results (``Center.partial``) by the item
    files instead, and scored afresh from all of them."""
    partial = "evaluation_items" in center_small.partial

    def build() -> tuple[pd.DataFrame, pd.DataFrame]:
        items = center_small.evaluation_items
        if partial:  # every item result, read for this once
            items = load_center(source, tables=SCORED_TABLES).evaluation_items
        return evaluations.score_evaluations(center_small.evaluations, items, center_small.appeals)

    if is_url(source):
        return build()
    folder = Path(source)
    name = "scores"
    if partial:
        items = [find_table_file(folder, "evaluation_items") or folder / "evaluation_items"]
        content = [digest(center_small.evaluations), digest(center_small.appeals)]
        key, name = stamp([SCORECARDS_DIR, *items], "scores", *content), "scores-by-files"
    else:
        items = center_small.evaluation_items[
            ["evaluation_id", "item_id", "result", "points_deducted"]
        ]
        content = [digest(df) for df in (center_small.evaluations, items, center_small.appeals)]
        key = stamp([SCORECARDS_DIR], "scores", *content)
    made: list[tuple[pd.DataFrame, pd.DataFrame]] = []

    def scored() -> pd.DataFrame:
        made.append(build())
        return made[0][0]

    first = cached_frame(folder, name, key, scored)
    sections = cached_frame(
        folder, name.replace("scores", "score-sections"), key, lambda: (made or [build()])[0][1]
    )
    return first, sections
