"""Milestone runs: each fired milestone of a train is one row, and fires once.

A run is unique on ``(train, milestone, scheduled_for)``. :func:`claim_milestone` is one atomic
``INSERT … ON CONFLICT DO NOTHING RETURNING``: the first claimer gets the row, and a second
firing of the same occurrence (a restart, a catch-up after downtime, another replica) gets
``None`` and does nothing. A claim rolled back with its transaction frees the occurrence again.

``scheduled_for`` is the **naive local wall-clock time the cron names**, in the train's time
zone, in whole seconds: e.g. ``datetime(2026, 3, 29, 2, 30)`` for a 02:30 Berlin milestone even
on the spring-forward day, when it fires at 03:00 local. It is stored as the text
``YYYY-MM-DDTHH:MM:SS`` (:class:`~storage.types.WallClock`), so it compares exactly on both
backends, and the two 01:30s of a fall-back day are one occurrence. ``fires_at`` is the aware
UTC instant the occurrence was due.

Repositories never commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound
from storage.base import FRESH, FRESH_WRITE
from storage.models import MilestoneRunRow, MilestoneStatus
from storage.types import to_utc, to_wall_clock
from storage.upsert import upsert_into

FINISHED = frozenset({MilestoneStatus.DONE, MilestoneStatus.SKIPPED, MilestoneStatus.FAILED})


async def claim_milestone(
    *,
    session: AsyncSession,
    train: str,
    milestone: str,
    scheduled_for: datetime,
    fires_at: datetime,
    claimed_by: str,
    now: datetime,
    status: str = MilestoneStatus.RUNNING,
    detail: str | None = None,
) -> MilestoneRunRow | None:
    """Record that this occurrence fires; ``None`` when it was already claimed.

    ``status`` is ``running`` for a milestone about to run; a finished status (``skipped`` for
    a missed occurrence beyond its grace) records it as finished at ``now`` straight away.
    """
    if status not in set(MilestoneStatus):
        raise ValueError(_bad_status(status, allowed=set(MilestoneStatus)))
    now = to_utc(now, name="now")
    insert = upsert_into(session=session, entity=MilestoneRunRow).values(
        train=train,
        milestone=milestone,
        scheduled_for=to_wall_clock(scheduled_for, name="scheduled_for"),
        fires_at=to_utc(fires_at, name="fires_at"),
        status=str(status),
        detail=detail,
        release_id=None,
        claimed_by=claimed_by,
        created_at=now,
        finished_at=now if status in FINISHED else None,
    )
    statement = insert.on_conflict_do_nothing(
        index_elements=[
            col(MilestoneRunRow.train),
            col(MilestoneRunRow.milestone),
            col(MilestoneRunRow.scheduled_for),
        ]
    ).returning(MilestoneRunRow)
    result = await session.exec(statement, execution_options=FRESH)
    claimed: MilestoneRunRow | None = result.scalars().first()
    return claimed


async def finish_milestone(
    *,
    session: AsyncSession,
    run_id: int,
    status: str,
    detail: str | None = None,
    release_id: int | None = None,
    now: datetime,
) -> MilestoneRunRow:
    """Mark a run ``done``, ``skipped`` or ``failed`` at ``now``.

    ``detail`` and ``release_id`` are set when given and left as they were when ``None``.
    Raises :class:`NotFound` for an unknown run.
    """
    if status not in FINISHED:
        raise ValueError(_bad_status(status, allowed=FINISHED))
    now = to_utc(now, name="now")
    values: dict[str, object] = {"status": str(status), "finished_at": now}
    if detail is not None:
        values["detail"] = detail
    if release_id is not None:
        values["release_id"] = release_id
    statement = (
        update(MilestoneRunRow)
        .where(col(MilestoneRunRow.id) == run_id)
        .values(**values)
        .returning(MilestoneRunRow)
    )
    result = await session.exec(statement, execution_options=FRESH_WRITE)
    finished: MilestoneRunRow | None = result.scalars().first()
    if finished is None:
        raise NotFound(f"milestone run {run_id} does not exist: claim_milestone returns its id")
    return finished


async def last_run(*, session: AsyncSession, train: str, milestone: str) -> MilestoneRunRow | None:
    """The train's latest run of ``milestone`` (by when it was due), if any."""
    statement = (
        select(MilestoneRunRow)
        .where(col(MilestoneRunRow.train) == train)
        .where(col(MilestoneRunRow.milestone) == milestone)
        .order_by(col(MilestoneRunRow.fires_at).desc(), col(MilestoneRunRow.id).desc())
        .limit(1)
    )
    return (await session.exec(statement, execution_options=FRESH)).first()


async def runs_for(*, session: AsyncSession, train: str, since: datetime) -> list[MilestoneRunRow]:
    """Every run of the train due at or after ``since``, oldest first."""
    since = to_utc(since, name="since")
    statement = (
        select(MilestoneRunRow)
        .where(col(MilestoneRunRow.train) == train)
        .where(col(MilestoneRunRow.fires_at) >= since)
        .order_by(col(MilestoneRunRow.fires_at), col(MilestoneRunRow.id))
    )
    return list(await session.exec(statement, execution_options=FRESH))


def _bad_status(status: str, *, allowed: set[MilestoneStatus] | frozenset[MilestoneStatus]) -> str:
    names = ", ".join(sorted(str(value) for value in allowed))
    return f"milestone status must be one of {names}; got {status!r}"
