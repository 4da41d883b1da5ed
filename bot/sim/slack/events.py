"""Fan-out of workspace changes to subscribers, and waiting until something is true.

A console calls :meth:`EventBus.subscribe` and renders each :class:`SimEvent` as it arrives.
Tests call :meth:`EventBus.wait_for` with a predicate over the simulator's state; every change
(an event, a recorded call) wakes the waiters to check it again.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from bot.sim.slack.models import (
    SimEphemeral,
    SimEvent,
    SimEventKind,
    SimFile,
    SimMessage,
    SimReaction,
    SimView,
)

T = TypeVar("T")
POLL_SECONDS = 0.05


class EventBus:
    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._queues: list[asyncio.Queue[SimEvent]] = []
        self._changed = asyncio.Event()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), tz=UTC)

    def subscribe(self) -> asyncio.Queue[SimEvent]:
        """A queue that receives every event from now on, until :meth:`unsubscribe`."""
        queue: asyncio.Queue[SimEvent] = asyncio.Queue()
        self._queues.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[SimEvent]) -> None:
        if queue in self._queues:
            self._queues.remove(queue)

    def publish(
        self,
        kind: SimEventKind,
        *,
        channel: str | None = None,
        message: SimMessage | None = None,
        ephemeral: SimEphemeral | None = None,
        view: SimView | None = None,
        reaction: SimReaction | None = None,
        file: SimFile | None = None,
    ) -> SimEvent:
        """Send an event carrying a snapshot (shallow copy) of what changed."""
        event = SimEvent(
            kind=kind,
            at=self.now(),
            channel=channel,
            message=copy.copy(message),
            ephemeral=copy.copy(ephemeral),
            view=copy.copy(view),
            reaction=reaction,
            file=copy.copy(file),
        )
        for queue in self._queues:
            queue.put_nowait(event)
        self.touch()
        return event

    def touch(self) -> None:
        """Wake everyone waiting in :meth:`wait_for` to check their predicate again."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], T | None], *, timeout: float) -> T:  # noqa: ASYNC109
        """Return ``predicate()`` as soon as it is truthy; raise ``TimeoutError`` after
        ``timeout`` seconds otherwise. It is checked on every change in the simulator, and
        every ``POLL_SECONDS`` for conditions that live outside it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"the simulator did not reach the condition within {timeout}s")
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), min(remaining, POLL_SECONDS))
            except TimeoutError:
                continue
