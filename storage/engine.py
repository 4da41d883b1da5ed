"""The async engine and its sessions.

``create_engine`` is the only place that knows the backends apart:

- **SQLite** (aiosqlite, the embedded default): every new connection turns on foreign keys,
  write-ahead logging and a busy timeout, so a writer that finds the database locked waits for
  the other writer instead of failing with "database is locked". The sqlite3 driver's default
  transaction control is kept: a transaction begins at the first write, so a session that reads
  and then writes never holds a stale read snapshot that would make its write fail at once.
- **PostgreSQL** (asyncpg, for production and several replicas): a bounded pool that checks a
  connection before handing it out, recycles old ones, and gives up connecting after a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import StorageError
from bot.settings import normalise_database_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another writer's lock before giving up."""

POSTGRES_CONNECT_TIMEOUT_S = 10.0
PING_TIMEOUT_S = 10.0

_POSTGRES_POOL: dict[str, Any] = {
    "pool_size": 5,
    "max_overflow": 10,
    "pool_timeout": 30,
    "pool_recycle": 1800,
    "pool_pre_ping": True,
}


def create_engine(*, url: str, echo: bool = False) -> AsyncEngine:
    """Build the async engine for ``url`` (plain ``sqlite://``/``postgresql://`` are accepted).

    Raises :class:`StorageError` when the URL cannot be parsed or names an unsupported backend.
    """
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_async_engine(parsed, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        return engine
    if backend == "postgresql":
        return create_async_engine(
            parsed,
            echo=echo,
            connect_args={
                "timeout": POSTGRES_CONNECT_TIMEOUT_S,
                "server_settings": {"application_name": "stationmaster"},
            },
            **_POSTGRES_POOL,
        )
    raise StorageError(
        f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
        "STATIONMASTER_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
    )


def session_factory(*, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def dialect_name(bind: AsyncEngine | AsyncConnection | AsyncSession) -> str:
    """``"sqlite"`` or ``"postgresql"`` for an engine, a connection or a session."""
    if isinstance(bind, AsyncSession):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def describe(engine: AsyncEngine) -> str:
    """The engine's URL with the password masked, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


def describe_url(url: str) -> str:
    """``url`` normalised, with the password masked."""
    return _parse(url).render_as_string(hide_password=True)


async def ping(*, engine: AsyncEngine) -> None:
    """Run ``SELECT 1``; raise :class:`StorageError` naming the database when that fails.

    Gives up after :data:`PING_TIMEOUT_S`; wrap it in ``asyncio.timeout`` for a shorter wait.
    """
    try:
        async with asyncio.timeout(PING_TIMEOUT_S), engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
    except TimeoutError as exc:
        raise StorageError(
            f"the database at {describe(engine)} did not answer within {PING_TIMEOUT_S:g}s: "
            "check that it is running and reachable, and STATIONMASTER_DATABASE_URL"
        ) from exc
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(
            f"cannot reach the database at {describe(engine)}: {first_line(exc)}. "
            "Check that it is running and reachable, and STATIONMASTER_DATABASE_URL"
        ) from exc


def _parse(url: str) -> URL:
    try:
        return make_url(normalise_database_url(url))
    except ArgumentError as exc:
        raise StorageError(
            "STATIONMASTER_DATABASE_URL is not a database URL: expected something like "
            "sqlite+aiosqlite:///./stationmaster.db or postgresql+asyncpg://user@host/db"
        ) from exc


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0].lower() not in {"wal", "memory"}:
            # Only a brand-new file can fail here: another connection holds a lock while the
            # file is still in rollback-journal mode, and SQLite refuses the switch rather than
            # wait. The mode is stored in the file, so the next connection switches it; this
            # one works with the busy timeout meanwhile.
            with contextlib.suppress(sqlite3.OperationalError):
                cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def first_line(exc: BaseException) -> str:
    """The driver's own message for ``exc`` (not SQLAlchemy's wrapper), on one line."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip() or type(original).__name__
    return text.splitlines()[0]
