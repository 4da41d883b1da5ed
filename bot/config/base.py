"""The base of every config model, apart so that section modules and the root can share it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["CONFIG_DIR", "Section", "empty_mapping"]

CONFIG_DIR = "config_dir"
"""The validation-context key of the config file's directory, which relative paths start from."""


def empty_mapping(value: Any) -> Any:
    return {} if value is None else value


class Section(BaseModel):
    """Base of every config model: frozen, no unknown keys, ``None`` means all defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_default(cls, data: Any) -> Any:
        return empty_mapping(data)
