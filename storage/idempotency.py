"""Idempotency keys: process a Slack retry, a webhook delivery, a click or an alert group once.

:func:`claim` is one atomic ``INSERT … ON CONFLICT`` statement, never a read then a write:
the first claimer of a key inserts it and gets ``True``; everyone else gets ``False`` until the
key expires. A claim of an expired key turns into an update that re-arms it, guarded by
``WHERE expires_at <= now`` inside the same statement, so it too has exactly one winner.

Repositories never commit: a claim belongs to the caller's transaction, and rolling that back
releases the key for the next delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, delete, null, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound
from storage.models import IdempotencyKey
from storage.types import to_utc
from storage.upsert import upsert_into


async def claim(
    *, session: AsyncSession, scope: str, key: str, ttl: timedelta, now: datetime
) -> bool:
    """Claim ``(scope, key)`` for ``ttl``; ``True`` only for the first claimer."""
    if ttl <= timedelta(0):
        raise ValueError(f"ttl must be positive, got {ttl}")
    now = to_utc(now, name="now")
    insert = upsert_into(session=session, entity=IdempotencyKey).values(
        scope=scope, key=key, created_at=now, expires_at=now + ttl, result=None
    )
    statement = insert.on_conflict_do_update(
        index_elements=[col(IdempotencyKey.scope), col(IdempotencyKey.key)],
        set_={
            "created_at": insert.excluded.created_at,
            "expires_at": insert.excluded.expires_at,
            "result": null(),
        },
        where=col(IdempotencyKey.expires_at) <= now,
    ).returning(col(IdempotencyKey.id))
    claimed = (await session.exec(statement)).first()
    return claimed is not None


async def remember_result(
    *, session: AsyncSession, scope: str, key: str, result: Mapping[str, Any]
) -> None:
    """Store the outcome of a claimed key, for a later duplicate to replay."""
    statement = (
        update(IdempotencyKey)
        .where(col(IdempotencyKey.scope) == scope)
        .where(col(IdempotencyKey.key) == key)
        .values(result=dict(result))
    )
    changed = await session.exec(statement)
    if changed.rowcount == 0:
        raise NotFound(f"idempotency key {scope}/{key} was never claimed: claim it first")


async def get_result(*, session: AsyncSession, scope: str, key: str) -> dict[str, Any] | None:
    """The stored outcome of ``(scope, key)``; ``None`` if unknown or not remembered yet."""
    statement = (
        select(IdempotencyKey.result)
        .where(col(IdempotencyKey.scope) == scope)
        .where(col(IdempotencyKey.key) == key)
    )
    stored = (await session.exec(statement)).first()
    return dict(stored) if stored is not None else None


async def purge_expired(*, session: AsyncSession, now: datetime) -> int:
    """Delete every key expired at ``now``; returns how many went."""
    now = to_utc(now, name="now")
    statement = delete(IdempotencyKey).where(col(IdempotencyKey.expires_at) <= now)
    return (await session.exec(statement)).rowcount
