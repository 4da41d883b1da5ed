"""PagerDuty's V3 webhooks: check the signature, then read incident acknowledgements and resolves.

PagerDuty POSTs one event per delivery, signed with the subscription's secret::

    X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body>[,v1=<hex>…]

Several comma-separated signatures arrive while a secret is being rotated (one per secret);
the delivery is authentic when any ``v1`` one matches. The body::

    {"event": {"id": "5ac64822-…", "event_type": "incident.acknowledged",
               "resource_type": "incident", "occurred_at": "2020-10-02T18:45:22.169Z",
               "agent": {"id": "PLH1HKV", "summary": "Tenex Engineer",
                         "type": "user_reference", "html_url": "…", "self": "…"},
               "client": {"name": "PagerDuty"},
               "data": {"id": "PGR0VU2", "type": "incident", "status": "acknowledged",
                        "incident_key": "d3640fbd41094207a1c11e58e46b1662",
                        "title": "A little bump in the road", "number": 2, …}}}

``data.incident_key`` is "the incident's de-duplication key": for an incident opened by an
Events API v2 trigger it is that event's ``dedup_key`` (PagerDuty's docs use the two names for
one thing: "the same ``incident_key`` / ``dedup_key``"), which is how a webhook finds its alert
group. Incidents opened another way (by hand, by email) may carry a key Stationmaster never
sent, or none. ``agent`` is null when PagerDuty itself acted (an auto-resolve).

Only ``incident.acknowledged`` and ``incident.resolved`` are read; every other event type
(``incident.triggered``, ``incident.annotated``, ``pagey.ping``…) parses to None, which the
endpoint answers with 202 and otherwise ignores.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, SecretStr, ValidationError

__all__ = [
    "ACKNOWLEDGED",
    "RESOLVED",
    "SIGNATURE_HEADER",
    "BadSignature",
    "BadWebhook",
    "PagerEvent",
    "parse_webhook",
    "verify_signature",
]

SIGNATURE_HEADER = "X-PagerDuty-Signature"
ACKNOWLEDGED = "incident.acknowledged"
RESOLVED = "incident.resolved"
_READ = frozenset({ACKNOWLEDGED, RESOLVED})
_SCHEME = "v1="
_M = TypeVar("_M", bound=BaseModel)


class BadSignature(ValueError):
    """A delivery whose signature cannot be trusted; the message says which check failed."""


class BadWebhook(ValueError):
    """A signed delivery whose body is not a V3 webhook Stationmaster can read (one line)."""


@dataclass(frozen=True)
class PagerEvent:
    """An incident acknowledged or resolved in PagerDuty."""

    event_type: str
    """``incident.acknowledged`` or ``incident.resolved``."""
    dedup_key: str | None
    """The incident's ``incident_key``: the Events API dedup key it was triggered with."""
    incident_id: str
    agent: str | None
    """Who acted, as PagerDuty names them (``agent.summary``); None when PagerDuty did."""
    occurred_at: datetime
    """When it happened, in UTC."""


def verify_signature(secret: SecretStr, header: str | None, body: bytes) -> None:
    """Return when one ``v1=`` signature in ``header`` is the HMAC-SHA256 of ``body`` with
    ``secret``; raise :class:`BadSignature` saying why not. Compares in constant time."""
    if header is None or not header.strip():
        raise BadSignature(f"unsigned: the {SIGNATURE_HEADER} header is missing")
    given = [
        part.strip()[len(_SCHEME) :].lower().encode()
        for part in header.split(",")
        if part.strip().startswith(_SCHEME)
    ]
    if not given:
        raise BadSignature(f"{SIGNATURE_HEADER} carries no {_SCHEME} signature")
    key = secret.get_secret_value().encode()
    expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
    matched = False
    for candidate in given:  # check every one, so timing does not tell which matched
        matched |= hmac.compare_digest(candidate, expected)
    if not matched:
        raise BadSignature(
            f"bad signature: no {_SCHEME} signature in {SIGNATURE_HEADER} matches the body; "
            f"check the webhook subscription's secret"
        )


class _Head(BaseModel):
    """Just enough of any event to know its type; other fields are read per type."""

    event_type: str


class _Envelope(BaseModel):
    event: _Head


class _Agent(BaseModel):
    id: str | None = None
    summary: str | None = None
    type: str | None = None


class _Incident(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    type: str
    incident_key: str | None = None
    status: str | None = None
    title: str | None = None


class _IncidentEvent(BaseModel):
    id: str
    event_type: str
    resource_type: str
    occurred_at: AwareDatetime
    agent: _Agent | None = None
    data: _Incident


class _IncidentEnvelope(BaseModel):
    event: _IncidentEvent


def parse_webhook(body: bytes) -> PagerEvent | None:
    """The acknowledgement or resolve a verified delivery reports, or None for any other
    event type; :class:`BadWebhook` with a one-line reason when the body is malformed."""
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadWebhook(f"the webhook body is not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise BadWebhook("the webhook body is not a JSON object")
    head = _validated(_Envelope, raw)
    if head.event.event_type not in _READ:
        return None
    event = _validated(_IncidentEnvelope, raw).event
    if event.data.type != "incident":
        raise BadWebhook(
            f"event.data.type is {event.data.type!r}, but {event.event_type} carries an incident"
        )
    agent = event.agent.summary if event.agent is not None else None
    return PagerEvent(
        event_type=event.event_type,
        dedup_key=event.data.incident_key or None,
        incident_id=event.data.id,
        agent=agent or None,
        occurred_at=event.occurred_at.astimezone(UTC),
    )


def _validated(model: type[_M], raw: dict[str, Any]) -> _M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the body"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise BadWebhook(f"{where}: {first['msg']}{more}") from None
