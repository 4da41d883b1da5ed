"""``MilestoneScheduler(every_beat=[...])``: leader chores that run on every heartbeat.

Heartbeats are called directly with the scheduler tests' fake clock (see ``conftest.py``), on
SQLite and PostgreSQL; the chores record the clock, and structlog's ``capture_logs`` shows what
a failing one logs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.testing import capture_logs

from bot.scheduler import MilestoneScheduler
from storage.locks import SCHEDULER_LOCK_KEY, LeaderLock
from tests.services.fakes import FakeClock
from tests.services.world import World

CHORE_FAILED = "a leader chore failed; it runs again next beat"


class Chores:
    """Three chores in order; the middle one fails while ``broken`` is set."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.runs: list[tuple[str, datetime]] = []
        self.broken = True

    async def sync_statuses(self) -> None:
        self.runs.append(("sync_statuses", self.clock()))

    async def time_out_gates(self) -> None:
        self.runs.append(("time_out_gates", self.clock()))
        if self.broken:
            raise RuntimeError("github is down")

    async def refresh_cards(self) -> None:
        self.runs.append(("refresh_cards", self.clock()))


async def test_each_chore_runs_on_every_leader_beat_and_a_failing_one_stops_nothing(
    world: World, db_engine: AsyncEngine, clock: FakeClock
) -> None:
    chores = Chores(clock)
    scheduler = MilestoneScheduler(
        trains=world.trains,
        engine=db_engine,
        clock=clock,
        every_beat=[chores.sync_statuses, chores.time_out_gates, chores.refresh_cards],
    )
    first = clock()
    try:
        with capture_logs() as logs:
            await scheduler.heartbeat()

        assert scheduler.leader
        assert chores.runs == [
            ("sync_statuses", first),
            ("time_out_gates", first),
            ("refresh_cards", first),  # the failure before it did not stop it
        ]
        [failed] = [entry for entry in logs if entry["log_level"] == "error"]
        assert failed["event"] == CHORE_FAILED
        assert failed["exc_info"] is True  # logged with its traceback

        second = clock.advance(timedelta(seconds=10))
        chores.broken = False
        with capture_logs() as logs:
            await scheduler.heartbeat()  # the next beat runs every chore again

        assert chores.runs[3:] == [
            ("sync_statuses", second),
            ("time_out_gates", second),
            ("refresh_cards", second),
        ]
        assert [entry for entry in logs if entry["log_level"] == "error"] == []
    finally:
        await scheduler.stop()


async def test_a_chore_failing_on_every_beat_never_stops_the_beats(
    world: World, db_engine: AsyncEngine, clock: FakeClock
) -> None:
    chores = Chores(clock)
    scheduler = MilestoneScheduler(
        trains=world.trains, engine=db_engine, clock=clock, every_beat=[chores.time_out_gates]
    )
    try:
        with capture_logs() as logs:
            for _ in range(3):
                await scheduler.heartbeat()
                clock.advance(timedelta(seconds=10))
    finally:
        await scheduler.stop()

    assert [name for name, _ in chores.runs] == ["time_out_gates"] * 3
    assert [entry["event"] for entry in logs if entry["log_level"] == "error"] == [CHORE_FAILED] * 3


@pytest.mark.parametrize("db_backend", ["postgresql"])
async def test_a_replica_that_is_not_the_leader_runs_no_chores(
    world: World, db_engine: AsyncEngine, clock: FakeClock
) -> None:
    leader = LeaderLock(engine=db_engine, key=SCHEDULER_LOCK_KEY)
    assert await leader.try_acquire()
    chores = Chores(clock)
    scheduler = MilestoneScheduler(
        trains=world.trains, engine=db_engine, clock=clock, every_beat=[chores.sync_statuses]
    )
    try:
        await scheduler.heartbeat()
        assert not scheduler.leader
        assert chores.runs == []

        await leader.release()  # the leader goes away: this replica takes over next beat
        await scheduler.heartbeat()
        assert scheduler.leader
        assert chores.runs == [("sync_statuses", clock())]
    finally:
        await scheduler.stop()
        await leader.release()
