"""Migrations: empty to head, what is pending, ensure_schema, and models agreeing with scripts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import MigrationsPending, StorageError
from storage.audit import list_audit, record_audit
from storage.engine import create_engine, session_factory
from storage.migrate import (
    UPGRADE_COMMAND,
    alembic_config,
    current_revision,
    ensure_schema,
    head_revision,
    pending_migrations,
    script_location,
    upgrade,
)
from storage.models import metadata
from tests.storage.fixtures import settle_sqlite_workers

FOUNDATION = {"alembic_version", "audit_events", "idempotency_keys", "slack_message_refs"}
SIGNOFF = {"signoff_requests", "signoff_approvals", "signoff_ticks"}
DEPLOYMENTS = {"deployments", "deploy_steps"}
ALERTS = {"alert_groups", "alerts", "incidents"}
TABLES = (
    FOUNDATION
    | {"releases", "trains", "milestone_runs", "gate_results"}
    | SIGNOFF
    | DEPLOYMENTS
    | ALERTS
)
REVISIONS = ["0001", "0002", "0003", "0004", "0005", "0006"]
HEAD = REVISIONS[-1]


@pytest.fixture
async def empty_engine(empty_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url=empty_db_url)
    yield engine
    await engine.dispose()


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


def test_scripts_are_found_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    location = Path(script_location())
    assert location.is_absolute()
    assert (location / "env.py").is_file()
    assert (location / "script.py.mako").is_file()
    assert head_revision() == REVISIONS[-1]


async def test_a_fresh_database_has_every_migration_pending(empty_engine: AsyncEngine) -> None:
    assert await current_revision(engine=empty_engine) is None
    assert await pending_migrations(engine=empty_engine) == REVISIONS


async def test_ensure_schema_without_auto_upgrade_names_the_command(
    empty_engine: AsyncEngine, empty_db_url: str
) -> None:
    with pytest.raises(MigrationsPending) as caught:
        await ensure_schema(engine=empty_engine, url=empty_db_url, auto_upgrade=False)
    message = str(caught.value)
    assert f"run `{UPGRADE_COMMAND}`" in message
    assert f"{len(REVISIONS)} migrations behind" in message
    assert f"({', '.join(REVISIONS)}): run" in message
    assert isinstance(caught.value, StorageError)
    assert await table_names(empty_engine) == set()


async def test_ensure_schema_with_auto_upgrade_applies_what_is_pending(
    empty_engine: AsyncEngine,
) -> None:
    assert await ensure_schema(engine=empty_engine, auto_upgrade=True) == REVISIONS
    assert await current_revision(engine=empty_engine) == head_revision()
    assert await pending_migrations(engine=empty_engine) == []
    assert await ensure_schema(engine=empty_engine, auto_upgrade=False) == []


async def test_an_in_memory_database_is_migrated_on_its_own_connection() -> None:
    engine = create_engine(url="sqlite://")
    try:
        assert await ensure_schema(engine=engine, auto_upgrade=True) == REVISIONS
        async with session_factory(engine=engine)() as session:
            await record_audit(
                session=session, actor="system", action="boot", subject_type="app", subject_id=1
            )
            await session.commit()
            [event] = await list_audit(session=session, subject_type="app", subject_id=1)
        assert event.action == "boot"
    finally:
        await engine.dispose()


async def test_upgrade_from_empty_to_head(empty_db_url: str, empty_engine: AsyncEngine) -> None:
    await upgrade(url=empty_db_url)
    assert await table_names(empty_engine) == TABLES
    assert await current_revision(engine=empty_engine) == HEAD
    await upgrade(url=empty_db_url)  # a second run changes nothing
    assert await pending_migrations(engine=empty_engine) == []


async def test_replicas_upgrading_at_once_apply_each_migration_once(
    empty_db_url: str, empty_engine: AsyncEngine
) -> None:
    await asyncio.gather(*(upgrade(url=empty_db_url) for _ in range(3)))
    async with empty_engine.connect() as connection:
        versions = (await connection.exec_driver_sql("SELECT * FROM alembic_version")).all()
    assert [tuple(row) for row in versions] == [(HEAD,)]


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


async def test_models_and_migrations_agree(db_engine: AsyncEngine) -> None:
    async with db_engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_downgrade_to_base_and_back(db_engine: AsyncEngine) -> None:
    def migrate(connection: Connection, revision: str) -> None:
        config = alembic_config(connection=connection)
        if revision == "base":
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    async with db_engine.begin() as connection:
        await connection.run_sync(migrate, "base")
    assert await table_names(db_engine) == {"alembic_version"}
    assert await current_revision(engine=db_engine) is None
    async with db_engine.begin() as connection:
        await connection.run_sync(migrate, "head")
    assert await table_names(db_engine) == TABLES


async def test_a_revision_from_a_newer_version_is_reported(empty_db_url: str) -> None:
    # Its own database: the shared test database must stay at head for the tests after it.
    await upgrade(url=empty_db_url)
    engine = create_engine(url=empty_db_url)
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
        with pytest.raises(StorageError, match=r"at revision 9999, which this version .* newer"):
            await pending_migrations(engine=engine)
    finally:
        await engine.dispose()


async def test_upgrading_to_an_unknown_revision_is_refused(empty_db_url: str) -> None:
    with pytest.raises(StorageError, match="could not migrate to 'nonsense'"):
        await upgrade(url=empty_db_url, revision="nonsense")


async def test_unreachable_databases_raise_storage_error(tmp_path: Path) -> None:
    unreachable = "postgresql://bot:s3cret@127.0.0.1:1/stationmaster"
    with pytest.raises(StorageError, match="could not migrate the database at") as caught:
        await upgrade(url=unreachable)
    assert "s3cret" not in str(caught.value)
    engine = create_engine(url=f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    try:
        with pytest.raises(StorageError, match="cannot read the schema revision"):
            await ensure_schema(engine=engine, auto_upgrade=True)
    finally:
        await engine.dispose()
        await settle_sqlite_workers()


def test_alembic_driven_directly_runs_its_own_event_loop(empty_db_url: str) -> None:
    # No running loop here: env.py opens its own engine, as `alembic upgrade` would.
    command.upgrade(alembic_config(url=empty_db_url), "head")

    async def revision() -> str | None:
        engine = create_engine(url=empty_db_url)
        try:
            return await current_revision(engine=engine)
        finally:
            await engine.dispose()

    assert asyncio.run(revision()) == HEAD


def test_offline_mode_prints_the_sql(capsys: pytest.CaptureFixture[str], db_backend: str) -> None:
    url = "sqlite:///unused.db" if db_backend == "sqlite" else "postgresql://u@h/db"
    command.upgrade(alembic_config(url=url), "head", sql=True)
    printed = capsys.readouterr().out
    assert "CREATE TABLE audit_events" in printed
    assert "uq_idempotency_keys_scope_key" in printed
    assert not Path("unused.db").exists()


def test_env_without_a_database_says_so() -> None:
    with pytest.raises(RuntimeError, match="no database"):
        command.upgrade(alembic_config(), "head")
