"""Incident facts with who set them and when (history kept), and the incident's occurrence date.

Facts that ``breachscope assess`` used to keep inside each stored assessment (``--malicious``,
``--encrypted``, ``--key-exposed``, ``--role``, ``--vendor-breach``, ``--sector``) are copied
from the latest assessment of each incident into ``incident_facts``, recorded as set by
"migration 0010" at that assessment's time, so an upgraded case keeps its answers.

Revision ID: 0010
Revises: 0001
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("facts",)
depends_on: str | Sequence[str] | None = ("0002",)


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "incident_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_facts_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_facts")),
    )
    with op.batch_alter_table("incident_facts", schema=None) as batch_op:
        batch_op.create_index("ix_incident_facts_incident_key", ["incident_id", "key"], unique=False)
    _copy_assessment_facts()


def _tri(value: Any) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _when(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return datetime.now(UTC)
    if not isinstance(value, datetime):
        return datetime.now(UTC)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _copy_assessment_facts() -> None:
    """Each incident's latest assessment facts -> fact rows (only the ones that were answered)."""
    conn = op.get_bind()
    facts_table = sa.table(
        "incident_facts",
        sa.column("incident_id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("value", sa.Text),
        sa.column("set_by", sa.String),
        sa.column("set_at", sa.DateTime(timezone=True)),
    )
    rows = conn.execute(
        sa.text("SELECT id, incident_id, created_at, facts_json FROM assessments ORDER BY incident_id, id")
    ).fetchall()
    latest: dict[int, Any] = {}
    for row in rows:
        latest[row[1]] = row
    for incident_id, row in latest.items():
        raw = row[3]
        facts = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(facts, dict):
            continue
        at = _when(row[2]).astimezone(UTC)
        if conn.dialect.name == "sqlite":
            at = at.replace(tzinfo=None)  # stored as naive UTC, as models.UTCDateTime does
        values = {
            "cause": "outside-attacker" if facts.get("malicious") is True else None,
            "encrypted": _tri(facts.get("encrypted")) if facts.get("encrypted") else None,
            "key-exposed": _tri(facts.get("key_exposed")),
            "role": facts.get("role") if facts.get("role") == "processor" else None,
            "breached-party": "us" if facts.get("vendor_breach") is False else None,
            "sectors": ",".join(sorted(facts.get("sectors") or ())) or None,
        }
        for key, value in values.items():
            if value:
                conn.execute(
                    facts_table.insert().values(
                        incident_id=incident_id,
                        key=key,
                        value=value,
                        set_by=f"migration 0010 (from assessment {row[0]})",
                        set_at=at,
                    )
                )


def downgrade() -> None:
    with op.batch_alter_table("incident_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_facts_incident_key")
    op.drop_table("incident_facts")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("occurred_at")
