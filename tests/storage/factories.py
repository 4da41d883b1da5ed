"""Rows for the storage tests, with defaults a test overrides only where it matters, and
:func:`race`, which runs one write in several sessions at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ReleaseRow
from storage.releases import create_release

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CONTENDERS = 5
T = TypeVar("T")


async def new_release(
    session: AsyncSession,
    *,
    train: str = "web",
    version: str = "2026.11.1",
    kind: str = "train",
    state: str = "planned",
    cut_by: str = "U0ALICE",
    now: datetime = T0,
) -> ReleaseRow:
    """A release created through the repository; returns it with its id."""
    release = await create_release(
        session=session,
        train=train,
        version=version,
        kind=kind,
        state=state,
        cut_by=cut_by,
        now=now,
    )
    assert release.id is not None
    return release


async def race(
    sessions: async_sessionmaker[AsyncSession],
    act: Callable[[AsyncSession, int], Awaitable[T]],
    *,
    contenders: int = CONTENDERS,
) -> list[T]:
    """Run ``act`` in ``contenders`` sessions at once, each committing after a short hold."""
    start = asyncio.Event()

    async def contender(index: int) -> T:
        async with sessions() as session:
            await start.wait()
            outcome = await act(session, index)
            await asyncio.sleep(0.005)  # hold the transaction open so the others must wait
            await session.commit()
            return outcome

    tasks = [asyncio.create_task(contender(index)) for index in range(contenders)]
    await asyncio.sleep(0)
    start.set()
    return await asyncio.gather(*tasks)
