"""Idempotency of deliveries (Slack retries, webhooks, clicks), claimed in the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, utc_now
from storage.idempotency import claim, purge_expired


class DeliveryLedger:
    """Claims a (scope, key) once across restarts and replicas."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        ttl: timedelta = timedelta(days=2),
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._clock = clock

    async def claim(self, *, scope: str, key: str) -> bool:
        async with self._sessions() as session:
            first: bool = await claim(
                session=session, scope=scope, key=key, ttl=self._ttl, now=self._clock()
            )
            await session.commit()
            return first

    async def purge(self) -> int:
        """Forget keys past their time to live; how many went."""
        async with self._sessions() as session:
            gone = await purge_expired(session=session, now=self._clock())
            await session.commit()
        return gone
