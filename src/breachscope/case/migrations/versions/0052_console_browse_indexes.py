"""Indexes the console's keyset pages need on a case of millions (scope/browse.py).

- ``affected_orgs (incident_id, org_name)``: the organization search by name prefix.
- ``matches (incident_id, ambiguous, exposure_id)``: the review list (ambiguous and look-alike
  candidates) without reading every match of the incident.
- ``accounts (incident_id, org_id, id)``: an organization's admins and users page by page.

Revision ID: 0052
Revises: 0026
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0052"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_affected_orgs_incident_name", "affected_orgs", ["incident_id", "org_name"])
    op.create_index("ix_matches_incident_ambiguous", "matches", ["incident_id", "ambiguous", "exposure_id"])
    op.create_index("ix_accounts_incident_org", "accounts", ["incident_id", "org_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_accounts_incident_org", table_name="accounts")
    op.drop_index("ix_matches_incident_ambiguous", table_name="matches")
    op.drop_index("ix_affected_orgs_incident_name", table_name="affected_orgs")
