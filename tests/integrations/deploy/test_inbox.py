"""The callback inbox: the latest status per delivery, waking its waiter, each status taken once,
and bounded in count and age."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from integrations.deploy.base import DeployState, DeployStatus
from integrations.deploy.inbox import CallbackInbox

AT = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


def status(state: DeployState = DeployState.HEALTHY, weight: int = 10) -> DeployStatus:
    return DeployStatus(state, weight, "1.0.0", "1.1.0", state.value, AT)


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_waiter_wakes_when_its_delivery_arrives() -> None:
    inbox = CallbackInbox()
    waiting = asyncio.create_task(inbox.wait("d1", 5))
    await asyncio.sleep(0)
    inbox.deliver("d2", "web/1.1.0", "search", status(weight=50))  # not this waiter's
    await asyncio.sleep(0)
    assert not waiting.done()

    inbox.deliver("d1", "web/1.1.0", "checkout", status())

    async with asyncio.timeout(1):
        assert await waiting == status()


async def test_a_status_that_came_first_is_taken_at_once_and_only_once() -> None:
    inbox = CallbackInbox()
    inbox.deliver("d1", "web/1.1.0", "checkout", status(DeployState.PROGRESSING, 0))
    inbox.deliver("d1", "web/1.1.0", "checkout", status(DeployState.PROGRESSING, 5))
    assert await inbox.wait("d1", 5) == status(DeployState.PROGRESSING, 5)  # the latest
    assert await inbox.wait("d1", 0.01) is None  # already taken: the wait times out
    assert len(inbox) == 1


async def test_a_wait_without_a_callback_times_out_with_none() -> None:
    inbox = CallbackInbox()
    assert await inbox.wait("d1", 0.01) is None
    assert inbox._waiters == {}


async def test_every_waiter_of_a_delivery_wakes() -> None:
    inbox = CallbackInbox()
    first = asyncio.create_task(inbox.wait("d1", 5))
    second = asyncio.create_task(inbox.wait("d1", 5))
    await asyncio.sleep(0)
    inbox.deliver("d1", "web/1.1.0", "checkout", status())
    async with asyncio.timeout(1):
        results = await asyncio.gather(first, second)
    assert sorted(r is not None for r in results) == [False, True]  # one takes it
    assert inbox._waiters == {}


async def test_a_callback_nobody_waits_for_is_dropped_after_the_ttl() -> None:
    ticks = Ticks()
    inbox = CallbackInbox(ttl=60, clock=ticks)
    inbox.deliver("old", "web/1.1.0", "checkout", status())
    ticks.now += 61
    assert await inbox.wait("old", 0.01) is None  # too old to take
    inbox.deliver("new", "web/1.1.0", "checkout", status())
    assert len(inbox) == 1  # the old one is gone
    assert await inbox.wait("new", 0.01) == status()


async def test_at_most_keep_deliveries_are_kept_the_oldest_go_first() -> None:
    inbox = CallbackInbox(keep=3)
    for n in range(5):
        inbox.deliver(f"d{n}", "web/1.1.0", "checkout", status(weight=n))
    assert len(inbox) == 3
    assert await inbox.wait("d0", 0.01) is None
    assert await inbox.wait("d1", 0.01) is None
    inbox.deliver("d2", "web/1.1.0", "checkout", status(weight=20))  # an update is the newest
    inbox.deliver("d5", "web/1.1.0", "checkout", status(weight=5))
    assert await inbox.wait("d3", 0.01) is None
    assert await inbox.wait("d2", 0.01) == status(weight=20)


async def test_a_waiter_whose_delivery_was_pushed_out_gets_none() -> None:
    inbox = CallbackInbox(keep=1)
    waiting = asyncio.create_task(inbox.wait("d1", 5))
    await asyncio.sleep(0)
    inbox.deliver("d1", "web/1.1.0", "checkout", status())
    inbox.deliver("d2", "web/1.1.0", "checkout", status())  # before the waiter runs
    async with asyncio.timeout(1):
        assert await waiting is None


@pytest.mark.parametrize(("keep", "ttl"), [(0, 60.0), (10, 0.0)])
def test_keep_and_ttl_must_be_positive(keep: int, ttl: float) -> None:
    with pytest.raises(ValueError, match="keep must be >= 1 and ttl > 0"):
        CallbackInbox(keep=keep, ttl=ttl)
