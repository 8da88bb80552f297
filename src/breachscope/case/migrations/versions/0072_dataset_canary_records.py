"""Datasets record the canary records found and left out of the people (and of which vendors).

Revision ID: 0072
Revises: 0065
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0072"
down_revision: str | Sequence[str] | None = "0065"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("canary_records", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("canary_vendors", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("canary_vendors")
        batch.drop_column("canary_records")
