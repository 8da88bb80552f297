"""The per-case hash key leaves the database: only a wrapped copy is stored.

``incidents.wrapped_key`` holds the case's HMAC key encrypted (AES-256-GCM) under a
key-encryption key kept outside the database (a key file next to it, an environment variable;
see ``breachscope.case.keys``), and ``incidents.key_id`` names that key. The plain
``incidents.hash_key`` of older cases is moved by ``open_case_db`` right after the migrations
(it needs the key file, which a migration must not create), then set to NULL and vacuumed out.

Revision ID: 0018
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("case_key_apart",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wrapped_key", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("key_id")
        batch_op.drop_column("wrapped_key")
