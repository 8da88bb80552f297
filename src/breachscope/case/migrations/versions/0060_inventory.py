"""The vendor registry: vendors, evidence files, data flows, incident links (``breachscope vendors``).

Revision ID: 0060
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0060"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("inventory",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inventory_vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("dpa_date", sa.Date(), nullable=True),
        sa.Column("breach_notice_hours", sa.Integer(), nullable=True),
        sa.Column("breach_clause", sa.Text(), nullable=True),
        sa.Column("deletion_clause", sa.Text(), nullable=True),
        sa.Column("subprocessors", sa.JSON(), nullable=True),
        sa.Column("gdpr", sa.Boolean(), nullable=True),
        sa.Column("last_review", sa.Date(), nullable=True),
        sa.Column("people", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_vendors")),
        sa.UniqueConstraint("key", name=op.f("uq_inventory_vendors_key")),
    )
    op.create_table(
        "inventory_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["inventory_vendors.id"],
            name=op.f("fk_inventory_evidence_vendor_id_inventory_vendors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_evidence")),
    )
    op.create_index("ix_inventory_evidence_vendor_id", "inventory_evidence", ["vendor_id"])
    op.create_table(
        "inventory_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=500), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("values_seen", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["inventory_vendors.id"],
            name=op.f("fk_inventory_flows_vendor_id_inventory_vendors"),
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["inventory_evidence.id"],
            name=op.f("fk_inventory_flows_evidence_id_inventory_evidence"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_flows")),
    )
    op.create_index("ix_inventory_flows_vendor_id", "inventory_flows", ["vendor_id"])
    op.create_index("ix_inventory_flows_evidence_id", "inventory_flows", ["evidence_id"])
    op.create_table(
        "inventory_incident_vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("comparison", sa.JSON(), nullable=True),
        sa.Column("compared_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_inventory_incident_vendors_incident_id_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["inventory_vendors.id"],
            name=op.f("fk_inventory_incident_vendors_vendor_id_inventory_vendors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_incident_vendors")),
        sa.UniqueConstraint("incident_id", "vendor_id", name="uq_inventory_incident_vendors_pair"),
    )
    op.create_index(
        "ix_inventory_incident_vendors_incident_id", "inventory_incident_vendors", ["incident_id"]
    )
    op.create_index("ix_inventory_incident_vendors_vendor_id", "inventory_incident_vendors", ["vendor_id"])


def downgrade() -> None:
    op.drop_table("inventory_incident_vendors")
    op.drop_table("inventory_flows")
    op.drop_table("inventory_evidence")
    op.drop_table("inventory_vendors")
