"""An administrator requires a second factor of a user who has none yet
(``team_users.totp_required``): until they add an authenticator, a sign-in reaches only the
enrolment (``breachscope.web.auth.gate``).

Revision ID: 0098
Revises: 0090
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0098"
down_revision: str | Sequence[str] | None = "0090"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team_users") as batch:
        batch.add_column(sa.Column("totp_required", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("team_users") as batch:
        batch.drop_column("totp_required")
