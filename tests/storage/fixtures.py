"""Database fixtures for every test that needs storage, on SQLite and on PostgreSQL.

Use them from any test package by importing them in its ``conftest.py``
(``from tests.storage.fixtures import db_session, ...``), or for the whole suite with
``pytest_plugins = ["tests.storage.fixtures"]`` in ``tests/conftest.py``.

``db_backend`` is parametrized over ``sqlite`` and ``postgresql``, so a test that uses any
``db_*`` fixture runs once per backend:

- ``db_url``: a migrated, empty database. SQLite: a fresh file in ``tmp_path``, copied from a
  template migrated once per session. PostgreSQL: one database ``sm_test_<hex>`` per test
  session, migrated once, with every table truncated before each test.
- ``db_engine``, ``db_sessions`` (an ``async_sessionmaker``) and ``db_session``: built on it.
- ``empty_db_url``: a database that was never migrated (a new PostgreSQL database per test).

The PostgreSQL server comes from ``STATIONMASTER_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``). When it is unreachable the PostgreSQL
tests fail with a message that says so: they never skip.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import metadata

POSTGRES_URL_ENV = "STATIONMASTER_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")

T = TypeVar("T")


def run_outside_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion on a fresh loop in a worker thread.

    Session-scoped fixtures are synchronous; this keeps them off pytest-asyncio's loops.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class PostgresServer:
    """Creates and drops throwaway databases on the test server, through asyncpg."""

    def __init__(self, url: str) -> None:
        self.admin = make_url(url).set(drivername="postgresql")
        self.created: list[str] = []

    @property
    def dsn(self) -> str:
        return self.admin.render_as_string(hide_password=False)

    async def check(self) -> None:
        connection = await asyncpg.connect(self.dsn, timeout=5)
        await connection.close()

    async def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy async URL."""
        name = f"sm_test_{secrets.token_hex(6)}"
        connection = await asyncpg.connect(self.dsn, timeout=5)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        self.created.append(name)
        url = self.admin.set(drivername="postgresql+asyncpg", database=name)
        return url.render_as_string(hide_password=False)

    async def drop_database(self, url: str) -> None:
        name = make_url(url).database
        assert name is not None
        assert name.startswith("sm_test_")
        connection = await asyncpg.connect(self.dsn, timeout=5)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
        self.created.remove(name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL))
    try:
        run_outside_loop(server.check())
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(
            f"PostgreSQL is required for the storage tests and is not reachable at "
            f"{server.admin.render_as_string(hide_password=True)}: {exc}. Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect <version> main start`, or set "
            f"{POSTGRES_URL_ENV} to a server where this user may create databases.",
            pytrace=False,
        )
    yield server
    for name in list(server.created):
        url = server.admin.set(drivername="postgresql+asyncpg", database=name)
        run_outside_loop(server.drop_database(url.render_as_string(hide_password=False)))


@pytest.fixture(scope="session")
def postgres_database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The migrated database shared by this test session; dropped at its end."""
    url = run_outside_loop(postgres_server.create_database())
    run_outside_loop(upgrade(url=url))
    yield url
    run_outside_loop(postgres_server.drop_database(url))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    run_outside_loop(upgrade(url=f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture
async def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A migrated database with every table empty."""
    if db_backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "stationmaster.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database_url")
    await truncate_all(url=url)
    return url


@pytest.fixture
def empty_db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database that was never migrated."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = run_outside_loop(server.create_database())
    yield url
    run_outside_loop(server.drop_database(url))


@pytest.fixture
async def db_engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url=db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def db_sessions(db_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine=db_engine)


@pytest.fixture
async def db_session(db_sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with db_sessions() as session:
        yield session


async def settle_sqlite_workers(*, within: float = 5.0) -> None:
    """Wait until aiosqlite's worker threads have stopped.

    After a failed connect aiosqlite stops its worker thread with a future on the current loop;
    if the test's loop closes first, the thread dies with "Event loop is closed". Tests that
    provoke a failed SQLite connect call this before they end.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while any(
        thread.name.endswith("(_connection_worker_thread)") and thread.is_alive()
        for thread in threading.enumerate()
    ):
        assert loop.time() < deadline, "aiosqlite worker threads did not stop"
        await asyncio.sleep(0.01)


async def truncate_all(*, url: str) -> None:
    """Empty every table of the models' metadata (PostgreSQL), restarting the ids."""
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    engine = create_engine(url=url)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await engine.dispose()
