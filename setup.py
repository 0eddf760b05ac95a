"""Ships the repository's top-level templates/ and notebooks/ inside the wheel, as package
data in qaworkbench/_shipped/ (qaworkbench/shipped.py finds them there at run time).

Everything else is in pyproject.toml. An editable install (``uv pip install -e .``) copies
nothing: the package then reads templates/ and notebooks/ of the clone it lives in.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("templates", "notebooks")  # top-level folders → qaworkbench/_shipped/<folder>
SKIP = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc", ".DS_Store")


class BuildWithShipped(build_py):
    """build_py, then copy templates/ and notebooks/ into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(__file__).parent
        dest = Path(self.build_lib) / "qaworkbench" / "_shipped"
        for name in SHIPPED:
            shutil.rmtree(dest / name, ignore_errors=True)
            shutil.copytree(root / name, dest / name, ignore=SKIP)

    def get_outputs(self, include_bytecode=True):
        dest = Path(self.build_lib) / "qaworkbench" / "_shipped"
        extra = [str(p) for p in dest.rglob("*") if p.is_file()] if dest.is_dir() else []
        return [*super().get_outputs(include_bytecode), *extra]


setup(cmdclass={"build_py": BuildWithShipped})
