"""Posting at Slack's pace: about one message per second per channel.

Slack answers a faster burst with HTTP 429, and slack_sdk's retry handler then sleeps and tries
again; a flood of alerts would keep hitting the limit and queue in an order nobody chose. A
:class:`ChannelPacer` spaces the posts to one channel ``interval`` seconds apart, process-wide,
and picks who goes next when a slot opens: urgent posts (an alert thread's root) before the
others (lines in a thread), first come first served within each.

::

    async with pacer.turn("#oncall", urgent=True):
        await client.chat_postMessage(channel="#oncall", text="...")

One post at a time holds a channel's turn; the next may start ``interval`` seconds after it
ended. A lane is kept per channel name as given, so name a channel one way (``#oncall``, or its
ID) everywhere. Time is injected (``clock`` and ``sleep``), so tests step a fake clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

__all__ = ["ChannelPacer"]

URGENT, NORMAL = 0, 1


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    wake: asyncio.Event = field(compare=False, default_factory=asyncio.Event)


@dataclass
class _Lane:
    """One channel: when its next post may start, whether a post is under way, who waits."""

    next_at: float = float("-inf")
    busy: bool = False
    waiting: list[_Waiter] = field(default_factory=list)

    def head(self) -> _Waiter | None:
        return self.waiting[0] if self.waiting else None

    def wake_head(self) -> None:
        head = self.head()
        if head is not None:
            head.wake.set()

    def drop(self, waiter: _Waiter) -> None:
        if waiter in self.waiting:
            self.waiting.remove(waiter)
            heapq.heapify(self.waiting)
        self.wake_head()


class ChannelPacer:
    """Lets one post per ``interval`` seconds into each channel; urgent posts go first."""

    def __init__(
        self,
        interval: float = 1.05,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if interval < 0:
            raise ValueError(f"interval must not be negative, got {interval}")
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lanes: dict[str, _Lane] = {}
        self._order = itertools.count()

    @asynccontextmanager
    async def turn(self, channel: str, urgent: bool = False) -> AsyncIterator[None]:
        """Wait for ``channel``'s next slot, hold it while the block posts, then pass it on."""
        lane = self._lanes.setdefault(channel, _Lane())
        await self._acquire(lane, _Waiter(URGENT if urgent else NORMAL, next(self._order)))
        try:
            yield
        finally:
            lane.next_at = self._clock() + self._interval
            lane.busy = False
            lane.wake_head()

    def waiting(self, channel: str) -> int:
        """How many posts wait for ``channel`` (not counting one under way)."""
        lane = self._lanes.get(channel)
        return len(lane.waiting) if lane is not None else 0

    async def _acquire(self, lane: _Lane, me: _Waiter) -> None:
        heapq.heappush(lane.waiting, me)
        try:
            while True:
                if lane.busy or lane.head() is not me:
                    await me.wake.wait()
                    me.wake.clear()
                    continue
                delay = lane.next_at - self._clock()
                if delay > 0:
                    await self._sleep(delay)
                    continue  # someone more urgent may have come meanwhile
                heapq.heappop(lane.waiting)
                lane.busy = True
                return
        except BaseException:
            lane.drop(me)
            raise
