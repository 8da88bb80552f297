"""Unmasking in the console: personal data is masked on every page; a person whose role holds
``unmask`` (web/auth/rules.py, the API's rule) states a reason and sees one page unmasked.

A people page answers ``GET`` masked and carries a small form (reason + CSRF token) that posts to
``<page>/unmask`` with the page's query kept. That handler checks the role (403 otherwise: the
form is not even shown to a role without ``unmask``), the reason (at least
:data:`~breachscope.web.api.people.MIN_REASON` characters; a shorter one gets the page masked
again with the error), renders the same page with the values, and appends one
``personal_data.view`` entry to the case's hash-chained audit log in the same transaction: who,
when, from where, the stated reason and the ids of the objects seen (never the values). Nothing is
remembered: the unmasked values live in that one response (``Cache-Control: no-store``), and the
next ``GET`` of the page is masked again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from breachscope.case import audit
from breachscope.hashing import mask
from breachscope.web.api.people import MIN_REASON, reveal
from breachscope.web.audit import record
from breachscope.web.deps import client_address
from breachscope.web.pages.context import checked_form, incident_role, require, settings

#: The longest reason kept (the audit entry is not a document store).
MAX_REASON = 500


@dataclass(frozen=True)
class Unmask:
    """The unmask state of one response: ``reason`` set = unmasked; ``error`` = refused reason."""

    reason: str | None = None
    error: str | None = None

    @property
    def on(self) -> bool:
        return self.reason is not None

    def context(self) -> dict[str, Any]:
        return {"unmasked": self.reason, "unmask_error": self.error}


MASKED = Unmask()


async def unmask_request(request: Request, incident_id: int) -> Unmask:
    """The posted unmask form, checked: CSRF (403), the role's ``unmask`` permission (403), the
    reason's length (an :class:`Unmask` with ``error``, shown on the masked page)."""
    _, role = incident_role(request, incident_id)
    form = await checked_form(request)
    require(role, "unmask")
    reason = " ".join(form.get("reason", "").split())[:MAX_REASON]
    if len(reason) < MIN_REASON:
        return Unmask(error=f"Say why you need to see the personal data (at least {MIN_REASON} characters).")
    return Unmask(reason=reason)


def audit_view(
    db: Session,
    request: Request,
    incident_id: int,
    what: str,
    reason: str,
    *,
    accounts: Sequence[int] = (),
    exposures: Sequence[int] = (),
    notices: Sequence[int] = (),
) -> None:
    """One ``personal_data.view`` entry of the hash chain: the ids seen and the reason, never values."""
    viewer, _ = incident_role(request, incident_id)
    details: dict[str, Any] = {"reason": reason, "page": request.url.path.removesuffix("/unmask")}
    for key, ids in (("accounts", accounts), ("exposures", exposures), ("notices", notices)):
        if ids:
            details[key] = list(ids)
    record(
        db,
        actor=viewer.email,
        action=audit.VIEW_ACTION,
        object_type=what,
        incident_id=incident_id,
        details=details,
        source=client_address(request),
        at=settings(request).clock.now(),
    )


def show_people(
    db: Session, incident_id: int, rows: list[dict[str, Any]], state: Unmask
) -> tuple[list[int], list[int]]:
    """Set ``shown_email``/``shown_name`` on rows of accounts or leaked people (and their
    candidates): masked, or the values when ``state`` is on. Returns the ids unmasked."""
    every = rows + [c for r in rows for c in r.get("candidates") or ()]
    seen: tuple[list[int], list[int]] = ([], [])
    if state.on:
        seen = reveal(db, incident_id, every)
    for row in every:
        if state.on and "email" in row:
            row["shown_email"], row["shown_name"] = row.get("email"), row.get("name")
        else:
            row["shown_email"] = row.get("email_masked")
            row["shown_name"] = mask(str(row["name"])) if row.get("name") else row.get("name")
    return seen
