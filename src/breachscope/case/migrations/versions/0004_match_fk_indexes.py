"""Indexes on the foreign keys of ``matches`` (``account_id``, ``exposure_id``).

Deleting accounts or exposures (a re-run of ``scope``, ``case purge``) makes the database look
up the matches that reference each deleted row; without these indexes PostgreSQL scans the
whole matches table (dead rows included) once per row: a 200k-account re-scope ran for more
than ten minutes.

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("case_fk",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.create_index("ix_matches_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_matches_exposure_id", ["exposure_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index("ix_matches_exposure_id")
        batch_op.drop_index("ix_matches_account_id")
