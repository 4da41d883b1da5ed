from __future__ import annotations

import pytest

from bot.config import ConfigErrors, parse_config


def errors_of(text: str) -> list[str]:
    """Every problem ``parse_config`` finds in ``text``, one line each."""
    with pytest.raises(ConfigErrors) as caught:
        parse_config(text=text)
    return caught.value.lines()


def first_error(text: str) -> str:
    with pytest.raises(ConfigErrors) as caught:
        parse_config(text=text)
    return str(caught.value)
