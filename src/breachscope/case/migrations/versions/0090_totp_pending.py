"""A new TOTP secret waiting for its first code (re-enrolling a second factor,
``breachscope.case.reenrol``): sealed like the active one, with when it was made.

Revision ID: 0090
Revises: 0084
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0090"
down_revision: str | Sequence[str] | None = "0084"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team_users") as batch:
        batch.add_column(sa.Column("totp_pending", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("totp_pending_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("team_users") as batch:
        batch.drop_column("totp_pending_at")
        batch.drop_column("totp_pending")
