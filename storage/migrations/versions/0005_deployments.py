"""Deployments: each service of a release deployed step by step, each step issued once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("adapter", sa.String(length=32), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("state", storage.types.json_type(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "strategy IN ('canary', 'blue_green')", name=op.f("ck_deployments_strategy")
        ),
        sa.CheckConstraint(
            "phase IN ('pending', 'running', 'paused', 'promoting', 'done', 'failed', "
            "'rolling_back', 'rolled_back', 'rollback_failed', 'skipped')",
            name=op.f("ck_deployments_phase"),
        ),
        sa.CheckConstraint("weight BETWEEN 0 AND 100", name=op.f("ck_deployments_weight")),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_deployments_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.UniqueConstraint(
            "release_id", "service", name=op.f("uq_deployments_release_id_service")
        ),
    )
    op.create_index(op.f("ix_deployments_phase"), "deployments", ["phase"], unique=False)
    op.create_table(
        "deploy_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("finished_at", storage.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "action IN ('deploy', 'set_weight', 'promote', 'rollback', 'switch')",
            name=op.f("ck_deploy_steps_action"),
        ),
        sa.CheckConstraint("weight BETWEEN 0 AND 100", name=op.f("ck_deploy_steps_weight")),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('ok', 'failed')", name=op.f("ck_deploy_steps_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_deploy_steps_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deploy_steps")),
        sa.UniqueConstraint("deployment_id", "key", name=op.f("uq_deploy_steps_deployment_id_key")),
    )


def downgrade() -> None:
    op.drop_table("deploy_steps")
    op.drop_index(op.f("ix_deployments_phase"), table_name="deployments")
    op.drop_table("deployments")
