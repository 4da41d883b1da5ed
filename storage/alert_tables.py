"""The tables of on-call: alert groups (one thread each), their alerts, and the incidents of
releases. :mod:`storage.models` re-exports them with every other table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field

from storage.base import StorageModel
from storage.types import UTCDateTime, json_type

__all__ = ["AlertGroupRow", "AlertRow", "IncidentRow"]


class AlertGroupRow(StorageModel, table=True):
    """One alert group (one thread): unique on ``key_hash``, the hash of its source and key.

    ``row_version`` grows with every change; ``shown_version`` is the last version its Slack
    root showed, so a group with ``shown_version < row_version`` still has something to show.
    ``release_id`` is the release it is attributed to; ``excluded`` the ids of releases a
    person said are not related.
    """

    __tablename__ = "alert_groups"
    __table_args__ = (
        UniqueConstraint("key_hash"),
        Index("ix_alert_groups_status", "status", "acked_at"),
        CheckConstraint("status IN ('firing', 'resolved')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(sa_type=String(16), nullable=False)
    group_key: str = Field(sa_type=Text, nullable=False)
    key_hash: str = Field(sa_type=String(64), nullable=False)
    page_key: str = Field(sa_type=String(255), nullable=False, index=True)
    title: str = Field(sa_type=Text, nullable=False)
    channel: str = Field(sa_type=String(80), nullable=False)
    labels: dict[str, Any] = Field(default_factory=dict, sa_type=json_type(), nullable=False)
    status: str = Field(sa_type=String(16), nullable=False)
    first_fired_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    release_id: int | None = Field(
        default=None, foreign_key="releases.id", ondelete="SET NULL", nullable=True, index=True
    )
    service: str | None = Field(default=None, sa_type=String(64), nullable=True)
    excluded: list[int] = Field(default_factory=list, sa_type=json_type(), nullable=False)
    detached_by: str | None = Field(default=None, sa_type=String(64), nullable=True)
    acked_by: str | None = Field(default=None, sa_type=String(128), nullable=True)
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    acked_via: str | None = Field(default=None, sa_type=String(16), nullable=True)
    resolved_by: str | None = Field(default=None, sa_type=String(128), nullable=True)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    paged_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    page_resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    row_version: int = Field(default=1, sa_type=Integer, nullable=False)
    shown_version: int = Field(default=0, sa_type=Integer, nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class AlertRow(StorageModel, table=True):
    """One alert of a group, unique on (group_id, fingerprint), as last reported.

    ``announced`` is the status its thread last told (None: not yet); claiming an announcement
    is one ``UPDATE … RETURNING``, so each change is told once, across replicas.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("group_id", "fingerprint"),
        CheckConstraint("status IN ('firing', 'resolved')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="alert_groups.id", ondelete="CASCADE", nullable=False)
    fingerprint: str = Field(sa_type=String(128), nullable=False)
    status: str = Field(sa_type=String(16), nullable=False)
    labels: dict[str, Any] = Field(default_factory=dict, sa_type=json_type(), nullable=False)
    annotations: dict[str, Any] = Field(default_factory=dict, sa_type=json_type(), nullable=False)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    url: str | None = Field(default=None, sa_type=Text, nullable=True)
    announced: str | None = Field(default=None, sa_type=String(16), nullable=True)
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class IncidentRow(StorageModel, table=True):
    """A release's incident: the instants of its timeline and the durations measured from them
    (seconds), kept for metrics. One per release; ``posted_at`` is when its timeline was last
    posted in the release's thread."""

    __tablename__ = "incidents"
    __table_args__ = (UniqueConstraint("release_id"),)

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="releases.id", ondelete="CASCADE", nullable=False)
    deployed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    first_alert_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    rollback_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    rollback_finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    detect_seconds: float | None = Field(default=None, nullable=True)
    ack_seconds: float | None = Field(default=None, nullable=True)
    rollback_seconds: float | None = Field(default=None, nullable=True)
    resolve_seconds: float | None = Field(default=None, nullable=True)
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
