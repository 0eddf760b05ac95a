"""Notebooks are committed clean and run end to end with papermill."""

from __future__ import annotations

import json
import subprocess

import papermill as pm
import pytest

from qaworkbench.config import PROJ_ROOT
from qaworkbench.privacy import find_unmasked


def tracked_notebooks() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "*.ipynb"], capture_output=True, text=True, cwd=PROJ_ROOT
    )
    return out.stdout.split()


def test_committed_notebooks_carry_no_outputs():
    files = tracked_notebooks()
    assert "notebooks/exploratory/getting_started.ipynb" in files
    for f in files:
        nb = json.loads((PROJ_ROOT / f).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell["outputs"] and cell["execution_count"] is None, f


def test_every_notebook_has_a_literal_only_parameters_cell():
    for f in tracked_notebooks():
        nb = json.loads((PROJ_ROOT / f).read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert "parameters" in code[0]["metadata"].get("tags", []), f
        import ast

        for node in ast.parse("".join(code[0]["source"])).body:
            assert isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant), f


@pytest.mark.slow
def test_getting_started_runs_on_a_demo_center(tmp_path, small_dir):
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        PROJ_ROOT / "notebooks/exploratory/getting_started.ipynb",
        out,
        parameters={"data_dir": str(small_dir), "month": "2026-05"},
        cwd=str(tmp_path),
        progress_bar=False,
        kernel_name="python3",
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    text = json.dumps([c.get("outputs", []) for c in nb["cells"]], ensure_ascii=False)
    assert "contacts" in text and "A00" in text
    assert find_unmasked(text) == []  # no raw customer number shown
    assert "Traceback" not in text
