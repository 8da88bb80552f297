"""Reported mail (``breachscope check-mail``, ``watch mailbox``): checks, look-alike hits, mailboxes.

Revision ID: 0068
Revises: 0038
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0068"
down_revision: str | Sequence[str] | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("mailbox_id", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("breach_specific", sa.Boolean(), nullable=False),
        sa.Column("leaked_fields", sa.JSON(), nullable=False),
        sa.Column("sender_domain", sa.String(length=253), nullable=True),
        sa.Column("incomplete", sa.Boolean(), nullable=False),
        sa.Column("checked_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_mail_checks_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_checks")),
        sa.UniqueConstraint("incident_id", "sha256", name="uq_mail_checks_incident_sha256"),
    )
    op.create_index("ix_mail_checks_incident_checked", "mail_checks", ["incident_id", "checked_at"])
    op.create_table(
        "mail_lookalike_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_mail_lookalike_hits_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["check_id"], ["mail_checks.id"], name=op.f("fk_mail_lookalike_hits_check_id_mail_checks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_lookalike_hits")),
    )
    op.create_index(
        "ix_mail_lookalike_hits_incident_domain", "mail_lookalike_hits", ["incident_id", "domain"]
    )
    op.create_index("ix_mail_lookalike_hits_check_id", "mail_lookalike_hits", ["check_id"])
    op.create_table(
        "mail_mailboxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_mail_mailboxes_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_mailboxes")),
        sa.UniqueConstraint("incident_id", "kind", "location", name="uq_mail_mailboxes_location"),
    )


def downgrade() -> None:
    op.drop_table("mail_mailboxes")
    op.drop_index("ix_mail_lookalike_hits_check_id", table_name="mail_lookalike_hits")
    op.drop_index("ix_mail_lookalike_hits_incident_domain", table_name="mail_lookalike_hits")
    op.drop_table("mail_lookalike_hits")
    op.drop_index("ix_mail_checks_incident_checked", table_name="mail_checks")
    op.drop_table("mail_checks")
