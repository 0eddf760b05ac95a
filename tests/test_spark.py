"""The same SQL on DuckDB and on Apache Spark (PySpark, local[2]): equal answers on the demo.

Spark needs Java 17 (`make java` installs Debian's); the session starts once per test run.
"""

from __future__ import annotations

import shutil
from datetime import datetime

import pandas as pd
import pytest
from click.testing import CliRunner

from qaworkbench.cli import main
from qaworkbench.config import DEMO_DIR
from qaworkbench.data import engine
from qaworkbench.data.spark import to_spark

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java: make java")

MAY, NOV = datetime(2026, 5, 1), datetime(2026, 11, 1)


@pytest.fixture(scope="module")
def both():
    tables = ("contacts", "evaluations")
    return engine.open_engine(DEMO_DIR, tables), engine.open_engine(
        DEMO_DIR, tables, engine="spark", master="local[2]"
    )


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) > 0
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False, rtol=1e-9
    )


QUERIES = {
    "months": lambda c: engine.monthly_overview(c),
    "evaluations": lambda c: engine.monthly_evaluations(c),
    "month_contacts": lambda c: engine.monthly_contacts(c, MAY, NOV),
    "agent_months": lambda c: engine.handled_per_agent_month(c, MAY, NOV),
    "month_intervals": lambda c: engine.service_level_by_month_interval(c, MAY, NOV),
    "month_intervals_excluded": lambda c: engine.service_level_by_month_interval(
        c, MAY, NOV, interval_min=15, answer_within_s=30, abandoned="excluded"
    ),
    "intervals": lambda c: engine.service_level_by_interval(
        c, datetime(2026, 10, 1), NOV, abandoned="met"
    ),
    "handled": lambda c: engine.handled_per_agent(c, datetime(2026, 10, 1), NOV),
}


@pytest.mark.parametrize("name", QUERIES)
def test_each_query_gives_the_same_answer_on_duckdb_and_spark(both, name):
    duck, spark = both
    a, b = QUERIES[name](duck), QUERIES[name](spark)
    _same(a, b)
    if name == "agent_months":  # a year's question, answered per month: six months, 300 agents
        assert a["month"].nunique() == 6 and a["agent_id"].nunique() >= 290


def test_the_spark_sql_is_the_duckdb_sql_translated():
    sql = to_spark(
        "SELECT make_timestamp(epoch_us(start_time) // 60 * 60) AS t, strftime(start_time, '%Y-%m') "
        "FROM contacts WHERE start_time >= $start AND queue_wait_s <= $t",
        {"start": datetime(2026, 5, 1, 8, 30), "t": 20.0},
    )
    assert "UNIX_MICROS(CAST(start_time AS TIMESTAMP_LTZ))" in sql
    assert "CAST('2026-05-01 08:30:00.000000' AS TIMESTAMP)" in sql and "<= 20.0" in sql
    assert "DATE_FORMAT(start_time, 'yyyy-MM')" in sql and "$" not in sql
    with pytest.raises(KeyError, match=r"\$end"):
        to_spark("SELECT 1 FROM contacts WHERE start_time < $end", {})


def test_qaw_summary_prints_the_same_on_both_engines():
    duck = CliRunner().invoke(main, ["summary", str(DEMO_DIR)])
    spark = CliRunner().invoke(
        main, ["summary", str(DEMO_DIR), "--engine", "spark", "--master", "local[2]"]
    )
    assert duck.exit_code == 0 and spark.exit_code == 0, spark.output
    assert "2026-10" in duck.output and duck.output == spark.output


def test_an_unknown_engine_is_refused_by_name():
    r = CliRunner().invoke(main, ["summary", str(DEMO_DIR), "--engine", "hive"])
    assert r.exit_code != 0 and "hive" in r.output


def test_the_same_seed_draws_the_same_sample_on_both_engines():
    from qaworkbench.sampling import sample_month
    from qaworkbench.sampling.plan import load_plan

    plan = load_plan("hotline")
    duck = sample_month(DEMO_DIR, "2026-09", plan, seed=7)
    spark = sample_month(DEMO_DIR, "2026-09", plan, seed=7, engine_name="spark")
    assert len(duck.contacts) > 1000
    pd.testing.assert_frame_equal(duck.contacts, spark.contacts)
    assert any("Spark (local[2])" in n for n in spark.notes)


def test_the_year_section_is_the_same_on_both_engines():
    from qaworkbench import scoring
    from qaworkbench.periods import parse_period
    from qaworkbench.reporting.contents import report_center
    from qaworkbench.reporting.year import year_tables

    center = report_center(DEMO_DIR)
    scored, _ = scoring.score_evaluations(
        center.evaluations, center.evaluation_items, center.appeals
    )
    p = parse_period("2026-10")
    duck = year_tables(DEMO_DIR, center, scored, p)
    spark = year_tables(DEMO_DIR, center, scored, p, engine_name="spark")
    for name in ("year", "year_teams"):
        _same(duck[name], spark[name])
    assert len(duck["year"]) == 6  # the demo's six months


def test_two_spark_sources_in_one_process_keep_their_own_tables(small_dir):
    demo = engine.open_engine(DEMO_DIR, ("contacts",), engine="spark")
    small = engine.open_engine(small_dir, ("contacts",), engine="spark")
    a = engine.monthly_overview(demo)  # opened first, queried after the other source
    b = engine.monthly_overview(small)
    _same(a, engine.monthly_overview(engine.open_engine(DEMO_DIR, ("contacts",))))
    _same(b, engine.monthly_overview(engine.open_engine(small_dir, ("contacts",))))
