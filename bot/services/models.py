"""What services hand to interfaces: plain snapshots, no database rows, no Block Kit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.release import Release, ReleaseKind, ReleaseState
from storage.models import AuditEvent, ReleaseRow, TrainRow


@dataclass(frozen=True, kw_only=True)
class ReleaseInfo:
    id: int
    train: str
    version: str
    kind: ReleaseKind
    state: ReleaseState
    cut_by: str
    commit_sha: str | None
    ref: str | None
    base_version: str | None
    reason: str | None
    created_at: datetime
    state_changed_at: datetime
    released_at: datetime | None
    row_version: int

    @property
    def label(self) -> str:
        return f"{self.train}/{self.version}"

    @property
    def short_sha(self) -> str | None:
        return self.commit_sha[:7] if self.commit_sha else None

    @classmethod
    def from_row(cls, row: ReleaseRow) -> ReleaseInfo:
        assert row.id is not None
        return cls(
            id=row.id,
            train=row.train,
            version=row.version,
            kind=ReleaseKind(row.kind),
            state=ReleaseState(row.state),
            cut_by=row.cut_by,
            commit_sha=row.commit_sha,
            ref=row.ref,
            base_version=row.base_version,
            reason=row.reason,
            created_at=row.created_at,
            state_changed_at=row.state_changed_at,
            released_at=row.released_at,
            row_version=row.row_version,
        )

    def snapshot(self, *, monitoring_window: timedelta) -> Release:
        return Release(
            train=self.train,
            version=self.version,
            kind=self.kind,
            state=self.state,
            released_at=self.released_at,
            monitoring_window=monitoring_window,
        )


@dataclass(frozen=True, kw_only=True)
class TrainInfo:
    """A train's runtime state: whether it is frozen, and since when it fires milestones."""

    name: str
    frozen: bool
    frozen_reason: str | None
    frozen_by: str | None
    frozen_at: datetime | None
    schedule_anchor: datetime
    row_version: int

    @classmethod
    def from_row(cls, row: TrainRow) -> TrainInfo:
        return cls(
            name=row.name,
            frozen=row.frozen,
            frozen_reason=row.frozen_reason,
            frozen_by=row.frozen_by,
            frozen_at=row.frozen_at,
            schedule_anchor=row.schedule_anchor,
            row_version=row.row_version,
        )


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    gate: str | None = None

    @classmethod
    def from_row(cls, row: AuditEvent) -> AuditEntry:
        gate = (row.details or {}).get("gate")
        return cls(
            at=row.at,
            actor=row.actor,
            action=row.action,
            from_state=row.from_state,
            to_state=row.to_state,
            reason=row.reason,
            gate=str(gate) if gate else None,
        )


@dataclass(frozen=True, kw_only=True)
class MilestoneTime:
    name: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ReleaseCard:
    """Everything the one root message of a release shows."""

    release: ReleaseInfo
    channel: str
    services: Sequence[str] = ()
    milestones: Sequence[MilestoneTime] = field(default_factory=tuple)
