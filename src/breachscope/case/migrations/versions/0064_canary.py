"""The canary registry (keyed hashes only), its checks and hits; ``named_keys`` for the registry key.

Revision ID: 0064
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0064"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("canary",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "named_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_named_keys")),
        sa.UniqueConstraint("label", name=op.f("uq_named_keys_label")),
    )
    op.create_table(
        "canary_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("vendor_key", sa.String(length=200), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("honeytoken", sa.Boolean(), nullable=False),
        sa.Column("export_format", sa.String(length=40), nullable=False),
        sa.Column("probe", sa.BigInteger(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_batches")),
    )
    op.create_index("ix_canary_batches_vendor_key", "canary_batches", ["vendor_key"])
    op.create_table(
        "canary_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("canary_no", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("value_hash", sa.String(length=32), nullable=False),
        sa.Column("prefilter", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["canary_batches.id"], name=op.f("fk_canary_values_batch_id_canary_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_values")),
        sa.UniqueConstraint("value_hash", name=op.f("uq_canary_values_value_hash")),
    )
    op.create_index("ix_canary_values_batch_id", "canary_values", ["batch_id"])
    op.create_table(
        "canary_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("values_checked", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("vendors", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_canary_checks_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_canary_checks_dataset_id_datasets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_checks")),
    )
    op.create_index("ix_canary_checks_incident_id", "canary_checks", ["incident_id"])
    op.create_table(
        "canary_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("canary_no", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("column", sa.String(length=500), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"], ["canary_checks.id"], name=op.f("fk_canary_hits_check_id_canary_checks")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_canary_hits_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["canary_batches.id"], name=op.f("fk_canary_hits_batch_id_canary_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canary_hits")),
    )
    op.create_index("ix_canary_hits_check_id", "canary_hits", ["check_id"])
    op.create_index("ix_canary_hits_incident", "canary_hits", ["incident_id"])


def downgrade() -> None:
    op.drop_table("canary_hits")
    op.drop_table("canary_checks")
    op.drop_table("canary_values")
    op.drop_table("canary_batches")
    op.drop_table("named_keys")
