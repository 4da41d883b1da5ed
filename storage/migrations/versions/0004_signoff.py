"""QA sign-off: one request per release build, the approvals it got, its ticked checklist.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signoff_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("decided_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'approved', 'rejected', 'superseded', 'cancelled')",
            name=op.f("ck_signoff_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["releases.id"],
            name=op.f("fk_signoff_requests_release_id_releases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signoff_requests")),
        sa.UniqueConstraint(
            "release_id", "round", name=op.f("uq_signoff_requests_release_id_round")
        ),
    )
    op.create_table(
        "signoff_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("approved_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("withdrawn_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["signoff_requests.id"],
            name=op.f("fk_signoff_approvals_request_id_signoff_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signoff_approvals")),
        sa.UniqueConstraint(
            "request_id", "user_id", name=op.f("uq_signoff_approvals_request_id_user_id")
        ),
    )
    op.create_table(
        "signoff_ticks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("ticked_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["signoff_requests.id"],
            name=op.f("fk_signoff_ticks_request_id_signoff_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signoff_ticks")),
        sa.UniqueConstraint("request_id", "item", name=op.f("uq_signoff_ticks_request_id_item")),
    )


def downgrade() -> None:
    op.drop_table("signoff_ticks")
    op.drop_table("signoff_approvals")
    op.drop_table("signoff_requests")
