"""Optional field-level encryption of exposure notice values (``case new --encrypt``).

``incidents.seal_values`` marks an incident whose exposure email/city/region/country are stored
sealed (AES-256-GCM, ``breachscope.case.sealed``); on PostgreSQL those columns become TEXT,
because a sealed value is longer than the plain one and PostgreSQL enforces VARCHAR lengths
(SQLite does not, and rebuilding ``exposures`` there would fight its foreign keys).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WIDENED = (("email", 320), ("city", 200), ("region", 200), ("country", 200))


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seal_values", sa.Boolean(), nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        for name, length in _WIDENED:
            op.alter_column("exposures", name, existing_type=sa.String(length=length), type_=sa.Text())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, length in _WIDENED:
            op.alter_column("exposures", name, existing_type=sa.Text(), type_=sa.String(length=length))
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("seal_values")
