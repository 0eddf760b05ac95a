from qaworkbench.config import PROJ_ROOT
from qaworkbench.data.schema import markdown


def test_readme_data_model_matches_the_schema():
    readme = (PROJ_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- schema:start -->\n", 1)[1].split("<!-- schema:end -->", 1)[0]
    assert section == markdown(), "README's data model is stale: regenerate it from qaw schema"
