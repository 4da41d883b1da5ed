"""Where the Slack messages live that the bot edits in place later.

One row per ``(kind, subject)``, e.g. ``("release_root", "release:42")`` or
``("alert_thread", "alert-group:<key>")``. :func:`upsert_ref` is one atomic
``INSERT … ON CONFLICT DO UPDATE``, so concurrent posters of the same message never create two
rows or fail on the unique constraint: the last writer's channel and ts win.

Repositories never commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SlackMessageRef
from storage.types import to_utc
from storage.upsert import upsert_into


async def upsert_ref(
    *,
    session: AsyncSession,
    kind: str,
    subject: str,
    channel_id: str,
    ts: str,
    thread_ts: str | None = None,
    release_id: int | None = None,
    now: datetime | None = None,
) -> SlackMessageRef:
    """Record the message for ``(kind, subject)``, replacing the previous one if any.

    ``created_at`` keeps the first recording; ``updated_at`` becomes ``now`` (default: now).
    """
    now = to_utc(now, name="now") if now is not None else datetime.now(UTC)
    insert = upsert_into(session=session, entity=SlackMessageRef).values(
        kind=kind,
        subject=subject,
        channel_id=channel_id,
        ts=ts,
        thread_ts=thread_ts,
        release_id=release_id,
        created_at=now,
        updated_at=now,
    )
    statement = insert.on_conflict_do_update(
        index_elements=[col(SlackMessageRef.kind), col(SlackMessageRef.subject)],
        set_={
            "channel_id": insert.excluded.channel_id,
            "ts": insert.excluded.ts,
            "thread_ts": insert.excluded.thread_ts,
            "release_id": insert.excluded.release_id,
            "updated_at": insert.excluded.updated_at,
        },
    ).returning(SlackMessageRef)
    result = await session.exec(statement, execution_options={"populate_existing": True})
    ref: SlackMessageRef = result.scalars().one()
    return ref


async def get_ref(*, session: AsyncSession, kind: str, subject: str) -> SlackMessageRef | None:
    """The message recorded for ``(kind, subject)``, if any."""
    statement = (
        select(SlackMessageRef)
        .where(col(SlackMessageRef.kind) == kind)
        .where(col(SlackMessageRef.subject) == subject)
    )
    return (await session.exec(statement)).first()


async def list_refs(*, session: AsyncSession, release_id: int) -> list[SlackMessageRef]:
    """Every message recorded for one release, oldest first."""
    statement = (
        select(SlackMessageRef)
        .where(col(SlackMessageRef.release_id) == release_id)
        .order_by(col(SlackMessageRef.created_at), col(SlackMessageRef.id))
    )
    return list(await session.exec(statement))
