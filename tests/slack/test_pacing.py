"""The channel pacer: one post per interval per channel, urgent posts first, first come first
served within a priority. Time is a fake clock that moves only when the pacer sleeps."""

from __future__ import annotations

import asyncio

import pytest

from bot.slack.pacing import ChannelPacer

INTERVAL = 1.0


class FakeTime:
    """A clock that moves only when every task waits: :meth:`run` then wakes the earliest
    sleeper, moving the clock to its wake-up time."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, len(self.slept), woken))
        await woken

    async def run(self, *tasks: asyncio.Task[None]) -> None:
        """Let ``tasks`` run to the end, moving time on whenever they all wait."""
        while True:
            for _ in range(20):
                await asyncio.sleep(0)
            if all(task.done() for task in tasks):
                break
            pending = sorted((s for s in self._sleepers if not s[2].done()), key=lambda s: s[:2])
            assert pending, "every task waits, and none of them for the clock"
            at, _, woken = pending[0]
            self.now = max(self.now, at)
            woken.set_result(None)
        for task in tasks:
            task.result()


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def pacer(time: FakeTime) -> ChannelPacer:
    return ChannelPacer(INTERVAL, clock=time, sleep=time.sleep)


def post(
    pacer: ChannelPacer,
    time: FakeTime,
    log: list[tuple[str, float]],
    name: str,
    *,
    channel: str = "#oncall",
    urgent: bool = False,
) -> asyncio.Task[None]:
    """A task that posts ``name`` in its turn, recording when the post started."""

    async def posting() -> None:
        async with pacer.turn(channel, urgent=urgent):
            log.append((name, time()))
            await asyncio.sleep(0)  # the post's own round trip

    return asyncio.create_task(posting(), name=name)


def names(log: list[tuple[str, float]]) -> list[str]:
    return [name for name, _ in log]


async def test_a_lone_post_goes_at_once(pacer: ChannelPacer, time: FakeTime) -> None:
    log: list[tuple[str, float]] = []
    await time.run(post(pacer, time, log, "a"))
    assert log == [("a", 100.0)]
    assert time.slept == []


async def test_posts_to_one_channel_are_spaced_by_the_interval(
    pacer: ChannelPacer, time: FakeTime
) -> None:
    log: list[tuple[str, float]] = []
    await time.run(*(post(pacer, time, log, str(n)) for n in range(5)))

    assert names(log) == ["0", "1", "2", "3", "4"]
    assert [at for _, at in log] == [100.0, 101.0, 102.0, 103.0, 104.0]


async def test_other_channels_have_their_own_pace(pacer: ChannelPacer, time: FakeTime) -> None:
    log: list[tuple[str, float]] = []
    await time.run(
        post(pacer, time, log, "oncall", channel="#oncall"),
        post(pacer, time, log, "releases", channel="#releases"),
    )
    assert sorted(log) == [("oncall", 100.0), ("releases", 100.0)]
    assert time.slept == []


async def test_urgent_waiters_go_before_earlier_normal_ones(
    pacer: ChannelPacer, time: FakeTime
) -> None:
    log: list[tuple[str, float]] = []
    first = post(pacer, time, log, "line 1")
    await asyncio.sleep(0)  # line 1 holds the channel
    waiting = [
        post(pacer, time, log, "line 2"),
        post(pacer, time, log, "root A", urgent=True),
        post(pacer, time, log, "line 3"),
        post(pacer, time, log, "root B", urgent=True),
    ]
    await time.run(first, *waiting)

    assert names(log) == ["line 1", "root A", "root B", "line 2", "line 3"]
    assert [at for _, at in log] == [100.0, 101.0, 102.0, 103.0, 104.0]


async def test_an_urgent_post_arriving_during_the_wait_takes_the_next_slot(
    pacer: ChannelPacer, time: FakeTime
) -> None:
    log: list[tuple[str, float]] = []
    await time.run(post(pacer, time, log, "line 1"))
    line = post(pacer, time, log, "line 2")
    for _ in range(5):
        await asyncio.sleep(0)
    assert time.slept == [INTERVAL]  # line 2 sleeps until its slot
    root = post(pacer, time, log, "root", urgent=True)
    await time.run(line, root)

    assert names(log) == ["line 1", "root", "line 2"]
    assert [at for _, at in log] == [100.0, 101.0, 102.0]


async def test_a_waiter_that_gives_up_passes_its_place_on(
    pacer: ChannelPacer, time: FakeTime
) -> None:
    log: list[tuple[str, float]] = []
    holder_may_finish = asyncio.Event()

    async def holder() -> None:
        async with pacer.turn("#oncall"):
            log.append(("holder", time()))
            await holder_may_finish.wait()

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    quitter = post(pacer, time, log, "quitter", urgent=True)
    patient = post(pacer, time, log, "patient")
    await asyncio.sleep(0)
    assert pacer.waiting("#oncall") == 2

    quitter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await quitter
    assert pacer.waiting("#oncall") == 1
    holder_may_finish.set()
    await time.run(held, patient)

    assert names(log) == ["holder", "patient"]
    assert pacer.waiting("#oncall") == 0


async def test_a_waiter_that_gives_up_while_sleeping_for_its_slot_wakes_the_next(
    pacer: ChannelPacer, time: FakeTime
) -> None:
    log: list[tuple[str, float]] = []
    await time.run(post(pacer, time, log, "line 1"))
    sleeper = post(pacer, time, log, "line 2")
    behind = post(pacer, time, log, "line 3")
    for _ in range(5):
        await asyncio.sleep(0)
    assert time.slept == [INTERVAL]  # line 2 sleeps for the slot, line 3 waits behind it

    sleeper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeper
    await time.run(behind)

    assert log == [("line 1", 100.0), ("line 3", 100.0 + INTERVAL)]


async def test_a_failing_post_still_frees_the_channel(pacer: ChannelPacer, time: FakeTime) -> None:
    with pytest.raises(RuntimeError, match="slack is down"):
        async with pacer.turn("#oncall"):
            raise RuntimeError("slack is down")
    log: list[tuple[str, float]] = []
    await time.run(post(pacer, time, log, "next"))

    assert log == [("next", 100.0 + INTERVAL)]


def test_a_negative_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        ChannelPacer(-1.0)
