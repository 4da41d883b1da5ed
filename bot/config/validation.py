"""Turn pydantic's validation errors into :class:`ConfigError` lines a person can act on.

Each error's ``loc`` is mapped back to the line of the offending key (or list item) and its
dotted key path. Unknown keys get a did-you-mean over the keys allowed at that level.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.config.errors import ConfigError
from bot.config.fields import describe
from bot.config.yaml_doc import locate
from bot.domain.names import closest

__all__ = ["allowed_keys", "translate"]

_MAPPING_TYPES = {"model_type", "dict_type", "model_attributes_type"}
_LIST_TYPES = {"list_type", "tuple_type"}


def translate(
    *, error: ValidationError, document: Any, model: type[BaseModel]
) -> list[ConfigError]:
    """One :class:`ConfigError` per pydantic error, located in ``document``."""
    found: list[ConfigError] = []
    for details in error.errors(include_url=False):
        loc = details["loc"]
        line, path = locate(document, loc)
        found.append(ConfigError(_reason(details, model=model), line=line or 1, path=path))
    return found


def _reason(details: ErrorDetails, *, model: type[BaseModel]) -> str:
    kind = details["type"]
    value = details.get("input")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key(details["loc"], model=model)
    if kind in {"value_error", "assertion_error"}:
        return str(details.get("ctx", {}).get("error", details["msg"]))
    if kind in _MAPPING_TYPES:
        return f"expected a mapping of keys, got {describe(value)}"
    if kind in _LIST_TYPES:
        return f"expected a list, got {describe(value)}"
    if kind == "string_type":
        return f"expected text, got {describe(value)}"
    return str(details["msg"])


def _unknown_key(loc: Sequence[str | int], *, model: type[BaseModel]) -> str:
    allowed = allowed_keys(model=model, loc=loc[:-1])
    key = str(loc[-1])
    close = closest(key, allowed)
    if close:
        return f"unknown key; did you mean '{close}'?"
    if allowed:
        return f"unknown key; the keys here are: {', '.join(allowed)}"
    return "unknown key"


def allowed_keys(*, model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys allowed in the mapping at ``loc`` (empty when it is not a model)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        elif get_origin(current) in {list, tuple}:
            current = get_args(current)[0]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type that holds the keys."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
