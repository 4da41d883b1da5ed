"""Audit trail contract, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import list_audit, record_audit
from storage.models import AuditEvent, SystemActor
from storage.types import NaiveDatetimeError

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def test_record_returns_the_stored_event(db_session: AsyncSession) -> None:
    event = await record_audit(
        session=db_session,
        actor="U012ABCDEF",
        action="cut",
        subject_type="release",
        subject_id=42,
        from_state="planned",
        to_state="gating",
        reason="weekly train",
        details={"version": "2026.11.3", "gates": ["tests", "coverage"], "nested": {"n": 1}},
        at=T0,
    )
    assert event.id is not None
    await db_session.commit()
    [stored] = await list_audit(session=db_session, subject_type="release", subject_id="42")
    assert stored.id == event.id
    assert (stored.actor, stored.action, stored.subject_id) == ("U012ABCDEF", "cut", "42")
    assert (stored.from_state, stored.to_state, stored.reason) == (
        "planned",
        "gating",
        "weekly train",
    )
    assert stored.details == {
        "version": "2026.11.3",
        "gates": ["tests", "coverage"],
        "nested": {"n": 1},
    }
    assert stored.at == T0


async def test_defaults_are_now_and_empty_details(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    before = datetime.now(UTC)
    async with db_sessions() as session:
        await record_audit(
            session=session,
            actor=SystemActor.SCHEDULER,
            action="remind",
            subject_type="train",
            subject_id="web",
        )
        await session.commit()
    after = datetime.now(UTC)
    async with db_sessions() as session:
        [event] = await list_audit(session=session, subject_type="train", subject_id="web")
    assert before <= event.at <= after
    assert event.at.tzinfo is UTC
    assert event.actor == "scheduler"
    assert event.details == {}
    assert (event.from_state, event.to_state, event.reason) == (None, None, None)


async def test_list_is_oldest_first_and_only_that_subject(db_session: AsyncSession) -> None:
    async def record(action: str, at: datetime, subject_id: str = "7") -> AuditEvent:
        return await record_audit(
            session=db_session,
            actor="system",
            action=action,
            subject_type="release",
            subject_id=subject_id,
            at=at,
        )

    await record("third", T0 + timedelta(minutes=2))
    await record("first", T0)
    await record("second-a", T0 + timedelta(minutes=1))
    await record("second-b", T0 + timedelta(minutes=1))  # same instant: recording order
    await record("other release", T0, subject_id="8")
    await record_audit(
        session=db_session,
        actor="ci",
        action="other type",
        subject_type="train",
        subject_id="7",
        at=T0,
    )
    await db_session.commit()
    events = await list_audit(session=db_session, subject_type="release", subject_id=7)
    assert [event.action for event in events] == ["first", "second-a", "second-b", "third"]
    assert await list_audit(session=db_session, subject_type="release", subject_id="999") == []


async def test_an_event_rolls_back_with_its_transaction(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        await record_audit(
            session=session, actor="system", action="cut", subject_type="release", subject_id=1
        )
        await session.rollback()
    async with db_sessions() as session:
        assert await list_audit(session=session, subject_type="release", subject_id=1) == []


async def test_a_naive_time_is_refused(db_session: AsyncSession) -> None:
    with pytest.raises(NaiveDatetimeError, match="naive at"):
        await record_audit(
            session=db_session,
            actor="system",
            action="cut",
            subject_type="release",
            subject_id=1,
            at=datetime(2026, 1, 1, 9, 0),  # noqa: DTZ001 - the point of the test
        )


async def test_an_aware_time_is_kept_as_utc(db_session: AsyncSession) -> None:
    local = datetime(2026, 7, 1, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    event = await record_audit(
        session=db_session,
        actor="system",
        action="cut",
        subject_type="release",
        subject_id=1,
        at=local,
    )
    assert event.at == datetime(2026, 7, 1, 16, 0, tzinfo=UTC)
    assert event.at.tzinfo is UTC
