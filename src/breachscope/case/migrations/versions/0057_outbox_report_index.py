"""Index ``notify_outbox (incident_id, kind, state, confirmed, sent_at)``: the incident report
counts the outbox per audience and state, its unconfirmed sends and first/last send in one pass
over this index alone (report/model.py), not over a 10M-row table with its rendered bodies.

Revision ID: 0057
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0057"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_notify_outbox_report", "notify_outbox", ["incident_id", "kind", "state", "confirmed", "sent_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_notify_outbox_report", table_name="notify_outbox")
