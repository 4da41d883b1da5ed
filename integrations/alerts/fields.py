"""The field types of the webhook models, each checking one kind of wire value.

- Times are RFC 3339 with an offset (``2024-05-01T12:00:00Z``, ``…T14:00:00.123456789+02:00``),
  kept as aware UTC; nanoseconds are cut to microseconds. Go's zero time
  (``0001-01-01T00:00:00Z``, which Alertmanager sends as a firing alert's ``endsAt``) and null
  read as no time; a start time must be a real time.
- Labels and annotations map strings to strings (no coercion: ``{"a": 1}`` is an error);
  null reads as empty, since Go encodes an empty map as null. A label value longer than
  :data:`~integrations.alerts.base.MAX_VALUE` is refused; a longer annotation value is cut,
  so that a long description does not lose the alert.
- An optional string that is empty reads as absent: Grafana sends ``"dashboardURL": ""``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
)
from pydantic_core import PydanticCustomError

from integrations.alerts.base import (
    MAX_ALERTS,
    MAX_FINGERPRINT,
    MAX_GROUP_KEY,
    MAX_NAME,
    MAX_VALUE,
    describe,
    quote,
)

__all__ = [
    "WIRE",
    "AlertList",
    "Annotations",
    "Fingerprint",
    "GroupKey",
    "Labels",
    "StartTime",
    "Status",
    "Text",
    "Time",
]

M = TypeVar("M", bound=BaseModel)

WIRE = ConfigDict(strict=True, extra="ignore", frozen=True)
"""A vendor's model: no coercion, and fields the bot does not read are ignored."""

_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d\d):(\d\d))",
    re.ASCII,
)


def _time(value: object) -> datetime | None:
    """An RFC 3339 time as aware UTC; None for absent, or Go's zero time (year 1)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PydanticCustomError("time_type", f"expected an RFC 3339 time, got {describe(value)}")
    match = _RFC3339.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = match.groups()
        if zulu:
            zone = UTC
        elif int(om) >= 60:
            raise ValueError(value)
        else:
            offset = timedelta(hours=int(oh), minutes=int(om))
            zone = timezone(-offset if sign == "-" else offset)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                          micro, tzinfo=zone)  # fmt: skip
        return None if moment.year == 1 else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise PydanticCustomError(
            "time_format",
            "not an RFC 3339 time ({value}); expected e.g. 2024-05-01T12:00:00Z",
            {"value": quote(value)},
        ) from None


def _start(value: object) -> datetime:
    moment = _time(value)
    if moment is None:
        got = "null" if value is None else "the zero time"
        raise PydanticCustomError("time_missing", f"expected when the alert started, got {got}")
    return moment


def _string_map(value: object) -> object:
    return {} if value is None else value  # Go encodes an empty map as null


def _labels(value: dict[str, str]) -> dict[str, str]:
    for name, text in value.items():
        if not 0 < len(name) <= MAX_NAME:
            raise PydanticCustomError(
                "name_length",
                "the name {name} must have 1 to {limit} characters",
                {"name": quote(name), "limit": MAX_NAME},
            )
        if len(text) > MAX_VALUE:
            raise PydanticCustomError(
                "value_length",
                "the value of {name} is longer than {limit} characters",
                {"name": quote(name), "limit": MAX_VALUE},
            )
    return value


def _annotations(value: dict[str, str]) -> dict[str, str]:
    cut = {k: v if len(v) <= MAX_VALUE else v[: MAX_VALUE - 1] + "…" for k, v in value.items()}
    return _labels(cut)


def _absent_if_empty(value: str | None) -> str | None:
    return value or None


Status = Literal["firing", "resolved"]
StartTime = Annotated[datetime, PlainValidator(_start)]
Time = Annotated[datetime | None, PlainValidator(_time)]
Labels = Annotated[dict[str, str], BeforeValidator(_string_map), AfterValidator(_labels)]
Annotations = Annotated[dict[str, str], BeforeValidator(_string_map), AfterValidator(_annotations)]
Text = Annotated[str | None, Field(max_length=MAX_VALUE), AfterValidator(_absent_if_empty)]
Fingerprint = Annotated[
    str | None, Field(max_length=MAX_FINGERPRINT), AfterValidator(_absent_if_empty)
]
GroupKey = Annotated[str | None, Field(max_length=MAX_GROUP_KEY), AfterValidator(_absent_if_empty)]
AlertList = Annotated[list[M], Field(min_length=1, max_length=MAX_ALERTS)]
