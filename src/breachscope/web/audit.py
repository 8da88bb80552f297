"""Audit entries of the web layer: who did or saw what, from where.

One function, :func:`record`, so that every route writes entries the same way (sign-ins,
changes, views of unmasked personal data). It appends to the case's hash-chained audit log
(:mod:`breachscope.case.audit`) in the request's transaction, so the entry commits or rolls
back with the change it records. Entries name objects by id and never carry a leaked value;
a stated reason for unmasking is kept in the entry's details.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from breachscope.case import audit


def record(
    db: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    incident_id: int | None = None,
    details: Mapping[str, Any] | None = None,
    source: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append one audit entry to the case's hash chain (:func:`breachscope.case.audit.append`),
    in ``db``'s transaction."""
    audit.append(
        db,
        actor=actor or "anonymous",
        action=action,
        object_type=object_type,
        object_id=object_id,
        incident_id=incident_id,
        details=dict(details or {}),
        source=source,
        at=at,
    )
