"""Look-alike domains of an incident and the watch runs (``breachscope watch domains``).

Revision ID: 0038
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("watch",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watch_lookalikes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("official", sa.String(length=253), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("receives_mail", sa.Boolean(), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_checked", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unknown_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("action_state", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_watch_lookalikes_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_lookalikes")),
        sa.UniqueConstraint("incident_id", "domain", name="uq_watch_lookalikes_incident_domain"),
    )
    op.create_index("ix_watch_lookalikes_incident_state", "watch_lookalikes", ["incident_id", "state"])
    op.create_table(
        "watch_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("domains", sa.Text(), nullable=False),
        sa.Column("resolver", sa.String(length=100), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("receives_mail", sa.Integer(), nullable=False),
        sa.Column("unknown", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("gone", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_watch_runs_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_runs")),
    )
    op.create_index("ix_watch_runs_incident_id", "watch_runs", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_watch_runs_incident_id", table_name="watch_runs")
    op.drop_table("watch_runs")
    op.drop_index("ix_watch_lookalikes_incident_state", table_name="watch_lookalikes")
    op.drop_table("watch_lookalikes")
