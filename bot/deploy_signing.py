"""How deploy webhooks are signed, both ways: HMAC-SHA256 over ``timestamp.body``.

The webhook adapter signs every request to a team's deploy service, and the team's service signs
its callbacks to ``POST /hooks/deploy``, with the same three headers (the names the CI hook uses,
from :mod:`bot.ci_signing`, plus a timestamp)::

    X-Stationmaster-Timestamp: 1717171717                 unix seconds when it was sent
    X-Stationmaster-Signature: v1=<hex HMAC-SHA256 of b"1717171717." + body>
    X-Stationmaster-Delivery:  <uuid>                      the same on every retry of one step

Signing the timestamp lets the receiver refuse replays: :func:`verify` accepts a request only
within ``tolerance`` seconds of its clock. A GET (a status poll) signs an empty body.

Kept free of web and Slack imports, like :mod:`bot.ci_signing`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import datetime

from pydantic import SecretStr

from bot.ci_signing import DELIVERY_HEADER, SIGNATURE_HEADER
from bot.clock import utc_now
from integrations.deploy.base import DeployStatus, parse_status

__all__ = [
    "DELIVERY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "BadSignature",
    "parse_callback",
    "sign",
    "signed_headers",
    "verify",
]

TIMESTAMP_HEADER = "X-Stationmaster-Timestamp"
SCHEME = "v1="
TOLERANCE = 300
_DELIVERY = re.compile(r"[A-Za-z0-9._:-]{1,200}", re.ASCII)
_LIMIT = 200  # the longest release or service name a callback may carry


class BadSignature(ValueError):
    """A request whose signature cannot be trusted; the message says which check failed."""


def _key(secret: str | SecretStr) -> bytes:
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    return value.encode()


def sign(secret: str | SecretStr, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``: ``v1=<hex>``."""
    message = str(timestamp).encode() + b"." + body
    return SCHEME + hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str | SecretStr, body: bytes, *, delivery: str, now: datetime
) -> dict[str, str]:
    """The three headers of a request carrying ``body``, sent ``now``."""
    timestamp = int(now.timestamp())
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        DELIVERY_HEADER: delivery,
    }


def verify(
    secret: str | SecretStr,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    tolerance: int = TOLERANCE,
) -> None:
    """Return when ``headers`` sign ``body`` and were sent within ``tolerance`` seconds of
    ``now``; raise :class:`BadSignature` saying why not. Header names are case-insensitive."""
    given = {name.lower(): value for name, value in headers.items()}
    stamp = given.get(TIMESTAMP_HEADER.lower(), "").strip()
    if not stamp:
        raise BadSignature(f"unsigned: send {TIMESTAMP_HEADER} (unix seconds)")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise BadSignature(f"{TIMESTAMP_HEADER} must be unix seconds, not {stamp[:20]!r}")
    skew = abs(now.timestamp() - int(stamp))
    if skew > tolerance:
        raise BadSignature(
            f"{TIMESTAMP_HEADER} is {skew:.0f}s away from now, over the {tolerance}s allowed; "
            f"sign each request when it is sent, and check the sender's clock"
        )
    signature = given.get(SIGNATURE_HEADER.lower(), "").strip().lower()
    if not signature:
        raise BadSignature(f"unsigned: send {SIGNATURE_HEADER}: {SCHEME}<hex HMAC-SHA256>")
    if not hmac.compare_digest(signature, sign(secret, int(stamp), body)):
        raise BadSignature(
            f"bad signature: {SIGNATURE_HEADER} does not match "
            f"{SCHEME}HMAC-SHA256(secret, timestamp + '.' + body)"
        )


def parse_callback(
    body: bytes, *, received: datetime | None = None
) -> tuple[str, str, str, DeployStatus]:
    """A verified callback's ``(delivery, release, service, status)``.

    The body is a JSON object: ``delivery`` (the step's delivery id), ``release``
    (``train/version``), ``service``, the status fields (``state``, ``weight``,
    ``stable_version``, ``canary_version``, ``message``) and an optional ``at`` (ISO 8601 with
    an offset; ``received``, default now, when absent). ValueError says which field is wrong.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the callback body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("the callback body is not a JSON object")
    delivery = data.get("delivery")
    if not isinstance(delivery, str) or not _DELIVERY.fullmatch(delivery):
        raise ValueError("'delivery' must be 1-200 letters, digits or ._:-")
    names: list[str] = []
    for key in ("release", "service"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > _LIMIT:
            raise ValueError(f"'{key}' must be a non-empty string of at most {_LIMIT} characters")
        names.append(value.strip())
    if "/" not in names[0]:
        raise ValueError(f"'release' must be train/version, not {names[0]!r}")
    at = _moment(data.get("at")) or received or utc_now()
    return delivery, names[0], names[1], parse_status(data, at=at)


def _moment(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"'at' must be an ISO 8601 time with an offset, not {value!r}")
    return moment
