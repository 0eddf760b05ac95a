"""The documentation: the data model pages match the schema, the site builds without warnings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qaworkbench.config import PROJ_ROOT
from qaworkbench.data.schema import markdown

DOCS = PROJ_ROOT / "docs"


@pytest.mark.parametrize("page", ["data-model.md", "data-model.zh.md"])
def test_data_model_page_matches_the_schema(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    section = text.split("<!-- schema:start -->\n", 1)[1].split("<!-- schema:end -->", 1)[0]
    assert section == markdown(), f"docs/{page} is stale: regenerate it from qaw schema"


def test_readme_is_short_and_links_into_the_docs():
    readme = (PROJ_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    for needed in ("make report", "make test", "make docs", "docs/six-steps.md"):
        assert needed in readme, needed
    for link in ("docs/assets/screenshots/weekly-page-one-zh.png", "docs/data-model.md"):
        assert link in readme and (PROJ_ROOT / link).exists(), link


def test_the_site_builds_in_both_languages_without_warnings(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": str(PROJ_ROOT), "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=PROJ_ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    for page in ("index.html", "zh/index.html", "zh/guides/qa-lead.html", "reference/cli.html"):
        assert (site / page).exists(), page
    # the generated command reference holds every command's own help
    cli = (site / "reference" / "cli.html").read_text(encoding="utf-8")
    for command in ("qaw import", "qaw report", "qaw templates copy", "--append"):
        assert command in cli, command
    # the API reference comes from the docstrings
    api = (site / "reference" / "api.html").read_text(encoding="utf-8")
    from html import escape

    import qaworkbench

    first_line = qaworkbench.load_center.__doc__.strip().splitlines()[0]
    assert "load_center" in api and escape(first_line, quote=False) in api
    assert 'lang="zh"' in (site / "zh" / "index.html").read_text(encoding="utf-8")


def test_pages_other_branches_add_join_the_nav_when_they_exist(tmp_path):
    """An optional page absent: left out of the nav; present: in it (built from a copy)."""
    sys.path.insert(0, str(PROJ_ROOT))
    from docs_build.hooks import OPTIONAL_PAGES, _prune

    nav = [{"Home": "index.md"}, {"Features": ["reference/loading.md", *sorted(OPTIONAL_PAGES)]}]
    (tmp_path / "scale.md").write_text("# Scale\n", encoding="utf-8")
    pruned = _prune(nav, tmp_path)
    assert pruned == [{"Home": "index.md"}, {"Features": ["reference/loading.md", "scale.md"]}]
    assert Path(DOCS / "rules.md").exists() and (DOCS / "reviews").is_dir()
