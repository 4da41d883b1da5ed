"""The engine: URL handling, SQLite pragmas, pool settings, ping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

import storage.engine
from bot.errors import StorageError
from storage.engine import create_engine, describe_url, dialect_name, ping, session_factory
from tests.storage.fixtures import settle_sqlite_workers


async def test_plain_urls_get_async_drivers(tmp_path: Path) -> None:
    sqlite = create_engine(url=f"sqlite:///{tmp_path / 'a.db'}")
    postgres = create_engine(url="postgresql://postgres@127.0.0.1/postgres")
    try:
        assert sqlite.url.drivername == "sqlite+aiosqlite"
        assert postgres.url.drivername == "postgresql+asyncpg"
        assert dialect_name(sqlite) == "sqlite"
        assert dialect_name(postgres) == "postgresql"
    finally:
        await sqlite.dispose()
        await postgres.dispose()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql+aiomysql://u@h/db", "unsupported database URL"),
        ("not a url at all", "is not a database URL"),
    ],
)
def test_unusable_urls_are_refused(url: str, says: str) -> None:
    with pytest.raises(StorageError, match=says) as caught:
        create_engine(url=url)
    assert "STATIONMASTER_DATABASE_URL" in str(caught.value)


def test_describe_url_masks_the_password() -> None:
    shown = describe_url("postgresql://bot:s3cret@db.internal/stationmaster")
    assert shown == "postgresql+asyncpg://bot:***@db.internal/stationmaster"


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(
    tmp_path: Path,
) -> None:
    engine = create_engine(url=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("foreign_keys", "journal_mode", "busy_timeout")
            }
    finally:
        await engine.dispose()
    assert pragmas == {
        "foreign_keys": 1,
        "journal_mode": "wal",
        "busy_timeout": storage.engine.SQLITE_BUSY_TIMEOUT_MS,
    }


async def test_postgres_pool_is_bounded_and_pre_pinged() -> None:
    engine = create_engine(url="postgresql://postgres@127.0.0.1/postgres")
    try:
        pool = engine.pool
        assert pool.size() == 5  # type: ignore[attr-defined]
        assert pool.timeout() == 30  # type: ignore[attr-defined]
        assert pool._pre_ping is True
        assert pool._recycle == 1800
    finally:
        await engine.dispose()


async def test_sessions_keep_objects_readable_after_commit(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        assert session.sync_session.expire_on_commit is False
        assert isinstance(session, AsyncSession)
        assert dialect_name(session) in {"sqlite", "postgresql"}


async def test_session_factory_binds_the_engine(db_engine: AsyncEngine) -> None:
    async with session_factory(engine=db_engine)() as session, db_engine.connect() as connection:
        assert session.bind is db_engine
        assert dialect_name(connection) == dialect_name(db_engine)


async def test_ping_answers_on_a_reachable_database(db_engine: AsyncEngine) -> None:
    await ping(engine=db_engine)
    assert db_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.fixture
async def unreachable_postgres() -> AsyncIterator[AsyncEngine]:
    # Port 1 on loopback refuses connections.
    engine = create_engine(url="postgresql://bot:s3cret@127.0.0.1:1/stationmaster")
    yield engine
    await engine.dispose()


async def test_ping_on_unreachable_postgres_raises_storage_error(
    unreachable_postgres: AsyncEngine,
) -> None:
    with pytest.raises(StorageError) as caught:
        await ping(engine=unreachable_postgres)
    message = str(caught.value)
    assert message.startswith("cannot reach the database at postgresql+asyncpg://bot:***@")
    assert "s3cret" not in message
    assert "STATIONMASTER_DATABASE_URL" in message


async def test_ping_on_unopenable_sqlite_file_raises_storage_error(tmp_path: Path) -> None:
    engine = create_engine(url=f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}")
    try:
        with pytest.raises(StorageError, match="cannot reach the database at sqlite"):
            await ping(engine=engine)
    finally:
        await engine.dispose()
        await settle_sqlite_workers()


async def test_ping_gives_up_on_a_server_that_never_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def accept_and_stay_silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(accept_and_stay_silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setattr(storage.engine, "PING_TIMEOUT_S", 0.2)
    engine = create_engine(url=f"postgresql://bot@127.0.0.1:{port}/stationmaster")
    try:
        with pytest.raises(StorageError, match=r"did not answer within 0\.2s"):
            await ping(engine=engine)
    finally:
        await engine.dispose()
        server.close()
        await server.wait_closed()
