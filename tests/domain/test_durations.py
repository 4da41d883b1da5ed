from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("90", timedelta(seconds=90)),
        ("0", timedelta(0)),
        (" 1H 30M ", timedelta(hours=1, minutes=30)),
        ("5 m", timedelta(minutes=5)),
    ],
)
def test_parses_units_and_bare_seconds(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["5x", "1m1h", "-5", "1.5h", "h", "1h1h", "1 hour", "٣s"])
def test_refuses_other_text_and_shows_the_accepted_forms(text: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert str(caught.value) == (
        f"{text!r} is not a duration: use a number with a unit, e.g. 30s, 15m, 1h, 2d or 1h30m"
    )


@pytest.mark.parametrize("text", ["", "   "])
def test_refuses_empty_text(text: str) -> None:
    with pytest.raises(DurationError, match="a duration cannot be empty"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["9" * 20, "999999999999d", "9" * 5000 + "s"])
def test_refuses_durations_too_long_to_hold(text: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert str(caught.value) == f"{text!r} is too long a duration"


def test_duration_error_is_a_value_error() -> None:
    assert issubclass(DurationError, ValueError)


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=30), "30s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(days=1, minutes=5), "1d5m"),
        (timedelta(days=2), "2d"),
        (timedelta(seconds=-90), "-1m30s"),
        (timedelta(milliseconds=1500), "1s"),
        (timedelta(milliseconds=500), "0s"),
    ],
)
def test_formats_for_display(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


@given(st.timedeltas(min_value=timedelta(0)).map(lambda td: td - td % timedelta(seconds=1)))
def test_format_then_parse_is_the_identity(td: timedelta) -> None:
    assert parse_duration(format_duration(td)) == td


def _outcome(text: str) -> timedelta | DurationError:
    try:
        return parse_duration(text)
    except DurationError as exc:
        return exc


@given(st.text())
def test_any_text_parses_or_raises_duration_error(text: str) -> None:
    outcome = _outcome(text)
    if isinstance(outcome, DurationError):
        assert str(outcome)
    else:
        assert outcome >= timedelta(0)
