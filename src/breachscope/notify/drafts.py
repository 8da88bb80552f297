"""Regulator drafts completed by a person: the ``[TO COMPLETE: ...]`` fields of a draft in the
outbox, filled in (who, when), and the completed text for export.

A draft is rendered by notify with a ``[TO COMPLETE: what]`` (English) or ``[LENGKAPI: what]``
(Indonesian) marker wherever breachscope has no recorded fact to say (the DPO's contact, other
measures...). The draft row itself is never changed: every save appends a row to
:class:`breachscope.case.drafts.DraftCompletion` (the values in marker order, who, when); the
latest one counts, so the history stays. A field left empty stays a marker in the export, so an
unfinished draft can never be mistaken for a finished one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from breachscope.case.drafts import DraftCompletion
from breachscope.errors import BreachscopeError
from breachscope.notify.outbox import OutboxMessage, unpack_body

MARKER = re.compile(r"\[(?:TO COMPLETE|LENGKAPI): ([^\]\n]{0,300})\]")
MAX_VALUE = 4000


@dataclass(frozen=True)
class Draft:
    outbox_id: int
    language: str
    subject: str
    text: str
    #: What each marker asks for, in order.
    fields: tuple[str, ...]
    #: The latest saved values (same length as ``fields``).
    values: tuple[str, ...]
    by: str | None
    at: datetime | None

    @property
    def open_fields(self) -> int:
        return sum(1 for v in self.values if not v.strip())

    def completed_text(self) -> str:
        """The draft with every filled field put in place; empty ones keep their marker."""
        values = iter(self.values)

        def put(m: re.Match[str]) -> str:
            value = next(values, "")
            return value.strip() if value.strip() else m.group(0)

        return MARKER.sub(put, self.text)


def _row(session: Session, incident_id: int, outbox_id: int) -> OutboxMessage:
    row = session.get(OutboxMessage, outbox_id)
    if row is None or row.incident_id != incident_id or row.kind != "regulator":
        raise BreachscopeError(f"incident {incident_id} has no regulator draft {outbox_id}")
    return row


def load_draft(session: Session, incident_id: int, outbox_id: int) -> Draft:
    row = _row(session, incident_id, outbox_id)
    text, _ = unpack_body(row.body)
    fields = tuple(m.group(1) for m in MARKER.finditer(text))
    latest = session.scalars(
        select(DraftCompletion)
        .where(DraftCompletion.outbox_id == outbox_id)
        .order_by(DraftCompletion.id.desc())
        .limit(1)
    ).first()
    saved = list(latest.values) if latest is not None else []
    values = tuple((saved[i] if i < len(saved) else "") for i in range(len(fields)))
    return Draft(
        outbox_id, row.language, row.subject, text, fields, values,
        latest.by if latest else None, latest.at if latest else None,
    )  # fmt: skip


def list_drafts(session: Session, incident_id: int) -> list[Draft]:
    table = cast(Table, OutboxMessage.__table__)
    # sorted here, not by the database: "ORDER BY id" can make SQLite scan the whole outbox
    # instead of seeking the few regulator rows in ix_notify_outbox_incident_kind_state.
    ids = session.scalars(
        select(table.c.id).where(table.c.incident_id == incident_id, table.c.kind == "regulator")
    )
    return [load_draft(session, incident_id, i) for i in sorted(ids)]


def save_values(
    session: Session, incident_id: int, outbox_id: int, values: list[str], *, by: str, at: datetime
) -> Draft:
    """Append the person's values for the draft's fields (one per marker, in order)."""
    draft = load_draft(session, incident_id, outbox_id)
    if len(values) != len(draft.fields):
        raise BreachscopeError(f"draft {outbox_id} has {len(draft.fields)} fields, got {len(values)} values")
    if not by.strip():
        raise BreachscopeError("say who completes the draft")
    clean = [v.replace("\r\n", "\n").strip()[:MAX_VALUE] for v in values]
    session.add(DraftCompletion(incident_id=incident_id, outbox_id=outbox_id, values=clean, by=by, at=at))
    session.flush()
    return load_draft(session, incident_id, outbox_id)


def draft_dict(d: Draft) -> dict[str, Any]:
    return {
        "outbox_id": d.outbox_id,
        "language": d.language,
        "subject": d.subject,
        "fields": [{"asks": f, "value": v} for f, v in zip(d.fields, d.values, strict=True)],
        "open_fields": d.open_fields,
        "completed_by": d.by,
        "completed_at": d.at.isoformat() if d.at else None,
    }


__all__ = ["MARKER", "Draft", "DraftCompletion", "draft_dict", "list_drafts", "load_draft", "save_values"]
