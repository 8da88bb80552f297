"""``/api/v1/incidents/{id}/approvals``: four eyes on the server (:mod:`breachscope.case.approvals`).

A purge (when the case's policy asks for it) or a send of more notices than the policy allows
first records an approval **request** and answers ``409`` with its number
(``approval_id``); inside a background job, the job fails with the same answer in its
``approval`` field. Another member of the incident whose team role may decide that action
(``APPROVER_ROLES``: admin for a purge; communications or admin for a send) approves or
rejects it here, as the signed-in person; the requester then runs the action again. The
library refuses the requester deciding their own request and a role that may not decide it.

``/api/v1/approvals/policy``: the case's four-eyes policy itself (which actions need a second
person). Anyone signed in reads it; an admin sets it (audited). Tightening applies at once;
loosening it (a guard off, a higher notice count) is itself guarded: the PUT answers ``409``
with a request number, a **different admin** approves it under ``/api/v1/approvals/{id}/approve``
and the first admin sends the same PUT again. ``GET /api/v1/approvals`` lists those requests
(they belong to no incident).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from breachscope.case import approvals
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings, client_address, engine_of

router = APIRouter(prefix="/api/v1/incidents/{incident_id}/approvals", tags=["approvals"])
policy_router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"])


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
    incident_id: int | None, approval_id: int, body: DecisionIn, request: Request, db: DB,
    settings: Settings, who: Who, *, approve_it: bool,
) -> dict[str, Any]:  # fmt: skip
    a = db.get(approvals.Approval, approval_id)
    if a is None or a.incident_id != incident_id:  # None: a request of no incident (the policy)
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


class PolicyIn(BaseModel):
    purge: bool = Field(description="purging an incident needs a second admin")
    notify_above: int | None = Field(
        default=None, ge=0, le=2_000_000_000, description="a send of more notices needs approval; null: never"
    )


class PolicyOut(BaseModel):
    purge: bool
    notify_above: int | None
    set_by: str | None
    set_at: str | None
    pending: list[dict[str, Any]] = Field(description="requests to loosen it, waiting for a second admin")


def _policy_out(db: DB, settings: Settings) -> PolicyOut:
    row = db.get(approvals.ApprovalPolicy, 1)
    policy = approvals.get_policy(db)
    now = settings.clock.now()
    pending = [
        approvals.approval_dict(a, now)
        for a in approvals.list_approvals(db, status=approvals.PENDING)
        if a.incident_id is None and a.action == approvals.POLICY and a.expires_at > now
    ]
    return PolicyOut(
        purge=policy.purge,
        notify_above=policy.notify_above,
        set_by=row.set_by if row else None,
        set_at=row.set_at.isoformat() if row else None,
        pending=pending,
    )


@policy_router.get("/policy", response_model=PolicyOut)
def get_policy(db: DB, settings: Settings) -> PolicyOut:
    """The four-eyes policy: does a purge need a second admin, above how many notices does a
    send need approval; and pending requests to loosen it."""
    return _policy_out(db, settings)


@policy_router.put("/policy", response_model=PolicyOut, responses={409: {}})
async def set_policy(body: PolicyIn, request: Request, db: DB, settings: Settings, who: Who) -> PolicyOut:
    """Set the policy (admin; audited). Tightening applies now. Loosening answers 409 with a
    request number until a different admin approves it; then send the same PUT again."""
    wanted = approvals.Policy(purge=body.purge, notify_above=body.notify_above)
    await run_in_threadpool(
        approvals.set_policy,
        engine_of(request),
        wanted,
        actor=who.actor,
        now=settings.clock.now(),
        source=client_address(request),
    )
    db.expire_all()  # set in its own transaction: read it afresh
    return await run_in_threadpool(_policy_out, db, settings)


@policy_router.get("")
def list_global(
    db: DB,
    settings: Settings,
    status: str | None = Query(default=None, pattern="^(pending|approved|rejected|used)$"),
) -> list[dict[str, Any]]:
    """Approval requests that belong to no incident (loosening the policy), oldest first."""
    now = settings.clock.now()
    return [
        approvals.approval_dict(a, now)
        for a in approvals.list_approvals(db, status=status)
        if a.incident_id is None
    ]


@policy_router.post("/{approval_id}/approve")
def approve_global(
    approval_id: int, body: DecisionIn, request: Request, db: DB, settings: Settings, who: Who
) -> dict[str, Any]:
    """Approve a request of no incident (a different admin than its requester)."""
    return _decide(None, approval_id, body, request, db, settings, who, approve_it=True)


@policy_router.post("/{approval_id}/reject")
def reject_global(
    approval_id: int, body: DecisionIn, request: Request, db: DB, settings: Settings, who: Who
) -> dict[str, Any]:
    """Reject a request of no incident (same rules as approving)."""
    return _decide(None, approval_id, body, request, db, settings, who, approve_it=False)
