"""Five-field cron expressions: ``minute hour day month weekday``.

:func:`parse_cron` turns an expression into a :class:`CronSpec`, a set of allowed values per
field. Supported forms per field: ``*``, numbers, lists (``1,15``), ranges (``1-5``), steps
(``*/15``, ``1-30/5``, ``5/15`` meaning ``5-max/15``), month names ``JAN``-``DEC`` and day names
``SUN``-``SAT`` (any case). In the weekday field both 0 and 7 mean Sunday. A cron that names
no existing date (``0 0 31 2 *``) is refused: it would never fire.

Day matching follows Vixie cron: when both the day-of-month and the weekday field are
restricted (neither starts with ``*``), a day matches if *either* matches; otherwise both must.

The spec holds no time zone. :meth:`CronSpec.matches_date` and :meth:`CronSpec.times` split a
schedule into "which local dates" and "which wall-clock times on such a date", which is what a
calendar needs to place occurrences across daylight-saving changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

__all__ = ["CronError", "CronSpec", "parse_cron"]

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_FIELD_NAMES = "minute hour day month weekday"
_LONGEST_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class CronError(ValueError):
    """A cron expression that cannot be parsed; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]
    names_hint: str = ""


_FIELDS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day", 1, 31, {}),
    _Field("month", 1, 12, {n: i for i, n in enumerate(_MONTH_NAMES, start=1)}, "JAN-DEC"),
    _Field("weekday", 0, 7, {n: i for i, n in enumerate(_DAY_NAMES)}, "SUN-SAT"),
)


@dataclass(frozen=True, slots=True)
class CronSpec:
    """The allowed values of each field; ``weekdays`` uses 0 = Sunday ... 6 = Saturday."""

    source: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    day_restricted: bool
    weekday_restricted: bool

    def __str__(self) -> str:
        return self.source

    def matches(self, local_dt: datetime) -> bool:
        """True when the wall-clock minute of ``local_dt`` is scheduled (seconds are ignored)."""
        return (
            local_dt.minute in self.minutes
            and local_dt.hour in self.hours
            and self.matches_date(local_dt.date())
        )

    def matches_date(self, day: date) -> bool:
        """True when the schedule fires at some time on the local date ``day``."""
        if day.month not in self.months:
            return False
        in_days = day.day in self.days
        in_weekdays = day.isoweekday() % 7 in self.weekdays
        if self.day_restricted and self.weekday_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def times(self) -> tuple[time, ...]:
        """The wall-clock times of day at which the schedule fires, earliest first."""
        return tuple(time(h, m) for h in sorted(self.hours) for m in sorted(self.minutes))


def parse_cron(expr: str) -> CronSpec:
    """Parse a five-field cron expression, or raise :class:`CronError` saying what to fix.

    >>> sorted(parse_cron("*/20 9 * * MON-FRI").minutes)
    [0, 20, 40]
    """
    fields = expr.split()
    if len(fields) != len(_FIELDS):
        raise CronError(f"expected 5 fields ({_FIELD_NAMES}), got {len(fields)}")
    minutes, hours, days, months, weekdays = (
        _parse_field(text, field) for text, field in zip(fields, _FIELDS, strict=True)
    )
    spec = CronSpec(
        source=expr.strip(),
        minutes=minutes,
        hours=hours,
        days=days,
        months=months,
        weekdays=frozenset(d % 7 for d in weekdays),
        day_restricted=not fields[2].startswith("*"),
        weekday_restricted=not fields[4].startswith("*"),
    )
    _require_a_date(spec)
    return spec


def _require_a_date(spec: CronSpec) -> None:
    """Refuse a day of the month that none of the cron's months has, such as ``31 FEB``."""
    if spec.day_restricted and spec.weekday_restricted:
        return  # either field may match, and every month has every weekday
    if any(day <= _LONGEST_MONTH[month - 1] for month in spec.months for day in spec.days):
        return
    days = " or ".join(str(day) for day in sorted(spec.days))
    months = ", ".join(_MONTH_NAMES[month - 1] for month in sorted(spec.months))
    raise CronError(f"it never fires: day {days} never falls in {months}")


def _parse_field(text: str, field: _Field) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise CronError(f"{field.name} has an empty item in {text!r}")
        values.update(_parse_item(item, field))
    return frozenset(values)


def _parse_item(item: str, field: _Field) -> range:
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        step = _parse_step(step_text, field)
    if not base:
        raise CronError(f"{field.name} {item!r} needs a start before '/': write e.g. */{step}")
    if base == "*":
        return range(field.low, field.high + 1, step)
    start_text, dash, end_text = base.partition("-")
    if dash and not (start_text and end_text):
        raise CronError(f"{field.name} range {base!r} needs a value on both sides of '-'")
    start = _parse_value(start_text, field)
    if dash:
        end = _parse_value(end_text, field)
        if start > end:
            raise CronError(
                f"{field.name} range {base} runs backwards: write the smaller end first"
            )
        return range(start, end + 1, step)
    return range(start, field.high + 1, step) if slash else range(start, start + 1)


def _parse_step(text: str, field: _Field) -> int:
    if not _DIGITS.fullmatch(text):
        raise CronError(f"{field.name} step {text!r} is not a number: write e.g. */15")
    span = field.high - field.low + 1
    if len(text) > 3 or not 1 <= int(text) <= span:
        raise CronError(f"{field.name} step {text} is out of range 1-{span}")
    return int(text)


def _parse_value(text: str, field: _Field) -> int:
    if _DIGITS.fullmatch(text):
        if len(text) > 3 or not field.low <= int(text) <= field.high:
            raise CronError(
                f"{field.name} {text} is out of range {field.low}-{field.high}"
                + (f" (or {field.names_hint})" if field.names else "")
            )
        return int(text)
    named = field.names.get(text.upper())
    if named is not None:
        return named
    if field.names:
        raise CronError(f"{field.name} {text!r} is not a number or a name ({field.names_hint})")
    raise CronError(f"{field.name} {text!r} is not a number")
