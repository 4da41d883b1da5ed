"""MilestoneScheduler with a fake clock: heartbeat() and tick() are called directly; start()
and stop() run the real APScheduler, whose jobs (planned from a clock a year ahead) never come
due during a test. On PostgreSQL, two schedulers on one database elect one leader."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.scheduler import HEARTBEAT_JOB, MilestoneScheduler, replica_id
from storage.engine import create_engine, session_factory
from storage.locks import SCHEDULER_LOCK_KEY, LeaderLock
from storage.models import MilestoneRunRow
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import World, build

HORIZON = timedelta(days=8)


def job_ids(scheduler: MilestoneScheduler) -> set[str]:
    return {job.id for job in scheduler._scheduler.get_jobs()}


def next_fire(world: World, train: str, name: str, after: datetime) -> datetime:
    """When ``train``'s next ``name`` (``cut``, ``freeze``, ...) fires after ``after``."""
    for occurrence in world.trains.upcoming(train, after, limit=40):
        if occurrence.name == name:
            return occurrence.fires_at
    raise AssertionError(f"{train} has no {name} ahead")


async def all_runs(world: World) -> list[MilestoneRunRow]:
    async with world.sessions() as session:
        return list(await session.exec(select(MilestoneRunRow)))


@pytest.fixture
async def second_engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """Another replica's engine on the same database."""
    engine = create_engine(url=db_url)
    yield engine
    await engine.dispose()


def replica_b(world: World, engine: AsyncEngine, clock: FakeClock) -> World:
    return build(
        sessions=session_factory(engine=engine),
        config=world.config,
        clock=clock,
        notifier=world.notifier,
        replica="replica-b:2:bbbb",
    )


# one scheduler, either backend ----------------------------------------------------------------


async def test_start_heartbeat_tick_and_stop(
    world: World, db_engine: AsyncEngine, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    scheduler = MilestoneScheduler(
        trains=world.trains, engine=db_engine, clock=clock, horizon=HORIZON
    )
    await scheduler.start()
    try:
        assert job_ids(scheduler) == {HEARTBEAT_JOB}
        assert (await world.trains.state("web")).schedule_anchor == clock()
        assert not scheduler.leader

        await scheduler.heartbeat()

        assert scheduler.leader
        cut = next_fire(world, "web", "cut", clock())
        planned = job_ids(scheduler) - {HEARTBEAT_JOB}
        assert any(job.startswith("web:cut:") for job in planned)
        assert any(job.startswith("web:reminder-release-15m:") for job in planned)
        assert any(job.startswith("mobile:cut:") for job in planned)
        assert await world.releases.listing(everything=True) == []

        clock.set(cut + timedelta(seconds=1))
        await scheduler.heartbeat()
        await scheduler.heartbeat()  # a second heartbeat (or a wake-up) finds nothing new

        [release] = await world.releases.listing()
        assert release.train == "web"
        assert release.cut_by == "scheduler"
        assert len(notifier.cards) == 1
    finally:
        await scheduler.stop()
    assert not scheduler.leader
    if db_engine.dialect.name == "postgresql":
        other = LeaderLock(engine=db_engine, key=SCHEDULER_LOCK_KEY)
        assert await other.try_acquire()  # stop() gave the lock up
        await other.release()


async def test_a_failing_occurrence_does_not_stop_the_tick(
    world: World, db_engine: AsyncEngine, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    scheduler = MilestoneScheduler(
        trains=world.trains, engine=db_engine, clock=clock, horizon=HORIZON
    )
    await scheduler.start()
    try:
        await scheduler.heartbeat()
        freeze = next_fire(world, "web", "freeze", clock())
        notifier.fail_with = RuntimeError("slack is down")
        clock.set(freeze + timedelta(hours=2))  # cut and freeze are both late: skipped + notice

        await scheduler.tick()  # each notice fails; the tick goes on to the next occurrence

        runs = {(r.train, r.milestone): r.status for r in await all_runs(world)}
        assert runs[("web", "cut")] == "skipped"
        assert runs[("web", "freeze")] == "skipped"
        assert runs[("mobile", "cut")] == "skipped"
        assert job_ids(scheduler) - {HEARTBEAT_JOB}  # and it still planned the next wake-ups
    finally:
        await scheduler.stop()


def test_replica_ids_name_host_and_process() -> None:
    first, second = replica_id(), replica_id()
    host, pid, _ = first.split(":")
    assert host
    assert pid.isdigit()
    assert first != second


# two schedulers on one PostgreSQL database ----------------------------------------------------


@pytest.mark.parametrize("db_backend", ["postgresql"])
async def test_two_schedulers_one_leader_each_occurrence_once_and_takeover(
    world: World,
    db_engine: AsyncEngine,
    second_engine: AsyncEngine,
    clock: FakeClock,
    notifier: RecordingNotifier,
) -> None:
    other = replica_b(world, second_engine, clock)
    a = MilestoneScheduler(trains=world.trains, engine=db_engine, clock=clock, horizon=HORIZON)
    b = MilestoneScheduler(trains=other.trains, engine=second_engine, clock=clock, horizon=HORIZON)
    await asyncio.gather(a.start(), b.start())
    try:
        await asyncio.gather(a.heartbeat(), b.heartbeat())
        assert sorted([a.leader, b.leader]) == [False, True]
        leader, follower = (a, b) if a.leader else (b, a)
        assert job_ids(follower) == {HEARTBEAT_JOB}  # a follower plans no wake-ups
        assert job_ids(leader) > {HEARTBEAT_JOB}

        start = clock()
        for name in ("cut", "freeze"):
            clock.set(next_fire(world, "web", name, start) + timedelta(seconds=1))
            await asyncio.gather(a.tick(), b.tick(), a.tick(), b.tick())

        runs = await all_runs(world)
        keys = Counter((r.train, r.milestone, r.scheduled_for) for r in runs)
        assert keys
        assert set(keys.values()) == {1}
        assert {(r.train, r.milestone) for r in runs} >= {("web", "cut"), ("web", "freeze")}
        assert len(await world.releases.listing(everything=True)) == 1
        freeze_notes = [n for n in notifier.thread if n.text.startswith("Code freeze")]
        assert len(freeze_notes) == 1

        await leader.stop()
        assert not leader.leader
        await follower.heartbeat()
        assert follower.leader
        assert job_ids(follower) > {HEARTBEAT_JOB}

        reminder = next_fire(world, "web", "reminder-signoff_deadline-1h", clock())
        clock.set(reminder)
        await follower.heartbeat()
        late = [r for r in await all_runs(world) if r.milestone == "reminder-signoff_deadline-1h"]
        assert len(late) == 1
        assert late[0].claimed_by == ("replica-b:2:bbbb" if follower is b else "test-host:1:aaaa")
    finally:
        await asyncio.gather(a.stop(), b.stop(), return_exceptions=True)


@pytest.mark.parametrize("db_backend", ["postgresql"])
async def test_a_leader_whose_lock_session_dies_steps_down(
    world: World,
    db_engine: AsyncEngine,
    second_engine: AsyncEngine,
    clock: FakeClock,
) -> None:
    other = replica_b(world, second_engine, clock)
    a = MilestoneScheduler(trains=world.trains, engine=db_engine, clock=clock, horizon=HORIZON)
    b = MilestoneScheduler(trains=other.trains, engine=second_engine, clock=clock, horizon=HORIZON)
    await a.start()
    await b.start()
    try:
        await a.heartbeat()
        await b.heartbeat()
        assert (a.leader, b.leader) == (True, False)
        assert job_ids(a) > {HEARTBEAT_JOB}

        async with second_engine.connect() as connection:
            killed = await connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
                )
            )
        assert killed == 1

        await a.heartbeat()
        assert not a.leader
        assert job_ids(a) == {HEARTBEAT_JOB}  # its wake-ups are dropped
        await b.heartbeat()
        assert b.leader
    finally:
        await a.stop()
        await b.stop()


async def test_the_leader_purges_expired_delivery_keys_at_most_hourly(
    world: World, db_engine: AsyncEngine, clock: FakeClock
) -> None:
    from bot.services.deliveries import DeliveryLedger
    from storage.models import IdempotencyKey

    ledger = DeliveryLedger(sessions=world.sessions, ttl=timedelta(minutes=5), clock=clock)
    assert await ledger.claim(scope="slack-retry", key="old")
    clock.set(clock() + timedelta(minutes=10))
    assert await ledger.claim(scope="slack-retry", key="new")
    scheduler = MilestoneScheduler(
        trains=world.trains, engine=db_engine, clock=clock, housekeeping=ledger.purge
    )

    async def keys() -> set[str]:
        async with world.sessions() as session:
            return {row.key for row in await session.exec(select(IdempotencyKey))}

    await scheduler.heartbeat()
    assert scheduler.leader
    assert await keys() == {"new"}

    clock.set(clock() + timedelta(minutes=10))  # "new" expires, but an hour has not passed
    await scheduler.heartbeat()
    assert await keys() == {"new"}

    clock.set(clock() + timedelta(hours=1))
    await scheduler.heartbeat()
    assert await keys() == set()
    await scheduler.stop()


async def test_a_failing_housekeeping_chore_is_logged_and_the_scheduler_goes_on(
    world: World, db_engine: AsyncEngine, clock: FakeClock
) -> None:
    calls: list[datetime] = []

    async def broken() -> None:
        calls.append(clock())
        raise RuntimeError("disk full")

    scheduler = MilestoneScheduler(
        trains=world.trains, engine=db_engine, clock=clock, housekeeping=broken
    )
    await scheduler.heartbeat()
    assert scheduler.leader
    assert calls == [clock()]
    await scheduler.stop()


async def test_stop_lets_a_heartbeat_in_flight_finish(
    world: World, db_engine: AsyncEngine, clock: FakeClock
) -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow_chore() -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.set()

    scheduler = MilestoneScheduler(
        trains=world.trains, engine=db_engine, clock=clock, housekeeping=slow_chore
    )
    beat = asyncio.create_task(scheduler.heartbeat())
    await started.wait()
    await scheduler.stop()
    assert finished.is_set()
    assert not scheduler.leader
    await beat
