"""Each queued notice's jurisdictions (``notify_outbox.jurisdictions``), for ``--jurisdiction`` and
``--required-only`` and the confirmation table shown before a real send.

The codes are stored as ``";US;US-CA;DE;"`` (every country and subdivision of the recipient, from
the leak and the directory), so a selection is one ``LIKE '%;DE;%'`` per code.

Revision ID: 0023
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notify_outbox") as batch:
        batch.add_column(sa.Column("jurisdictions", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notify_outbox") as batch:
        batch.drop_column("jurisdictions")
