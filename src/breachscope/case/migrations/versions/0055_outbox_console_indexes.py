"""Indexes for the console's notices page on a case of millions of notices.

- ``notify_outbox (incident_id, state, confirmed, kind, language)``: counts by kind and state
  and the unconfirmed sends read from the index alone (no row, no body is read);
- ``notify_outbox (incident_id, kind, state, language)``: counts by kind and state in index
  order, one seek per template and language for the previews, and the regulator drafts without
  reading the other notices.

Revision ID: 0055
Revises: 0053
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0055"
down_revision: str | Sequence[str] | None = "0053"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_notify_outbox_incident_state_kind",
        "notify_outbox",
        ["incident_id", "state", "confirmed", "kind", "language"],
    )
    op.create_index(
        "ix_notify_outbox_incident_kind_state", "notify_outbox", ["incident_id", "kind", "state", "language"]
    )


def downgrade() -> None:
    op.drop_index("ix_notify_outbox_incident_kind_state", table_name="notify_outbox")
    op.drop_index("ix_notify_outbox_incident_state_kind", table_name="notify_outbox")
