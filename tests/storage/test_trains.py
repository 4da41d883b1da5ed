"""Trains' runtime state contract, on every backend: one row per train, freeze by CAS."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound
from storage.models import TrainRow
from storage.trains import ensure_train, get_train, list_trains, set_channel_id, set_frozen
from storage.types import NaiveDatetimeError
from tests.storage.factories import T0

LATER = T0 + timedelta(hours=1)


async def test_a_new_train_is_anchored_at_first_sight(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        train = await ensure_train(session=session, name="web", now=T0)
        await session.commit()
    assert (train.name, train.channel_id, train.frozen, train.row_version) == (
        "web",
        None,
        False,
        1,
    )
    assert (train.frozen_reason, train.frozen_by, train.frozen_at) == (None, None, None)
    assert train.schedule_anchor == train.created_at == train.updated_at == T0
    assert train.schedule_anchor.tzinfo is UTC
    async with db_sessions() as session:
        again = await ensure_train(session=session, name="web", now=LATER)
        found = await get_train(session=session, name="web")
    assert again.schedule_anchor == T0  # seen before: the anchor never moves
    assert found is not None
    assert found.schedule_anchor == T0


async def test_unknown_trains(db_session: AsyncSession) -> None:
    assert await get_train(session=db_session, name="web") is None
    assert await list_trains(session=db_session) == []
    with pytest.raises(NotFound, match="train web is not known yet: ensure_train it first"):
        await set_channel_id(session=db_session, name="web", channel_id="C1", now=T0)
    assert not await set_frozen(
        session=db_session,
        name="web",
        frozen=True,
        reason="incident",
        actor="U0ALICE",
        now=T0,
        expected_row_version=1,
    )


async def test_list_trains_by_name(db_session: AsyncSession) -> None:
    for name in ("web", "api", "mobile"):
        await ensure_train(session=db_session, name=name, now=T0)
    assert [train.name for train in await list_trains(session=db_session)] == [
        "api",
        "mobile",
        "web",
    ]


async def test_replicas_ensuring_one_train_at_once_make_one_row(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    start = asyncio.Event()

    async def replica(index: int) -> TrainRow:
        async with db_sessions() as session:
            await start.wait()
            train = await ensure_train(
                session=session, name="web", now=T0 + timedelta(seconds=index)
            )
            await asyncio.sleep(0.005)
            await session.commit()
            return train

    tasks = [asyncio.create_task(replica(index)) for index in range(20)]
    await asyncio.sleep(0)
    start.set()
    trains = await asyncio.gather(*tasks)
    assert len({train.schedule_anchor for train in trains}) == 1
    async with db_sessions() as session:
        count = (await session.exec(select(func.count()).select_from(TrainRow))).one()
    assert count == 1


async def test_freeze_and_thaw_by_compare_and_set(db_session: AsyncSession) -> None:
    await ensure_train(session=db_session, name="web", now=T0)
    assert await set_frozen(
        session=db_session,
        name="web",
        frozen=True,
        reason="incident INC-7",
        actor="U0ALICE",
        now=LATER,
        expected_row_version=1,
    )
    frozen = await get_train(session=db_session, name="web")
    assert frozen is not None
    assert (frozen.frozen, frozen.frozen_reason, frozen.frozen_by, frozen.frozen_at) == (
        True,
        "incident INC-7",
        "U0ALICE",
        LATER,
    )
    assert (frozen.row_version, frozen.updated_at) == (2, LATER)
    # A second manager working from the old version loses.
    assert not await set_frozen(
        session=db_session,
        name="web",
        frozen=False,
        reason=None,
        actor="U0BOB",
        now=LATER,
        expected_row_version=1,
    )
    assert await set_frozen(
        session=db_session,
        name="web",
        frozen=False,
        reason="resolved",
        actor="U0BOB",
        now=LATER + timedelta(hours=1),
        expected_row_version=2,
    )
    thawed = await get_train(session=db_session, name="web")
    assert thawed is not None
    assert (thawed.frozen, thawed.frozen_reason, thawed.frozen_by, thawed.frozen_at) == (
        False,
        None,
        None,
        None,
    )
    assert thawed.row_version == 3


async def test_concurrent_freezes_have_exactly_one_winner(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        await ensure_train(session=session, name="web", now=T0)
        await session.commit()
    start = asyncio.Event()

    async def manager(index: int) -> bool:
        async with db_sessions() as session:
            await start.wait()
            won = await set_frozen(
                session=session,
                name="web",
                frozen=True,
                reason=f"reason {index}",
                actor=f"U{index}",
                now=LATER,
                expected_row_version=1,
            )
            await asyncio.sleep(0.005)
            await session.commit()
            return won

    tasks = [asyncio.create_task(manager(index)) for index in range(20)]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.gather(*tasks)
    assert results.count(True) == 1
    async with db_sessions() as session:
        train = await get_train(session=session, name="web")
    assert train is not None
    assert (train.row_version, train.frozen_by) == (2, f"U{results.index(True)}")


async def test_the_channel_id_is_recorded_without_touching_the_freeze_version(
    db_session: AsyncSession,
) -> None:
    await ensure_train(session=db_session, name="web", now=T0)
    train = await set_channel_id(session=db_session, name="web", channel_id="C0WEB", now=LATER)
    assert (train.channel_id, train.updated_at, train.row_version) == ("C0WEB", LATER, 1)
    found = await get_train(session=db_session, name="web")
    assert found is not None
    assert found.channel_id == "C0WEB"


async def test_naive_times_are_refused(db_session: AsyncSession) -> None:
    naive = datetime(2026, 11, 24, 9, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(NaiveDatetimeError):
        await ensure_train(session=db_session, name="web", now=naive)
    await ensure_train(session=db_session, name="web", now=T0)
    with pytest.raises(NaiveDatetimeError):
        await set_channel_id(session=db_session, name="web", channel_id="C", now=naive)
    with pytest.raises(NaiveDatetimeError):
        await set_frozen(
            session=db_session,
            name="web",
            frozen=True,
            reason=None,
            actor="U",
            now=naive,
            expected_row_version=1,
        )
