"""Alert groups and their alerts: one group per (source, key), one row per alert fingerprint.

:func:`open_group` is one atomic ``INSERT … ON CONFLICT DO NOTHING`` on the key's hash, so two
replicas receiving the same group create one row. :func:`lock_group` takes the group's row lock
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writes one at a time anyway) so the receivers
of one group merge its alerts one after another. Every change of a group bumps ``row_version``;
:func:`change_group` applies one only while its guards hold (a compare-and-set), so of two
people acknowledging, exactly one does. :func:`claim_announcements` hands each alert change
to exactly one announcer.

Repositories never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.base import FRESH, FRESH_WRITE
from storage.models import AlertGroupRow, AlertRow
from storage.types import to_utc
from storage.upsert import upsert_into

__all__ = [
    "change_group", "claim_announcements", "get_group", "group_by_key", "groups_by_page_key",
    "groups_of_release", "groups_to_escalate", "groups_to_show", "key_hash", "list_alerts",
    "lock_group", "mark_shown", "open_group", "save_alerts",
]  # fmt: skip

FIRING = "firing"


def key_hash(source: str, group_key: str) -> str:
    return hashlib.sha256(f"{source}\n{group_key}".encode()).hexdigest()


async def open_group(
    *,
    session: AsyncSession,
    source: str,
    group_key: str,
    page_key: str,
    title: str,
    channel: str,
    labels: Mapping[str, str],
    first_fired_at: datetime,
    now: datetime,
) -> tuple[AlertGroupRow, bool]:
    """The group of ``(source, group_key)``, created now unless it exists; ``True`` if created."""
    now = to_utc(now, name="now")
    insert = upsert_into(session=session, entity=AlertGroupRow).values(
        source=source,
        group_key=group_key,
        key_hash=key_hash(source, group_key),
        page_key=page_key,
        title=title,
        channel=channel,
        labels=dict(labels),
        status=FIRING,
        first_fired_at=to_utc(first_fired_at, name="first_fired_at"),
        excluded=[],
        row_version=1,
        shown_version=0,
        created_at=now,
        updated_at=now,
    )
    statement = insert.on_conflict_do_nothing(index_elements=[col(AlertGroupRow.key_hash)])
    created = (await session.exec(statement.returning(AlertGroupRow))).scalars().first()
    if created is not None:
        return created, True
    found = await group_by_key(session=session, source=source, group_key=group_key)
    assert found is not None
    return found, False


async def group_by_key(
    *, session: AsyncSession, source: str, group_key: str
) -> AlertGroupRow | None:
    statement = select(AlertGroupRow).where(
        col(AlertGroupRow.key_hash) == key_hash(source, group_key)
    )
    return (await session.exec(statement, execution_options=FRESH)).first()


async def get_group(*, session: AsyncSession, group_id: int) -> AlertGroupRow | None:
    statement = select(AlertGroupRow).where(col(AlertGroupRow.id) == group_id)
    return (await session.exec(statement, execution_options=FRESH)).first()


async def lock_group(*, session: AsyncSession, group_id: int) -> AlertGroupRow | None:
    """The group, locked for this transaction (PostgreSQL); None if it does not exist."""
    statement = select(AlertGroupRow).where(col(AlertGroupRow.id) == group_id).with_for_update()
    return (await session.exec(statement, execution_options=FRESH)).first()


async def groups_by_page_key(*, session: AsyncSession, page_key: str) -> list[AlertGroupRow]:
    statement = (
        select(AlertGroupRow)
        .where(col(AlertGroupRow.page_key) == page_key)
        .order_by(col(AlertGroupRow.id))
    )
    return list(await session.exec(statement, execution_options=FRESH))


async def groups_of_release(*, session: AsyncSession, release_id: int) -> list[AlertGroupRow]:
    """The groups attributed to the release, the first to fire first."""
    statement = (
        select(AlertGroupRow)
        .where(col(AlertGroupRow.release_id) == release_id)
        .order_by(col(AlertGroupRow.first_fired_at), col(AlertGroupRow.id))
    )
    return list(await session.exec(statement, execution_options=FRESH))


async def groups_to_show(*, session: AsyncSession, limit: int = 100) -> list[int]:
    """Ids of groups with a change their root does not show yet, the oldest change first."""
    statement = (
        select(col(AlertGroupRow.id))
        .where(col(AlertGroupRow.shown_version) < col(AlertGroupRow.row_version))
        .order_by(col(AlertGroupRow.updated_at))
        .limit(limit)
    )
    return [int(i) for i in await session.exec(statement) if i is not None]


async def groups_to_escalate(*, session: AsyncSession, fired_before: datetime) -> list[int]:
    """Ids of firing groups nobody acknowledged, not escalated yet, that fired, and reached
    the bot, before then (an alert that started long before it arrived gets the full time)."""
    before = to_utc(fired_before, name="fired_before")
    statement = (
        select(col(AlertGroupRow.id))
        .where(col(AlertGroupRow.status) == FIRING)
        .where(col(AlertGroupRow.acked_at).is_(None))
        .where(col(AlertGroupRow.escalated_at).is_(None))
        .where(col(AlertGroupRow.first_fired_at) <= before)
        .where(col(AlertGroupRow.created_at) <= before)
        .order_by(col(AlertGroupRow.first_fired_at))
    )
    return [int(i) for i in await session.exec(statement) if i is not None]


async def change_group(
    *,
    session: AsyncSession,
    group_id: int,
    now: datetime,
    guards: Sequence[ColumnElement[bool]] = (),
    **values: Any,
) -> AlertGroupRow | None:
    """Set ``values`` if every guard holds; bumps ``row_version``. None: a guard failed."""
    if not values:
        raise ValueError("change_group needs at least one field to change")
    statement = (
        update(AlertGroupRow)
        .where(col(AlertGroupRow.id) == group_id, *guards)
        .values(
            **values,
            updated_at=to_utc(now, name="now"),
            row_version=col(AlertGroupRow.row_version) + 1,
        )
        .returning(AlertGroupRow)
    )
    result = await session.exec(statement, execution_options=FRESH_WRITE)
    changed: AlertGroupRow | None = result.scalars().first()
    return changed


async def mark_shown(*, session: AsyncSession, group_id: int, version: int) -> None:
    """Record that the root shows the group at ``version`` (never moving backwards)."""
    statement = (
        update(AlertGroupRow)
        .where(col(AlertGroupRow.id) == group_id)
        .where(col(AlertGroupRow.shown_version) < version)
        .values(shown_version=version)
    )
    await session.exec(statement, execution_options={"synchronize_session": False})


async def list_alerts(*, session: AsyncSession, group_id: int) -> list[AlertRow]:
    statement = (
        select(AlertRow)
        .where(col(AlertRow.group_id) == group_id)
        .order_by(col(AlertRow.starts_at), col(AlertRow.id))
    )
    return list(await session.exec(statement, execution_options=FRESH))


async def save_alerts(
    *, session: AsyncSession, group_id: int, alerts: Sequence[Mapping[str, Any]], now: datetime
) -> None:
    """Insert or replace the group's alerts (each a mapping of :class:`AlertRow` fields with
    ``fingerprint``); an alert's ``announced`` status is kept."""
    if not alerts:
        return
    now = to_utc(now, name="now")
    rows = [
        {**alert, "group_id": group_id, "received_at": now, "updated_at": now} for alert in alerts
    ]
    insert = upsert_into(session=session, entity=AlertRow).values(rows)
    changed = ("status", "labels", "annotations", "starts_at", "ends_at", "url", "updated_at")
    statement = insert.on_conflict_do_update(
        index_elements=[col(AlertRow.group_id), col(AlertRow.fingerprint)],
        set_={name: insert.excluded[name] for name in changed},
    )
    await session.exec(statement)


async def claim_announcements(*, session: AsyncSession, group_id: int) -> list[AlertRow]:
    """The group's alerts whose status their thread has not told yet, now claimed as told."""
    statement = (
        update(AlertRow)
        .where(col(AlertRow.group_id) == group_id)
        .where(
            or_(col(AlertRow.announced).is_(None), col(AlertRow.announced) != col(AlertRow.status))
        )
        .values(announced=col(AlertRow.status))
        .returning(AlertRow)
    )
    result = await session.exec(statement, execution_options=FRESH_WRITE)
    return sorted(result.scalars().all(), key=lambda row: (row.starts_at, row.id or 0))
