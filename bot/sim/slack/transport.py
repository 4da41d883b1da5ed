"""Delivering a request to the bot over HTTP, signed the way Slack signs it.

The signature is ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}`` under the signing secret,
in ``X-Slack-Signature``, with the timestamp in ``X-Slack-Request-Timestamp``. :class:`Knobs`
lets a test send a stale timestamp, a wrong signature or extra headers such as
``X-Slack-Retry-Num``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.sim.slack.errors import AckTimeout


def sign(*, secret: str, timestamp: int | str, body: bytes) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Knobs:
    """Ways to bend a request for a test. ``timestamp`` is signed as given (use an old one for
    a stale request); ``signature`` replaces the computed one; ``headers`` are added."""

    timestamp: int | None = None
    signature: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BotResponse:
    """The bot's answer: over HTTP its status, headers and body; over Socket Mode status 200
    and the ack's payload as the body."""

    status: int
    headers: Mapping[str, str]
    body: str
    json: Any | None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @classmethod
    def from_ack(cls, payload: dict[str, Any] | None) -> BotResponse:
        body = json.dumps(payload) if payload else ""
        return cls(status=200, headers={}, body=body, json=payload or None)


class HttpTransport:
    def __init__(
        self, *, url: str, signing_secret: str, clock: Callable[[], float], ack_timeout: float
    ) -> None:
        self._url = url
        self._secret = signing_secret
        self._clock = clock
        self._timeout = ack_timeout
        self._session: aiohttp.ClientSession | None = None

    async def post(self, *, body: bytes, content_type: str, knobs: Knobs) -> BotResponse:
        timestamp = knobs.timestamp if knobs.timestamp is not None else int(self._clock())
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": knobs.signature
            or sign(secret=self._secret, timestamp=timestamp, body=body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **knobs.headers,
        }
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        try:
            async with self._session.post(self._url, data=body, headers=headers) as response:
                text = await response.text()
                parsed: Any | None = None
                if response.content_type == "application/json" and text:
                    parsed = json.loads(text)
                return BotResponse(
                    status=response.status, headers=dict(response.headers), body=text, json=parsed
                )
        except TimeoutError as error:
            raise AckTimeout(
                f"the bot did not answer {self._url} within {self._timeout}s"
            ) from error

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
