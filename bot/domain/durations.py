"""Human durations: ``30s``, ``15m``, ``1h``, ``2d``, ``1h30m``; a bare integer means seconds.

Units go from largest to smallest, each at most once, optionally separated by spaces
(``1h 30m``). Units are case-insensitive. :func:`format_duration` is the inverse for display.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["DurationError", "format_duration", "parse_duration"]

_PATTERN = re.compile(
    r"(?:(?P<d>[0-9]+)\s*d)?\s*(?:(?P<h>[0-9]+)\s*h)?\s*"
    r"(?:(?P<m>[0-9]+)\s*m)?\s*(?:(?P<s>[0-9]+)\s*s)?",
    re.ASCII | re.IGNORECASE,
)
_BARE_SECONDS = re.compile(r"[0-9]+", re.ASCII)
_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
_MAX_DIGITS = 12
_EXAMPLES = "e.g. 30s, 15m, 1h, 2d or 1h30m"


class DurationError(ValueError):
    """Text that is not a duration; the message shows the accepted forms."""


def parse_duration(text: str) -> timedelta:
    """Parse ``text`` into a :class:`~datetime.timedelta`.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    """
    stripped = text.strip()
    if not stripped:
        raise DurationError(f"a duration cannot be empty: use a number with a unit, {_EXAMPLES}")
    if _BARE_SECONDS.fullmatch(stripped):
        parts = {"s": stripped}
    else:
        match = _PATTERN.fullmatch(stripped)
        if match is None:
            raise DurationError(
                f"{text!r} is not a duration: use a number with a unit, {_EXAMPLES}"
            )
        parts = {unit: value for unit, value in match.groupdict().items() if value is not None}
    if any(len(value) > _MAX_DIGITS for value in parts.values()):
        raise DurationError(f"{text!r} is too long a duration")
    seconds = sum(int(parts.get(unit, "0")) * size for unit, size in _UNITS)
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise DurationError(f"{text!r} is too long a duration") from None


def format_duration(td: timedelta) -> str:
    """Render ``td`` in the form :func:`parse_duration` reads, e.g. ``1h30m``.

    Fractions of a second are dropped; a negative duration gets a leading ``-``.

    >>> format_duration(timedelta(days=1, minutes=5))
    '1d5m'
    """
    if td < timedelta(0):
        return "-" + format_duration(-td)
    remaining = td.days * 86_400 + td.seconds
    pieces: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            pieces.append(f"{count}{unit}")
    return "".join(pieces) or "0s"
