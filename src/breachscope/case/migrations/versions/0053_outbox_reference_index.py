"""Index ``notify_outbox.reference``: the public notice check looks a notice up by the reference
a recipient types (web/pages/public.py), on any incident, without reading the outbox.

Revision ID: 0053
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0053"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_notify_outbox_reference", "notify_outbox", ["reference"])


def downgrade() -> None:
    op.drop_index("ix_notify_outbox_reference", table_name="notify_outbox")
