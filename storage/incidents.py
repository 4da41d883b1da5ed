"""Incidents: one row per release, holding its timeline's instants and the durations measured
from them, kept for metrics. :func:`save_incident` is one upsert; :func:`claim_post` lets one
replica post the timeline once per resolution.

Repositories never commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.base import FRESH
from storage.models import IncidentRow
from storage.types import to_utc
from storage.upsert import upsert_into

__all__ = ["claim_post", "get_incident", "save_incident"]

FIELDS = (
    "deployed_at", "first_alert_at", "acked_at", "rollback_started_at", "rollback_finished_at",
    "resolved_at", "detect_seconds", "ack_seconds", "rollback_seconds", "resolve_seconds",
)  # fmt: skip


async def save_incident(
    *, session: AsyncSession, release_id: int, now: datetime, **values: Any
) -> None:
    """Store the release's incident as ``values`` (any of :data:`FIELDS`; the rest: None)."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"an incident has no field {sorted(unknown)[0]!r}")
    row = {name: values.get(name) for name in FIELDS}
    insert = upsert_into(session=session, entity=IncidentRow).values(
        release_id=release_id, updated_at=to_utc(now, name="now"), **row
    )
    statement = insert.on_conflict_do_update(
        index_elements=[col(IncidentRow.release_id)],
        set_={name: insert.excluded[name] for name in (*FIELDS, "updated_at")},
    )
    await session.exec(statement)


async def get_incident(*, session: AsyncSession, release_id: int) -> IncidentRow | None:
    statement = select(IncidentRow).where(col(IncidentRow.release_id) == release_id)
    return (await session.exec(statement, execution_options=FRESH)).first()


async def claim_post(*, session: AsyncSession, release_id: int, now: datetime) -> bool:
    """True for the one caller that posts the timeline of the incident's latest resolution."""
    statement = (
        update(IncidentRow)
        .where(col(IncidentRow.release_id) == release_id)
        .where(col(IncidentRow.resolved_at).is_not(None))
        .where(
            or_(
                col(IncidentRow.posted_at).is_(None),
                col(IncidentRow.posted_at) < col(IncidentRow.resolved_at),
            )
        )
        .values(posted_at=to_utc(now, name="now"))
        .returning(col(IncidentRow.id))
    )
    return (await session.exec(statement)).first() is not None
