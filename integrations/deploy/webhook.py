"""The ``webhook`` deploy adapter: the team's own deploy service, over signed JSON.

Each step is one ``POST {url}`` of::

    {"action": "set_weight", "service": "checkout", "version": "2024.06.2",
     "previous_version": "2024.06.1", "weight": 10, "release": "web/2024.06.2",
     "delivery": "<uuid>"}

signed as :mod:`bot.deploy_signing` describes (``X-Stationmaster-Signature: v1=<hex>`` over
``timestamp.body``, ``X-Stationmaster-Timestamp``, ``X-Stationmaster-Delivery``). The service
answers 200 with its status, or 202 when the step is under way (record the step before
answering, so a poll never reports the step before it); Stationmaster then polls
``GET {url}/status?service=…&release=…`` (signed, over an empty body) every ``poll_interval``
seconds until a terminal state, for at most ``poll_timeout`` seconds. A status is::

    {"state": "progressing|healthy|degraded|failed|aborted|unknown", "weight": 10,
     "stable_version": "2024.06.1", "canary_version": "2024.06.2", "message": "…"}

With an ``inbox`` (:class:`~integrations.deploy.inbox.CallbackInbox`), the service may also
post the status back, signed, to Stationmaster's ``POST /hooks/deploy`` (the JSON above plus
``delivery``, ``release`` and ``service``): a callback ends the wait between two polls at once,
and a terminal one ends the step without another poll. Polling stays the fallback.

Connection errors, timeouts and 5xx answers are retried ``retries`` times with exponential
backoff; a retried step keeps its delivery id, so the service can apply it once. A 4xx is a
:class:`~integrations.deploy.base.DeployError` with the service's ``message``. Only ``url`` and
``{url}/status`` are ever requested: redirects are refused, never followed.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
from pydantic import SecretStr

from bot.clock import Clock, utc_now
from bot.deploy_signing import signed_headers
from bot.observability.logs import get_logger
from integrations.deploy.base import (
    Action,
    DeployError,
    DeployState,
    DeployStatus,
    StepAdapter,
    Target,
    parse_status,
    step_fields,
)
from integrations.deploy.inbox import CallbackInbox

_OUTPUT_CHARS = 2000
_log = get_logger(__name__)


class WebhookAdapter(StepAdapter):
    """Drives one team deploy service at ``url``; see the module docstring for the protocol."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        url: str,
        secret: SecretStr,
        timeout: float = 10,
        retries: int = 2,
        poll_interval: float = 2.0,
        poll_timeout: float = 300,
        backoff: float = 0.5,
        inbox: CallbackInbox | None = None,
        clock: Clock = utc_now,
    ) -> None:
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"the deploy webhook url {url!r} is not an http(s) URL")
        if parsed.query or parsed.fragment or parsed.userinfo:
            raise ValueError(f"the deploy webhook url {url!r} may not carry a query or login")
        if timeout <= 0 or retries < 0 or poll_interval <= 0 or poll_timeout <= 0:
            raise ValueError("timeout, poll_interval and poll_timeout must be > 0, retries >= 0")
        if backoff < 0:
            raise ValueError("backoff must be >= 0")
        self._http = http
        self._url = url.rstrip("/")
        self._secret = secret
        self._timeout = httpx.Timeout(timeout)
        self._retries = retries
        self._poll_interval = poll_interval
        self._poll_timeout = poll_timeout
        self._backoff = backoff
        self._inbox = inbox
        self._clock = clock

    async def status(self, *, target: Target) -> DeployStatus:
        """What the service reports now (any state; raises only when it cannot be asked)."""
        what = f"the status of {target.service} {target.release}"
        params = {"service": target.service, "release": target.release}
        response = await self._send("GET", "/status", b"", str(uuid.uuid4()), what, params)
        return self._status(response, what, required=True)

    async def _step(self, action: Action, target: Target, weight: int) -> DeployStatus:
        what = f"{action.value} of {target.service} {target.version}"
        delivery = str(uuid.uuid4())
        payload = {**step_fields(action, target, weight), "delivery": delivery}
        body = json.dumps(payload, separators=(",", ":")).encode()
        response = await self._send("POST", "", body, delivery, what, None)
        status = self._status(response, what, required=response.status_code != 202)
        deadline = asyncio.get_running_loop().time() + self._poll_timeout
        while not status.state.terminal:
            if asyncio.get_running_loop().time() >= deadline:
                raise DeployError(
                    f"the deploy service at {self._url} did not finish {what} within "
                    f"{self._poll_timeout:g}s (last state {status.state.value}); check it, then "
                    f"retry or roll back",
                    output=status.message,
                    status=status,
                )
            status = await self._next(target, delivery)
        if status.state is not DeployState.HEALTHY:
            raise DeployError(
                f"the deploy service at {self._url} reports {what} {status.state.value}"
                + (f": {status.message}" if status.message else ""),
                output=status.message,
                status=status,
            )
        return status

    async def _next(self, target: Target, delivery: str) -> DeployStatus:
        """The status after one poll interval: a terminal callback's at once, else a poll's
        (after the interval, or as soon as a callback arrives)."""
        if self._inbox is None:
            await asyncio.sleep(self._poll_interval)
        else:
            called = await self._inbox.wait(delivery, self._poll_interval)
            if called is not None and called.state.terminal:
                return called
        return await self.status(target=target)

    async def _send(
        self,
        method: str,
        path: str,
        body: bytes,
        delivery: str,
        what: str,
        params: dict[str, str] | None,
    ) -> httpx.Response:
        """One request to ``url + path``, retried on connection errors and 5xx."""
        attempt = 0
        while True:
            headers = signed_headers(self._secret, body, delivery=delivery, now=self._clock())
            if body:
                headers["Content-Type"] = "application/json"
            try:
                response = await self._http.request(
                    method,
                    self._url + path,
                    content=body or None,
                    params=params,
                    headers=headers,
                    timeout=self._timeout,
                    follow_redirects=False,
                )
            except httpx.TransportError as exc:
                if attempt >= self._retries:
                    raise DeployError(
                        f"the deploy service at {self._url} did not answer {what} after "
                        f"{attempt + 1} attempts ({type(exc).__name__}); check that it runs "
                        f"and that the address is right"
                    ) from exc
                reason = type(exc).__name__
            else:
                if response.is_success:
                    return response
                if response.status_code < 500 or attempt >= self._retries:
                    raise self._refusal(response, what, attempt + 1)
                reason = str(response.status_code)
            delay = self._backoff * 2.0**attempt
            _log.warning("deploy_webhook_retry", request=what, reason=reason, delay=delay)
            await asyncio.sleep(delay)
            attempt += 1

    def _status(self, response: httpx.Response, what: str, *, required: bool) -> DeployStatus:
        """The status in ``response``'s body; a 202 may come without one (progressing)."""
        try:
            return parse_status(response.json(), at=self._clock())
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            if not required:
                return DeployStatus(
                    DeployState.PROGRESSING, 0, None, None, "accepted", self._clock()
                )
            raise DeployError(
                f"the deploy service at {self._url} answered {what} with an unusable status "
                f"({exc}); it must answer the status JSON Stationmaster documents",
                output=self._scrub(response.text[:_OUTPUT_CHARS]),
            ) from None

    def _refusal(self, response: httpx.Response, what: str, attempts: int) -> DeployError:
        code = response.status_code
        message = self._message(response)
        text = f"the deploy service at {self._url} "
        if 300 <= code < 400:
            text += (
                f"answered {what} with a redirect ({code} to "
                f"{response.headers.get('location', 'nowhere')}); Stationmaster only calls the "
                f"configured URL, so set the final address"
            )
        elif code in (401, 403):
            text += (
                f"refused {what}: {code} {message}; check that it verifies with the same "
                f"secret Stationmaster signs with"
            )
        elif code < 500:
            text += f"refused {what}: {code} {message}"
        else:
            text += f"failed {what}: {code} {message} after {attempts} attempts; check its logs"
        return DeployError(text, output=self._scrub(response.text[-_OUTPUT_CHARS:]))

    def _message(self, response: httpx.Response) -> str:
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        for key in ("message", "error"):
            value = data.get(key) if isinstance(data, dict) else None
            if isinstance(value, str) and value.strip():
                return self._scrub(" ".join(value.split())[:300])
        text = " ".join(response.text.split())[:300]
        return self._scrub(text) or response.reason_phrase or "no message"

    def _scrub(self, text: str) -> str:
        secret = self._secret.get_secret_value()
        return text.replace(secret, "[redacted]") if secret else text
