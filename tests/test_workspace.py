"""A center's workspace (qaw.yaml found like git finds a repository), settings resolved as
flag, environment, qaw.yaml, default, and templates looked up in the workspace first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from qaworkbench import settings
from qaworkbench.errors import ConfigError
from qaworkbench.privacy import pseudonym
from qaworkbench.scoring.scorecard import load_scorecard, scorecard_versions
from qaworkbench.shipped import source_checkout, templates_dir
from qaworkbench.workspace import (
    all_templates,
    copy_template,
    find_template,
    find_workspace,
    init_workspace,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def ws(tmp_path, monkeypatch):
    """A fresh workspace, the current folder one of its subfolders, no QAW_ settings set."""
    for k in [k for k in os.environ if k.startswith("QAW_")]:
        monkeypatch.delenv(k)
    root = tmp_path / "center"
    init_workspace(root)
    (root / "reports" / "weekly").mkdir(parents=True)
    monkeypatch.chdir(root / "reports" / "weekly")
    return root


def qaw(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QAW_")} | (env or {})
    env["PYTHONPATH"] = str(REPO)
    r = subprocess.run([sys.executable, "-m", "qaworkbench.cli", *args], capture_output=True,
                       text=True, cwd=cwd, env=env)  # fmt: skip
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    return r


def test_init_writes_settings_and_empty_override_folders(ws):
    cfg = yaml.safe_load((ws / "qaw.yaml").read_text(encoding="utf-8"))
    assert cfg["version"] == 1 and cfg["data"] == "data" and cfg["engine"] == "duckdb"
    assert cfg["pseudonym_key_env"] == "QAW_PSEUDONYM_KEY" and "pseudonym_key" not in cfg
    for sub in ("data", "reports", "templates/scorecards", "templates/sampling",
                "templates/mappings", "templates/autoqa", "templates/penalties"):  # fmt: skip
        assert (ws / sub).is_dir() and not any((ws / sub).glob("*.yaml")), sub
    with pytest.raises(ConfigError, match="is a workspace already"):
        init_workspace(ws)


def test_the_workspace_is_found_from_a_subfolder_like_git(ws):
    found = find_workspace()
    assert found.kind == "workspace" and found.root == ws and found.file == ws / "qaw.yaml"


def test_settings_resolve_flag_then_environment_then_qaw_yaml_then_default(ws, monkeypatch):
    r = settings.resolve("reports")  # qaw.yaml: reports, relative to the workspace
    assert (r.value, r.source) == (str(ws / "reports"), str(ws / "qaw.yaml"))
    assert settings.resolve("spark_master").source == "default"  # commented out in qaw.yaml
    monkeypatch.setenv("QAW_REPORTS_DIR", "/srv/qa/reports")
    assert settings.resolve("reports").source == "env QAW_REPORTS_DIR"
    assert settings.get("reports") == "/srv/qa/reports"
    r = settings.resolve("reports", flag="out")
    assert (r.value, r.source) == ("out", "flag")


def test_a_sqlite_url_in_qaw_yaml_is_relative_to_the_workspace(ws):
    text = (ws / "qaw.yaml").read_text(encoding="utf-8")
    text += "coaching_db: sqlite:///state/coaching.db\n"
    (ws / "qaw.yaml").write_text(text.replace("data: data ", "data: sqlite:///c.db "), "utf-8")
    assert settings.get("coaching_db") == f"sqlite:///{ws / 'state' / 'coaching.db'}"
    assert settings.get("data") == f"sqlite:///{ws / 'c.db'}"


@pytest.mark.parametrize(
    "line, message",
    [
        ("engine: hive", "engine"),
        ("langauge: zh", "langauge: Extra inputs are not permitted"),
        ("pseudonym_key: s3cret", "the key is never written in qaw.yaml"),
        ("pseudonym_key_env: 'MY KEY'", "pseudonym_key_env"),
    ],
)
def test_qaw_yaml_is_validated_naming_file_and_key(ws, line, message):
    text = (ws / "qaw.yaml").read_text(encoding="utf-8").replace("engine: duckdb", line)
    (ws / "qaw.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        find_workspace()
    assert str(ws / "qaw.yaml") in str(e.value) and message in str(e.value)


def test_a_copied_template_is_the_one_in_force(ws):
    shipped = find_template("scorecards", "hotline_voice")
    assert shipped.parent == templates_dir() / "scorecards"
    copy = copy_template("hotline_voice")
    assert copy == ws / "templates" / "scorecards" / "hotline_voice.yaml"
    text = copy.read_text(encoding="utf-8")
    card = load_scorecard("hotline_voice")
    changed = text.replace(f"name: {card.name}", "name: 本中心热线评分表", 1)
    assert changed != text
    copy.write_text(changed, encoding="utf-8")
    assert load_scorecard("hotline_voice").name == "本中心热线评分表"
    assert all_templates("scorecards")["hotline_voice"] == copy
    assert {c.name for c in scorecard_versions().values()} >= {"本中心热线评分表"}
    assert all_templates("scorecards")["online_chat"].parent == templates_dir() / "scorecards"
    with pytest.raises(ConfigError, match="exists"):
        copy_template("hotline_voice")


def test_a_changed_penalty_code_changes_the_event_kinds_loading_accepts(ws):
    """The penalty_events kinds are read once per set of penalty files (name, size, mtime): a
    workspace's edited code is seen on the next call, not the kinds cached before."""
    from qaworkbench.scoring.penalties import penalty_kinds

    before = penalty_kinds()
    assert "financial_loss" in before and "客户资金损失" not in before
    copy = copy_template("penalties/cloud_service")
    text = copy.read_text(encoding="utf-8")
    copy.write_text(text.replace("{event: financial_loss}", "{event: 客户资金损失}"), "utf-8")
    after = penalty_kinds()
    assert "客户资金损失" in after and "financial_loss" not in after
    copy.unlink()
    assert penalty_kinds() == before


def test_a_name_of_several_kinds_must_say_which(ws):
    with pytest.raises(ConfigError, match=r"sampling/hotline, autoqa/hotline"):
        copy_template("hotline")
    assert copy_template("sampling/hotline") == ws / "templates" / "sampling" / "hotline.yaml"


def test_an_unknown_template_names_where_it_looked(ws):
    with pytest.raises(ConfigError, match=r"file not found in .*center/templates/penalties"):
        find_template("penalties", "no_such_code")


def test_the_pseudonym_key_comes_from_the_variable_qaw_yaml_names(ws, monkeypatch):
    demo = pseudonym("13912345678")
    text = (ws / "qaw.yaml").read_text(encoding="utf-8")
    (ws / "qaw.yaml").write_text(text.replace("QAW_PSEUDONYM_KEY", "CENTER_KEY"), "utf-8")
    monkeypatch.chdir(ws)  # another folder: the setting is read again
    monkeypatch.setenv("QAW_PSEUDONYM_KEY", "ignored-here")
    assert pseudonym("13912345678") == demo  # CENTER_KEY unset: the demo key
    monkeypatch.setenv("CENTER_KEY", "center-secret")
    assert pseudonym("13912345678") != demo


def test_commands_in_a_workspace_need_no_data_option(ws, small_dir):
    text = (ws / "qaw.yaml").read_text(encoding="utf-8")
    (ws / "qaw.yaml").write_text(text.replace("data: data ", f"data: {small_dir} "), "utf-8")
    r = qaw("summary", cwd=ws / "reports")
    assert r.returncode == 0 and "Contacts per month" in r.stdout, r.stderr
    r = qaw("config", cwd=ws / "reports", env={"QAW_LANGUAGE": "en"})
    assert r.returncode == 0, r.stderr
    lines = {ln.split()[0]: ln for ln in r.stdout.splitlines()}
    assert str(small_dir) in lines["data"] and lines["data"].endswith(str(ws / "qaw.yaml"))
    assert lines["language"].split()[1:] == ["en", "env", "QAW_LANGUAGE"]
    assert lines["spark_master"].endswith("default")
    assert "NOT SET" in lines["pseudonym"]


def test_qaw_templates_list_and_copy(ws):
    r = qaw("templates", "copy", "penalties/cloud_service", cwd=ws)
    assert r.returncode == 0 and "templates/penalties/cloud_service.yaml" in r.stdout
    listed = dict(ln.split(None, 1) for ln in qaw("templates", "list", cwd=ws).stdout.splitlines())
    assert listed["penalties/cloud_service"].startswith("workspace")
    assert listed["scorecards/hotline_voice"] == "shipped"
    r = qaw("templates", "copy", "hotline", cwd=ws)
    assert r.returncode == 1 and "several kinds" in r.stderr


def test_without_a_workspace_the_clone_is_the_workspace(monkeypatch):
    for k in [k for k in os.environ if k.startswith("QAW_")]:
        monkeypatch.delenv(k)
    monkeypatch.chdir(REPO / "qaworkbench")
    assert source_checkout() == REPO and templates_dir() == REPO / "templates"
    ws = find_workspace()
    assert (ws.kind, ws.root) == ("clone", REPO)
    assert settings.resolve("data") == settings.Resolved("data", str(REPO / "data/demo"), "default")
    assert settings.get("reports") == str(REPO / "reports")
    assert settings.get("coaching_db") == f"sqlite:///{REPO / 'data' / 'coaching.db'}"


def test_reports_read_the_workspace_in_force_when_called_not_when_imported(ws, small_dir):
    """A notebook imports the package, then moves into its workspace: the sample, the daily
    page's owed evaluations and the index are those of the workspace it is in now."""
    from qaworkbench.data.load import load_center
    from qaworkbench.periods import parse_period
    from qaworkbench.reporting import contents, daily, index

    c = load_center(small_dir)
    month = parse_period("2026-06")
    assert contents._completion(c, month, "", None).attrs.get("no_sample") == "2026-06"
    other = ws.parent / "other"
    init_workspace(other)
    sample = other / "reports" / "samples" / "2026-06" / "sample.csv"
    sample.parent.mkdir(parents=True)
    ev = c.evaluations.iloc[0]
    pd.DataFrame({"contact_id": [ev["contact_id"]], "agent_id": [ev["agent_id"]],
                  "evaluator_id": [ev["evaluator_id"]], "due": ["2026-06-05"]}).to_csv(
        sample, index=False, encoding="utf-8-sig")  # fmt: skip
    os.chdir(other)  # (monkeypatch.chdir in ``ws`` puts the first folder back)
    done = contents._completion(c, month, "", None)
    assert "no_sample" not in done.attrs and done["planned"].sum() == 1
    assert daily.owed_by(c, parse_period("2026-06-05"), "", None)[1] == "sampled"
    assert index.write_index() == other / "reports" / "index.html"
