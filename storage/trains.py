"""Trains' runtime state: the channel ID Slack returned, the freeze, and the schedule anchor.

The config file says which trains exist; this table remembers what the bot learned about them.
:func:`ensure_train` inserts a train the first time it is seen, atomically
(``INSERT … ON CONFLICT DO NOTHING``), so replicas starting together create one row, and the
first one's ``now`` becomes the ``schedule_anchor``: only milestones after it fire, so a new
train never back-fills its past.

The freeze is changed by compare-and-set on ``row_version``. Recording the channel ID is not
guarded and does not bump ``row_version``: it is a cache of what Slack says, not a decision.

Repositories never commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound
from storage.base import FRESH, FRESH_WRITE
from storage.models import TrainRow
from storage.types import to_utc
from storage.upsert import upsert_into


async def ensure_train(*, session: AsyncSession, name: str, now: datetime) -> TrainRow:
    """The train's row, created at ``now`` (its schedule anchor) if it did not exist."""
    now = to_utc(now, name="now")
    insert = upsert_into(session=session, entity=TrainRow).values(
        name=name,
        channel_id=None,
        frozen=False,
        frozen_reason=None,
        frozen_by=None,
        frozen_at=None,
        schedule_anchor=now,
        row_version=1,
        created_at=now,
        updated_at=now,
    )
    statement = insert.on_conflict_do_nothing(index_elements=[col(TrainRow.name)]).returning(
        TrainRow
    )
    created: TrainRow | None = (
        (await session.exec(statement, execution_options=FRESH)).scalars().first()
    )
    if created is not None:
        return created
    existing = await get_train(session=session, name=name)
    assert existing is not None, "a train that conflicted on insert exists"
    return existing


async def get_train(*, session: AsyncSession, name: str) -> TrainRow | None:
    """The train's row, if the bot has seen the train."""
    statement = select(TrainRow).where(col(TrainRow.name) == name)
    return (await session.exec(statement, execution_options=FRESH)).first()


async def list_trains(*, session: AsyncSession) -> list[TrainRow]:
    """Every train the bot has seen, by name."""
    statement = select(TrainRow).order_by(col(TrainRow.name))
    return list(await session.exec(statement, execution_options=FRESH))


async def set_frozen(
    *,
    session: AsyncSession,
    name: str,
    frozen: bool,
    reason: str | None,
    actor: str,
    now: datetime,
    expected_row_version: int,
) -> bool:
    """Freeze (with ``reason``, ``actor`` and ``now``) or thaw (clearing them) the train.

    A compare-and-set: ``True`` when the train was still at ``expected_row_version``; ``False``
    when someone else changed it first or it does not exist.
    """
    now = to_utc(now, name="now")
    statement = (
        update(TrainRow)
        .where(col(TrainRow.name) == name)
        .where(col(TrainRow.row_version) == expected_row_version)
        .values(
            frozen=frozen,
            frozen_reason=reason if frozen else None,
            frozen_by=actor if frozen else None,
            frozen_at=now if frozen else None,
            row_version=col(TrainRow.row_version) + 1,
            updated_at=now,
        )
        .returning(TrainRow)
    )
    result = await session.exec(statement, execution_options=FRESH_WRITE)
    return result.scalars().first() is not None


async def set_channel_id(
    *, session: AsyncSession, name: str, channel_id: str, now: datetime
) -> TrainRow:
    """Record the channel ID Slack returned for the train's channel; :class:`NotFound` if the
    train was never ensured."""
    now = to_utc(now, name="now")
    statement = (
        update(TrainRow)
        .where(col(TrainRow.name) == name)
        .values(channel_id=channel_id, updated_at=now)
        .returning(TrainRow)
    )
    updated: TrainRow | None = (
        (await session.exec(statement, execution_options=FRESH_WRITE)).scalars().first()
    )
    if updated is None:
        raise NotFound(f"train {name} is not known yet: ensure_train it first")
    return updated
