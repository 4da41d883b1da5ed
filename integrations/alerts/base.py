"""What every alert webhook parser shares: the Parser signature, BadPayload and the limits.

A parser turns a request body into a :class:`~bot.domain.alerts.Notification`, or raises
:class:`BadPayload` whose message is one sentence naming the bad field and what it expects, as
in ``alerts[3].startsAt: not an RFC 3339 time ("yesterday")``. Nothing else escapes a parser
for bad input. :func:`load` decodes the JSON and validates it with a strict Pydantic model
built from :mod:`integrations.alerts.fields`; :func:`notification` builds the result. The
limits, enforced by those fields:

- at most :data:`MAX_ALERTS` alerts, and at least one;
- a group key of at most :data:`MAX_GROUP_KEY` characters, a fingerprint of at most
  :data:`MAX_FINGERPRINT`;
- label and annotation names of 1 to :data:`MAX_NAME` characters, label values and texts
  (urls, titles) of at most :data:`MAX_VALUE`; a longer annotation value is cut to that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.domain.alerts import Alert, AlertSource, Notification, fingerprint_key

__all__ = [
    "MAX_ALERTS",
    "MAX_FINGERPRINT",
    "MAX_GROUP_KEY",
    "MAX_NAME",
    "MAX_VALUE",
    "BadPayload",
    "Parser",
    "describe",
    "load",
    "notification",
    "quote",
]

MAX_ALERTS = 5000
MAX_GROUP_KEY = 8192
MAX_FINGERPRINT = 128
MAX_NAME = 256
MAX_VALUE = 4096


class BadPayload(ValueError):
    """A body that is not a valid notification; ``str()`` is the reason, fit for a 400."""


class Parser(Protocol):
    def __call__(self, body: bytes, *, received: datetime) -> Notification:
        """Parse one webhook body; ``received`` (aware) is when the request arrived."""
        ...


M = TypeVar("M", bound=BaseModel)


def load(body: bytes, model: type[M]) -> M:
    """``body`` as UTF-8 JSON, validated as ``model``; BadPayload says what is wrong and where.

    Pydantic's own JSON reader refuses what Python's would let through: a lone surrogate
    (``"\\ud800"``, which no database or Slack message takes) and nesting deeper than 200.
    """
    body = body.removeprefix(b"\xef\xbb\xbf")
    if not body.strip():
        raise BadPayload("the body is empty; expected a JSON object")
    try:
        return model.model_validate_json(body, strict=True)
    except ValidationError as invalid:
        first = invalid.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            raise BadPayload(f"the body is not JSON: {first['ctx']['error']}") from None
        if not first["loc"] and first["type"] == "model_type":
            raise BadPayload(
                f"the body must be a JSON object, not {describe(first['input'])}"
            ) from None
        raise BadPayload(f"{_where(first['loc'])}: {_reason(first)}") from None


def notification(
    *,
    source: AlertSource,
    alerts: list[Alert],
    group_key: str | None,
    title: str | None = None,
    group_labels: Mapping[str, str] | None = None,
    common_labels: Mapping[str, str] | None = None,
    external_url: str | None = None,
) -> Notification:
    """The Notification of ``alerts``, refusing one that holds the same alert twice.

    Without a ``group_key`` the group is keyed by its fingerprints; without a ``title`` it is
    the alerts' names, then the group labels: ``HighErrorRate (service=checkout)``.
    """
    seen: dict[str, int] = {}
    for index, alert in enumerate(alerts):
        first = seen.setdefault(alert.fingerprint, index)
        if first != index:
            raise BadPayload(
                f"alerts[{index}]: the same alert as alerts[{first}] (fingerprint "
                f"{alert.fingerprint}); send each alert once"
            )
    return Notification(
        source=source,
        group_key=group_key or fingerprint_key(alerts),
        alerts=tuple(alerts),
        title=title or _title(alerts, group_labels or {}),
        common_labels=common_labels,
        external_url=external_url,
    )


def _title(alerts: list[Alert], group_labels: Mapping[str, str]) -> str:
    names = list(dict.fromkeys(a.labels["alertname"] for a in alerts if "alertname" in a.labels))
    name = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
    detail = ", ".join(f"{k}={group_labels[k]}" for k in sorted(group_labels) if k != "alertname")
    if name and detail:
        return f"{name} ({detail})"
    first, *rest = alerts
    common = sorted(
        (k, v) for k, v in first.labels.items() if all(a.labels.get(k) == v for a in rest)
    )
    return name or detail or ", ".join(f"{k}={v}" for k, v in common) or f"{len(alerts)} alerts"


# --- error messages ---------------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_EXPECTED = {
    "string_type": "a string",
    "dict_type": "an object",
    "model_type": "an object",
    "list_type": "an array",
    "int_type": "an integer",
}


def _where(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _NAME.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += f"[{quote(part)}]"
    return path or "the body"


def _reason(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        return "unknown field (docs/alerts.md lists the fields)"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {describe(error['input'])}"
    if kind == "too_long":
        return f"at most {ctx['max_length']} allowed, got {ctx['actual_length']}"
    if kind == "literal_error":
        got = error["input"]
        shown = quote(got) if isinstance(got, str) else describe(got)
        return f"expected {ctx['expected']}, got {shown}"
    if kind == "too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"longer than {ctx['max_length']} characters"
    message = error["msg"]
    return f"expected {message[16:]}" if message.startswith("Input should be ") else message


_KINDS: dict[type, str] = {
    type(None): "null",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
}


def describe(value: object) -> str:
    """What a JSON value is, in words: ``null``, ``a number``, ``an array``."""
    return _KINDS.get(type(value), "a value")


def quote(text: str, limit: int = 40) -> str:
    """``text`` quoted as JSON, cut to about ``limit`` characters."""
    return json.dumps(text if len(text) <= limit else text[: limit - 1] + "…", ensure_ascii=False)
