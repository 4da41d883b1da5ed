"""Schema migrations: alembic, configured in code, callable from async code.

The migration scripts ship inside the package (``storage/migrations``) and are found through
:mod:`importlib.resources`, so no ``alembic.ini`` and no particular working directory is needed.

Alembic's commands are synchronous. They run here on a connection that an
:class:`~sqlalchemy.ext.asyncio.AsyncConnection` lends through ``run_sync``, so they work inside
a running event loop. One migration run is one transaction that first takes a lock, so replicas
that all run ``stationmaster db upgrade`` at start-up apply each migration once: a PostgreSQL
advisory lock, or ``BEGIN IMMEDIATE`` on SQLite (which also makes SQLite's DDL transactional).
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import MigrationsPending, StorageError
from bot.settings import normalise_database_url
from storage.engine import create_engine, describe, describe_url, first_line

UPGRADE_COMMAND = "stationmaster db upgrade"
MIGRATION_LOCK_KEY = 0x53544D_4D4947  # "STMMIG": the advisory lock held while migrating


def script_location() -> str:
    """The directory holding ``env.py`` and ``versions/``, inside the installed package."""
    location = importlib.resources.files("storage").joinpath("migrations")
    if not isinstance(location, Path) or not location.joinpath("env.py").is_file():
        raise StorageError(
            f"the migration scripts are missing from the installed package ({location}): "
            "reinstall stationmaster"
        )
    return str(location)


def alembic_config(*, url: str | None = None, connection: Connection | None = None) -> Config:
    """An alembic ``Config`` built in code, for ``url`` or for an open ``connection``."""
    config = Config()
    config.set_main_option("script_location", script_location())
    if url is not None:
        # configparser interpolates "%", which may appear in an escaped password.
        config.set_main_option("sqlalchemy.url", normalise_database_url(url).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of Stationmaster."""
    heads = _scripts().get_heads()
    if len(heads) != 1:
        raise StorageError(f"the shipped migrations have {len(heads)} heads instead of one")
    return heads[0]


async def current_revision(*, engine: AsyncEngine) -> str | None:
    """The revision the database is at; ``None`` for a database never migrated."""
    heads = await _current_heads(engine)
    return heads[0] if heads else None


async def pending_migrations(*, engine: AsyncEngine) -> list[str]:
    """Revisions not yet applied to the database, oldest first; empty when up to date."""
    current = await _current_heads(engine)
    scripts = _scripts()
    try:
        newer = list(scripts.iterate_revisions("heads", current or "base"))
    except (CommandError, RevisionError) as exc:
        raise StorageError(
            f"the database at {describe(engine)} is at revision {', '.join(current)}, which "
            "this version of Stationmaster does not know: it was migrated by a newer version. "
            "Run that version, or restore a backup"
        ) from exc
    return [script.revision for script in reversed(newer) if script.revision not in current]


async def upgrade(*, url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` to the database at ``url``."""
    engine = create_engine(url=url)
    try:
        await upgrade_engine(engine=engine, revision=revision)
    finally:
        await engine.dispose()


async def upgrade_engine(*, engine: AsyncEngine, revision: str = "head") -> None:
    """Like :func:`upgrade`, on an existing engine (needed for in-memory SQLite)."""
    try:
        async with engine.connect() as connection:
            await lock_for_migrations(connection=connection)
            await connection.run_sync(_alembic_upgrade, revision)
            await connection.commit()
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(
            f"could not migrate the database at {describe(engine)}: {first_line(exc)}"
        ) from exc
    except (CommandError, RevisionError) as exc:
        raise StorageError(f"could not migrate to {revision!r}: {exc}") from exc


async def ensure_schema(
    *, engine: AsyncEngine, auto_upgrade: bool, url: str | None = None
) -> list[str]:
    """Make sure the schema is current before the bot serves anything.

    With ``auto_upgrade`` (the SQLite default) pending migrations are applied and returned.
    Otherwise they raise :class:`MigrationsPending`, naming the command that applies them.
    ``url`` is the URL as the operator configured it, shown (password masked) in the message.
    """
    pending = await pending_migrations(engine=engine)
    if not pending:
        return []
    if auto_upgrade:
        await upgrade_engine(engine=engine)
        return pending
    where = describe_url(url) if url else describe(engine)
    many = len(pending) != 1
    count, them = (f"{len(pending)} migrations", "them") if many else ("1 migration", "it")
    raise MigrationsPending(
        f"the database at {where} is {count} behind this version of Stationmaster "
        f"({', '.join(pending)}): run `{UPGRADE_COMMAND}` to apply {them}"
    )


async def lock_for_migrations(*, connection: AsyncConnection) -> None:
    """Begin the migration transaction, holding off other migrators until it ends."""
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
        )
    elif connection.dialect.name == "sqlite":
        await connection.exec_driver_sql("BEGIN IMMEDIATE")


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


async def _current_heads(engine: AsyncEngine) -> tuple[str, ...]:
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_read_heads)
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(
            f"cannot read the schema revision of the database at {describe(engine)}: "
            f"{first_line(exc)}. Check that it is running and reachable"
        ) from exc


def _read_heads(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def _alembic_upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection=connection), revision)
