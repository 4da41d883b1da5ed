"""QA sign-off: one request per release build, its approvals and its ticked checklist.

A request is unique on ``(release_id, round)``; round 1 is the release's first build and each
new build after a rejection opens the next round. :func:`open_request` is one atomic
``INSERT … ON CONFLICT DO NOTHING``, so two replicas opening the same round create one row.
:func:`decide` is a compare-and-set from ``open``: of two deciders exactly one wins.

An approval is one row per person and request. :func:`add_approval` is one upsert that inserts
it, or re-activates it when it was withdrawn, guarded inside the statement by ``WHERE
withdrawn_at IS NOT NULL``: of concurrent clicks by one person exactly one is told it counted.
A tick is one row per checklist item, kept by whoever ticked it first.

Repositories never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.base import FRESH, FRESH_WRITE
from storage.models import SignoffApprovalRow, SignoffRequestRow, SignoffStatus, SignoffTickRow
from storage.types import to_utc
from storage.upsert import upsert_into

__all__ = [
    "active_approvals", "add_approval", "current_request", "decide", "get_request", "list_ticks",
    "open_request", "set_ticks", "withdraw_approval",
]  # fmt: skip

ITEM_MAX = 200  # the longest checklist item text signoff_ticks.item holds


async def open_request(
    *, session: AsyncSession, release_id: int, round: int, now: datetime
) -> tuple[SignoffRequestRow, bool]:
    """The release's request for ``round``, opened now unless it exists; ``True`` if opened."""
    if round < 1:
        raise ValueError(f"a sign-off round starts at 1, got {round}")
    now = to_utc(now, name="now")
    insert = upsert_into(session=session, entity=SignoffRequestRow).values(
        release_id=release_id, round=round, status=SignoffStatus.OPEN.value, created_at=now
    )
    statement = insert.on_conflict_do_nothing(
        index_elements=[col(SignoffRequestRow.release_id), col(SignoffRequestRow.round)]
    ).returning(SignoffRequestRow)
    result = await session.exec(statement, execution_options=FRESH)
    created: SignoffRequestRow | None = result.scalars().first()
    if created is not None:
        return created, True
    existing = select(SignoffRequestRow).where(
        col(SignoffRequestRow.release_id) == release_id, col(SignoffRequestRow.round) == round
    )
    return (await session.exec(existing, execution_options=FRESH)).one(), False


async def current_request(*, session: AsyncSession, release_id: int) -> SignoffRequestRow | None:
    """The release's request of the highest round, if any."""
    statement = (
        select(SignoffRequestRow)
        .where(col(SignoffRequestRow.release_id) == release_id)
        .order_by(col(SignoffRequestRow.round).desc())
        .limit(1)
    )
    return (await session.exec(statement, execution_options=FRESH)).first()


async def get_request(*, session: AsyncSession, request_id: int) -> SignoffRequestRow | None:
    """The request with this id, if any."""
    statement = select(SignoffRequestRow).where(col(SignoffRequestRow.id) == request_id)
    return (await session.exec(statement, execution_options=FRESH)).first()


async def add_approval(
    *, session: AsyncSession, request_id: int, user_id: str, now: datetime
) -> bool:
    """Make ``user_id``'s approval active; ``False`` when it already was."""
    now = to_utc(now, name="now")
    insert = upsert_into(session=session, entity=SignoffApprovalRow).values(
        request_id=request_id, user_id=user_id, approved_at=now, withdrawn_at=None
    )
    statement = insert.on_conflict_do_update(
        index_elements=[col(SignoffApprovalRow.request_id), col(SignoffApprovalRow.user_id)],
        set_={"approved_at": insert.excluded.approved_at, "withdrawn_at": None},
        where=col(SignoffApprovalRow.withdrawn_at).is_not(None),
    ).returning(col(SignoffApprovalRow.id))
    return (await session.exec(statement)).first() is not None


async def withdraw_approval(
    *, session: AsyncSession, request_id: int, user_id: str, now: datetime
) -> bool:
    """Withdraw ``user_id``'s active approval; ``False`` when there was none."""
    now = to_utc(now, name="now")
    statement = (
        update(SignoffApprovalRow)
        .where(col(SignoffApprovalRow.request_id) == request_id)
        .where(col(SignoffApprovalRow.user_id) == user_id)
        .where(col(SignoffApprovalRow.withdrawn_at).is_(None))
        .values(withdrawn_at=now)
        .returning(SignoffApprovalRow)
    )
    result = await session.exec(statement, execution_options=FRESH_WRITE)
    return result.scalars().first() is not None


async def active_approvals(*, session: AsyncSession, request_id: int) -> list[SignoffApprovalRow]:
    """The request's approvals not withdrawn, the oldest first."""
    statement = (
        select(SignoffApprovalRow)
        .where(col(SignoffApprovalRow.request_id) == request_id)
        .where(col(SignoffApprovalRow.withdrawn_at).is_(None))
        .order_by(col(SignoffApprovalRow.approved_at), col(SignoffApprovalRow.id))
    )
    return list((await session.exec(statement, execution_options=FRESH)).all())


async def set_ticks(
    *,
    session: AsyncSession,
    request_id: int,
    items: Collection[str],
    allowed: Collection[str],
    user_id: str,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """Make the ticked items exactly ``items`` ∩ ``allowed``; returns ``(added, removed)``.

    A new tick is recorded as ``user_id``'s, unless someone ticked it first. Every other tick
    goes, including one of an item no longer on the checklist (listed after the others).
    """
    now = to_utc(now, name="now")
    order = {item: index for index, item in enumerate(dict.fromkeys(allowed))}
    chosen = set(items)
    wanted = [item for item in order if item in chosen]
    too_long = [item for item in wanted if len(item) > ITEM_MAX]
    if too_long:
        raise ValueError(
            f"checklist item {too_long[0][:40]!r}… is over {ITEM_MAX} characters: "
            "shorten it in the train's sign-off checklist"
        )
    added: set[str] = set()
    if wanted:
        rows = [
            {"request_id": request_id, "item": item, "user_id": user_id, "ticked_at": now}
            for item in wanted
        ]
        insert = upsert_into(session=session, entity=SignoffTickRow).values(rows)
        statement = insert.on_conflict_do_nothing(
            index_elements=[col(SignoffTickRow.request_id), col(SignoffTickRow.item)]
        ).returning(col(SignoffTickRow.item))
        added = set((await session.exec(statement)).scalars())
    untick = (
        delete(SignoffTickRow)
        .where(col(SignoffTickRow.request_id) == request_id)
        .where(col(SignoffTickRow.item).not_in(wanted))
        .returning(col(SignoffTickRow.item))
    )
    deleted = await session.exec(untick, execution_options={"synchronize_session": False})
    removed: set[str] = set(deleted.scalars())
    return (
        [item for item in wanted if item in added],
        sorted(removed, key=lambda item: (order.get(item, len(order)), item)),
    )


async def list_ticks(*, session: AsyncSession, request_id: int) -> list[SignoffTickRow]:
    """The request's ticked items, in the order they were ticked."""
    statement = (
        select(SignoffTickRow)
        .where(col(SignoffTickRow.request_id) == request_id)
        .order_by(col(SignoffTickRow.id))
    )
    return list((await session.exec(statement, execution_options=FRESH)).all())


async def decide(
    *,
    session: AsyncSession,
    request_id: int,
    status: SignoffStatus,
    by: str | None,
    reason: str | None,
    now: datetime,
) -> bool:
    """Close an open request as ``status``; ``False`` when it was already decided (or unknown)."""
    status = SignoffStatus(status)
    if status is SignoffStatus.OPEN:
        raise ValueError("a sign-off decision must close the request: got status 'open'")
    now = to_utc(now, name="now")
    statement = (
        update(SignoffRequestRow)
        .where(col(SignoffRequestRow.id) == request_id)
        .where(col(SignoffRequestRow.status) == SignoffStatus.OPEN.value)
        .values(status=status.value, decided_at=now, decided_by=by, reason=reason)
        .returning(SignoffRequestRow)
    )
    result = await session.exec(statement, execution_options=FRESH_WRITE)
    return result.scalars().first() is not None
