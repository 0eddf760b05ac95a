"""The qaw command line, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import CONTACT_HEADER, PWC_CSV, contact_row, needs_pwc, write_csv


def qaw(*args: str, cwd=None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the CLI as a user would; no call, good input or bad, may print a traceback."""
    r = subprocess.run(
        [sys.executable, "-m", "qaworkbench.cli", *args], capture_output=True, text=True, cwd=cwd,
        env=None if env is None else os.environ | env,
    )  # fmt: skip
    assert "Traceback" not in r.stderr + r.stdout, f"qaw {' '.join(args)}:\n{r.stderr}"
    return r


@pytest.mark.parametrize(
    "cmd",
    [
        [],
        ["demo"],
        ["validate"],
        ["summary"],
        ["schema"],
        ["score"],
        ["sample"],
        ["neighbours"],
        ["completion"],
    ],
)
def test_every_command_has_help(cmd):
    r = qaw(*cmd, "--help")
    assert r.returncode == 0 and "Usage:" in r.stdout


@needs_pwc
def test_validate_pwc_export_through_the_mapping():
    r = qaw("validate", str(PWC_CSV), "--mapping", "pwc_call_center")
    assert r.returncode == 0, r.stderr
    assert "5,000" in r.stdout and "not answered: 946" in r.stdout


def test_demo_then_validate_then_summary(tmp_path):
    out = tmp_path / "demo"
    r = qaw("demo", "--out", str(out), "--agents", "12", "--teams", "3", "--months", "1",
            "--contacts-per-day", "8", "--samples", str(tmp_path / "samples"))  # fmt: skip
    assert (tmp_path / "samples" / "2026-05" / "sample.csv").exists()
    assert r.returncode == 0, r.stderr
    assert (out / "contacts" / "2026-05.parquet").exists()  # one file per month
    r = qaw("demo", "--out", str(out), "--agents", "12")
    assert r.returncode != 0 and "--force" in r.stderr  # never overwrites silently
    r = qaw("validate", str(out))
    assert r.returncode == 0, r.stderr
    assert "contacts" in r.stdout and "evaluation_items" in r.stdout
    r = qaw("summary", str(out))
    assert r.returncode == 0 and "2026-05" in r.stdout


def test_demo_into_a_sqlite_database_validates(tmp_path):
    url = f"sqlite:///{tmp_path / 'center.db'}"
    r = qaw("demo", "--out", url, "--agents", "10", "--teams", "2", "--months", "1",
            "--contacts-per-day", "6")  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = qaw("validate", url)
    assert r.returncode == 0, r.stderr
    assert "chat_messages" in r.stdout


def test_validate_fails_with_the_errors(tmp_path):
    path = write_csv(
        tmp_path / "contacts.csv", [CONTACT_HEADER, contact_row(1), contact_row(2, talk_s=-5)]
    )
    r = qaw("validate", str(path))
    assert r.returncode == 1
    assert "contacts.csv, row 3, column 'talk_s': expected a duration of 0 s or more" in r.stderr


def test_validate_lenient_writes_rejects(tmp_path):
    path = write_csv(
        tmp_path / "contacts.csv", [CONTACT_HEADER, contact_row(1), contact_row(2, talk_s=-5)]
    )
    r = qaw("validate", str(path), "--lenient", "--rejects", str(tmp_path / "rej"))
    assert r.returncode == 0
    assert "1 row(s) rejected" in r.stderr
    assert (tmp_path / "rej" / "contacts.rejected.csv").exists()


def test_score_a_month_of_the_demo_center(tmp_path, small_dir):
    out = tmp_path / "scores"
    r = qaw("score", "--month", "2026-06", "--data", str(small_dir), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "quality level" in r.stdout and "95% CI" in r.stdout and "Top 5 problems" in r.stdout
    for name in ("agents", "teams", "calibration", "section_alpha", "pareto", "status"):
        assert (out / f"{name}.csv").exists(), name
    import pandas as pd

    agents = pd.read_csv(out / "agents.csv", encoding="utf-8-sig")
    assert {"n", "mean", "lo", "hi", "pooled", "rank_pooled", "status"} <= set(agents.columns)
    assert (agents["lo"] <= agents["mean"]).all() and (agents["mean"] <= agents["hi"]).all()
    xl = pd.read_excel(out / "scores-2026-06.xlsx", sheet_name=None)
    assert "agents" in xl and len(xl["agents"]) == len(agents)


def test_score_a_month_without_evaluations_fails_clearly(small_dir):
    r = qaw("score", "--month", "2027-01", "--data", str(small_dir))
    assert r.returncode == 1 and "no evaluations in 2027-01" in r.stderr
    r = qaw("score", "--month", "October", "--data", str(small_dir))
    assert r.returncode == 1 and "expected a month like 2026-10" in r.stderr


def test_a_different_sample_is_not_written_over_one_staff_work_from(tmp_path, small_dir):
    out = tmp_path / "sample"
    args = ["sample", "--month", "2026-06", "--data", str(small_dir), "--out", str(out)]
    assert qaw(*args, "--seed", "7").returncode == 0
    first = (out / "sample.csv").read_bytes()
    assert qaw(*args, "--seed", "7").returncode == 0  # the same sample again: fine
    r = qaw(*args, "--seed", "8")
    assert r.returncode == 1
    assert f"{out / 'sample.csv'} already holds a different sample for 2026-06" in r.stderr
    assert "--force" in r.stderr and (out / "sample.csv").read_bytes() == first
    r = qaw(*args, "--seed", "8", "--force")
    assert r.returncode == 0, r.stderr
    assert (out / "sample.csv").read_bytes() != first


def test_sample_neighbours_and_completion_on_the_demo_center(tmp_path, small_dir):
    import pandas as pd

    from qaworkbench.privacy import find_unmasked

    out = tmp_path / "sample"
    r = qaw(
        "sample",
        "--month",
        "2026-06",
        "--data",
        str(small_dir),
        "--out",
        str(out),
        "--seed",
        "7",
        "--precision",
        "5",
    )
    assert r.returncode == 0, r.stderr
    assert "seed 7" in r.stdout and "base_post_call" in r.stdout and "for ±5 points" in r.stdout
    planned = pd.read_csv(
        out / "sample.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False
    )
    contacts = planned[planned["contact_id"] != ""]
    assert (contacts["reasons"] != "").all() and (
        contacts["details"] != ""
    ).all()  # every contact explained
    assert (planned["evaluator_id"] != "").all()
    assert contacts["customer_id"].str.fullmatch(r"1\d\d\*{4}\d{4}").all()  # masked in what leaves
    xl = pd.read_excel(out / "sample-2026-06.xlsx", sheet_name=None, dtype=str)
    evaluators = set(planned["evaluator_id"])
    assert evaluators <= set(xl) and "summary 汇总" in xl
    assert find_unmasked(" ".join(df.to_csv() for df in xl.values())) == []
    again = tmp_path / "again"
    qaw(
        "sample", "--month", "2026-06", "--data", str(small_dir), "--out", str(again), "--seed", "7"
    )
    assert (again / "sample.csv").read_bytes() == (
        out / "sample.csv"
    ).read_bytes()  # same seed, same sample

    r = qaw("neighbours", "--month", "2026-06", "--data", str(small_dir), "--out", str(out))
    assert r.returncode == 0, r.stderr
    after = pd.read_csv(out / "sample.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    added = after[after["reasons"] == "neighbour"]
    assert len(after) == len(planned) + len(added)
    if len(added):
        assert added["details"].str.contains(r"(?:before|after) C\d+ \(score \d+\)").all()

    r = qaw("completion", "--month", "2026-06", "--data", str(small_dir), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "total:" in r.stdout and (out / "completion_by_evaluator.csv").exists()


def test_an_unexpected_error_is_one_line_with_its_details_in_a_log(monkeypatch, tmp_path):
    """A bug is not a traceback on the user's screen: one line naming the error and the log
    that holds the traceback for a bug report; exit code 2."""
    import tempfile

    from click.testing import CliRunner

    from qaworkbench.cli import main
    from qaworkbench.data import load

    def broken(*args, **kwargs):
        raise RuntimeError("something the code did not expect")

    monkeypatch.setattr(load, "load_center", broken)
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    r = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        f"qaw: unexpected RuntimeError: something the code did not expect (the details are in "
        f"{tmp_path / 'qaw-errors.log'}; please report it with the command you ran)"
    ]
    log = (tmp_path / "qaw-errors.log").read_text(encoding="utf-8")
    assert "Traceback" in log and "validate" in log and "RuntimeError" in log


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "the file is empty"), (b"PAR1 not really parquet", "damaged or not Parquet")],
)
def test_an_empty_or_damaged_parquet_is_a_clear_error(tmp_path, small_dir, content, expected):
    import shutil

    d = tmp_path / "center"
    shutil.copytree(small_dir, d)
    (d / "evaluations.parquet").write_bytes(content)
    for cmd in (["summary", str(d)], ["score", "--month", "2026-06", "--data", str(d), "--out",
                                      str(tmp_path / "out")]):  # fmt: skip
        r = qaw(*cmd)
        assert r.returncode == 1, r.stderr
        assert "evaluations.parquet" in r.stderr and expected in r.stderr


def test_a_demo_elsewhere_keeps_its_samples_beside_it(tmp_path):
    """A second center (a benchmark's, of the same months) never replaces the samples of the
    workspace's own data folder: its samples go beside it unless --samples says where."""
    reports = tmp_path / "reports"
    kept = reports / "samples" / "2026-05"
    kept.mkdir(parents=True)
    (kept / "sample.csv").write_text("the workspace's own sample\n", encoding="utf-8")
    env = {"QAW_DATA": str(tmp_path / "data" / "demo"), "QAW_REPORTS_DIR": str(reports)}
    out = tmp_path / "bench" / "month"
    r = qaw("demo", "--out", str(out), "--agents", "12", "--teams", "3", "--months", "1",
            "--contacts-per-day", "8", env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (kept / "sample.csv").read_text(encoding="utf-8") == "the workspace's own sample\n"
    assert (tmp_path / "bench" / "month-samples" / "2026-05" / "sample.csv").exists()
    assert f"kept in {tmp_path / 'bench' / 'month-samples'}" in r.stdout
