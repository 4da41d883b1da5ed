"""PagerDuty's Events API v2, through one injected ``httpx.AsyncClient``.

Every event is one ``POST {base_url}/v2/enqueue`` (``https://events.pagerduty.com``, or
``https://events.eu.pagerduty.com`` for EU accounts) with a JSON body::

    {"routing_key": "<32-char integration key>", "event_action": "trigger",
     "dedup_key": "<at most 255 chars>", "client": "Stationmaster",
     "payload": {"summary": "<at most 1024 chars>", "source": "checkout",
                 "severity": "critical|error|warning|info", "timestamp": "<ISO 8601>",
                 "custom_details": {...}},
     "links": [{"href": "https://…", "text": "Release 4.2"}]}

An acknowledge or resolve carries only ``routing_key``, ``event_action`` and ``dedup_key``.
PagerDuty answers ``202 {"status": "success", "message": "Event processed", "dedup_key": …}``;
``400 {"status": "invalid event", "message": "Event object is invalid", "errors": [...]}`` for
an event it will never take (not retried); ``429`` with no documented body when the integration
key sends too fast (about 120 events a minute); 5xx when it fails. 429, 5xx and network errors
are retried ``retries`` times with exponential backoff, or after ``Retry-After`` when PagerDuty
sends one (never longer than ``max_wait``). Redirects are not followed: requests go to
``base_url`` only. The routing key appears in no message and no log line.

Severity: Stationmaster's labels map onto PagerDuty's four values (``p1``/``page`` are
critical, ``high``/``major`` error, ``warn``/``medium`` warning, ``low``/``minor`` info). An
unknown label becomes ``error``: it still pages at high urgency under PagerDuty's default
severity-based urgency, without claiming the outage ``critical`` stands for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import structlog
from pydantic import SecretStr

from bot.clock import Clock, utc_now
from bot.domain.alerts import severity_rank
from integrations.paging.base import DEDUP_KEY_LIMIT, PagingError

__all__ = ["DEFAULT_BASE_URL", "SUMMARY_LIMIT", "PagerDuty", "pagerduty_severity"]

DEFAULT_BASE_URL = "https://events.pagerduty.com"
ENQUEUE_PATH = "/v2/enqueue"
SUMMARY_LIMIT = 1024  # PagerDuty refuses longer payload.summary values
CLIENT = "Stationmaster"
STATUS_PAGE = "https://status.pagerduty.com"

Sleep = Callable[[float], Awaitable[None]]

#: PagerDuty's four severities by :func:`~bot.domain.alerts.severity_rank`; an unknown label
#: (rank 0) pages as ``error``: urgent, without claiming ``critical``.
_BY_RANK = {4: "critical", 3: "error", 2: "warning", 1: "info", 0: "error"}
_log = structlog.get_logger(__name__)


def pagerduty_severity(label: str) -> str:
    """PagerDuty's severity for Stationmaster's ``label``, case-insensitive; unknown: error."""
    return _BY_RANK[severity_rank(label)]


class PagerDuty:
    """One PagerDuty service's Events API v2 integration; see the module docstring."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        routing_key: SecretStr,
        *,
        retries: int = 4,
        backoff: float = 0.5,
        timeout: float = 10.0,
        max_wait: float = 60.0,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = utc_now,
    ) -> None:
        if retries < 0 or backoff < 0 or max_wait < 0 or timeout <= 0:
            raise ValueError("retries, backoff and max_wait must be >= 0, timeout > 0")
        base = base_url.rstrip("/")
        parsed = httpx.URL(base)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise PagingError(
                f"the PagerDuty Events API address '{base_url}' is not an http(s) URL; use "
                f"{DEFAULT_BASE_URL} (or https://events.eu.pagerduty.com for EU accounts)"
            )
        self._base = base
        self._url = base + ENQUEUE_PATH
        self._http = http
        self._key = routing_key
        self._retries = retries
        self._backoff = backoff
        self._timeout = httpx.Timeout(timeout)
        self._max_wait = max_wait
        self._sleep = sleep
        self._clock = clock

    async def trigger(
        self,
        *,
        dedup_key: str,
        summary: str,
        severity: str,
        source: str,
        details: Mapping[str, str],
        links: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Open (or add to) ``dedup_key``'s incident; ``links`` are ``(href, text)`` pairs."""
        if len(summary) > SUMMARY_LIMIT:
            summary = summary[: SUMMARY_LIMIT - 1] + "…"
        event: dict[str, Any] = {
            "payload": {
                "summary": summary,
                "source": source,
                "severity": pagerduty_severity(severity),
                "timestamp": self._clock().isoformat(),
                "custom_details": dict(details),
            },
            "client": CLIENT,
        }
        if links:
            event["links"] = [{"href": href, "text": text} for href, text in links]
        await self._send("trigger", dedup_key, event)

    async def acknowledge(self, *, dedup_key: str) -> None:
        await self._send("acknowledge", dedup_key, {})

    async def resolve(self, *, dedup_key: str) -> None:
        await self._send("resolve", dedup_key, {})

    # -- the transport ------------------------------------------------------------------------

    async def _send(self, action: str, dedup_key: str, fields: dict[str, Any]) -> None:
        what = f"the {action} event for {_shown(dedup_key)}"
        if not dedup_key or len(dedup_key) > DEDUP_KEY_LIMIT:
            raise PagingError(
                f"cannot send {what}: a dedup key must be 1 to {DEDUP_KEY_LIMIT} characters, "
                f"not {len(dedup_key)}; pass the group key through dedup_key_for()"
            )
        body = {
            "routing_key": self._key.get_secret_value(),
            "event_action": action,
            "dedup_key": dedup_key,
            **fields,
        }
        attempt = 0
        while True:
            try:
                response = await self._http.post(
                    self._url, json=body, timeout=self._timeout, follow_redirects=False
                )
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {self._scrub(str(exc)) or 'no detail'}"
                hint = f"check the network path to {self._base}"
                delay = self._backoff * 2.0**attempt
            else:
                if response.is_success:
                    return
                reason, hint = self._failure(what, response)
                delay = self._delay(what, response, attempt)
            if attempt >= self._retries:
                raise PagingError(
                    f"PagerDuty did not accept {what} after {attempt + 1} attempts "
                    f"(last: {reason}); {hint}"
                )
            attempt += 1
            _log.warning(
                "pagerduty_retry", action=action, dedup_key=dedup_key, reason=reason, delay=delay
            )
            await self._sleep(delay)

    def _failure(self, what: str, response: httpx.Response) -> tuple[str, str]:
        """The reason and hint for a retryable answer; raise for one that must not be retried."""
        status = response.status_code
        reason = f"{status} {response.reason_phrase}".strip()
        if status == 429:
            return reason, "PagerDuty is rate limiting this integration key; try again later"
        if status >= 500:
            return reason, f"PagerDuty is failing; see {STATUS_PAGE}"
        message, errors = _error_body(response)
        detail = self._scrub("; ".join(errors) if errors else message or "no detail")
        if status == 400:
            hint = (
                "check the PagerDuty routing key: it must be the 32-character Integration Key "
                "of an Events API v2 integration"
                if "routing_key" in detail
                else "the event is malformed, so it was not retried"
            )
            raise PagingError(f"PagerDuty refused {what}: {message or reason} ({detail}); {hint}")
        moved = " (Stationmaster follows no redirects)" if 300 <= status < 400 else ""
        raise PagingError(
            f"PagerDuty answered {reason} to {what} ({detail}){moved}; check that the "
            f"PagerDuty Events API address {self._base} is right (it is not retried)"
        )

    def _delay(self, what: str, response: httpx.Response, attempt: int) -> float:
        wait = _retry_after(response.headers.get("retry-after"), self._clock)
        if wait is None:
            return self._backoff * 2.0**attempt
        if wait > self._max_wait and attempt < self._retries:
            raise PagingError(
                f"PagerDuty asks to wait {wait:.0f}s before retrying {what}, over the "
                f"{self._max_wait:.0f}s Stationmaster waits; try again later"
            )
        return wait

    def _scrub(self, text: str) -> str:
        secret = self._key.get_secret_value()
        return text.replace(secret, "[redacted]") if secret else text


def _shown(dedup_key: str) -> str:
    return repr(dedup_key if len(dedup_key) <= 80 else dedup_key[:79] + "…")


def _error_body(response: httpx.Response) -> tuple[str, list[str]]:
    """PagerDuty's ``message`` and ``errors`` from an error answer, if it sent them."""
    try:
        body = response.json()
    except ValueError:
        return "", []
    if not isinstance(body, dict):
        return "", []
    message, errors = body.get("message"), body.get("errors")
    text = _line(message) if isinstance(message, str) else ""
    listed = [_line(e) for e in errors if isinstance(e, str)] if isinstance(errors, list) else []
    return text, listed[:10]


def _line(text: str) -> str:
    return " ".join(text.split())[:300]


def _retry_after(value: str | None, clock: Clock) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((moment - clock()).total_seconds(), 0.0) if moment.tzinfo else None
