"""Datasets say whether their attach has finished (``attaching``) and which server job attached
them, so a batch-by-batch attach cut short by a dead process is told from an incomplete read of
the file and removed by the job runner that recovers its job.

Revision ID: 0093
Revises: 0072
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0093"
down_revision: str | Sequence[str] | None = "0072"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("attaching", sa.Boolean(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("attach_job_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("attach_job_id")
        batch.drop_column("attaching")
