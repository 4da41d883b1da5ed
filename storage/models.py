"""The tables: audit trail, idempotency keys, Slack message references, releases, trains'
runtime state, milestone runs, gate results, sign-off and deployments; the alert tables live in
:mod:`storage.alert_tables` and are re-exported here.

Every instant column is a :class:`~storage.types.UTCDateTime`; every name of an index or a
constraint comes from the naming convention on :data:`storage.base.metadata`. A milestone's
``scheduled_for`` is the one exception: a :class:`~storage.types.WallClock`, the naive local
time its cron names. Release states are plain strings here: their enum and rules live in
``bot.domain.release``, which storage does not import.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field

from bot.domain.deployments import ACTIVE_PHASES, DeployPhase
from bot.domain.release import ReleaseKind
from bot.domain.roles import SystemActor
from bot.domain.signoff import SignoffStatus
from storage.alert_tables import AlertGroupRow, AlertRow, IncidentRow
from storage.base import StorageModel, metadata
from storage.types import UTCDateTime, WallClock, json_type

__all__ = [
    "ACTIVE_PHASES",
    "AlertGroupRow",
    "AlertRow",
    "AuditEvent",
    "DeployPhase",
    "DeployStepRow",
    "DeploymentRow",
    "GateResultRow",
    "IdempotencyKey",
    "IdempotencyScope",
    "IncidentRow",
    "MilestoneRunRow",
    "MilestoneStatus",
    "RefKind",
    "ReleaseKind",
    "ReleaseRow",
    "SignoffApprovalRow",
    "SignoffRequestRow",
    "SignoffStatus",
    "SignoffTickRow",
    "SlackMessageRef",
    "SystemActor",
    "TrainRow",
    "metadata",
]


class IdempotencyScope(StrEnum):
    """What kind of delivery an idempotency key deduplicates."""

    SLACK_RETRY = "slack-retry"
    SLACK_ROOT = "slack-root"
    WEBHOOK = "webhook"
    CLICK = "click"
    ALERT_GROUP = "alert-group"


class RefKind(StrEnum):
    """The kinds of Slack message the bot updates in place later."""

    RELEASE_ROOT = "release_root"
    GATE_REPORT = "gate_report"
    NOTES = "notes"
    NOTES_FILE = "notes_file"
    ANNOUNCEMENT = "announcement"
    SIGNOFF_REQUEST = "signoff_request"
    DEPLOY_PROGRESS = "deploy_progress"
    ALERT_THREAD = "alert_thread"


class MilestoneStatus(StrEnum):
    """Where a fired milestone is: claimed and running, or finished one of three ways."""

    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


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
    release_id: int | None = Field(
        default=None, foreign_key="releases.id", ondelete="SET NULL", nullable=True, index=True
    )
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ReleaseRow(StorageModel, table=True):
    """One release of a train: its version, kind, state and where its commit came from.

    ``row_version`` starts at 1 and grows by one with every change, which is always a
    compare-and-set (:mod:`storage.releases`).
    """

    __tablename__ = "releases"
    __table_args__ = (
        UniqueConstraint("train", "version"),
        Index("ix_releases_train_state", "train", "state"),
        CheckConstraint("kind IN ('train', 'hotfix')", name="kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    train: str = Field(sa_type=String(64), nullable=False)
    version: str = Field(sa_type=String(64), nullable=False, index=True)
    kind: str = Field(sa_type=String(16), nullable=False)
    state: str = Field(sa_type=String(32), nullable=False)
    commit_sha: str | None = Field(default=None, sa_type=String(64), nullable=True)
    ref: str | None = Field(default=None, sa_type=String(255), nullable=True)
    base_version: str | None = Field(default=None, sa_type=String(64), nullable=True)
    reason: str | None = Field(default=None, sa_type=Text, nullable=True)
    cut_by: str = Field(sa_type=String(64), nullable=False)
    row_version: int = Field(default=1, sa_type=Integer, nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    state_changed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    released_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class TrainRow(StorageModel, table=True):
    """The runtime state of a configured train: its channel ID, freeze and schedule anchor.

    ``schedule_anchor`` is when the bot first saw the train: only milestones after it fire.
    """

    __tablename__ = "trains"

    name: str = Field(sa_type=String(64), primary_key=True)
    channel_id: str | None = Field(default=None, sa_type=String(32), nullable=True)
    frozen: bool = Field(default=False, nullable=False)
    frozen_reason: str | None = Field(default=None, sa_type=Text, nullable=True)
    frozen_by: str | None = Field(default=None, sa_type=String(64), nullable=True)
    frozen_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    schedule_anchor: datetime = Field(sa_type=UTCDateTime, nullable=False)
    row_version: int = Field(default=1, sa_type=Integer, nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class MilestoneRunRow(StorageModel, table=True):
    """One firing of a train's milestone, unique on (train, milestone, scheduled_for).

    ``scheduled_for`` is the naive local wall-clock time the cron names (whole seconds, stored
    as ``YYYY-MM-DDTHH:MM:SS``); ``fires_at`` is the UTC instant it was due.
    """

    __tablename__ = "milestone_runs"
    __table_args__ = (
        UniqueConstraint("train", "milestone", "scheduled_for"),
        CheckConstraint("status IN ('running', 'done', 'skipped', 'failed')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    train: str = Field(sa_type=String(64), nullable=False)
    milestone: str = Field(sa_type=String(64), nullable=False)
    scheduled_for: datetime = Field(sa_type=WallClock, nullable=False)
    fires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(sa_type=String(16), nullable=False)
    detail: str | None = Field(default=None, sa_type=Text, nullable=True)
    release_id: int | None = Field(
        default=None, foreign_key="releases.id", ondelete="SET NULL", nullable=True, index=True
    )
    claimed_by: str = Field(sa_type=String(64), nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class GateResultRow(StorageModel, table=True):
    """One gate of one release: its latest judged result and its override, if any.

    ``result`` is the judged :class:`bot.domain.gates.GateResult` as JSON (see
    :mod:`storage.gates`); a row may hold only an override (a gate overridden while pending).
    ``commit_sha`` is the commit the result was built from; ``override_commit`` the commit it
    was overridden at: a result for another commit ends the override.
    """

    __tablename__ = "gate_results"
    __table_args__ = (UniqueConstraint("release_id", "gate"),)

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="releases.id", ondelete="CASCADE", nullable=False)
    gate: str = Field(sa_type=String(16), nullable=False)
    result: dict[str, Any] | None = Field(default=None, sa_type=json_type(), nullable=True)
    commit_sha: str | None = Field(default=None, sa_type=String(64), nullable=True)
    build_url: str | None = Field(default=None, sa_type=Text, nullable=True)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    override_actor: str | None = Field(default=None, sa_type=String(64), nullable=True)
    override_reason: str | None = Field(default=None, sa_type=Text, nullable=True)
    override_commit: str | None = Field(default=None, sa_type=String(64), nullable=True)
    overridden_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    row_version: int = Field(default=1, sa_type=Integer, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class SignoffRequestRow(StorageModel, table=True):
    """One QA sign-off request of a release: one per build, unique on (release_id, round).

    ``round`` is 1 for the release's first build and grows by one for each new build after a
    rejection. It is decided once, by compare-and-set from ``open`` (:mod:`storage.signoff`).
    """

    __tablename__ = "signoff_requests"
    __table_args__ = (
        UniqueConstraint("release_id", "round"),
        CheckConstraint(
            "status IN ('open', 'approved', 'rejected', 'superseded', 'cancelled')",
            name="status",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="releases.id", ondelete="CASCADE", nullable=False)
    round: int = Field(sa_type=Integer, nullable=False)
    status: str = Field(sa_type=String(16), nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    decided_by: str | None = Field(default=None, sa_type=String(64), nullable=True)
    reason: str | None = Field(default=None, sa_type=Text, nullable=True)


class SignoffApprovalRow(StorageModel, table=True):
    """One person's approval of a sign-off request; active while ``withdrawn_at`` is empty.

    Withdrawing sets ``withdrawn_at``; approving again clears it and moves ``approved_at``.
    """

    __tablename__ = "signoff_approvals"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="signoff_requests.id", ondelete="CASCADE", nullable=False)
    user_id: str = Field(sa_type=String(64), nullable=False)
    approved_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class SignoffTickRow(StorageModel, table=True):
    """One ticked checklist item of a sign-off request (its text), and who ticked it first."""

    __tablename__ = "signoff_ticks"
    __table_args__ = (UniqueConstraint("request_id", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="signoff_requests.id", ondelete="CASCADE", nullable=False)
    item: str = Field(sa_type=String(200), nullable=False)
    user_id: str = Field(sa_type=String(64), nullable=False)
    ticked_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class DeploymentRow(StorageModel, table=True):
    """The deployment of one service of a release, unique on (release_id, service).

    ``position`` is the service's place in the train; ``step`` indexes the strategy's plan and
    ``state`` holds the canary state as the caller serialized it. Every change is a
    compare-and-set on ``row_version`` (:mod:`storage.deployments`).
    """

    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint("release_id", "service"),
        CheckConstraint("strategy IN ('canary', 'blue_green')", name="strategy"),
        CheckConstraint(
            "phase IN ('pending', 'running', 'paused', 'promoting', 'done', 'failed', "
            "'rolling_back', 'rolled_back', 'rollback_failed', 'skipped')",
            name="phase",
        ),
        CheckConstraint("weight BETWEEN 0 AND 100", name="weight"),
    )

    id: int | None = Field(default=None, primary_key=True)
    release_id: int = Field(foreign_key="releases.id", ondelete="CASCADE", nullable=False)
    service: str = Field(sa_type=String(64), nullable=False)
    position: int = Field(sa_type=Integer, nullable=False)
    adapter: str = Field(sa_type=String(32), nullable=False)
    strategy: str = Field(sa_type=String(16), nullable=False)
    phase: str = Field(sa_type=String(16), nullable=False, index=True)
    step: int = Field(default=0, sa_type=Integer, nullable=False)
    weight: int = Field(default=0, sa_type=Integer, nullable=False)
    state: dict[str, Any] | None = Field(default=None, sa_type=json_type(), nullable=True)
    message: str | None = Field(default=None, sa_type=Text, nullable=True)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    row_version: int = Field(default=1, sa_type=Integer, nullable=False)


class DeployStepRow(StorageModel, table=True):
    """One step issued to a deployment's adapter, unique on (deployment_id, key).

    Claiming the key is what issues the step, so a step (or a rollback) is issued once; its
    ``outcome`` is set once, when the adapter answered.
    """

    __tablename__ = "deploy_steps"
    __table_args__ = (
        UniqueConstraint("deployment_id", "key"),
        CheckConstraint(
            "action IN ('deploy', 'set_weight', 'promote', 'rollback', 'switch')", name="action"
        ),
        CheckConstraint("weight BETWEEN 0 AND 100", name="weight"),
        CheckConstraint("outcome IS NULL OR outcome IN ('ok', 'failed')", name="outcome"),
    )

    id: int | None = Field(default=None, primary_key=True)
    deployment_id: int = Field(foreign_key="deployments.id", ondelete="CASCADE", nullable=False)
    key: str = Field(sa_type=String(64), nullable=False)
    action: str = Field(sa_type=String(16), nullable=False)
    weight: int = Field(sa_type=Integer, nullable=False)
    issued_by: str = Field(sa_type=String(64), nullable=False)
    issued_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    outcome: str | None = Field(default=None, sa_type=String(8), nullable=True)
    detail: str | None = Field(default=None, sa_type=Text, nullable=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
