"""QA sign-off contract, on every backend: one request per round, one approval per person,
one tick per item, and one decision per request, even under concurrency."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    ReleaseRow,
    SignoffApprovalRow,
    SignoffRequestRow,
    SignoffStatus,
    SignoffTickRow,
)
from storage.signoff import (
    active_approvals,
    add_approval,
    current_request,
    decide,
    get_request,
    list_ticks,
    open_request,
    set_ticks,
    withdraw_approval,
)
from storage.types import NaiveDatetimeError
from tests.storage.factories import T0, new_release, race

LATER = T0 + timedelta(minutes=5)
CHECKLIST = ["smoke tested", "release notes read", "rollback plan"]


async def new_request(session: AsyncSession, *, version: str = "2026.11.1") -> SignoffRequestRow:
    release = await new_release(session, version=version)
    assert release.id is not None
    request, created = await open_request(session=session, release_id=release.id, round=1, now=T0)
    assert created
    assert request.id is not None
    return request


async def count(session: AsyncSession, table: type[object]) -> int:
    return (await session.exec(select(func.count()).select_from(table))).one()


# Requests


async def test_opening_a_round_twice_creates_one_request(db_session: AsyncSession) -> None:
    release = await new_release(db_session)
    assert release.id is not None
    first, created = await open_request(session=db_session, release_id=release.id, round=1, now=T0)
    assert created
    again, created_again = await open_request(
        session=db_session, release_id=release.id, round=1, now=LATER
    )
    assert not created_again
    assert again.id == first.id
    assert (again.release_id, again.round, again.status, again.created_at) == (
        release.id,
        1,
        "open",
        T0,
    )
    assert (again.decided_at, again.decided_by, again.reason) == (None, None, None)
    assert await count(db_session, SignoffRequestRow) == 1


async def test_concurrent_openers_create_exactly_one_request(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        release = await new_release(session)
        await session.commit()
    assert release.id is not None
    release_id = release.id

    async def opener(session: AsyncSession, _index: int) -> tuple[int | None, bool]:
        request, created = await open_request(
            session=session, release_id=release_id, round=1, now=T0
        )
        return request.id, created

    outcomes = await race(db_sessions, opener)
    assert [created for _, created in outcomes].count(True) == 1
    assert len({request_id for request_id, _ in outcomes}) == 1
    async with db_sessions() as session:
        assert await count(session, SignoffRequestRow) == 1


async def test_the_current_request_is_the_highest_round(db_session: AsyncSession) -> None:
    release = await new_release(db_session)
    other = await new_release(db_session, version="2026.11.2")
    assert release.id is not None
    assert other.id is not None
    assert await current_request(session=db_session, release_id=release.id) is None
    first, _ = await open_request(session=db_session, release_id=release.id, round=1, now=T0)
    assert first.id is not None
    assert await decide(
        session=db_session,
        request_id=first.id,
        status=SignoffStatus.REJECTED,
        by="U0QA",
        reason="login broken",
        now=T0,
    )
    second, created = await open_request(
        session=db_session, release_id=release.id, round=2, now=LATER
    )
    assert created
    await open_request(session=db_session, release_id=other.id, round=3, now=LATER)
    current = await current_request(session=db_session, release_id=release.id)
    assert current is not None
    assert (current.id, current.round, current.status) == (second.id, 2, "open")
    found = await get_request(session=db_session, request_id=first.id)
    assert found is not None
    assert (found.round, found.status) == (1, "rejected")
    assert await get_request(session=db_session, request_id=first.id + 1000) is None


async def test_a_round_starts_at_one(db_session: AsyncSession) -> None:
    release = await new_release(db_session)
    assert release.id is not None
    with pytest.raises(ValueError, match="round starts at 1, got 0"):
        await open_request(session=db_session, release_id=release.id, round=0, now=T0)


# Approvals


async def test_withdrawing_and_approving_again(db_session: AsyncSession) -> None:
    request = await new_request(db_session)
    assert request.id is not None
    rid = request.id
    assert await add_approval(session=db_session, request_id=rid, user_id="U1", now=T0)
    assert not await add_approval(session=db_session, request_id=rid, user_id="U1", now=LATER)
    [active] = await active_approvals(session=db_session, request_id=rid)
    assert (active.user_id, active.approved_at, active.withdrawn_at) == ("U1", T0, None)

    assert await withdraw_approval(session=db_session, request_id=rid, user_id="U1", now=LATER)
    assert not await withdraw_approval(session=db_session, request_id=rid, user_id="U1", now=LATER)
    assert not await withdraw_approval(session=db_session, request_id=rid, user_id="U9", now=LATER)
    assert await active_approvals(session=db_session, request_id=rid) == []
    [withdrawn] = await db_session.exec(select(SignoffApprovalRow))
    assert withdrawn.withdrawn_at == LATER

    again = LATER + timedelta(minutes=1)
    assert await add_approval(session=db_session, request_id=rid, user_id="U1", now=again)
    [active] = await active_approvals(session=db_session, request_id=rid)
    assert (active.id, active.approved_at, active.withdrawn_at) == (withdrawn.id, again, None)
    assert await count(db_session, SignoffApprovalRow) == 1


async def test_active_approvals_are_oldest_first(db_session: AsyncSession) -> None:
    request = await new_request(db_session)
    other = await new_request(db_session, version="2026.11.2")
    assert request.id is not None
    assert other.id is not None
    rid = request.id
    for minute, user in [(3, "U3"), (1, "U1"), (2, "U2")]:
        now = T0 + timedelta(minutes=minute)
        await add_approval(session=db_session, request_id=rid, user_id=user, now=now)
    await add_approval(session=db_session, request_id=other.id, user_id="U0", now=T0)
    await withdraw_approval(session=db_session, request_id=rid, user_id="U1", now=LATER)
    await add_approval(session=db_session, request_id=rid, user_id="U1", now=LATER)
    approvals = await active_approvals(session=db_session, request_id=rid)
    assert [a.user_id for a in approvals] == ["U2", "U3", "U1"]


async def test_concurrent_approvals_by_one_person_count_once(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        request = await new_request(session)
        await session.commit()
    assert request.id is not None
    rid = request.id

    async def approver(session: AsyncSession, index: int) -> bool:
        now = T0 + timedelta(seconds=index)
        return await add_approval(session=session, request_id=rid, user_id="U1", now=now)

    assert (await race(db_sessions, approver)).count(True) == 1
    async with db_sessions() as session:
        assert len(await active_approvals(session=session, request_id=rid)) == 1
        assert await withdraw_approval(session=session, request_id=rid, user_id="U1", now=LATER)
        await session.commit()
    assert (await race(db_sessions, approver)).count(True) == 1  # re-approving, too
    async with db_sessions() as session:
        assert len(await active_approvals(session=session, request_id=rid)) == 1
        assert await count(session, SignoffApprovalRow) == 1


# Checklist ticks


async def test_ticks_follow_the_items_given_within_the_checklist(db_session: AsyncSession) -> None:
    request = await new_request(db_session)
    assert request.id is not None
    rid = request.id
    smoke, notes, rollback = CHECKLIST
    added, removed = await set_ticks(
        session=db_session,
        request_id=rid,
        items=[rollback, "not on the list", smoke, smoke],
        allowed=CHECKLIST,
        user_id="U1",
        now=T0,
    )
    assert (added, removed) == ([smoke, rollback], [])
    ticks = await list_ticks(session=db_session, request_id=rid)
    assert [(t.item, t.user_id, t.ticked_at) for t in ticks] == [
        (smoke, "U1", T0),
        (rollback, "U1", T0),
    ]
    added, removed = await set_ticks(
        session=db_session,
        request_id=rid,
        items={notes},
        allowed=CHECKLIST,
        user_id="U2",
        now=LATER,
    )
    assert (added, removed) == ([notes], [smoke, rollback])
    [tick] = await list_ticks(session=db_session, request_id=rid)
    assert (tick.item, tick.user_id, tick.ticked_at) == (notes, "U2", LATER)
    added, removed = await set_ticks(
        session=db_session, request_id=rid, items=(), allowed=CHECKLIST, user_id="U2", now=LATER
    )
    assert (added, removed) == ([], [notes])
    assert await list_ticks(session=db_session, request_id=rid) == []


async def test_a_tick_keeps_its_first_ticker(db_session: AsyncSession) -> None:
    request = await new_request(db_session)
    other = await new_request(db_session, version="2026.11.2")
    assert request.id is not None
    assert other.id is not None
    smoke, notes, _ = CHECKLIST
    await set_ticks(
        session=db_session,
        request_id=request.id,
        items=[smoke],
        allowed=CHECKLIST,
        user_id="U1",
        now=T0,
    )
    await set_ticks(
        session=db_session,
        request_id=other.id,
        items=[smoke],
        allowed=CHECKLIST,
        user_id="U3",
        now=T0,
    )
    added, removed = await set_ticks(
        session=db_session,
        request_id=request.id,
        items=[notes, smoke],
        allowed=CHECKLIST,
        user_id="U2",
        now=LATER,
    )
    assert (added, removed) == ([notes], [])
    ticks = await list_ticks(session=db_session, request_id=request.id)
    assert [(t.item, t.user_id, t.ticked_at) for t in ticks] == [
        (smoke, "U1", T0),
        (notes, "U2", LATER),
    ]
    [untouched] = await list_ticks(session=db_session, request_id=other.id)
    assert untouched.user_id == "U3"


async def test_concurrent_ticks_of_one_item_keep_one_ticker(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        request = await new_request(session)
        await session.commit()
    assert request.id is not None
    rid = request.id

    async def ticker(session: AsyncSession, index: int) -> list[str]:
        added, _ = await set_ticks(
            session=session,
            request_id=rid,
            items=[CHECKLIST[0]],
            allowed=CHECKLIST,
            user_id=f"U{index}",
            now=T0,
        )
        return added

    outcomes = await race(db_sessions, ticker)
    winners = [index for index, added in enumerate(outcomes) if added == [CHECKLIST[0]]]
    assert len(winners) == 1
    async with db_sessions() as session:
        [tick] = await list_ticks(session=session, request_id=rid)
    assert tick.user_id == f"U{winners[0]}"


async def test_a_tick_of_an_item_dropped_from_the_checklist_goes(
    db_session: AsyncSession,
) -> None:
    request = await new_request(db_session)
    assert request.id is not None
    rid = request.id
    old = ["zz retired item", "aa retired item", *CHECKLIST]
    await set_ticks(
        session=db_session, request_id=rid, items=old, allowed=old, user_id="U1", now=T0
    )
    added, removed = await set_ticks(
        session=db_session,
        request_id=rid,
        items=[CHECKLIST[1]],
        allowed=CHECKLIST,
        user_id="U1",
        now=LATER,
    )
    assert added == []
    assert removed == [CHECKLIST[0], CHECKLIST[2], "aa retired item", "zz retired item"]
    assert [t.item for t in await list_ticks(session=db_session, request_id=rid)] == [CHECKLIST[1]]


async def test_a_checklist_item_too_long_to_store_is_refused(db_session: AsyncSession) -> None:
    request = await new_request(db_session)
    assert request.id is not None
    item = "x" * 201
    with pytest.raises(ValueError, match="over 200 characters: shorten it"):
        await set_ticks(
            session=db_session,
            request_id=request.id,
            items=[item],
            allowed=[item],
            user_id="U1",
            now=T0,
        )
    assert await list_ticks(session=db_session, request_id=request.id) == []


# Decisions


async def test_a_request_is_decided_once(db_session: AsyncSession) -> None:
    request = await new_request(db_session)
    assert request.id is not None
    rid = request.id
    assert await decide(
        session=db_session,
        request_id=rid,
        status=SignoffStatus.APPROVED,
        by="U1",
        reason=None,
        now=LATER,
    )
    assert not await decide(
        session=db_session,
        request_id=rid,
        status=SignoffStatus.CANCELLED,
        by=None,
        reason="release cancelled",
        now=LATER + timedelta(minutes=1),
    )
    decided = await get_request(session=db_session, request_id=rid)
    assert decided is not None
    assert (decided.status, decided.decided_at, decided.decided_by, decided.reason) == (
        "approved",
        LATER,
        "U1",
        None,
    )
    assert not await decide(
        session=db_session,
        request_id=rid + 1000,
        status=SignoffStatus.SUPERSEDED,
        by=None,
        reason=None,
        now=LATER,
    )


async def test_of_two_concurrent_deciders_one_wins(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        request = await new_request(session)
        await session.commit()
    assert request.id is not None
    rid = request.id
    verdicts = [SignoffStatus.APPROVED, SignoffStatus.REJECTED]

    async def decider(session: AsyncSession, index: int) -> bool:
        return await decide(
            session=session,
            request_id=rid,
            status=verdicts[index],
            by=f"U{index}",
            reason=None,
            now=LATER,
        )

    outcomes = await race(db_sessions, decider, contenders=2)
    assert outcomes.count(True) == 1
    winner = outcomes.index(True)
    async with db_sessions() as session:
        decided = await get_request(session=session, request_id=rid)
    assert decided is not None
    assert (decided.status, decided.decided_by) == (verdicts[winner].value, f"U{winner}")


async def test_a_decision_must_close_the_request(db_session: AsyncSession) -> None:
    request = await new_request(db_session)
    assert request.id is not None
    with pytest.raises(ValueError, match="must close the request"):
        await decide(
            session=db_session,
            request_id=request.id,
            status=SignoffStatus.OPEN,
            by="U1",
            reason=None,
            now=LATER,
        )
    still = await get_request(session=db_session, request_id=request.id)
    assert still is not None
    assert still.status == "open"


async def test_naive_times_are_refused(db_session: AsyncSession) -> None:
    request = await new_request(db_session)
    assert request.id is not None
    rid = request.id
    naive = datetime(2026, 11, 24, 9, 0)  # noqa: DTZ001 - the point of the test
    calls: list[Awaitable[object]] = [
        open_request(session=db_session, release_id=request.release_id, round=2, now=naive),
        add_approval(session=db_session, request_id=rid, user_id="U1", now=naive),
        withdraw_approval(session=db_session, request_id=rid, user_id="U1", now=naive),
        set_ticks(
            session=db_session, request_id=rid, items=[], allowed=[], user_id="U1", now=naive
        ),
        decide(
            session=db_session,
            request_id=rid,
            status=SignoffStatus.APPROVED,
            by=None,
            reason=None,
            now=naive,
        ),
    ]
    for call in calls:
        with pytest.raises(NaiveDatetimeError):
            await call


# The schema


async def test_deleting_the_release_deletes_its_sign_off(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        request = await new_request(session)
        kept = await new_request(session, version="2026.11.2")
        assert request.id is not None
        assert kept.id is not None
        for rid in (request.id, kept.id):
            await add_approval(session=session, request_id=rid, user_id="U1", now=T0)
            await set_ticks(
                session=session,
                request_id=rid,
                items=CHECKLIST,
                allowed=CHECKLIST,
                user_id="U1",
                now=T0,
            )
        await session.commit()
    async with db_sessions() as session:
        await session.exec(delete(ReleaseRow).where(col(ReleaseRow.id) == request.release_id))
        await session.commit()
    async with db_sessions() as session:
        assert await get_request(session=session, request_id=request.id) is None
        assert await count(session, SignoffRequestRow) == 1
        assert await count(session, SignoffApprovalRow) == 1
        assert await count(session, SignoffTickRow) == len(CHECKLIST)
        assert len(await list_ticks(session=session, request_id=kept.id)) == len(CHECKLIST)


async def test_the_constraints_hold_without_the_repository(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        request = await new_request(session)
        assert request.id is not None
        await add_approval(session=session, request_id=request.id, user_id="U1", now=T0)
        await set_ticks(
            session=session,
            request_id=request.id,
            items=CHECKLIST[:1],
            allowed=CHECKLIST,
            user_id="U1",
            now=T0,
        )
        await session.commit()
    rid, release_id = request.id, request.release_id
    duplicates: list[object] = [
        SignoffRequestRow(release_id=release_id, round=1, status="open", created_at=T0),
        SignoffRequestRow(release_id=release_id, round=2, status="pending", created_at=T0),
        SignoffRequestRow(release_id=release_id + 1000, round=1, status="open", created_at=T0),
        SignoffApprovalRow(request_id=rid, user_id="U1", approved_at=T0),
        SignoffTickRow(request_id=rid, item=CHECKLIST[0], user_id="U2", ticked_at=T0),
        SignoffTickRow(request_id=rid + 1000, item=CHECKLIST[0], user_id="U2", ticked_at=T0),
    ]
    for row in duplicates:
        async with db_sessions() as session:
            session.add(row)
            with pytest.raises(IntegrityError):
                await session.flush()
            await session.rollback()
