"""The case schema: incidents, timeline, datasets, exposures, accounts, matches, scope runs, audit.

Other stages branch off this revision (down_revision = "0001"); upgrade to "heads".

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("vendor_detected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vendor_notified_us_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dataset_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("aware_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("hash_key", sa.LargeBinary(), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("org_id", sa.String(length=200), nullable=True),
        sa.Column("org_name", sa.String(length=300), nullable=True),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("created", sa.String(length=40), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("affected", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_accounts_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("incident_id", "user_id", name="uq_accounts_incident_user"),
        info={"purge": "delete"},
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_org_id"), ["org_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_audit_log_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("vendor", sa.String(length=100), nullable=True),
        sa.Column("layout", sa.String(length=100), nullable=True),
        sa.Column("scan_json", sa.JSON(), nullable=True),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("exposures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_datasets_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
    )
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_datasets_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "scope_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("directory", sa.Text(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_scope_runs_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_runs")),
    )
    with op.batch_alter_table("scope_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scope_runs_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "timeline_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_timeline_events_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_events")),
    )
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_timeline_events_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "exposures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("person_key_hash", sa.String(length=32), nullable=False),
        sa.Column("person_key_kind", sa.String(length=20), nullable=False),
        sa.Column("distinct_id_hash", sa.String(length=32), nullable=True),
        sa.Column("user_id_hash", sa.String(length=32), nullable=True),
        sa.Column("email_hash", sa.String(length=32), nullable=True),
        sa.Column("email_loose_hash", sa.String(length=32), nullable=True),
        sa.Column("email_skeleton_hash", sa.String(length=32), nullable=True),
        sa.Column("org_id_hash", sa.String(length=32), nullable=True),
        sa.Column("exposed_classes", sa.JSON(), nullable=False),
        sa.Column("exposed_fields", sa.JSON(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("region_code", sa.String(length=10), nullable=True),
        sa.Column("jurisdiction", sa.String(length=10), nullable=True),
        sa.Column("jurisdiction_source", sa.String(length=30), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("display_name", sa.String(length=300), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("region", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_exposures_dataset_id_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_exposures_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposures")),
        sa.UniqueConstraint("incident_id", "person_key_hash", name="uq_exposures_incident_person"),
        info={"purge": "delete"},
    )
    with op.batch_alter_table("exposures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exposures_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exposures_email_hash"), ["email_hash"], unique=False)

    op.create_table(
        "matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("exposure_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.String(length=200), nullable=True),
        sa.Column("key", sa.String(length=30), nullable=False),
        sa.Column("strength", sa.Integer(), nullable=False),
        sa.Column("ambiguous", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_matches_account_id_accounts")),
        sa.ForeignKeyConstraint(
            ["exposure_id"], ["exposures.id"], name=op.f("fk_matches_exposure_id_exposures")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_matches_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
        info={"purge": "delete"},
    )
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.create_index("ix_matches_incident_exposure", ["incident_id", "exposure_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index("ix_matches_incident_exposure")

    op.drop_table("matches")
    with op.batch_alter_table("exposures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exposures_email_hash"))
        batch_op.drop_index(batch_op.f("ix_exposures_dataset_id"))

    op.drop_table("exposures")
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timeline_events_incident_id"))

    op.drop_table("timeline_events")
    with op.batch_alter_table("scope_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scope_runs_incident_id"))

    op.drop_table("scope_runs")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_datasets_incident_id"))

    op.drop_table("datasets")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_incident_id"))

    op.drop_table("audit_log")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_org_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_incident_id"))

    op.drop_table("accounts")
    op.drop_table("incidents")
