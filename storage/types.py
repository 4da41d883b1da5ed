"""Column types shared by every table.

:class:`UTCDateTime` stores an instant as UTC on both backends: ``timestamptz`` on PostgreSQL,
and on SQLite (which has no time zones) the UTC wall time as fixed-width text, so text order is
time order. It always reads back a timezone-aware datetime in UTC, and refuses a naive one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON
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
