"""The getting-started notebook and its steps, on the documentation's sample exports."""

from __future__ import annotations

import json
import shutil

import papermill as pm
import pytest

from qaworkbench import QAWError
from qaworkbench.config import PROJ_ROOT
from qaworkbench.privacy import find_unmasked
from qaworkbench.reporting import firststeps

SAMPLES = PROJ_ROOT / "docs" / "samples"
NOTEBOOK = PROJ_ROOT / "notebooks" / "exploratory" / "getting_started.ipynb"


def test_an_export_alone_says_the_roster_and_evaluations_are_missing(tmp_path):
    folder, loaded = firststeps.prepare(
        str(SAMPLES / "hotline_cn_contacts.csv"), "hotline_cn_contacts", data_dir=tmp_path / "d"
    )
    assert loaded.set_index("table").loc["contacts", "rows_kept"] == 624
    assert "gb18030" in loaded.set_index("table").loc["contacts", "notes"]
    ready = firststeps.readiness(folder)
    assert (ready.sample, ready.score) == (False, False)
    assert [m.split(":")[0] for m in ready.missing] == ["No roster", "No evaluations"]
    assert firststeps.draw_sample(folder, "2026-10", 7).empty
    assert firststeps.scores(folder, "2026-10") is None


def test_a_table_the_folder_has_is_not_overwritten(tmp_path):
    export = str(SAMPLES / "hotline_cn_contacts.csv")
    firststeps.prepare(export, "hotline_cn_contacts", data_dir=tmp_path)
    with pytest.raises(QAWError, match="already has contacts"):
        firststeps.prepare(export, "hotline_cn_contacts", data_dir=tmp_path)


def test_the_first_month_is_sampled_and_scored_when_its_evaluations_are_its_first(tmp_path):
    """A center's first month: no evaluations before it (the adaptive quota's history is
    empty). Sampling it failed on comparing an empty text column with the item counts."""
    folder, _ = firststeps.prepare(
        str(SAMPLES / "hotline_cn_contacts.csv"), "hotline_cn_contacts",
        str(SAMPLES / "roster.csv"), str(SAMPLES / "qa_sheet_cn.xlsx"), "qa_sheet_cn", tmp_path,
    )  # fmt: skip
    sample = firststeps.draw_sample(folder, "2026-10", 7)
    assert len(sample) > 0 and set(sample["agent_id"]) <= {f"G100{i}" for i in range(1, 7)}
    counts = firststeps.sample_counts(sample)
    assert counts["contacts"].sum() >= len(sample)
    tables = firststeps.scores(folder, "2026-10")
    assert int(tables.center["n"].iloc[0]) == 24  # the workbook's 24 evaluations
    assert 0 <= tables.center["lo"].iloc[0] <= tables.center["mean"].iloc[0] <= 100


@pytest.mark.slow
def test_the_notebook_goes_from_an_export_to_a_sample_and_scores(tmp_path):
    for name in ("hotline_cn_contacts.csv", "roster.csv", "qa_sheet_cn.xlsx"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        NOTEBOOK, out, cwd=str(tmp_path), progress_bar=False, kernel_name="python3",
        parameters={"export_path": "hotline_cn_contacts.csv", "mapping": "hotline_cn_contacts",
                    "roster_path": "roster.csv", "evaluations_path": "qa_sheet_cn.xlsx",
                    "evaluations_mapping": "qa_sheet_cn", "data_dir": "data", "month": "2026-10"},
    )  # fmt: skip
    text = json.dumps([c.get("outputs", []) for c in json.loads(out.read_text())["cells"]],
                      ensure_ascii=False)  # fmt: skip
    assert "Everything needed to draw a sample and score is there." in text
    assert "contacts to evaluate in 2026-10" in text and "24 evaluations scored" in text
    assert "base_post_call" in text and "G1001" in text
    assert find_unmasked(text) == [] and "Traceback" not in text
    assert (tmp_path / "data" / "contacts.parquet").exists()


@pytest.mark.slow
def test_the_notebook_says_what_is_missing_with_an_export_alone(tmp_path):
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        NOTEBOOK, out, cwd=str(tmp_path), progress_bar=False, kernel_name="python3",
        parameters={"export_path": str(SAMPLES / "hotline_cn_contacts.csv"),
                    "mapping": "hotline_cn_contacts", "data_dir": "data"},
    )  # fmt: skip
    text = json.dumps([c.get("outputs", []) for c in json.loads(out.read_text())["cells"]],
                      ensure_ascii=False)  # fmt: skip
    assert "No roster: sampling and scoring need every agent" in text
    assert "No evaluations: nothing to score yet" in text
    assert "Traceback" not in text
