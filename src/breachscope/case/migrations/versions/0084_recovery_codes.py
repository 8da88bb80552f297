"""TOTP recovery codes of team users (``breachscope.case.accounts``): single-use, stored hashed.

Revision ID: 0084
Revises: 0044
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0084"
down_revision: str | Sequence[str] | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["team_users.id"], name=op.f("fk_team_recovery_codes_user_id_team_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_recovery_codes")),
    )
    op.create_index("ix_team_recovery_codes_user_id", "team_recovery_codes", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_team_recovery_codes_user_id", table_name="team_recovery_codes")
    op.drop_table("team_recovery_codes")
