"""Each agent's scoring history per month (full marks, mean score, spread): what the adaptive
quota and the precision of a month's sample are built from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data.cache import cached_file, cached_frame, stamp
from ..data.load import find_table_file, load_center
from ..data.readers import is_url
from ..frames import digest, isin
from ..settings import get
from ..workspace import template_dirs
from . import evaluations, penalties

HISTORY_TABLES = ("evaluations", "evaluation_items", "appeals", "complaints", "penalty_events")
SCORED_TABLES = ("evaluations", "evaluation_items", "appeals")  # what scoring reads
HISTORY_COLUMNS = ["agent_id", "month", "full_marks", "mean_score", "n", "ss", "status"]
# the item results' columns scoring reads
SCORED_ITEM_COLUMNS = ("evaluation_id", "item_id", "result", "points_deducted")


def agent_history(
    center_small, code: str | None = None, until: pd.Timestamp | None = None
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
    events = center_small.tables.get("penalty_events")
    frames = [penalties.agent_status(cases, scored, pen, m, events) for m in sorted(month.unique())]
    st = pd.concat(frames, ignore_index=True)
    out = st.assign(full_marks=st["status"] == "full_marks").join(spread, on=["agent_id", "month"])
    out["n"] = out["n"].fillna(0).astype(int)
    return out[HISTORY_COLUMNS], scored


def history_before(
    source: str | Path, until: pd.Timestamp, code: str | None = None
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
    code = get("penalty_code", code)
    files += [
        *template_dirs("scorecards"),
        *template_dirs("penalties"),
        Path(code),
    ]  # a name or a path
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
    files instead, and scored afresh from all of them: one file (a month) at a time where the
    item table is a folder of files, each file's scores cached on its own (``_scores_by_file``)."""
    partial = "evaluation_items" in center_small.partial

    def build() -> tuple[pd.DataFrame, pd.DataFrame]:
        items = center_small.evaluation_items
        if partial:  # every item result: a month's file at a time where the table has them
            by_file = _scores_by_file(Path(source), center_small)
            if by_file is not None:
                return by_file
            items = load_center(source, tables=SCORED_TABLES).evaluation_items
        return evaluations.score_evaluations(center_small.evaluations, items, center_small.appeals)

    if is_url(source):
        return build()
    folder = Path(source)
    name = "scores"
    if partial:
        items = [find_table_file(folder, "evaluation_items") or folder / "evaluation_items"]
        content = [digest(center_small.evaluations), digest(center_small.appeals)]
        key, name = (
            stamp([*template_dirs("scorecards"), *items], "scores", *content),
            "scores-by-files",
        )
    else:
        items = center_small.evaluation_items[list(SCORED_ITEM_COLUMNS)]
        content = [digest(df) for df in (center_small.evaluations, items, center_small.appeals)]
        key = stamp(template_dirs("scorecards"), "scores", *content)
    made: list[tuple[pd.DataFrame, pd.DataFrame]] = []

    def scored() -> pd.DataFrame:
        made.append(build())
        return made[0][0]

    first = cached_frame(folder, name, key, scored)
    sections = cached_frame(
        folder, name.replace("scores", "score-sections"), key, lambda: (made or [build()])[0][1]
    )
    return first, sections


def _scores_by_file(folder: Path, center_small) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """``score_evaluations`` of every evaluation from all its item results, read one file of
    the item table's folder at a time (a month: 600,000 rows of the 2,000-agent year, not
    7.5 M at once), each file's scores kept in the cache: after a new month arrives, only its
    file (and a file whose evaluations or appeals changed) is scored again. None where the
    table is not a folder of files each holding whole evaluations of known ids (the caller
    then reads the table whole, which names what is wrong)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from ..data.load import load_table

    table = find_table_file(folder, "evaluation_items")
    files = sorted(table.glob("*.parquet")) if table is not None and table.is_dir() else []
    if len(files) < 2:
        return None
    ev, appeals = center_small.evaluations, center_small.appeals
    known = pa.array(ev["evaluation_id"].astype("str").to_numpy(), pa.string())
    ids = []
    for f in files:
        try:
            got = pc.unique(pq.read_table(f, columns=["evaluation_id"])["evaluation_id"])
            got = got.cast(pa.string())
        except (OSError, KeyError, pa.ArrowException):  # not a canonical file: read it whole
            return None
        if not pc.all(pc.is_in(got, value_set=known)).as_py():
            return None  # items of unknown evaluations
        ids.append(got)
    if sum(len(i) for i in ids) != len(pc.unique(pa.concat_arrays(ids))):
        return None  # an evaluation's items spread over files
    scored, sections = [], []
    seen = np.zeros(len(ev), dtype=bool)
    for k, (f, got) in enumerate(zip(files, ids, strict=True)):
        mine = isin(ev["evaluation_id"].astype("str"), pd.Series(got.to_pylist(), dtype="str"))
        if k == len(files) - 1:
            mine |= ~seen  # evaluations without items: scored (as none) with the last file
        seen |= mine
        ev_f = ev[mine]
        ap_f = appeals[isin(appeals["evaluation_id"], ev_f["evaluation_id"])]
        key = stamp([*template_dirs("scorecards"), f], "scores-file", digest(ev_f), digest(ap_f))
        made: list[tuple[pd.DataFrame, pd.DataFrame]] = []

        def score(ev_f=ev_f, ap_f=ap_f, f=f, made=made) -> tuple[pd.DataFrame, pd.DataFrame]:
            if not made:
                items = load_table(f, "evaluation_items")[0][list(SCORED_ITEM_COLUMNS)]  # no text
                made.append(evaluations.score_evaluations(ev_f, items, ap_f))
            return made[0]

        scored.append(cached_file(folder, f"scores-file-{f.stem}", key, lambda s=score: s()[0]))
        sections.append(
            cached_file(folder, f"score-sections-file-{f.stem}", key, lambda s=score: s()[1])
        )
    out = _read_files(scored)  # in the evaluations' order, as scored whole
    at = pd.Series(np.arange(len(ev)), index=ev["evaluation_id"].astype("str").to_numpy())
    out = out.iloc[np.argsort(at.loc[out["evaluation_id"].astype("str")].to_numpy(), kind="stable")]
    return out.reset_index(drop=True), _read_files(sections)  # sections by file


def _read_files(paths: list[Path]) -> pd.DataFrame:
    """The cache files ``paths`` as one frame, read as pandas reads one (its string type), the
    Arrow columns freed as they are converted: a year's 2 M section rows, not held twice."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pa.concat_tables([pq.read_table(p) for p in paths], promote_options="default")
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # types that do not unify: pandas decides
        return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    strings = pd.StringDtype(na_value=np.nan)
    kinds = {pa.string(): strings, pa.large_string(): strings, pa.string_view(): strings}
    return table.to_pandas(types_mapper=kinds.get, self_destruct=True, split_blocks=True)
