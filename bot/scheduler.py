"""Wakes the train service at milestone times; only the leader replica runs milestones.

The calendar (``bot.domain.calendar``) computes every occurrence itself, DST included, and
APScheduler only schedules one-shot wake-ups at those UTC instants. A heartbeat every
``heartbeat`` seconds keeps (or takes) the leader lock and catches up on anything due, so a
replica takes over within one heartbeat after the leader dies, and a restart runs what it
missed. Which occurrences already ran is decided by the database, never by APScheduler.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, utc_now
from bot.observability.logs import get_logger
from bot.services.trains import TrainService
from storage.locks import SCHEDULER_LOCK_KEY, LeaderLock

log = get_logger(__name__)

HEARTBEAT_JOB = "stationmaster:heartbeat"
#: How long stop() waits for a heartbeat or wake-up that is running.
STOP_GRACE = 10.0


def replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


class MilestoneScheduler:
    def __init__(
        self,
        *,
        trains: TrainService,
        engine: AsyncEngine,
        clock: Clock = utc_now,
        heartbeat: float = 10.0,
        horizon: timedelta = timedelta(hours=6),
        housekeeping: Callable[[], Awaitable[object]] | None = None,
        housekeeping_every: timedelta = timedelta(hours=1),
        every_beat: Sequence[Callable[[], Awaitable[object]]] = (),
    ) -> None:
        self._every_beat = tuple(every_beat)
        self._housekeeping = housekeeping
        self._housekeeping_every = housekeeping_every
        self._housekept_at: datetime | None = None
        self._trains = trains
        self._lock = LeaderLock(engine=engine, key=SCHEDULER_LOCK_KEY)
        self._clock = clock
        self._heartbeat_every = heartbeat
        self._horizon = horizon
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._tick_lock = asyncio.Lock()
        #: Held by a running heartbeat or wake-up, so stop() can let it finish.
        self._busy = asyncio.Lock()
        self.leader = False

    async def start(self) -> None:
        await self._trains.ensure()
        self._scheduler.start()
        self._scheduler.add_job(
            self.heartbeat,
            "interval",
            seconds=self._heartbeat_every,
            id=HEARTBEAT_JOB,
            next_run_time=self._clock(),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    async def stop(self) -> None:
        """Stop waking up, let a heartbeat in flight finish (at most ``STOP_GRACE`` seconds),
        and give up the lead; safe to call whether or not it started."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        try:
            async with asyncio.timeout(STOP_GRACE), self._busy:
                pass
        except TimeoutError:
            log.warning("a scheduler run was still going at shutdown", grace=STOP_GRACE)
        if self.leader:
            await self._lock.release()
            self.leader = False

    async def heartbeat(self) -> None:
        """Keep or take the lead; as leader, run what is due and plan the next wake-ups."""
        async with self._busy:
            await self._beat()

    async def _beat(self) -> None:
        try:
            held = await self._lock.holds() if self.leader else await self._lock.try_acquire()
        except Exception:
            log.exception("leader lock check failed")
            held = False
        if held != self.leader:
            log.info("scheduler leadership " + ("taken" if held else "lost"))
            self.leader = held
            if not held:
                self._drop_wakeups()
        if self.leader:
            await self.tick()
            for chore in self._every_beat:
                try:
                    await chore()
                except Exception:
                    log.exception("a leader chore failed; it runs again next beat")
            await self._housekeep()

    async def _housekeep(self) -> None:
        """Leader-only chores, at most once per ``housekeeping_every`` (e.g. expired keys)."""
        now = self._clock()
        if self._housekeeping is None or (
            self._housekept_at is not None and now - self._housekept_at < self._housekeeping_every
        ):
            return
        self._housekept_at = now
        try:
            await self._housekeeping()
        except Exception:
            log.exception("housekeeping failed; it runs again next time")

    async def tick(self) -> None:
        """Fire every due occurrence (each claimed in the database first), then plan ahead."""
        async with self._tick_lock:
            now = self._clock()
            for occurrence in await self._trains.due(now=now):
                try:
                    await self._trains.fire(occurrence, now=now)
                except Exception:
                    log.exception("milestone could not run", key=occurrence.key)
            self._plan()

    async def _wake(self) -> None:
        async with self._busy:
            if self.leader:
                await self.tick()

    def _plan(self) -> None:
        start = self._clock()
        for name in self._trains.names:
            for occurrence in self._trains.upcoming(name, start, limit=20):
                if occurrence.fires_at - start > self._horizon:
                    break
                self._scheduler.add_job(
                    self._wake,
                    "date",
                    run_date=occurrence.fires_at,
                    id=occurrence.key,
                    replace_existing=True,
                    coalesce=True,
                    misfire_grace_time=None,
                )

    def _drop_wakeups(self) -> None:
        for job in self._scheduler.get_jobs():
            if job.id != HEARTBEAT_JOB:
                job.remove()
