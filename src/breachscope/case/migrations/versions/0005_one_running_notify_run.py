"""At most one running send per incident, enforced by the database (a unique partial index).

``start_run`` checks for a live run and then inserts its own; two runs started at the same
moment could both pass the check. The index makes the second insert fail, so the second run
stops with a clear message instead of sending beside the first. Runs left ``running`` by a
crash before this migration (all but the latest per incident) are marked ``crashed`` first.

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("status = 'running' AND mode = 'send'")


def upgrade() -> None:
    op.execute(
        """
        UPDATE notify_runs SET status = 'crashed'
        WHERE status = 'running' AND mode = 'send' AND id NOT IN (
            SELECT max(id) FROM notify_runs WHERE status = 'running' AND mode = 'send'
            GROUP BY incident_id
        )
        """
    )
    op.create_index(
        "uq_notify_runs_one_running",
        "notify_runs",
        ["incident_id"],
        unique=True,
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("uq_notify_runs_one_running", table_name="notify_runs")
