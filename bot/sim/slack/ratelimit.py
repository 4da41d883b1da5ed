"""Slack's special posting limit: about one message per second per channel.

A token bucket per channel, holding up to ``max(1, rate)`` posts and refilled at ``rate`` per
second. A post that finds the bucket empty is refused with the whole seconds to wait, at least
one, as Slack's ``Retry-After`` header gives them.
"""

from __future__ import annotations

import math
from collections.abc import Callable


class PostRateLimiter:
    def __init__(self, *, per_second: float, clock: Callable[[], float]) -> None:
        if per_second <= 0:
            raise ValueError("posts_per_second must be positive")
        self._rate = per_second
        self._capacity = max(1.0, per_second)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, updated_at)

    def try_acquire(self, channel: str) -> int | None:
        """Take one post for ``channel``; ``None`` if allowed, else the seconds to wait."""
        now = self._clock()
        tokens, updated = self._buckets.get(channel, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - updated) * self._rate)
        if tokens >= 1.0:
            self._buckets[channel] = (tokens - 1.0, now)
            return None
        self._buckets[channel] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self._rate))
