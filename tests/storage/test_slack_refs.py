"""Slack message references contract, on every backend: one row per (kind, subject)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import RefKind, SlackMessageRef
from storage.slack_refs import get_ref, list_refs, upsert_ref
from tests.storage.factories import new_release

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def test_a_new_ref_is_stored_and_found(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        release = await new_release(session)
        ref = await upsert_ref(
            session=session,
            kind=RefKind.RELEASE_ROOT,
            subject="release:42",
            channel_id="C0RELEASES",
            ts="1764000000.000100",
            release_id=release.id,
            now=T0,
        )
        await session.commit()
    assert ref.id is not None
    async with db_sessions() as session:
        found = await get_ref(session=session, kind="release_root", subject="release:42")
    assert found is not None
    assert found.id == ref.id
    assert (found.channel_id, found.ts, found.thread_ts, found.release_id) == (
        "C0RELEASES",
        "1764000000.000100",
        None,
        release.id,
    )
    assert (found.created_at, found.updated_at) == (T0, T0)


async def test_upsert_replaces_the_message_in_place(db_session: AsyncSession) -> None:
    release = await new_release(db_session)
    first = await upsert_ref(
        session=db_session,
        kind=RefKind.GATE_REPORT,
        subject="release:7",
        channel_id="C1",
        ts="1.0",
        release_id=release.id,
        now=T0,
    )
    second = await upsert_ref(
        session=db_session,
        kind=RefKind.GATE_REPORT,
        subject="release:7",
        channel_id="C2",
        ts="2.0",
        thread_ts="1.5",
        release_id=release.id,
        now=T0 + timedelta(minutes=3),
    )
    assert second.id == first.id
    assert (second.channel_id, second.ts, second.thread_ts) == ("C2", "2.0", "1.5")
    assert second.created_at == T0
    assert second.updated_at == T0 + timedelta(minutes=3)
    count = (await db_session.exec(select(func.count()).select_from(SlackMessageRef))).one()
    assert count == 1


async def test_get_ref_of_an_unknown_subject_is_none(db_session: AsyncSession) -> None:
    await upsert_ref(
        session=db_session,
        kind=RefKind.RELEASE_ROOT,
        subject="release:1",
        channel_id="C",
        ts="1.0",
    )
    assert await get_ref(session=db_session, kind="release_root", subject="release:2") is None
    assert await get_ref(session=db_session, kind="gate_report", subject="release:1") is None


async def test_list_refs_of_a_release_oldest_first(db_session: AsyncSession) -> None:
    five = await new_release(db_session, version="5")
    six = await new_release(db_session, version="6")
    kinds = [RefKind.RELEASE_ROOT, RefKind.GATE_REPORT, RefKind.SIGNOFF_REQUEST]
    for minutes, kind in enumerate(kinds):
        await upsert_ref(
            session=db_session,
            kind=kind,
            subject="release:5",
            channel_id="C",
            ts=f"{minutes}.0",
            release_id=five.id,
            now=T0 + timedelta(minutes=minutes),
        )
    await upsert_ref(
        session=db_session,
        kind=RefKind.RELEASE_ROOT,
        subject="release:6",
        channel_id="C",
        ts="9.0",
        release_id=six.id,
        now=T0,
    )
    await upsert_ref(
        session=db_session,
        kind=RefKind.ALERT_THREAD,
        subject="alert-group:abc",
        channel_id="C",
        ts="8.0",
        now=T0,
    )
    assert five.id is not None
    refs = await list_refs(session=db_session, release_id=five.id)
    assert [ref.kind for ref in refs] == ["release_root", "gate_report", "signoff_request"]
    assert await list_refs(session=db_session, release_id=404) == []


async def test_default_times_are_now_in_utc(db_session: AsyncSession) -> None:
    before = datetime.now(UTC)
    ref = await upsert_ref(
        session=db_session,
        kind=RefKind.DEPLOY_PROGRESS,
        subject="release:3",
        channel_id="C",
        ts="1.0",
    )
    assert before <= ref.created_at == ref.updated_at <= datetime.now(UTC)
    assert ref.updated_at.tzinfo is UTC


async def test_concurrent_upserts_of_one_subject_leave_one_row(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    start = asyncio.Event()

    async def poster(index: int) -> SlackMessageRef:
        async with db_sessions() as session:
            await start.wait()
            ref = await upsert_ref(
                session=session,
                kind=RefKind.ALERT_THREAD,
                subject="alert-group:fp-1",
                channel_id="C0ONCALL",
                ts=f"{index}.0",
                now=T0 + timedelta(seconds=index),
            )
            await asyncio.sleep(0.005)
            await session.commit()
            return ref

    tasks = [asyncio.create_task(poster(index)) for index in range(20)]
    await asyncio.sleep(0)
    start.set()
    refs = await asyncio.gather(*tasks)
    assert len({ref.id for ref in refs}) == 1
    async with db_sessions() as session:
        rows = list(await session.exec(select(SlackMessageRef)))
    assert len(rows) == 1
    assert rows[0].ts in {f"{index}.0" for index in range(20)}
    assert rows[0].created_at in {ref.created_at for ref in refs}
