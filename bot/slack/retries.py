"""Slack retries (``X-Slack-Retry-Num``) of a delivery already handled are acked, not redone.

Slack retries only Events API deliveries, so those are claimed in the database (shared by every
replica, written after the ack). Other deliveries are remembered in memory for the rare retry.
"""

from __future__ import annotations

from typing import Protocol

from cachetools import TTLCache

from bot.tasks import BackgroundTasks
from storage.models import IdempotencyScope


class DeliveryStore(Protocol):
    async def claim(self, *, scope: str, key: str) -> bool:
        """True for the first claim of ``key`` in ``scope``, False for every later one."""
        ...


class RetryGuard:
    def __init__(
        self,
        *,
        store: DeliveryStore | None,
        tasks: BackgroundTasks,
        memory_size: int = 20_000,
        memory_ttl: float = 3600.0,
    ) -> None:
        self._store = store
        self._tasks = tasks
        self._seen: TTLCache[str, bool] = TTLCache(maxsize=memory_size, ttl=memory_ttl)

    async def already_handled(self, *, key: str, is_retry: bool, durable: bool) -> bool:
        """Record a delivery; True when it is a retry of one handled before."""
        if key in self._seen:
            return True  # a retry, or a replay of the very same signed body
        self._seen[key] = True
        if self._store is None or not durable:
            return False
        if is_retry:
            return not await self._store.claim(scope=IdempotencyScope.SLACK_RETRY, key=key)
        self._tasks.spawn(self._record(key), name="record slack delivery")
        return False

    async def _record(self, key: str) -> None:
        assert self._store is not None
        await self._store.claim(scope=IdempotencyScope.SLACK_RETRY, key=key)
