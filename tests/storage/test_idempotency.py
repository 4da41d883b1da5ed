"""Idempotency keys contract, on every backend: one winner per key, even under concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound
from storage.idempotency import claim, get_result, purge_expired, remember_result
from storage.models import IdempotencyKey, IdempotencyScope
from storage.types import NaiveDatetimeError

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TTL = timedelta(hours=1)
CONTENDERS = 20


async def test_only_the_first_claim_wins(db_sessions: async_sessionmaker[AsyncSession]) -> None:
    async with db_sessions() as session:
        assert await claim(session=session, scope="webhook", key="d-1", ttl=TTL, now=T0)
        assert not await claim(session=session, scope="webhook", key="d-1", ttl=TTL, now=T0)
        await session.commit()
    async with db_sessions() as session:
        later = T0 + timedelta(minutes=59)
        assert not await claim(session=session, scope="webhook", key="d-1", ttl=TTL, now=later)
        [row] = list(await session.exec(select(IdempotencyKey)))
    assert (row.scope, row.key, row.created_at, row.expires_at) == ("webhook", "d-1", T0, T0 + TTL)
    assert row.result is None


async def test_scopes_are_separate(db_session: AsyncSession) -> None:
    for scope in IdempotencyScope:
        assert await claim(session=db_session, scope=scope, key="same", ttl=TTL, now=T0)
    assert not await claim(
        session=db_session, scope=IdempotencyScope.CLICK, key="same", ttl=TTL, now=T0
    )


async def test_an_expired_key_may_be_claimed_again(db_session: AsyncSession) -> None:
    assert await claim(session=db_session, scope="click", key="k", ttl=TTL, now=T0)
    await remember_result(session=db_session, scope="click", key="k", result={"reply": "done"})
    expiry = T0 + TTL
    assert await claim(session=db_session, scope="click", key="k", ttl=TTL, now=expiry)
    # The new claim starts clean and lasts its own ttl.
    assert await get_result(session=db_session, scope="click", key="k") is None
    assert not await claim(
        session=db_session, scope="click", key="k", ttl=TTL, now=expiry + TTL / 2
    )
    [row] = list(await db_session.exec(select(IdempotencyKey)))
    assert (row.created_at, row.expires_at) == (expiry, expiry + TTL)


async def test_a_rolled_back_claim_frees_the_key(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        assert await claim(session=session, scope="webhook", key="k", ttl=TTL, now=T0)
        await session.rollback()
    async with db_sessions() as session:
        assert await claim(session=session, scope="webhook", key="k", ttl=TTL, now=T0)


async def test_results_are_remembered_and_replayed(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    result = {"status": 202, "body": {"release": 42, "gates": ["tests"]}}
    async with db_sessions() as session:
        assert await claim(session=session, scope="slack-retry", key="Ev1", ttl=TTL, now=T0)
        assert await get_result(session=session, scope="slack-retry", key="Ev1") is None
        await remember_result(session=session, scope="slack-retry", key="Ev1", result=result)
        await session.commit()
    async with db_sessions() as session:
        assert await get_result(session=session, scope="slack-retry", key="Ev1") == result
        assert await get_result(session=session, scope="slack-retry", key="nope") is None


async def test_remembering_an_unclaimed_key_is_an_error(db_session: AsyncSession) -> None:
    with pytest.raises(NotFound, match="webhook/never was never claimed"):
        await remember_result(session=db_session, scope="webhook", key="never", result={})


async def test_purge_removes_only_expired_keys(db_session: AsyncSession) -> None:
    for index, ttl in enumerate([timedelta(minutes=1), timedelta(minutes=5), timedelta(hours=2)]):
        await claim(session=db_session, scope="webhook", key=f"k{index}", ttl=ttl, now=T0)
    assert await purge_expired(session=db_session, now=T0 + timedelta(minutes=5)) == 2
    assert await purge_expired(session=db_session, now=T0 + timedelta(minutes=5)) == 0
    keys = await db_session.exec(select(IdempotencyKey.key))
    assert list(keys) == ["k2"]


async def test_bad_arguments_are_refused(db_session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="ttl must be positive"):
        await claim(session=db_session, scope="webhook", key="k", ttl=timedelta(0), now=T0)
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(NaiveDatetimeError):
        await claim(session=db_session, scope="webhook", key="k", ttl=TTL, now=naive)
    with pytest.raises(NaiveDatetimeError):
        await purge_expired(session=db_session, now=naive)


async def _race(
    sessions: async_sessionmaker[AsyncSession], *, key: str, now: datetime
) -> list[bool]:
    start = asyncio.Event()

    async def contender() -> bool:
        async with sessions() as session:
            await start.wait()
            won = await claim(session=session, scope="alert-group", key=key, ttl=TTL, now=now)
            await asyncio.sleep(0.005)  # hold the transaction open so the others must wait
            await session.commit()
            return won

    tasks = [asyncio.create_task(contender()) for _ in range(CONTENDERS)]
    await asyncio.sleep(0)
    start.set()
    return await asyncio.gather(*tasks)


async def test_concurrent_claims_have_exactly_one_winner(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    results = await _race(db_sessions, key="fingerprint-1", now=T0)
    assert results.count(True) == 1
    assert len(results) == CONTENDERS


async def test_concurrent_reclaims_of_an_expired_key_have_exactly_one_winner(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        assert await claim(session=session, scope="alert-group", key="fp", ttl=TTL, now=T0)
        await session.commit()
    results = await _race(db_sessions, key="fp", now=T0 + 2 * TTL)
    assert results.count(True) == 1
    async with db_sessions() as session:
        [row] = list(await session.exec(select(IdempotencyKey)))
    assert row.created_at == T0 + 2 * TTL
