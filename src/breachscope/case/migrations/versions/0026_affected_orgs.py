"""The affected-organization roll-up, computed once by ``scope`` and stored.

The scope report and the recipients list used to compute it again each (in Python, beside the
SQL one of the matching step); they now read ``affected_orgs``. Cases scoped before this
revision get their roll-up computed on first read.

Revision ID: 0026
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "affected_orgs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.String(length=200), nullable=False),
        sa.Column("org_name", sa.String(length=300), nullable=True),
        sa.Column("leaked_people", sa.Integer(), nullable=False),
        sa.Column("affected_users", sa.Integer(), nullable=False),
        sa.Column("org_only_people", sa.Integer(), nullable=False),
        sa.Column("admins", sa.Integer(), nullable=False),
        sa.Column("exposed_classes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "org_id", name="uq_affected_orgs_incident_org"),
    )
    op.create_index("ix_affected_orgs_incident_id", "affected_orgs", ["incident_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_affected_orgs_incident_id", table_name="affected_orgs")
    op.drop_table("affected_orgs")
