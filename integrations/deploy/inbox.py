"""Where signed deploy callbacks (``POST /hooks/deploy``) meet the webhook steps waiting on them.

The web route calls :meth:`CallbackInbox.deliver` with a verified callback; a
:class:`~integrations.deploy.webhook.WebhookAdapter` step calls :meth:`CallbackInbox.wait` with
its delivery id instead of sleeping between polls. The inbox keeps the latest status of each
delivery id, for at most ``keep`` deliveries and ``ttl`` seconds, so a callback that arrives
before its step waits (or while it polls) is not lost, and one nobody waits on is dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.observability.logs import get_logger
from integrations.deploy.base import DeployStatus

__all__ = ["CallbackInbox"]

KEEP = 1000
TTL = 120.0
_log = get_logger(__name__)


@dataclass
class _Entry:
    release: str
    service: str
    status: DeployStatus
    received: float
    unread: bool = True


class CallbackInbox:
    """The latest status per delivery id, and the steps waiting for one."""

    def __init__(
        self, *, keep: int = KEEP, ttl: float = TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if keep < 1 or ttl <= 0:
            raise ValueError("keep must be >= 1 and ttl > 0")
        self._keep, self._ttl, self._clock = keep, ttl, clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._waiters: dict[str, set[asyncio.Event]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def deliver(self, delivery: str, release: str, service: str, status: DeployStatus) -> None:
        """Store ``status`` as ``delivery``'s latest and wake whoever waits on it."""
        now = self._clock()
        self._entries.pop(delivery, None)
        self._entries[delivery] = _Entry(release, service, status, now)
        self._prune(now)
        waiting = self._waiters.get(delivery, ())
        for event in waiting:
            event.set()
        _log.info(
            "deploy_callback", delivery=delivery, release=release, service=service,
            state=status.state.value, waiting=len(waiting),
        )  # fmt: skip

    async def wait(self, delivery: str, timeout: float) -> DeployStatus | None:  # noqa: ASYNC109
        """The status of ``delivery`` delivered since the last ``wait`` took one, as soon as
        there is one; None after ``timeout`` seconds without."""
        taken = self._take(delivery)
        if taken is not None:
            return taken
        event = asyncio.Event()
        self._waiters.setdefault(delivery, set()).add(event)
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return None
        finally:
            waiting = self._waiters[delivery]
            waiting.discard(event)
            if not waiting:
                del self._waiters[delivery]
        return self._take(delivery)

    def _take(self, delivery: str) -> DeployStatus | None:
        entry = self._entries.get(delivery)
        if entry is None or not entry.unread or self._clock() - entry.received > self._ttl:
            return None
        entry.unread = False
        return entry.status

    def _prune(self, now: float) -> None:
        """Drop what is over ``ttl`` old, then the oldest beyond ``keep`` (oldest first)."""
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if now - oldest.received <= self._ttl and len(self._entries) <= self._keep:
                return
            self._entries.popitem(last=False)
