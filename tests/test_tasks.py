from __future__ import annotations

import asyncio
import io

from bot.observability.logs import configure_logging
from bot.observability.metrics import Metrics
from bot.tasks import BackgroundTasks


async def test_failures_are_logged_and_counted() -> None:
    out = io.StringIO()
    configure_logging(fmt="json", stream=out)
    metrics = Metrics()
    tasks = BackgroundTasks(metrics=metrics)

    async def boom() -> None:
        raise RuntimeError("kaput")

    await tasks.spawn(boom(), name="/release boom")
    assert '"event": "background task failed"' in out.getvalue()
    assert "RuntimeError: kaput" in out.getvalue()
    assert metrics.background_failures.labels(task="/release")._value.get() == 1
    assert len(tasks) == 0


async def test_drain_waits_then_cancels_what_is_left() -> None:
    tasks = BackgroundTasks(metrics=Metrics())
    done: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0.01)
        done.append("quick")

    async def stuck() -> None:
        await asyncio.sleep(60)
        done.append("stuck")

    tasks.spawn(quick(), name="quick")
    slow = tasks.spawn(stuck(), name="stuck")
    await tasks.drain(grace=0.2)
    assert done == ["quick"]
    assert slow.cancelled()
    await tasks.drain(grace=0.1)  # nothing left: returns at once
