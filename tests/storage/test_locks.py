"""The scheduler's leader lock: one holder per PostgreSQL database; always held on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine
from storage.locks import SCHEDULER_LOCK_KEY, LeaderLock

only_postgres = pytest.mark.parametrize("db_backend", ["postgresql"])
only_sqlite = pytest.mark.parametrize("db_backend", ["sqlite"])


@pytest.fixture
async def replica_engines(db_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines on one database, as two replicas would have."""
    first, second = create_engine(url=db_url), create_engine(url=db_url)
    yield first, second
    await first.dispose()
    await second.dispose()


async def holder_pids(engine: AsyncEngine, key: int) -> list[int]:
    unsigned = key % 2**64
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objsubid = 1 AND classid::bigint = :high AND objid::bigint = :low"
            ),
            {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF},
        )
        return [row.pid for row in rows]


async def acquire_within(lock: LeaderLock, *, seconds: float) -> bool:
    """Retry like the scheduler's heartbeat until the lock is taken or time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if await lock.try_acquire():
            return True
        await asyncio.sleep(0.05)
    return False


@only_postgres
async def test_of_two_replicas_exactly_one_leads_until_it_releases(
    replica_engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    first = LeaderLock(engine=replica_engines[0], key=SCHEDULER_LOCK_KEY)
    second = LeaderLock(engine=replica_engines[1], key=SCHEDULER_LOCK_KEY)
    try:
        results = await asyncio.gather(first.try_acquire(), second.try_acquire())
        assert sorted(results) == [False, True]
        leader, follower = (first, second) if results[0] else (second, first)
        assert await leader.holds()
        assert not await follower.holds()
        assert await leader.try_acquire()  # asking again keeps it, without taking it twice
        assert not await follower.try_acquire()
        assert len(await holder_pids(replica_engines[0], SCHEDULER_LOCK_KEY)) == 1

        await leader.release()
        assert not await leader.holds()
        assert await follower.try_acquire()
        assert await follower.holds()
        assert not await leader.try_acquire()
    finally:
        await first.release()
        await second.release()
    assert await holder_pids(replica_engines[0], SCHEDULER_LOCK_KEY) == []


@only_postgres
async def test_a_dead_leaders_lock_passes_to_the_other_replica(
    replica_engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    leader = LeaderLock(engine=replica_engines[0], key=SCHEDULER_LOCK_KEY)
    follower = LeaderLock(engine=replica_engines[1], key=SCHEDULER_LOCK_KEY)
    try:
        assert await leader.try_acquire()
        assert not await follower.try_acquire()
        [pid] = await holder_pids(replica_engines[1], SCHEDULER_LOCK_KEY)
        async with replica_engines[1].connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert not await leader.holds()  # the heartbeat notices the lost session
        assert await acquire_within(follower, seconds=10)
        assert not await leader.try_acquire()
    finally:
        await leader.release()
        await follower.release()


@only_postgres
async def test_releasing_after_the_connection_died_is_quiet(
    replica_engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    leader = LeaderLock(engine=replica_engines[0], key=42)
    assert await leader.try_acquire()
    [pid] = await holder_pids(replica_engines[1], 42)
    async with replica_engines[1].connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await leader.release()
    await leader.release()  # twice is fine too
    assert not await leader.holds()
    other = LeaderLock(engine=replica_engines[1], key=42)
    assert await acquire_within(other, seconds=10)
    await other.release()


@only_postgres
async def test_different_keys_do_not_exclude_each_other(
    replica_engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    locks = [
        LeaderLock(engine=replica_engines[0], key=-1),
        LeaderLock(engine=replica_engines[1], key=2**63 - 1),
        LeaderLock(engine=replica_engines[1], key=SCHEDULER_LOCK_KEY),
    ]
    try:
        assert [await lock.try_acquire() for lock in locks] == [True, True, True]
        assert [await lock.holds() for lock in locks] == [True, True, True]
        assert [lock.key for lock in locks] == [-1, 2**63 - 1, SCHEDULER_LOCK_KEY]
    finally:
        for lock in locks:
            await lock.release()


async def test_an_unreachable_database_means_not_the_leader() -> None:
    engine = create_engine(url="postgresql://bot@127.0.0.1:1/stationmaster")
    try:
        lock = LeaderLock(engine=engine, key=SCHEDULER_LOCK_KEY, timeout=5)
        assert not await lock.try_acquire()
        assert not await lock.holds()
    finally:
        await engine.dispose()


@only_sqlite
async def test_on_sqlite_the_one_instance_always_leads(db_engine: AsyncEngine) -> None:
    lock = LeaderLock(engine=db_engine, key=SCHEDULER_LOCK_KEY)
    assert not await lock.holds()
    assert await lock.try_acquire()
    assert await lock.holds()
    await lock.release()
    assert not await lock.holds()
    assert await lock.try_acquire()


def test_keys_are_signed_64_bit() -> None:
    engine = create_engine(url="sqlite://")
    with pytest.raises(ValueError, match="signed 64-bit integer, got 9223372036854775808"):
        LeaderLock(engine=engine, key=2**63)
    with pytest.raises(ValueError, match="signed 64-bit"):
        LeaderLock(engine=engine, key=-(2**63) - 1)
