"""The documentation: the data model pages match the schema, the site builds without warnings,
the Chinese command reference is Chinese and up to date with the English help."""

import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

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


# The Chinese command reference: one language per page. Code spans, flags, metavars and usage
# lines stay as they are; any other run of three or more Latin words is an English sentence.
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'-]*(?:[ \t,;:/]+[A-Za-z][A-Za-z'-]*){2,}")
CODE_LANGUAGES = {"bash", "sh", "shell", "console", "python", "py", "yaml", "json", "sql", "toml"}


def _english_sentences(text: str) -> list[str]:
    """Each line of Markdown holding a run of 3+ English words outside code, links and anchors.

    A fenced block counts as code only when it names a programming language: a ```text block
    (a pasted --help) is prose and is read like the rest.
    """
    out, fence = [], None
    for line in text.splitlines():
        opening = re.match(r"\s*(`{3,}|~{3,})\s*([\w+-]*)", line)
        if fence is None and opening:
            fence = (opening.group(1), opening.group(2).lower() in CODE_LANGUAGES)
            continue
        if fence is not None and line.strip().startswith(fence[0]):
            fence = None
            continue
        if fence is not None and fence[1]:
            continue
        prose = re.sub(r"(`+)(.+?)\1", " ", line)  # code spans: flags, metavars, values, files
        prose = re.sub(r"\]\([^)]*\)|\{[#.][^}]*\}|<!--.*?-->|<[^>]+>", " ", prose)
        out += [f"{line.strip()[:100]!r}: {m.group(0)!r}" for m in ENGLISH_RUN.finditer(prose)]
    return out


def _rendered_cli_page(name: str) -> str:
    """docs/reference/<name> as the build's hook gives it to Markdown (its language's reference)."""
    sys.path.insert(0, str(PROJ_ROOT))
    from docs_build.hooks import on_page_markdown

    locale = "zh" if name.endswith(".zh.md") else "en"
    page = SimpleNamespace(file=SimpleNamespace(src_uri=f"reference/{name}", locale=locale))
    text = (DOCS / "reference" / name).read_text(encoding="utf-8")
    return on_page_markdown(text, page=page, config=None, files=None)


def test_the_chinese_command_reference_is_all_chinese():
    english = _english_sentences(_rendered_cli_page("cli.zh.md"))
    assert not english, f"{len(english)} English line(s) on the zh CLI page:\n" + "\n".join(
        english[:20]
    )
    # the check reads the English page's generated help as English
    assert len(_english_sentences(_rendered_cli_page("cli.md"))) > 100


def test_the_chinese_command_reference_has_every_command_with_the_english_anchors():
    zh, en = _rendered_cli_page("cli.zh.md"), _rendered_cli_page("cli.md")
    anchors = set(re.findall(r"^## `(qaw[^`]*)` \{#([\w-]+)\}", zh, re.M))
    assert {a for _, a in anchors} >= set(re.findall(r"\{#(qaw-[\w-]+)\}", en))
    for command in ("qaw import", "qaw report", "qaw templates copy", "qaw autoqa review"):
        assert (command, command.replace(" ", "-")) in anchors, command
    for shown in ("`--append`", "`-m, --mapping TEXT`", "默认：`40`", "必填。", "用法："):
        assert shown in zh, shown


def test_every_command_and_parameter_has_a_current_chinese_translation():
    sys.path.insert(0, str(PROJ_ROOT))
    from docs_build.cli_reference import zh_problems

    problems = zh_problems()
    assert not problems, (
        "docs_build/cli.zh.yaml needs translating (python -m docs_build.cli_reference):\n"
        + "\n".join(problems)
    )


def test_an_edited_english_help_makes_its_translation_stale(monkeypatch):
    sys.path.insert(0, str(PROJ_ROOT))
    from docs_build.cli_reference import zh_problems
    from qaworkbench.cli import main

    sample = main.commands["sample"]
    monkeypatch.setattr(sample, "help", sample.help + " Also new.")
    top = next(p for p in sample.params if p.name == "precision")
    monkeypatch.setattr(top, "help", "Something else entirely.")
    problems = zh_problems()
    assert [p.split(":")[0] for p in problems] == ["qaw sample", "qaw sample --precision"]
    assert all("stale" in p for p in problems)
