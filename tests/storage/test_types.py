"""UTCDateTime: aware UTC in, aware UTC out, on both backends; naive input refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import make_url
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import record_audit
from storage.models import AuditEvent
from storage.types import NaiveDatetimeError, UTCDateTime, to_utc

SQLITE, POSTGRES = DIALECTS = [
    make_url(url).get_dialect()() for url in ("sqlite+aiosqlite://", "postgresql+asyncpg://")
]


@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 2),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=datetime(9998, 12, 31),  # noqa: DTZ001
        timezones=st.timezones(),
    )
)
def test_bind_then_read_is_the_same_instant_in_utc(moment: datetime) -> None:
    column = UTCDateTime()
    for dialect in DIALECTS:
        stored = column.process_bind_param(moment, dialect)
        assert stored is not None
        read = column.process_result_value(stored, dialect)
        # Compared in UTC: Python never equates an ambiguous local time with another zone's.
        assert read == moment.astimezone(UTC)
        assert read is not None
        assert read.tzinfo is UTC


def test_sqlite_stores_naive_utc_and_postgres_aware_utc() -> None:
    # 02:30 on the spring-forward day does not exist in Berlin; fold=0 reads it as +01:00.
    moment = datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    column = UTCDateTime()
    assert column.process_bind_param(moment, SQLITE) == datetime(  # noqa: DTZ001
        2026, 3, 29, 1, 30
    )
    assert column.process_bind_param(moment, POSTGRES) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert column.process_bind_param(None, SQLITE) is None
    assert column.process_result_value(None, SQLITE) is None


def test_naive_and_non_datetime_values_are_refused() -> None:
    naive = datetime(2026, 1, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(NaiveDatetimeError, match="naive datetime 2026-01-01T12:00:00 cannot"):
        UTCDateTime().process_bind_param(naive, SQLITE)
    with pytest.raises(NaiveDatetimeError, match=r"naive at .*datetime\.now\(UTC\)"):
        to_utc(naive, name="at")
    with pytest.raises(TypeError, match="expected a datetime, got str"):
        UTCDateTime().process_bind_param("2026-01-01", SQLITE)  # type: ignore[arg-type]


async def test_aware_datetimes_round_trip_through_the_database(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    moments = [
        datetime(2026, 10, 25, 2, 30, 0, 123456, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    async with db_sessions() as session:
        for index, moment in enumerate(moments):
            session.add(
                AuditEvent(
                    at=moment, actor="system", action="t", subject_type="t", subject_id=str(index)
                )
            )
        await session.commit()
    async with db_sessions() as session:
        rows = list(await session.exec(select(AuditEvent).order_by(AuditEvent.subject_id)))
    assert [row.at for row in rows] == [moment.astimezone(UTC) for moment in moments]
    assert rows[0].at == datetime(2026, 10, 25, 0, 30, 0, 123456, tzinfo=UTC)  # CEST, fold=0
    assert all(row.at.tzinfo is UTC for row in rows)


async def test_comparisons_in_sql_follow_the_instant_not_the_offset(
    db_session: AsyncSession,
) -> None:
    # 10:00+02:00 is 08:00 UTC: earlier than 09:00 UTC despite the larger wall time.
    early = datetime(2026, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    late = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    for subject, at in (("early", early), ("late", late)):
        await record_audit(
            session=db_session,
            actor="system",
            action="t",
            subject_type="t",
            subject_id=subject,
            at=at,
        )
    cutoff = datetime(2026, 5, 1, 4, 30, tzinfo=timezone(timedelta(hours=-4)))  # 08:30 UTC
    before = await db_session.exec(select(AuditEvent.subject_id).where(AuditEvent.at < cutoff))
    assert list(before) == ["early"]


async def test_a_naive_datetime_never_reaches_the_database(db_session: AsyncSession) -> None:
    db_session.add(
        AuditEvent(
            at=datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
            actor="system",
            action="t",
            subject_type="t",
            subject_id="1",
        )
    )
    with pytest.raises(StatementError) as caught:
        await db_session.flush()
    assert isinstance(caught.value.orig, NaiveDatetimeError)
    await db_session.rollback()
    assert list(await db_session.exec(select(AuditEvent))) == []
