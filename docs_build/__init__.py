"""Build helpers for the documentation site (mkdocs.yml's hooks, the CLI reference)."""
