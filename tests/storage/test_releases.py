"""Releases contract, on every backend: create once per (train, version), then find them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select, text
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import Conflict
from storage.models import ReleaseKind, ReleaseRow
from storage.releases import (
    create_release,
    find_by_version,
    get_release,
    get_release_by_id,
    latest_release,
    list_releases,
    versions_of,
)
from storage.types import NaiveDatetimeError
from tests.storage.factories import T0, new_release


async def test_a_new_release_is_stored_with_every_field(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        created = await create_release(
            session=session,
            train="web",
            version="2026.11.2.1",
            kind=ReleaseKind.HOTFIX,
            state="planned",
            cut_by="U0ALICE",
            commit_sha="a" * 40,
            ref="main",
            base_version="2026.11.2",
            reason="checkout 500s",
            now=T0,
        )
        await session.commit()
    assert created.id is not None
    async with db_sessions() as session:
        found = await get_release_by_id(session=session, release_id=created.id)
    assert found is not None
    assert (found.train, found.version, found.kind, found.state) == (
        "web",
        "2026.11.2.1",
        "hotfix",
        "planned",
    )
    assert (found.commit_sha, found.ref, found.base_version, found.reason) == (
        "a" * 40,
        "main",
        "2026.11.2",
        "checkout 500s",
    )
    assert (found.cut_by, found.row_version) == ("U0ALICE", 1)
    assert found.created_at == found.updated_at == found.state_changed_at == T0
    assert found.created_at.tzinfo is UTC
    assert found.released_at is None


async def test_defaults_leave_the_optional_fields_empty(db_session: AsyncSession) -> None:
    release = await new_release(db_session, cut_by="scheduler")
    assert (release.commit_sha, release.ref, release.base_version, release.reason) == (
        None,
        None,
        None,
        None,
    )
    assert release.cut_by == "scheduler"
    assert release.kind == "train"


async def test_a_duplicate_version_is_a_conflict_and_the_session_stays_usable(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        first = await new_release(session, version="2026.11.1")
        with pytest.raises(Conflict, match=r"release web/2026\.11\.1 already exists"):
            await new_release(session, version="2026.11.1", cut_by="U0BOB")
        # The transaction is intact: the first insert and a later one both commit.
        await new_release(session, version="2026.11.2")
        await session.commit()
    async with db_sessions() as session:
        assert await versions_of(session=session, train="web") == ["2026.11.1", "2026.11.2"]
        kept = await get_release(session=session, train="web", version="2026.11.1")
    assert kept is not None
    assert (kept.id, kept.cut_by) == (first.id, "U0ALICE")


async def test_the_same_version_on_two_trains_is_two_releases(db_session: AsyncSession) -> None:
    web = await new_release(db_session, train="web", version="2026.11.1")
    api = await new_release(db_session, train="api", version="2026.11.1")
    assert web.id != api.id
    found = await find_by_version(session=db_session, version="2026.11.1")
    assert [(release.train, release.id) for release in found] == [
        ("api", api.id),
        ("web", web.id),
    ]
    assert await find_by_version(session=db_session, version="2026.12.1") == []


async def test_concurrent_creates_of_one_version_have_one_winner(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    start = asyncio.Event()

    async def cutter(index: int) -> bool:
        async with db_sessions() as session:
            await start.wait()
            try:
                await new_release(session, version="2026.11.1", cut_by=f"U{index}")
            except Conflict:
                return False
            await asyncio.sleep(0.005)
            await session.commit()
            return True

    tasks = [asyncio.create_task(cutter(index)) for index in range(10)]
    await asyncio.sleep(0)
    start.set()
    assert (await asyncio.gather(*tasks)).count(True) == 1
    async with db_sessions() as session:
        count = (await session.exec(select(func.count()).select_from(ReleaseRow))).one()
    assert count == 1


async def test_unknown_releases_are_none(db_session: AsyncSession) -> None:
    await new_release(db_session)
    assert await get_release(session=db_session, train="web", version="9.9.9") is None
    assert await get_release(session=db_session, train="api", version="2026.11.1") is None
    assert await get_release_by_id(session=db_session, release_id=404) is None
    assert await latest_release(session=db_session, train="api") is None
    assert await versions_of(session=db_session, train="api") == []


async def test_list_releases_newest_first_with_filters(db_session: AsyncSession) -> None:
    rows = [
        ("web", "2026.11.1", "train", "released"),
        ("web", "2026.11.2", "train", "gating"),
        ("api", "2026.11.1", "train", "gating"),
        ("web", "2026.11.2.1", "hotfix", "awaiting_signoff"),
        ("web", "2026.11.3", "train", "cancelled"),
    ]
    for minutes, (train, version, kind, state) in enumerate(rows):
        await new_release(
            db_session,
            train=train,
            version=version,
            kind=kind,
            state=state,
            now=T0 + timedelta(minutes=minutes),
        )

    session = db_session
    assert names(await list_releases(session=session)) == [
        "web/2026.11.3",
        "web/2026.11.2.1",
        "api/2026.11.1",
        "web/2026.11.2",
        "web/2026.11.1",
    ]
    assert names(await list_releases(session=session, train="web", limit=2)) == [
        "web/2026.11.3",
        "web/2026.11.2.1",
    ]
    assert names(await list_releases(session=session, states={"gating", "awaiting_signoff"})) == [
        "web/2026.11.2.1",
        "api/2026.11.1",
        "web/2026.11.2",
    ]
    hotfixes = await list_releases(session=session, train="web", kinds=[ReleaseKind.HOTFIX])
    assert names(hotfixes) == ["web/2026.11.2.1"]
    assert await list_releases(session=session, train="web", states=[]) == []
    assert await list_releases(session=session, train="nope") == []


def names(releases: list[ReleaseRow]) -> list[str]:
    return [f"{release.train}/{release.version}" for release in releases]


async def test_ties_in_time_are_broken_by_creation_order(db_session: AsyncSession) -> None:
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        await new_release(db_session, version=version, now=T0)
    newest = await list_releases(session=db_session, train="web")
    assert [release.version for release in newest] == ["1.2.0", "1.1.0", "1.0.0"]
    assert await versions_of(session=db_session, train="web") == ["1.0.0", "1.1.0", "1.2.0"]


async def test_latest_release_by_state_and_kind(db_session: AsyncSession) -> None:
    await new_release(db_session, version="2026.11.1", state="released", now=T0)
    await new_release(
        db_session,
        version="2026.11.1.1",
        kind="hotfix",
        state="released",
        now=T0 + timedelta(hours=1),
    )
    await new_release(db_session, version="2026.11.2", state="gating", now=T0 + timedelta(hours=2))

    async def latest(states: list[str] | None = None, kind: str | None = None) -> str | None:
        release = await latest_release(session=db_session, train="web", states=states, kind=kind)
        return None if release is None else release.version

    assert await latest() == "2026.11.2"
    assert await latest(states=["released"]) == "2026.11.1.1"
    assert await latest(states=["released"], kind="train") == "2026.11.1"
    assert await latest(kind="hotfix") == "2026.11.1.1"
    assert await latest(states=["deploying"]) is None


async def test_bad_arguments_are_refused(db_session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="release kind must be one of train, hotfix; got 'patch'"):
        await new_release(db_session, kind="patch")
    naive = datetime(2026, 11, 24, 9, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(NaiveDatetimeError):
        await new_release(db_session, now=naive)
    with pytest.raises(ValueError, match="limit must be at least 1"):
        await list_releases(session=db_session, limit=0)
    assert await list_releases(session=db_session) == []


async def test_the_database_refuses_an_unknown_kind(db_session: AsyncSession) -> None:
    # The check constraint backs up the repository's own check.
    statement = text(
        "INSERT INTO releases (train, version, kind, state, cut_by, row_version, created_at, "
        "updated_at, state_changed_at) VALUES ('web', '1', 'patch', 'planned', 'U', 1, "
        ":now, :now, :now)"
    )
    with pytest.raises(IntegrityError, match=r"ck_releases_kind|CHECK constraint failed"):
        await db_session.exec(statement, params={"now": T0})
