from __future__ import annotations

from bot.domain.names import closest


def test_closest_ignores_case_and_returns_the_choice_as_written() -> None:
    assert closest("WHOMAI", ["whoami", "help"]) == "whoami"
    assert closest("Default_Channel", ["default_channel"]) == "default_channel"
    assert closest("web", ["Web", "mobile"]) == "Web"


def test_nothing_close_enough_is_none() -> None:
    assert closest("xyzzy", ["whoami", "help"]) is None
    assert closest("anything", []) is None
    assert closest("2026.11.9", ["2026.11.2"], cutoff=0.5) == "2026.11.2"
