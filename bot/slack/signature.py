"""Slack request signatures, checked over the raw bytes (any bytes, not only UTF-8).

``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}`` under the signing secret, and a timestamp
within five minutes of now either way, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

REPLAY_WINDOW_SECONDS = 5 * 60


class SignatureChecker:
    def __init__(self, *, secret: str, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret.encode()
        self._clock = clock

    def problem(self, *, body: bytes, timestamp: str, signature: str) -> str | None:
        """None when the request is authentic; otherwise the reason to refuse it."""
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            return "missing or malformed X-Slack-Request-Timestamp"
        if abs(self._clock() - int(timestamp)) > REPLAY_WINDOW_SECONDS:
            return "stale timestamp: outside the 5-minute replay window"
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return "invalid signature"
        return None
