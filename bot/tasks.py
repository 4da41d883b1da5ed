"""Background work that must leave the request path: tracked, logged, drained at shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from bot.observability.logs import get_logger
from bot.observability.metrics import Metrics

log = get_logger(__name__)


class BackgroundTasks:
    """Runs coroutines after the ack. A failure is logged and counted, never lost silently."""

    def __init__(self, *, metrics: Metrics) -> None:
        self._metrics = metrics
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(self._guard(coro, name=name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guard(self, coro: Coroutine[Any, Any, None], *, name: str) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            self._metrics.background_failures.labels(task=name.split(" ")[0]).inc()
            log.exception("background task failed", task=name)

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self, *, grace: float = 10.0) -> None:
        """Wait for running tasks (at shutdown); cancel what is left after ``grace`` seconds."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
