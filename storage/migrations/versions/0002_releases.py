"""Releases, trains' runtime state and milestone runs; Slack refs point at releases.

Before this revision ``slack_message_refs.release_id`` referred to nothing, so a value there
cannot name a release yet: any such value is cleared before the foreign key is added (an
``ALTER TABLE`` on PostgreSQL, a table copy in batch mode on SQLite). The batch copy is given
the table's shape instead of reflecting it, so ``--sql`` (offline) works on SQLite too.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 06:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _slack_message_refs(*, with_foreign_key: bool) -> sa.Table:
    """``slack_message_refs`` as 0001 made it, optionally with this revision's foreign key."""
    referring: list[sa.ForeignKeyConstraint] = []
    metadata = sa.MetaData()
    if with_foreign_key:
        sa.Table("releases", metadata, sa.Column("id", sa.Integer(), primary_key=True))
        referring.append(
            sa.ForeignKeyConstraint(
                ["release_id"],
                ["releases.id"],
                name="fk_slack_message_refs_release_id_releases",
                ondelete="SET NULL",
            )
        )
    return sa.Table(
        "slack_message_refs",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_message_refs"),
        sa.UniqueConstraint("kind", "subject", name="uq_slack_message_refs_kind_subject"),
        sa.Index("ix_slack_message_refs_release_id", "release_id"),
        *referring,
    )


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("train", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("commit_sha", sa.String(length=64), nullable=True),
        sa.Column("ref", sa.String(length=255), nullable=True),
        sa.Column("base_version", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("cut_by", sa.String(length=64), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("state_changed_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("released_at", storage.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('train', 'hotfix')", name=op.f("ck_releases_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("train", "version", name=op.f("uq_releases_train_version")),
    )
    op.create_index("ix_releases_train_state", "releases", ["train", "state"], unique=False)
    op.create_index(op.f("ix_releases_version"), "releases", ["version"], unique=False)

    op.create_table(
        "trains",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("frozen_reason", sa.Text(), nullable=True),
        sa.Column("frozen_by", sa.String(length=64), nullable=True),
        sa.Column("frozen_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("schedule_anchor", storage.types.UTCDateTime(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_trains")),
    )

    op.create_table(
        "milestone_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("train", sa.String(length=64), nullable=False),
        sa.Column("milestone", sa.String(length=64), nullable=False),
        sa.Column("scheduled_for", storage.types.WallClock(), nullable=False),
        sa.Column("fires_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", storage.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'done', 'skipped', 'failed')",
            name=op.f("ck_milestone_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_milestone_runs_release_id_releases"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_runs")),
        sa.UniqueConstraint(
            "train",
            "milestone",
            "scheduled_for",
            name=op.f("uq_milestone_runs_train_milestone_scheduled_for"),
        ),
    )
    op.create_index(
        op.f("ix_milestone_runs_release_id"), "milestone_runs", ["release_id"], unique=False
    )

    op.execute(
        "UPDATE slack_message_refs SET release_id = NULL WHERE release_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM releases WHERE releases.id = slack_message_refs.release_id)"
    )
    with op.batch_alter_table(
        "slack_message_refs", copy_from=_slack_message_refs(with_foreign_key=False)
    ) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_slack_message_refs_release_id_releases"),
            "releases",
            ["release_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table(
        "slack_message_refs", copy_from=_slack_message_refs(with_foreign_key=True)
    ) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_slack_message_refs_release_id_releases"), type_="foreignkey"
        )
    op.drop_index(op.f("ix_milestone_runs_release_id"), table_name="milestone_runs")
    op.drop_table("milestone_runs")
    op.drop_table("trains")
    op.drop_index(op.f("ix_releases_version"), table_name="releases")
    op.drop_index("ix_releases_train_state", table_name="releases")
    op.drop_table("releases")
