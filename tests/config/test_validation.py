"""translate() on models other than AppConfig: the messages for pydantic's own error types."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.config.validation import allowed_keys, translate
from bot.config.yaml_doc import read_yaml


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""


class Other(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: int = 0


class Plain(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = ""
    count: int = 0
    either: Inner | Other | None = None


def _translated(text: str) -> list[str]:
    document, data = read_yaml(text=text)
    with pytest.raises(ValidationError) as caught:
        Plain.model_validate(data)
    return [str(error) for error in translate(error=caught.value, document=document, model=Plain)]


def test_plain_types_get_readable_messages() -> None:
    assert _translated("title: 5\ncount: many\n") == [
        "line 1: title: expected text, got the number 5",
        "line 2: count: Input should be a valid integer, unable to parse string as an integer",
    ]


def test_unknown_keys_under_a_union_have_no_suggestion() -> None:
    assert _translated("either:\n  colour: red\n") == ["line 2: either.colour: unknown key"] * 2


def test_allowed_keys_stop_at_a_union_of_models() -> None:
    assert allowed_keys(model=Plain, loc=()) == ["title", "count", "either"]
    assert allowed_keys(model=Plain, loc=("either",)) == []
