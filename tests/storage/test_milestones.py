"""Milestone runs contract, on every backend: each occurrence of a milestone fires once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select, text
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound
from storage.milestones import claim_milestone, finish_milestone, last_run, runs_for
from storage.models import MilestoneRunRow, MilestoneStatus
from storage.types import NaiveDatetimeError, WallClockError
from tests.storage.factories import T0, new_release

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 11, 23, 10, 0)  # noqa: DTZ001 - a wall-clock time has no zone
CONTENDERS = 20


def due(local: datetime, zone: ZoneInfo = BERLIN) -> datetime:
    """The UTC instant of a wall-clock time (first occurrence when ambiguous)."""
    return local.replace(tzinfo=zone).astimezone(UTC)


async def claim(
    session: AsyncSession,
    *,
    scheduled_for: datetime = MONDAY_10,
    milestone: str = "cut",
    train: str = "web",
    claimed_by: str = "replica-a",
    now: datetime = T0,
    status: str = MilestoneStatus.RUNNING,
    detail: str | None = None,
) -> MilestoneRunRow | None:
    return await claim_milestone(
        session=session,
        train=train,
        milestone=milestone,
        scheduled_for=scheduled_for,
        fires_at=due(scheduled_for),
        claimed_by=claimed_by,
        now=now,
        status=status,
        detail=detail,
    )


async def test_the_first_claim_gets_the_run(db_sessions: async_sessionmaker[AsyncSession]) -> None:
    async with db_sessions() as session:
        run = await claim(session)
        await session.commit()
    assert run is not None
    assert run.id is not None
    assert (run.train, run.milestone, run.status, run.claimed_by) == (
        "web",
        "cut",
        "running",
        "replica-a",
    )
    assert run.scheduled_for == MONDAY_10
    assert run.scheduled_for.tzinfo is None
    assert run.fires_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert (run.created_at, run.finished_at, run.detail, run.release_id) == (T0, None, None, None)
    async with db_sessions() as session:
        assert await claim(session, claimed_by="replica-b") is None
        [stored] = list(await session.exec(select(MilestoneRunRow)))
    assert (stored.id, stored.claimed_by, stored.scheduled_for) == (run.id, "replica-a", MONDAY_10)


async def test_other_occurrences_milestones_and_trains_are_separate(
    db_session: AsyncSession,
) -> None:
    assert await claim(db_session) is not None
    assert await claim(db_session) is None
    assert await claim(db_session, scheduled_for=MONDAY_10 + timedelta(days=7)) is not None
    assert await claim(db_session, scheduled_for=MONDAY_10 + timedelta(seconds=30)) is not None
    assert await claim(db_session, milestone="reminder:release:1h") is not None
    assert await claim(db_session, train="api") is not None
    count = (await db_session.exec(select(func.count()).select_from(MilestoneRunRow))).one()
    assert count == 5


async def test_the_two_fall_back_occurrences_of_a_wall_time_are_one_run(
    db_session: AsyncSession,
) -> None:
    first = datetime(2026, 10, 25, 2, 30, fold=0)  # noqa: DTZ001
    second = datetime(2026, 10, 25, 2, 30, fold=1)  # noqa: DTZ001
    assert due(first) + timedelta(hours=1) == second.replace(tzinfo=BERLIN).astimezone(UTC)
    assert await claim(db_session, scheduled_for=first) is not None
    assert await claim(db_session, scheduled_for=second) is None


async def test_a_spring_forward_gap_time_is_stored_as_the_cron_names_it(
    db_session: AsyncSession,
) -> None:
    missing = datetime(2026, 3, 29, 2, 30)  # noqa: DTZ001 - 02:30 does not exist in Berlin
    fires = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST, the end of the gap
    run = await claim_milestone(
        session=db_session,
        train="web",
        milestone="release",
        scheduled_for=missing,
        fires_at=fires,
        claimed_by="replica-a",
        now=fires,
    )
    assert run is not None
    assert (run.scheduled_for, run.fires_at) == (missing, fires)
    # The raw column is the fixed-width text on both backends, whatever the driver.
    raw = await db_session.exec(text("SELECT scheduled_for FROM milestone_runs"))
    assert raw.scalars().all() == ["2026-03-29T02:30:00"]


async def test_a_missed_occurrence_can_be_recorded_as_skipped(db_session: AsyncSession) -> None:
    now = T0 + timedelta(hours=5)
    run = await claim(db_session, status=MilestoneStatus.SKIPPED, detail="missed by 5h", now=now)
    assert run is not None
    assert (run.status, run.detail, run.finished_at) == ("skipped", "missed by 5h", now)
    assert await claim(db_session) is None


async def test_a_rolled_back_claim_frees_the_occurrence(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        assert await claim(session) is not None
        await session.rollback()
    async with db_sessions() as session:
        assert await claim(session, claimed_by="replica-b") is not None


async def test_concurrent_claims_have_exactly_one_winner(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    start = asyncio.Event()

    async def replica(index: int) -> bool:
        async with db_sessions() as session:
            await start.wait()
            run = await claim(session, claimed_by=f"replica-{index}")
            await asyncio.sleep(0.005)  # hold the transaction open so the others must wait
            await session.commit()
            return run is not None

    tasks = [asyncio.create_task(replica(index)) for index in range(CONTENDERS)]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.gather(*tasks)
    assert results.count(True) == 1
    async with db_sessions() as session:
        [run] = list(await session.exec(select(MilestoneRunRow)))
    assert run.claimed_by == f"replica-{results.index(True)}"


async def test_finishing_a_run(db_session: AsyncSession) -> None:
    release = await new_release(db_session)
    run = await claim(db_session, detail="cutting")
    assert run is not None
    assert run.id is not None
    done_at = T0 + timedelta(seconds=3)
    finished = await finish_milestone(
        session=db_session,
        run_id=run.id,
        status=MilestoneStatus.DONE,
        release_id=release.id,
        now=done_at,
    )
    assert (finished.status, finished.finished_at, finished.release_id) == (
        "done",
        done_at,
        release.id,
    )
    assert finished.detail == "cutting"  # None leaves it as it was
    failed = await finish_milestone(
        session=db_session, run_id=run.id, status="failed", detail="git failed", now=done_at
    )
    assert (failed.status, failed.detail, failed.release_id) == ("failed", "git failed", release.id)


async def test_finish_refuses_bad_input(db_session: AsyncSession) -> None:
    with pytest.raises(NotFound, match="milestone run 404 does not exist"):
        await finish_milestone(session=db_session, run_id=404, status="done", now=T0)
    with pytest.raises(ValueError, match="must be one of done, failed, skipped; got 'running'"):
        await finish_milestone(session=db_session, run_id=1, status="running", now=T0)


async def test_claim_refuses_bad_input(db_session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="must be one of done, failed, running, skipped"):
        await claim(db_session, status="pending")
    with pytest.raises(WallClockError, match="has a time zone"):
        await claim(db_session, scheduled_for=MONDAY_10.replace(tzinfo=BERLIN))
    with pytest.raises(WallClockError, match="fraction of a second"):
        await claim(db_session, scheduled_for=MONDAY_10.replace(microsecond=5))
    with pytest.raises(NaiveDatetimeError, match="naive fires_at"):
        await claim_milestone(
            session=db_session,
            train="web",
            milestone="cut",
            scheduled_for=MONDAY_10,
            fires_at=MONDAY_10,
            claimed_by="replica-a",
            now=T0,
        )
    assert await claim(db_session) is not None


async def test_last_run_and_runs_since(db_session: AsyncSession) -> None:
    weeks = [MONDAY_10 + timedelta(days=7 * week) for week in range(3)]
    for local in reversed(weeks):  # inserted out of order on purpose
        await claim(db_session, scheduled_for=local)
    await claim(db_session, scheduled_for=weeks[1], milestone="freeze")
    await claim(db_session, scheduled_for=weeks[2], train="api")

    latest = await last_run(session=db_session, train="web", milestone="cut")
    assert latest is not None
    assert latest.scheduled_for == weeks[2]
    assert await last_run(session=db_session, train="web", milestone="release") is None

    since = await runs_for(session=db_session, train="web", since=due(weeks[1]))
    assert [(run.milestone, run.scheduled_for) for run in since] == [
        ("cut", weeks[1]),
        ("freeze", weeks[1]),
        ("cut", weeks[2]),
    ]
    assert len(await runs_for(session=db_session, train="web", since=T0 - timedelta(days=30))) == 4
    with pytest.raises(NaiveDatetimeError):
        await runs_for(session=db_session, train="web", since=MONDAY_10)
