"""Column types shared by every table.

:class:`UTCDateTime` stores an instant as UTC on both backends: ``timestamptz`` on PostgreSQL,
and on SQLite (which has no time zones) the UTC wall time as fixed-width text, so text order is
time order. It always reads back a timezone-aware datetime in UTC, and refuses a naive one.

:class:`WallClock` stores the opposite: a local wall-clock reading with no time zone at all
(the time a train's cron names, such as 02:30 on a spring-forward day that has no 02:30). It is
fixed-width text ``YYYY-MM-DDTHH:MM:SS`` on both backends, so equality and order are exactly the
same everywhere, and the two 01:30s of a fall-back day are one value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone was given where an instant is stored."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC ``datetime`` column."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        utc = to_utc(value)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def to_utc(value: datetime, *, name: str = "datetime") -> datetime:
    """``value`` converted to UTC; :class:`NaiveDatetimeError` when it has no time zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(
            f"naive {name} {value.isoformat()} cannot be stored: pass a timezone-aware "
            "datetime, e.g. datetime.now(UTC) or value.replace(tzinfo=UTC)"
        )
    return value.astimezone(UTC)


def json_type() -> TypeEngine[Any]:
    """JSON on SQLite, JSONB on PostgreSQL; Python ``None`` is stored as SQL NULL."""
    return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class WallClockError(ValueError):
    """A value that is not a whole-second naive wall-clock reading was given."""


class WallClock(TypeDecorator[datetime]):
    """A naive local wall-clock ``datetime``, whole seconds, stored as ``YYYY-MM-DDTHH:MM:SS``."""

    impl = String(19)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return to_wall_clock(value).isoformat(timespec="seconds")

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return datetime.fromisoformat(value)


def to_wall_clock(value: datetime, *, name: str = "wall-clock time") -> datetime:
    """``value`` checked to be naive and whole seconds; :class:`WallClockError` otherwise."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
    if value.tzinfo is not None:
        raise WallClockError(
            f"{name} {value.isoformat()} has a time zone: pass the local wall-clock reading "
            "the cron names, without one, e.g. local.replace(tzinfo=None)"
        )
    if value.microsecond:
        raise WallClockError(
            f"{name} {value.isoformat()} has a fraction of a second: milestone times are "
            "whole seconds, e.g. value.replace(microsecond=0)"
        )
    return value
