"""Background jobs of the team server, and the indexes its list endpoints page with.

- ``jobs``: long operations (attach, scope, send, purge) with state and progress (case/jobs.py).
- ``timeline_events (incident_id, at, id)``: the timeline in keyset pages.
- ``accounts (incident_id, affected, id)``: an incident's affected users in keyset pages.

Revision ID: 0045
Revises: 0044
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0045"
down_revision: str | Sequence[str] | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("stage", sa.String(length=200), nullable=False),
        sa.Column("done", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.String(length=400), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("heartbeat_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_jobs_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_incident_id", "jobs", ["incident_id", "id"])
    op.create_index("ix_jobs_state", "jobs", ["state", "id"])
    op.create_index("ix_timeline_events_incident_at", "timeline_events", ["incident_id", "at", "id"])
    op.create_index("ix_accounts_incident_affected", "accounts", ["incident_id", "affected", "id"])


def downgrade() -> None:
    op.drop_index("ix_accounts_incident_affected", table_name="accounts")
    op.drop_index("ix_timeline_events_incident_at", table_name="timeline_events")
    op.drop_index("ix_jobs_state", table_name="jobs")
    op.drop_index("ix_jobs_incident_id", table_name="jobs")
    op.drop_table("jobs")
