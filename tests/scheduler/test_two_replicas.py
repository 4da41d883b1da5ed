"""SLOW (about 1-2 minutes, on real time): two ``stationmaster run`` processes on one
PostgreSQL database, with a train that freezes every minute. Each minute's freeze fires once,
posted once; when the leader is killed (SIGKILL), the other process takes over and fires the
next minute. Run it alone with ``pytest -m slow``; skip it with ``-m "not slow"``."""

from __future__ import annotations

import asyncio
import itertools
import signal
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot import messages
from bot.sim.slack import SlackSimulator
from storage.engine import create_engine, session_factory
from storage.models import MilestoneRunRow
from tests.processes import Server, running_server, stationmaster

TOKEN = "xoxb-replicas-token"
SECRET = "replicas-signing-secret"
CONFIG = """
roles:
  release_managers: ["@release-managers"]
trains:
  web:
    channel: "#releases"
    freeze: "* * * * *"
    reminders: []
"""


async def runs_in(engine: AsyncEngine) -> list[MilestoneRunRow]:
    async with session_factory(engine=engine)() as session:
        return list(await session.exec(select(MilestoneRunRow)))


def freeze_notices(sim: SlackSimulator) -> int:
    return sum(m.text == messages.FREEZE_NOTE for m in sim.messages_in("#releases"))


def pid_of(run: MilestoneRunRow) -> int:
    """``claimed_by`` is ``host:pid:random`` (``bot.scheduler.replica_id``)."""
    return int(run.claimed_by.split(":")[1])


async def until(
    check: Callable[[], Awaitable[list[MilestoneRunRow] | None]], *, within: float, what: str
) -> list[MilestoneRunRow]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"not within {within:.0f}s: {what}")


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("db_backend", ["postgresql"])
async def test_two_processes_fire_each_minute_once_and_the_survivor_takes_over(
    empty_db_url: str, tmp_path: Path
) -> None:
    env = {"STATIONMASTER_DATABASE_URL": empty_db_url}
    upgraded = await asyncio.to_thread(stationmaster, "db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    config = tmp_path / "stationmaster.yml"
    config.write_text(CONFIG)
    engine = create_engine(url=empty_db_url)
    try:
        async with SlackSimulator(bot_token=TOKEN, signing_secret=SECRET) as sim:
            env |= {
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": sim.api_url,
                "STATIONMASTER_CONFIG": str(config),
            }
            async with (
                running_server(env=env, cwd=tmp_path) as one,
                running_server(env=env, cwd=tmp_path) as two,
            ):
                both_up = datetime.now(UTC)

                async def fired_with_both_up() -> list[MilestoneRunRow] | None:
                    runs = await runs_in(engine)
                    settled = all(r.status == "done" for r in runs)
                    if settled and freeze_notices(sim) == len(runs):
                        return [r for r in runs if r.fires_at > both_up]
                    return None

                first = await until(
                    fired_with_both_up, within=130, what="a freeze fired and posted"
                )
                servers = {one.process.pid: one, two.process.pid: two}
                leader_pid = pid_of(max(first, key=lambda run: run.fires_at))
                assert leader_pid in servers
                leader: Server = servers.pop(leader_pid)
                [survivor] = servers.values()

                leader.process.send_signal(signal.SIGKILL)
                await asyncio.to_thread(leader.process.wait, 10)
                killed_at = datetime.now(UTC)

                async def fired_by_survivor() -> list[MilestoneRunRow] | None:
                    runs = await runs_in(engine)
                    settled = all(r.status == "done" for r in runs)
                    if not settled or freeze_notices(sim) != len(runs):
                        return None
                    return [
                        r
                        for r in runs
                        if r.fires_at > killed_at and pid_of(r) == survivor.process.pid
                    ]

                taken_over = await until(
                    fired_by_survivor, within=100, what="the survivor fired the next minute"
                )
                assert survivor.process.poll() is None

            runs = await runs_in(engine)
            keys = Counter((r.train, r.milestone, r.scheduled_for) for r in runs)
            assert set(keys.values()) == {1}, keys
            assert {r.milestone for r in runs} == {"freeze"}
            assert {r.status for r in runs} == {"done"}
            assert len(runs) >= 2
            assert freeze_notices(sim) == len(runs)
            next_minute = taken_over[0]
            assert next_minute.created_at <= max(next_minute.fires_at, killed_at) + timedelta(
                seconds=30
            )
            fired_at = sorted(r.fires_at for r in runs)
            assert all(b - a == timedelta(minutes=1) for a, b in itertools.pairwise(fired_at))
    finally:
        await engine.dispose()
