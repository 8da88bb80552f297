"""Each leaked person's directory country, beside the leak's location (``exposures``).

A person's jurisdictions come from the leak and from the company's own directory: a leak that
says every user is in Antarctica must not erase the directory's countries and the duties they
bring. ``scope`` fills ``directory_jurisdiction`` for every matched person.

Revision ID: 0022
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exposures") as batch:
        batch.add_column(sa.Column("directory_jurisdiction", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exposures") as batch:
        batch.drop_column("directory_jurisdiction")
