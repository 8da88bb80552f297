"""A partial index for the notices still queued for a retry (``notify status`` and the console's
notices page group them by their last error): on a case of a million notices the query read
every queued row without it.

Revision ID: 0089
Revises: 0055
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0089"
down_revision: str | Sequence[str] | None = "0055"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RETRYING = sa.text("state = 'queued' AND attempts > 0")


def upgrade() -> None:
    op.create_index(
        "ix_notify_outbox_retrying",
        "notify_outbox",
        ["incident_id", "last_error"],
        sqlite_where=RETRYING,
        postgresql_where=RETRYING,
    )


def downgrade() -> None:
    op.drop_index("ix_notify_outbox_retrying", table_name="notify_outbox")
