"""The notify outbox: notices, delivery attempts and send runs.

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("notify",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("recipient_key", sa.String(length=250), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("to_addr", sa.String(length=320), nullable=False),
        sa.Column("to_name", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("final_dot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_notify_outbox_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_notify_outbox_idempotency_key")),
    )
    op.create_index("ix_notify_outbox_incident_state", "notify_outbox", ["incident_id", "state"])
    op.create_table(
        "notify_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_notify_attempts_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["notify_outbox.id"], name=op.f("fk_notify_attempts_outbox_id_notify_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_attempts")),
    )
    op.create_index(op.f("ix_notify_attempts_incident_id"), "notify_attempts", ["incident_id"])
    op.create_index(op.f("ix_notify_attempts_outbox_id"), "notify_attempts", ["outbox_id"])
    op.create_table(
        "notify_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_notify_runs_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_runs")),
    )
    op.create_index(op.f("ix_notify_runs_incident_id"), "notify_runs", ["incident_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_notify_runs_incident_id"), table_name="notify_runs")
    op.drop_table("notify_runs")
    op.drop_index(op.f("ix_notify_attempts_outbox_id"), table_name="notify_attempts")
    op.drop_index(op.f("ix_notify_attempts_incident_id"), table_name="notify_attempts")
    op.drop_table("notify_attempts")
    op.drop_index("ix_notify_outbox_incident_state", table_name="notify_outbox")
    op.drop_table("notify_outbox")
