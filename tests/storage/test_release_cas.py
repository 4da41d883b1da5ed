"""Compare-and-set on releases, on every backend: of two writers of one row, one wins."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ReleaseRow
from storage.releases import compare_and_set, get_release_by_id, update_fields_cas
from storage.types import NaiveDatetimeError
from tests.storage.factories import T0, new_release

LATER = T0 + timedelta(minutes=5)
CONTENDERS = 20


async def reread(session: AsyncSession, release: ReleaseRow) -> ReleaseRow:
    assert release.id is not None
    found = await get_release_by_id(session=session, release_id=release.id)
    assert found is not None
    return found


async def test_a_matching_cas_changes_the_state_and_bumps_the_version(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        release = await new_release(session, state="gating")
        await session.commit()
    assert release.id is not None
    async with db_sessions() as session:
        assert await compare_and_set(
            session=session,
            release_id=release.id,
            expected_state="gating",
            expected_row_version=1,
            new_state="awaiting_signoff",
            now=LATER,
        )
        await session.commit()
    async with db_sessions() as session:
        changed = await reread(session, release)
    assert (changed.state, changed.row_version) == ("awaiting_signoff", 2)
    assert (changed.state_changed_at, changed.updated_at, changed.created_at) == (LATER, LATER, T0)


async def test_a_cas_also_sets_the_changes_given(db_session: AsyncSession) -> None:
    release = await new_release(db_session, state="deploying")
    assert release.id is not None
    assert await compare_and_set(
        session=db_session,
        release_id=release.id,
        expected_state="deploying",
        expected_row_version=1,
        new_state="released",
        now=LATER,
        changes={"released_at": LATER, "reason": "100% of pods"},
    )
    changed = await reread(db_session, release)
    assert (changed.state, changed.released_at, changed.reason) == (
        "released",
        LATER,
        "100% of pods",
    )


async def test_a_stale_state_or_version_changes_nothing(db_session: AsyncSession) -> None:
    release = await new_release(db_session, state="gating")
    assert release.id is not None
    attempts = [("blocked", 1), ("gating", 2), ("gating", 0)]
    for expected_state, expected_row_version in attempts:
        assert not await compare_and_set(
            session=db_session,
            release_id=release.id,
            expected_state=expected_state,
            expected_row_version=expected_row_version,
            new_state="cancelled",
            now=LATER,
        )
    assert not await compare_and_set(
        session=db_session,
        release_id=404,
        expected_state="gating",
        expected_row_version=1,
        new_state="cancelled",
        now=LATER,
    )
    unchanged = await reread(db_session, release)
    assert (unchanged.state, unchanged.row_version, unchanged.updated_at) == ("gating", 1, T0)


async def test_the_loser_rereads_the_winners_change_in_its_own_session(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as setup:
        release = await new_release(setup, state="awaiting_signoff")
        await setup.commit()
    assert release.id is not None
    async with db_sessions() as loser, db_sessions() as winner:
        seen = await reread(loser, release)
        await loser.commit()
        assert await compare_and_set(
            session=winner,
            release_id=release.id,
            expected_state="awaiting_signoff",
            expected_row_version=1,
            new_state="rejected",
            now=LATER,
            changes={"reason": "login broken"},
        )
        await winner.commit()
        lost = await compare_and_set(
            session=loser,
            release_id=release.id,
            expected_state=seen.state,
            expected_row_version=seen.row_version,
            new_state="approved",
            now=LATER,
        )
        assert not lost
        # Losing changed nothing in memory; reading again shows the winner's change.
        assert (seen.state, seen.row_version) == ("awaiting_signoff", 1)
        again = await reread(loser, release)
        assert again is seen
        assert (again.state, again.row_version, again.reason) == ("rejected", 2, "login broken")


async def test_a_winning_cas_refreshes_the_sessions_copy(db_session: AsyncSession) -> None:
    release = await new_release(db_session, state="approved")
    assert release.id is not None
    assert await compare_and_set(
        session=db_session,
        release_id=release.id,
        expected_state="approved",
        expected_row_version=1,
        new_state="deploying",
        now=LATER,
    )
    assert (release.state, release.row_version, release.state_changed_at) == (
        "deploying",
        2,
        LATER,
    )


async def test_a_rolled_back_cas_leaves_the_row_as_it_was(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        release = await new_release(session, state="gating")
        await session.commit()
    assert release.id is not None
    async with db_sessions() as session:
        assert await compare_and_set(
            session=session,
            release_id=release.id,
            expected_state="gating",
            expected_row_version=1,
            new_state="blocked",
            now=LATER,
        )
        await session.rollback()
    async with db_sessions() as session:
        unchanged = await reread(session, release)
    assert (unchanged.state, unchanged.row_version) == ("gating", 1)


async def test_update_fields_cas_records_a_commit_without_a_state_change(
    db_session: AsyncSession,
) -> None:
    release = await new_release(db_session, state="rejected")
    assert release.id is not None
    changes = {"commit_sha": "b" * 40, "ref": "release/2026.11.1"}
    assert await update_fields_cas(
        session=db_session,
        release_id=release.id,
        expected_row_version=1,
        changes=changes,
        now=LATER,
    )
    assert not await update_fields_cas(
        session=db_session,
        release_id=release.id,
        expected_row_version=1,
        changes={"commit_sha": "c" * 40},
        now=LATER,
    )
    changed = await reread(db_session, release)
    assert (changed.commit_sha, changed.ref, changed.state) == (
        "b" * 40,
        "release/2026.11.1",
        "rejected",
    )
    assert (changed.row_version, changed.updated_at, changed.state_changed_at) == (2, LATER, T0)


async def test_bad_changes_are_refused(db_session: AsyncSession) -> None:
    release = await new_release(db_session, state="gating")
    assert release.id is not None
    with pytest.raises(ValueError, match="cannot change state, version: it may change commit_sha"):
        await update_fields_cas(
            session=db_session,
            release_id=release.id,
            expected_row_version=1,
            changes={"version": "x", "state": "released"},
            now=LATER,
        )
    with pytest.raises(ValueError, match="needs at least one change"):
        await update_fields_cas(
            session=db_session, release_id=release.id, expected_row_version=1, changes={}, now=LATER
        )
    naive = datetime(2026, 11, 24, 9, 5)  # noqa: DTZ001 - the point of the test
    with pytest.raises(NaiveDatetimeError, match="naive released_at"):
        await compare_and_set(
            session=db_session,
            release_id=release.id,
            expected_state="gating",
            expected_row_version=1,
            new_state="released",
            now=LATER,
            changes={"released_at": naive},
        )
    with pytest.raises(NaiveDatetimeError, match="naive now"):
        await compare_and_set(
            session=db_session,
            release_id=release.id,
            expected_state="gating",
            expected_row_version=1,
            new_state="released",
            now=naive,
        )
    assert (await reread(db_session, release)).row_version == 1


async def test_concurrent_cas_on_one_row_has_exactly_one_winner(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        release = await new_release(session, state="awaiting_signoff")
        await session.commit()
    assert release.id is not None
    release_id = release.id
    start = asyncio.Event()

    async def clicker(index: int) -> bool:
        async with db_sessions() as session:
            await start.wait()
            won = await compare_and_set(
                session=session,
                release_id=release_id,
                expected_state="awaiting_signoff",
                expected_row_version=1,
                new_state="approved" if index % 2 else "rejected",
                now=LATER,
                changes={"reason": f"clicker {index}"},
            )
            await asyncio.sleep(0.005)  # hold the transaction open so the others must wait
            await session.commit()
            return won

    tasks = [asyncio.create_task(clicker(index)) for index in range(CONTENDERS)]
    await asyncio.sleep(0)
    start.set()
    results = await asyncio.gather(*tasks)
    assert results.count(True) == 1
    winner = results.index(True)
    async with db_sessions() as session:
        final = await reread(session, release)
    assert final.row_version == 2
    assert final.reason == f"clicker {winner}"
    assert final.state == ("approved" if winner % 2 else "rejected")
