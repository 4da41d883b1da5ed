"""The audit trail: who did what to which subject, when, from which state to which, and why.

Repositories never commit: the caller owns the transaction, so an audit event is written in
the same transaction as the change it describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEvent
from storage.types import to_utc


async def record_audit(
    *,
    session: AsyncSession,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one event to the session and flush it, so it has an id; ``at`` defaults to now."""
    event = AuditEvent(
        at=to_utc(at, name="at") if at is not None else datetime.now(UTC),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        details=dict(details or {}),
    )
    session.add(event)
    await session.flush()
    return event


async def list_audit(
    *, session: AsyncSession, subject_type: str, subject_id: str | int
) -> list[AuditEvent]:
    """Every event of one subject, oldest first (ties in the order they were recorded)."""
    statement = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type)
        .where(AuditEvent.subject_id == str(subject_id))
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    return list(await session.exec(statement))
