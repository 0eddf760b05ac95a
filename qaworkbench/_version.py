"""The package version (one place; the caches and the report provenance record it)."""

__version__ = "0.2.0"
