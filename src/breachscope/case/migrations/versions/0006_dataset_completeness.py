"""Datasets record whether the scan read them whole, and who accepted an incomplete read.

``complete`` (NULL for datasets attached before: the stored scan report decides), the unread
records/bytes, the acceptance of the unread part (who, why, when) and an index on
(incident_id, sha256) for refusing the same file twice.

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("states",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("complete", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("unread_records", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("unread_bytes", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("incomplete_accepted_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("incomplete_accepted_why", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("incomplete_accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_datasets_incident_sha256", ["incident_id", "sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index("ix_datasets_incident_sha256")
        for name in (
            "incomplete_accepted_at",
            "incomplete_accepted_why",
            "incomplete_accepted_by",
            "unread_bytes",
            "unread_records",
            "complete",
        ):
            batch_op.drop_column(name)
