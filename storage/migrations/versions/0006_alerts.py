"""Alert groups, their alerts and the incidents of releases: one thread per group.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 14:07:46+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("group_key", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("page_key", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("labels", storage.types.json_type(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_fired_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=64), nullable=True),
        sa.Column("excluded", storage.types.json_type(), nullable=False),
        sa.Column("detached_by", sa.String(length=64), nullable=True),
        sa.Column("acked_by", sa.String(length=128), nullable=True),
        sa.Column("acked_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("acked_via", sa.String(length=16), nullable=True),
        sa.Column("resolved_by", sa.String(length=128), nullable=True),
        sa.Column("resolved_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("escalated_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("paged_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("page_resolved_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("shown_version", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('firing', 'resolved')", name=op.f("ck_alert_groups_status")),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_alert_groups_release_id_releases"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_groups")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_alert_groups_key_hash")),
    )
    with op.batch_alter_table("alert_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_groups_page_key"), ["page_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_alert_groups_release_id"), ["release_id"], unique=False
        )
        batch_op.create_index("ix_alert_groups_status", ["status", "acked_at"], unique=False)

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("deployed_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("first_alert_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("acked_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("rollback_started_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("rollback_finished_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("resolved_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("detect_seconds", sa.Float(), nullable=True),
        sa.Column("ack_seconds", sa.Float(), nullable=True),
        sa.Column("rollback_seconds", sa.Float(), nullable=True),
        sa.Column("resolve_seconds", sa.Float(), nullable=True),
        sa.Column("posted_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_incidents_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("release_id", name=op.f("uq_incidents_release_id")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("labels", storage.types.json_type(), nullable=False),
        sa.Column("annotations", storage.types.json_type(), nullable=False),
        sa.Column("starts_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("announced", sa.String(length=16), nullable=True),
        sa.Column("received_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("status IN ('firing', 'resolved')", name=op.f("ck_alerts_status")),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["alert_groups.id"],
            name=op.f("fk_alerts_group_id_alert_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("group_id", "fingerprint", name=op.f("uq_alerts_group_id_fingerprint")),
    )


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("incidents")
    with op.batch_alter_table("alert_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_groups_status")
        batch_op.drop_index(batch_op.f("ix_alert_groups_release_id"))
        batch_op.drop_index(batch_op.f("ix_alert_groups_page_key"))

    op.drop_table("alert_groups")
