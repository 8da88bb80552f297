"""``/api/v1/incidents/{id}/approvals``: four eyes on the server (:mod:`breachscope.case.approvals`).

A purge (when the case's policy asks for it) or a send of more notices than the policy allows
first records an approval **request** and answers ``409`` with its number
(``approval_id``); inside a background job, the job fails with the same answer in its
``approval`` field. Another member of the incident whose team role may decide that action
(``APPROVER_ROLES``: admin for a purge; communications or admin for a send) approves or
rejects it here, as the signed-in person; the requester then runs the action again. The
library refuses the requester deciding their own request and a role that may not decide it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from breachscope.case import approvals
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings, client_address

router = APIRouter(prefix="/api/v1/incidents/{incident_id}/approvals", tags=["approvals"])


class DecisionIn(BaseModel):
    note: str = Field(default="", max_length=2000, description="why (kept in the audit log)")


@router.get("")
def list_requests(
    incident_id: int,
    db: DB,
    settings: Settings,
    status: str | None = Query(default=None, pattern="^(pending|approved|rejected|used)$"),
) -> list[dict[str, Any]]:
    """The incident's approval requests (oldest first): what, by whom, status, who decided."""
    now = settings.clock.now()
    return [approvals.approval_dict(a, now) for a in approvals.list_approvals(db, incident_id, status=status)]


def _decide(
    incident_id: int, approval_id: int, body: DecisionIn, request: Request, db: DB, settings: Settings,
    who: Who, *, approve_it: bool,
) -> dict[str, Any]:  # fmt: skip
    a = db.get(approvals.Approval, approval_id)
    if a is None or a.incident_id != incident_id:
        raise HTTPException(404, "no such approval request")
    # the person's role here: their account's when it is enabled and a member of the incident
    # (a token capped to a lesser role decides with that role)
    role = who.role if approvals.account_role(db, who.email, incident_id) is not None else None
    requester = a.requested_by.split(" (token ", 1)[0]  # a request made with a token is its owner's
    if requester.strip().casefold() == who.email.strip().casefold():
        raise HTTPException(403, f"you requested #{a.id} and cannot also decide it: another person must")
    allowed = approvals.APPROVER_ROLES.get(a.action, ())
    if role not in allowed:
        raise HTTPException(403, f"{a.action} is decided by the {' or '.join(allowed)} role")
    decide = approvals.approve if approve_it else approvals.reject
    now = settings.clock.now()
    done = decide(
        db,
        approval_id,
        approver=who.email,
        role=role,
        now=now,
        note=body.note,
        source=client_address(request),
    )
    return approvals.approval_dict(done, now)


@router.post("/{approval_id}/approve")
def approve(
    incident_id: int,
    approval_id: int,
    body: DecisionIn,
    request: Request,
    db: DB,
    settings: Settings,
    who: Who,
) -> dict[str, Any]:
    """Approve a pending request as yourself (not its requester; a role that may decide it)."""
    return _decide(incident_id, approval_id, body, request, db, settings, who, approve_it=True)


@router.post("/{approval_id}/reject")
def reject(
    incident_id: int,
    approval_id: int,
    body: DecisionIn,
    request: Request,
    db: DB,
    settings: Settings,
    who: Who,
) -> dict[str, Any]:
    """Reject a pending request (same rules as approving)."""
    return _decide(incident_id, approval_id, body, request, db, settings, who, approve_it=False)
