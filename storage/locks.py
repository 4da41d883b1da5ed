"""The scheduler's leader lock: with several replicas on one database, one runs milestones.

On **PostgreSQL** the lock is a session-level ``pg_try_advisory_lock(key)`` held on one
dedicated connection that stays open (in autocommit, so it never sits idle in a transaction).
PostgreSQL releases it when that session ends, so when the holder's process dies or its
connection is cut, another replica's next :meth:`LeaderLock.try_acquire` takes over.

On **SQLite** there is one instance by design, so the lock is always acquired.

:meth:`LeaderLock.holds` is the scheduler's heartbeat: it asks the server whether this
connection still holds the lock, and answers ``False`` (dropping the connection) when it does
not or the connection is gone. Errors reaching the database never escape: a replica that cannot
reach the database is simply not the leader.
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

SCHEDULER_LOCK_KEY = 0x53544D_534348  # "STMSCH": the scheduler's leader lock
LOCK_TIMEOUT_S = 10.0
"""How long one lock query may take before the replica counts itself as not the leader."""

_ACQUIRE = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")
# A one-bigint advisory lock shows in pg_locks as classid = high 32 bits, objid = low 32 bits.
_HELD = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND objsubid = 1"
    " AND classid::bigint = :high AND objid::bigint = :low)"
)
_ERRORS = (SQLAlchemyError, OSError, TimeoutError)


class LeaderLock:
    """One replica's claim to leadership under ``key``; create one per process and key."""

    def __init__(self, *, engine: AsyncEngine, key: int, timeout: float = LOCK_TIMEOUT_S) -> None:
        if not -(2**63) <= key < 2**63:
            raise ValueError(f"an advisory lock key is a signed 64-bit integer, got {key}")
        self._engine = engine
        self._key = key
        self._timeout = timeout
        self._connection: AsyncConnection | None = None
        self._sqlite_held = False

    @property
    def key(self) -> int:
        return self._key

    @property
    def _on_postgres(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    async def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; ``True`` if this lock holds it now."""
        if not self._on_postgres:
            self._sqlite_held = True
            return True
        if self._connection is not None and await self.holds():
            return True
        connection: AsyncConnection | None = None
        try:
            async with asyncio.timeout(self._timeout):
                connection = await self._engine.connect()
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                acquired = bool(await connection.scalar(_ACQUIRE, {"key": self._key}))
        except _ERRORS:
            await _discard(connection)
            return False
        if not acquired:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def holds(self) -> bool:
        """Whether this lock's connection is alive and still holds the lock."""
        if not self._on_postgres:
            return self._sqlite_held
        connection = self._connection
        if connection is None:
            return False
        unsigned = self._key % 2**64
        try:
            async with asyncio.timeout(self._timeout):
                held = bool(
                    await connection.scalar(
                        _HELD, {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF}
                    )
                )
        except _ERRORS:
            held = False
        if not held:
            self._connection = None
            await _discard(connection)
        return held

    async def release(self) -> None:
        """Give the lock up (if held) and close its connection; safe to call more than once."""
        self._sqlite_held = False
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            async with asyncio.timeout(self._timeout):
                await connection.scalar(_UNLOCK, {"key": self._key})
        except _ERRORS:
            # Closing the session below releases the lock all the same.
            await _discard(connection)
            return
        await connection.close()


async def _discard(connection: AsyncConnection | None) -> None:
    """Close ``connection`` for good, never back into the pool (it may hold a lock or be dead)."""
    if connection is None:
        return
    with contextlib.suppress(*_ERRORS):
        await connection.invalidate()
    with contextlib.suppress(*_ERRORS):
        await connection.close()
