"""Revision 0002 on every backend: from 0001 with data, back down, and its foreign keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import list_audit, record_audit
from storage.engine import create_engine, session_factory
from storage.migrate import alembic_config, current_revision, upgrade
from storage.milestones import claim_milestone, finish_milestone
from storage.models import ReleaseRow, SlackMessageRef
from storage.slack_refs import get_ref, list_refs, upsert_ref
from tests.storage.factories import T0, new_release

NEW_TABLES = {"releases", "trains", "milestone_runs"}
MONDAY_10 = datetime(2026, 11, 23, 10, 0)  # noqa: DTZ001 - a wall-clock time has no zone


@pytest.fixture
async def engine_at_0001(empty_db_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade(url=empty_db_url, revision="0001")
    engine = create_engine(url=empty_db_url)
    yield engine
    await engine.dispose()


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection=connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def add_ref(session: AsyncSession, subject: str, release_id: int | None) -> None:
    await upsert_ref(
        session=session,
        kind="release_root",
        subject=subject,
        channel_id="C0RELEASES",
        ts="1.0",
        release_id=release_id,
        now=T0,
    )


async def test_upgrading_a_0001_database_keeps_its_data(
    engine_at_0001: AsyncEngine, empty_db_url: str
) -> None:
    sessions = session_factory(engine=engine_at_0001)
    async with sessions() as session:
        await record_audit(
            session=session, actor="U0A", action="boot", subject_type="app", subject_id=1, at=T0
        )
        await add_ref(session, "release:42", 42)  # nothing to point at before 0002
        await add_ref(session, "alert-group:fp", None)
        await session.commit()
    assert await table_names(engine_at_0001) & NEW_TABLES == set()

    await upgrade(url=empty_db_url, revision="0002")

    assert await current_revision(engine=engine_at_0001) == "0002"
    assert await table_names(engine_at_0001) >= NEW_TABLES
    async with sessions() as session:
        [event] = await list_audit(session=session, subject_type="app", subject_id=1)
        dangling = await get_ref(session=session, kind="release_root", subject="release:42")
        alert = await get_ref(session=session, kind="release_root", subject="alert-group:fp")
    assert event.action == "boot"
    assert dangling is not None
    assert alert is not None
    assert (dangling.ts, dangling.release_id, alert.release_id) == ("1.0", None, None)


async def test_downgrading_to_0001_drops_the_new_tables_and_keeps_the_refs(
    db_engine: AsyncEngine, db_url: str
) -> None:
    sessions = session_factory(engine=db_engine)
    async with sessions() as session:
        release = await new_release(session)
        await add_ref(session, "release:1", release.id)
        await session.commit()

    await downgrade(db_engine, "0001")

    assert await current_revision(engine=db_engine) == "0001"
    assert await table_names(db_engine) & NEW_TABLES == set()
    async with sessions() as session:
        kept = await get_ref(session=session, kind="release_root", subject="release:1")
        await add_ref(session, "release:999", 999)  # no foreign key at 0001
        await session.commit()
    assert kept is not None
    assert kept.release_id == release.id

    await upgrade(url=db_url, revision="0002")
    assert await current_revision(engine=db_engine) == "0002"
    async with sessions() as session:
        cleared = await get_ref(session=session, kind="release_root", subject="release:999")
    assert cleared is not None
    assert cleared.release_id is None
    await upgrade(url=db_url)  # back to head, as the shared database's next test expects


async def test_refs_and_runs_must_name_an_existing_release(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        with pytest.raises(IntegrityError):
            await add_ref(session, "release:404", 404)
    async with db_sessions() as session:
        run = await claim_milestone(
            session=session,
            train="web",
            milestone="cut",
            scheduled_for=MONDAY_10,
            fires_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
            claimed_by="replica-a",
            now=T0,
        )
        assert run is not None
        assert run.id is not None
        with pytest.raises(IntegrityError):
            await finish_milestone(
                session=session, run_id=run.id, status="done", release_id=404, now=T0
            )


async def test_deleting_a_release_unlinks_its_refs_and_runs(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        release = await new_release(session)
        other = await new_release(session, version="2026.11.2")
        assert release.id is not None
        assert other.id is not None
        await add_ref(session, "release:1", release.id)
        await add_ref(session, "release:2", other.id)
        run = await claim_milestone(
            session=session,
            train="web",
            milestone="cut",
            scheduled_for=MONDAY_10,
            fires_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
            claimed_by="replica-a",
            now=T0,
        )
        assert run is not None
        assert run.id is not None
        await finish_milestone(
            session=session,
            run_id=run.id,
            status="done",
            release_id=release.id,
            now=T0 + timedelta(seconds=1),
        )
        await session.commit()
    async with db_sessions() as session:
        await session.exec(delete(ReleaseRow).where(col(ReleaseRow.id) == release.id))
        await session.commit()
    async with db_sessions() as session:
        refs = list(await session.exec(select(SlackMessageRef).order_by(col(SlackMessageRef.id))))
        assert [(ref.subject, ref.release_id) for ref in refs] == [
            ("release:1", None),
            ("release:2", other.id),
        ]
        assert await list_refs(session=session, release_id=release.id) == []
        finished = await finish_milestone(session=session, run_id=run.id, status="done", now=T0)
    assert finished.release_id is None


def test_offline_sql_adds_the_foreign_key(
    capsys: pytest.CaptureFixture[str], db_backend: str
) -> None:
    url = "sqlite:///unused.db" if db_backend == "sqlite" else "postgresql://u@h/db"
    command.upgrade(alembic_config(url=url), "0001:0002", sql=True)
    printed = capsys.readouterr().out
    assert "CREATE TABLE releases" in printed
    assert "CREATE TABLE milestone_runs" in printed
    assert "fk_slack_message_refs_release_id_releases" in printed
    assert "ON DELETE SET NULL" in printed
    command.downgrade(alembic_config(url=url), "0002:0001", sql=True)
    assert "DROP TABLE releases" in capsys.readouterr().out
