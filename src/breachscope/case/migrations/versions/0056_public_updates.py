"""Dated updates for the public incident page, written by a person in English and Indonesian
(``breachscope report update``; ``report.store``).

Revision ID: 0056
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0056"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("report",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "public_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("text_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_public_updates_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_updates")),
    )
    op.create_index("ix_public_updates_incident_id", "public_updates", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_public_updates_incident_id", table_name="public_updates")
    op.drop_table("public_updates")
