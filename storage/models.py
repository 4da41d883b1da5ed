"""The foundation tables: audit trail, idempotency keys and Slack message references.

Every time column is a :class:`~storage.types.UTCDateTime`; every name of an index or a
constraint comes from the naming convention on :data:`storage.base.metadata`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlmodel import Field

from storage.base import StorageModel, metadata
from storage.types import UTCDateTime, json_type

__all__ = [
    "AuditEvent",
    "IdempotencyKey",
    "IdempotencyScope",
    "RefKind",
    "SlackMessageRef",
    "SystemActor",
    "metadata",
]


class SystemActor(StrEnum):
    """Actors of an audit event that are not a Slack user (those are stored as their user ID)."""

    SYSTEM = "system"
    SCHEDULER = "scheduler"
    CI = "ci"


class IdempotencyScope(StrEnum):
    """What kind of delivery an idempotency key deduplicates."""

    SLACK_RETRY = "slack-retry"
    WEBHOOK = "webhook"
    CLICK = "click"
    ALERT_GROUP = "alert-group"


class RefKind(StrEnum):
    """The kinds of Slack message the bot updates in place later."""

    RELEASE_ROOT = "release_root"
    GATE_REPORT = "gate_report"
    SIGNOFF_REQUEST = "signoff_request"
    DEPLOY_PROGRESS = "deploy_progress"
    ALERT_THREAD = "alert_thread"


class AuditEvent(StorageModel, table=True):
    """One thing that happened to a subject: who, what, when, from which state to which, why."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id", "at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor: str = Field(sa_type=String(64), nullable=False)
    action: str = Field(sa_type=String(64), nullable=False)
    subject_type: str = Field(sa_type=String(32), nullable=False)
    subject_id: str = Field(sa_type=String(128), nullable=False)
    from_state: str | None = Field(default=None, sa_type=String(32), nullable=True)
    to_state: str | None = Field(default=None, sa_type=String(32), nullable=True)
    reason: str | None = Field(default=None, sa_type=Text, nullable=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=json_type(), nullable=False)


class IdempotencyKey(StorageModel, table=True):
    """A delivery seen once, until ``expires_at``; ``result`` replays its outcome."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(sa_type=String(32), nullable=False)
    key: str = Field(sa_type=String(255), nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    result: dict[str, Any] | None = Field(default=None, sa_type=json_type(), nullable=True)


class SlackMessageRef(StorageModel, table=True):
    """Where a message the bot may edit later lives; one per (kind, subject)."""

    __tablename__ = "slack_message_refs"
    __table_args__ = (UniqueConstraint("kind", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(32), nullable=False)
    subject: str = Field(sa_type=String(200), nullable=False)
    channel_id: str = Field(sa_type=String(32), nullable=False)
    ts: str = Field(sa_type=String(32), nullable=False)
    thread_ts: str | None = Field(default=None, sa_type=String(32), nullable=True)
    # The releases table arrives in a later migration, which adds the foreign key.
    release_id: int | None = Field(default=None, nullable=True, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
