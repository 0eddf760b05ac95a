"""Load versioned YAML configuration into validated models, with errors that name file and key."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from .errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, model: type[M]) -> M:
    """Parse ``path`` as YAML and validate it as ``model``; ConfigError names file and key."""
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    try:
        return model.model_validate(data)
    except PydanticError as e:
        lines = [f"{path}: invalid {model.__name__.lower()} ({e.error_count()} error(s))"]
        for err in e.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  - {key}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None
