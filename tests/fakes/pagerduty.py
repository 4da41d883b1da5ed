"""A loopback fake of PagerDuty's Events API v2, and a sender of signed V3 webhooks.

``async with running_fake_pagerduty() as fake:`` serves ``POST /v2/enqueue`` on 127.0.0.1 at
``fake.url``. It checks events as PagerDuty documents them and answers with its shapes:

- 202 ``{"status": "success", "message": "Event processed", "dedup_key": …}`` (a generated
  UUID hex when a trigger has none);
- 400 ``{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``:
  ``routing_key`` not 32 characters (PagerDuty's own wording), ``event_action`` not trigger,
  acknowledge or resolve, ``dedup_key`` over 255 characters or missing on an acknowledge or
  resolve, and for a trigger a missing ``payload.summary``/``source``/``severity``, a severity
  outside critical/error/warning/info or a summary over 1024 characters (the other wordings are
  this fake's, in PagerDuty's style);
- 400 ``{"status": "Unrecognized object", "message": "Event object format is unrecognized",
  "errors": ["JSON parse error"]}`` for a body that is not a JSON object (PagerDuty's OpenAPI
  example; its overview says a bad JSON body is a 400);
- 429 with an empty body (PagerDuty documents the status, "Request Limit Exceeded", and no
  body) over ``rate_limit`` events per routing key in a rolling 60s window, or for the next
  ``throttle_next`` requests (with ``Retry-After: throttle_retry_after`` when set; PagerDuty
  documents no such header, the knob exercises clients that honour one);
- 5xx for the next requests queued with ``fail_next``.

Accepted events land in ``fake.events``; ``fake.requests`` holds every request. Incidents follow
PagerDuty's dedup rules: a trigger opens an incident for its dedup key, or adds to the open one
(an acknowledged one stays acknowledged); acknowledge and resolve act on the open incident of
that key sent with the same routing key, and are accepted but dropped otherwise; after a
resolve, a trigger opens a new incident. ``fake.incidents[key]`` is the key's latest incident.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from aiohttp import web

from tests.fakes import serving

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
WINDOW = 60.0  # seconds: "calculated over a 60 second window looking back from the current time"


def incident_id(dedup_key: str) -> str:
    """A PagerDuty-looking incident id (``Q`` + 6 characters), stable for a dedup key."""
    digest = hashlib.sha256(dedup_key.encode()).digest()
    return "Q" + base64.b32encode(digest).decode()[:6]


@dataclass
class FakeIncident:
    dedup_key: str
    routing_key: str
    summary: str
    severity: str
    source: str
    status: str = "triggered"  # then acknowledged, resolved
    id: str = ""
    triggers: int = 1  # trigger events applied (the first one opened it)
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status != "resolved"


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the decoded JSON, or the raw text when it is not JSON


@dataclass
class FakePagerDuty:
    rate_limit: int | None = None
    url: str = ""
    throttle_next: int = 0
    throttle_retry_after: float | None = None
    clock: Callable[[], float] = time.monotonic
    requests: list[ReceivedRequest] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    incidents: dict[str, FakeIncident] = field(default_factory=dict)
    history: list[FakeIncident] = field(default_factory=list)  # every incident, oldest first
    _failures: list[int] = field(default_factory=list)
    _sent: dict[str, deque[float]] = field(default_factory=dict)

    def fail_next(self, status: int = 502, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status`` (a 5xx)."""
        self._failures.extend([status] * times)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v2/enqueue", self._enqueue)
        return app

    async def _enqueue(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        shown = raw.decode(errors="replace") if body is None else body
        self.requests.append(
            ReceivedRequest(request.method, request.path, dict(request.headers), shown)
        )
        if self._failures:
            return web.json_response(
                {"status": "error", "message": "Internal Server Error"},
                status=self._failures.pop(0),
            )
        if not isinstance(body, dict):
            return _unrecognized()
        if self._throttled(body.get("routing_key")):
            response = web.Response(status=429)
            if self.throttle_retry_after is not None:
                response.headers["Retry-After"] = f"{self.throttle_retry_after:g}"
            return response
        errors = _problems(body)
        if errors:
            return _invalid(errors)
        event = {**body, "dedup_key": body.get("dedup_key") or uuid.uuid4().hex}
        self.events.append(event)
        self._apply(event)
        return web.json_response(
            {"status": "success", "message": "Event processed", "dedup_key": event["dedup_key"]},
            status=202,
        )

    def _throttled(self, routing_key: object) -> bool:
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return True
        if self.rate_limit is None or not isinstance(routing_key, str):
            return False
        now = self.clock()
        sent = self._sent.setdefault(routing_key, deque())
        while sent and sent[0] <= now - WINDOW:
            sent.popleft()
        if len(sent) >= self.rate_limit:
            return True
        sent.append(now)
        return False

    def _apply(self, event: dict[str, Any]) -> None:
        key, routing, action = event["dedup_key"], event["routing_key"], event["event_action"]
        current = self.incidents.get(key)
        live = current is not None and current.open and current.routing_key == routing
        if action == "trigger" and live and current is not None:
            current.triggers += 1
            current.events.append(event)
        elif action == "trigger":
            payload = event["payload"]
            incident = FakeIncident(
                key, routing, payload["summary"], payload["severity"], payload["source"]
            )
            incident.id, incident.events = incident_id(key), [event]
            self.incidents[key] = incident
            self.history.append(incident)
        elif live and current is not None:  # acknowledge or resolve; dropped when not live
            current.status = "acknowledged" if action == "acknowledge" else "resolved"
            current.events.append(event)


def _problems(body: dict[str, Any]) -> list[str]:
    """What PagerDuty would list in ``errors`` for ``body``; empty when it is valid."""
    errors: list[str] = []
    routing, action, dedup = (
        body.get("routing_key"),
        body.get("event_action"),
        body.get("dedup_key"),
    )
    if not isinstance(routing, str) or len(routing) != 32:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    if action not in ACTIONS:
        errors.append("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
    if dedup is not None and (not isinstance(dedup, str) or len(dedup) > 255):
        errors.append("Length of 'dedup_key' is incorrect (should be at most 255 characters)")
    if action in ("acknowledge", "resolve") and not dedup:
        errors.append("'dedup_key' is missing or blank")
    if action == "trigger":
        errors.extend(_payload_problems(body.get("payload")))
    for name, required in (("links", "href"), ("images", "src")):
        items = body.get(name, [])
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and isinstance(item.get(required), str) for item in items
        ):
            errors.append(f"'{name}' must be an array of objects with '{required}'")
    return errors


def _payload_problems(payload: object) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or is not an object"]
    errors = [
        f"'payload.{name}' is missing or blank"
        for name in ("summary", "source", "severity")
        if not isinstance(payload.get(name), str) or not payload[name].strip()
    ]
    summary, severity = payload.get("summary"), payload.get("severity")
    if isinstance(summary, str) and len(summary) > 1024:
        errors.append(
            "Length of 'payload.summary' is incorrect (should be at most 1024 characters)"
        )
    if isinstance(severity, str) and severity.strip() and severity not in SEVERITIES:
        errors.append(
            "'payload.severity' is invalid (must be one of: critical, error, warning, info)"
        )
    stamp = payload.get("timestamp")
    if stamp is not None and not _iso8601(stamp):
        errors.append("'payload.timestamp' is not a valid ISO 8601 timestamp")
    return errors


def _iso8601(value: object) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value) is not None
    except ValueError:
        return False


def _invalid(errors: list[str]) -> web.Response:
    body = {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
    return web.json_response(body, status=400)


def _unrecognized() -> web.Response:
    body = {
        "status": "Unrecognized object",
        "message": "Event object format is unrecognized",
        "errors": ["JSON parse error"],
    }
    return web.json_response(body, status=400)


@asynccontextmanager
async def running_fake_pagerduty(*, rate_limit: int | None = None) -> AsyncIterator[FakePagerDuty]:
    """Serve a fresh fake on 127.0.0.1 (a free port) for the duration of the block."""
    fake = FakePagerDuty(rate_limit=rate_limit)
    async with serving(fake.app()) as url:
        fake.url = url
        yield fake


# -- V3 webhooks, as PagerDuty sends them ----------------------------------------------------


def webhook_body(
    *,
    event_type: str,
    dedup_key: str | None,
    agent: str | None = "Dana Oncall",
    occurred_at: datetime | None = None,
) -> bytes:
    """A V3 webhook body for ``dedup_key``'s incident (PagerDuty's documented shape)."""
    incident = incident_id(dedup_key or "manual")
    status = {"incident.acknowledged": "acknowledged", "incident.resolved": "resolved"}
    moment = occurred_at or datetime.now(UTC)
    user = {
        "html_url": "https://acme.pagerduty.com/users/PLH1HKV",
        "id": "PLH1HKV",
        "self": "https://api.pagerduty.com/users/PLH1HKV",
        "summary": agent,
        "type": "user_reference",
    }
    event = {
        "id": str(uuid.uuid4()),
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "agent": user if agent is not None else None,
        "client": {"name": "PagerDuty"},
        "data": {
            "id": incident,
            "type": "incident",
            "self": f"https://api.pagerduty.com/incidents/{incident}",
            "html_url": f"https://acme.pagerduty.com/incidents/{incident}",
            "number": 2,
            "status": status.get(event_type, "triggered"),
            "incident_key": dedup_key,
            "created_at": "2020-04-09T15:16:27Z",
            "title": "A little bump in the road",
            "urgency": "high",
            "resolve_reason": None,
        },
    }
    return json.dumps({"event": event}).encode()


def sign_webhook(secret: str, body: bytes) -> str:
    """The ``X-PagerDuty-Signature`` value for ``body``: ``v1=<hex HMAC-SHA256>``."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def send_webhook(
    url: str, secret: str, *, event_type: str, dedup_key: str, agent: str = "Dana Oncall"
) -> httpx.Response:
    """POST a correctly signed V3 webhook about ``dedup_key``'s incident to ``url``."""
    body = webhook_body(event_type=event_type, dedup_key=dedup_key, agent=agent)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "PagerDuty-Webhook/V3.0",
        "X-PagerDuty-Signature": sign_webhook(secret, body),
        "X-Webhook-Id": str(uuid.uuid4()),
        "X-Webhook-Subscription": "PY1OI3F",
    }
    async with httpx.AsyncClient() as client:
        return await client.post(url, content=body, headers=headers)
