"""Regulator drafts completed in the console: the values of their ``[TO COMPLETE: ...]`` fields,
who saved them and when (notify/drafts.py). Append-only; the latest row counts.

Revision ID: 0054
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0054"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notify_draft_completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["outbox_id"], ["notify_outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notify_draft_completions_incident_id", "notify_draft_completions", ["incident_id"])
    op.create_index("ix_notify_draft_completions_outbox_id", "notify_draft_completions", ["outbox_id"])


def downgrade() -> None:
    op.drop_index("ix_notify_draft_completions_outbox_id", table_name="notify_draft_completions")
    op.drop_index("ix_notify_draft_completions_incident_id", table_name="notify_draft_completions")
    op.drop_table("notify_draft_completions")
