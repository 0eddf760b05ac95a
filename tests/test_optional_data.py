"""Optional means optional: every command works on a center without any one optional table or
optional column, and says in one line what it could not do because of it.

Each case copies a tiny center without the table (or with columns dropped from its file: a
column some feature needs on its own, the pass-through columns of a table together) and runs the CLI's commands in-process (validate, summary, sample, neighbours, completion,
score), the weekly and monthly reports' computation, and the dashboards' views.
"""

from __future__ import annotations

import shutil

import ipywidgets as w
import pandas as pd
import pytest
from click.testing import CliRunner

from qaworkbench import coaching
from qaworkbench.cli import main
from qaworkbench.dashboards import coaching_page, meeting_page, views
from qaworkbench.data.load import save_center
from qaworkbench.data.schema import TABLES
from qaworkbench.demo import DemoSpec, build
from qaworkbench.reporting import contents

TINY = DemoSpec(agents=12, teams=2, chat_teams=1, months=2, contacts_per_day=10, evaluators=3,
                qa_rate=0.05)  # fmt: skip
OPTIONAL_TABLES = [n for n, t in TABLES.items() if t.optional]
NEEDED = {("contacts", "agent_id")}  # may be empty, but only where a contact was not answered
OPTIONAL_COLUMNS = [
    (t.name, c.name)
    for t in TABLES.values()
    for c in t.columns
    if not c.required and (t.name, c.name) not in NEEDED
]
# A column some feature needs (it says what in the schema's ``without``) is removed on its own;
# the other optional columns of a table, which only pass through, are removed together.
CASES = [(t, (c,)) for t, c in OPTIONAL_COLUMNS if TABLES[t].column(c).without] + [
    (t, tuple(c for tt, c in OPTIONAL_COLUMNS if tt == t and not TABLES[t].column(c).without))
    for t in TABLES
    if any(tt == t and not TABLES[t].column(c).without for tt, c in OPTIONAL_COLUMNS)
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    tables = build(TINY)
    assert all(len(tables[n]) for n in OPTIONAL_TABLES if n != "penalty_events")
    if tables["penalty_events"].empty:  # the tiny center is too small to have had one
        c = tables["contacts"].dropna(subset=["agent_id"]).iloc[0]
        tables["penalty_events"] = pd.DataFrame({
            "event_id": ["KF1"], "agent_id": [c["agent_id"]], "contact_id": [c["contact_id"]],
            "occurred_at": [pd.Timestamp("2026-06-03 10:00")], "kind": ["financial_loss"],
            "amount": [300.0], "note": ["错误告知资费"],
        })  # fmt: skip
    d = tmp_path_factory.mktemp("tiny") / "full"
    save_center(tables, d)
    return d


def _without(tiny, tmp_path, table: str, columns: tuple[str, ...] = ()):
    d = tmp_path / "center"
    shutil.copytree(tiny, d)
    f = d / f"{table}.parquet"
    if not columns:
        f.unlink()
    else:
        pd.read_parquet(f).drop(columns=list(columns)).to_parquet(f, index=False)
    return d


def _run_everything(d, tmp_path) -> str:
    """Every command on the folder; returns all they printed. Fails on an exit code other
    than 0 or a traceback."""
    runner = CliRunner()
    out = tmp_path / "out"
    printed = []
    for args in (
        ["validate", str(d)],
        ["summary", str(d)],
        ["sample", "--month", "2026-06", "--data", str(d), "--out", str(out)],
        ["neighbours", "--month", "2026-06", "--data", str(d), "--out", str(out)],
        ["completion", "--month", "2026-06", "--data", str(d), "--out", str(out)],
        ["score", "--month", "2026-06", "--data", str(d), "--out", str(tmp_path / "scores")],
    ):
        r = runner.invoke(main, args, catch_exceptions=True)
        text = r.output  # stdout and stderr, as a terminal shows them
        assert r.exit_code == 0, f"qaw {' '.join(args)} exited {r.exit_code}:\n{text}"
        assert "Traceback" not in text
        printed.append(text)
    for kind, period in (("weekly", "2026-W24"), ("monthly", "2026-06")):
        ctx = contents.build(kind, d, period, samples_dir=out.parent)
        assert ctx.tables, f"the {kind} report has no tables"
        printed += ctx.limits
    data = views.DashboardData(d)
    store = coaching.connect(f"sqlite:///{tmp_path / 'coaching.db'}")
    for show, args in ((coaching_page.show_agent, (data.roster.index[0], data.default_month, store)),
                       (meeting_page.show_top, (data.default_month, "", store)),
                       (meeting_page.show_rest, (data.default_month, ""))):  # fmt: skip
        view = w.Output()
        show(view, data, *args)
        html = "".join(o["data"].get("text/html", "") for o in view.outputs)
        assert html and data.t("view_failed") not in html, f"{show.__name__} failed: {html[:300]}"
    return "\n".join(printed)


@pytest.mark.parametrize("table", OPTIONAL_TABLES)
def test_every_command_works_without_an_optional_table(tiny, tmp_path, table):
    printed = _run_everything(_without(tiny, tmp_path, table), tmp_path)
    assert f"note: no {table}: {TABLES[table].without}" in printed


@pytest.mark.parametrize(("table", "columns"), CASES, ids=[f"{t}.{'+'.join(c)}" for t, c in CASES])
def test_every_command_works_without_optional_columns(tiny, tmp_path, table, columns):
    printed = _run_everything(_without(tiny, tmp_path, table, columns), tmp_path)
    for column in columns:
        if without := TABLES[table].column(column).without:
            assert f"note: no {table}.{column}: {without}" in printed


def test_the_matrix_covers_the_optional_parts():
    assert {"evaluators", "complaints", "appeals", "chat_messages", "penalty_events"} <= set(
        OPTIONAL_TABLES
    )
    removed = {(t, c) for t, cs in CASES for c in cs}
    assert removed == set(OPTIONAL_COLUMNS)  # every optional column, alone or with its kind
    assert ("contacts", ("queue_wait_s",)) in CASES and ("contacts", ("talk_s",)) in CASES
