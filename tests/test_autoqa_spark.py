"""Auto-QA on Apache Spark (``qaw autoqa --engine spark``, local[2]) gives the one-machine
results, row for row, on a small center's chats and call transcripts.

Spark needs Java 17 (`make java`); the session starts once per test run.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from qaworkbench.cli import main

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java: make java")

KEY = ["contact_id", "rule_id"]


def _results(folder, month: str) -> pd.DataFrame:
    t = pq.read_table(folder / "autoqa" / f"{month}.parquet").to_pandas()
    cats = [c for c in t.columns if isinstance(t[c].dtype, pd.CategoricalDtype)]
    return t.astype({c: str for c in cats}).sort_values(KEY).reset_index(drop=True)


def test_spark_checks_give_the_one_machine_results(small_dir, tmp_path):
    month = "2026-06"
    here, spark = tmp_path / "duckdb", tmp_path / "spark"
    shutil.copytree(small_dir, here)
    shutil.copytree(small_dir, spark)
    runner = CliRunner()
    a = runner.invoke(main, ["autoqa", "--month", month, "--data", str(here)])
    assert a.exit_code == 0, a.output
    b = runner.invoke(main, ["autoqa", "--month", month, "--data", str(spark), "--engine",
                             "spark", "--master", "local[2]"])  # fmt: skip
    assert b.exit_code == 0, b.output
    one, many = _results(here, month), _results(spark, month)
    assert set(one["channel"]) == {"chat", "voice"} and (one["result"] == "fail").any()
    pd.testing.assert_frame_equal(one, many)
    # what the command prints from the results (coverage, fail rates, agreement) is the same,
    # but for the last line: where the results went and how long it took
    assert a.output.splitlines()[:-1] == b.output.splitlines()[:-1]
