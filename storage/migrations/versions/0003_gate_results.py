"""Gate results: each release's latest judged result and override per gate.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gate_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("gate", sa.String(length=16), nullable=False),
        sa.Column("result", storage.types.json_type(), nullable=True),
        sa.Column("commit_sha", sa.String(length=64), nullable=True),
        sa.Column("build_url", sa.Text(), nullable=True),
        sa.Column("reported_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("override_actor", sa.String(length=64), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_commit", sa.String(length=64), nullable=True),
        sa.Column("overridden_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_gate_results_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_results")),
        sa.UniqueConstraint("release_id", "gate", name=op.f("uq_gate_results_release_id_gate")),
    )


def downgrade() -> None:
    op.drop_table("gate_results")
