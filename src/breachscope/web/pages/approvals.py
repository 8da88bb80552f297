"""Four eyes in the console: the incident's approval requests (a send above the policy's count,
a purge), and approve / reject in place for a second person with the right role.

The rules are the library's (``case.approvals``): a different person than the requester, a role
in ``APPROVER_ROLES[action]``, bound to the exact parameters, once. The page only shows the
buttons to a role that may use them; the library refuses anything else with the reason shown.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from breachscope.case import approvals
from breachscope.case.db import session_scope
from breachscope.errors import BreachscopeError
from breachscope.web.deps import client_address
from breachscope.web.pages.base import incident_page
from breachscope.web.pages.context import checked_form, incident_role, settings

router = APIRouter()


@router.get("/incidents/{incident_id}/approvals", response_class=HTMLResponse)
def approvals_page(request: Request, incident_id: int) -> HTMLResponse:
    viewer, role = incident_role(request, incident_id)
    conf = settings(request)
    now = conf.clock.now()
    with session_scope(conf.engine) as s:
        rows = [approvals.approval_dict(a, now) for a in approvals.list_approvals(s, incident_id)]
    for r in rows:
        r["may_decide"] = (
            r["status"] == approvals.PENDING
            and role in approvals.APPROVER_ROLES.get(r["action"], ())
            and r["requested_by"].casefold() != viewer.label.casefold()
        )
    return incident_page(request, incident_id, "approvals", "approvals.html.j2", rows=list(reversed(rows)))


@router.post("/incidents/{incident_id}/approvals/{approval_id}/{decision}")
async def decide(request: Request, incident_id: int, approval_id: int, decision: str) -> RedirectResponse:
    viewer, role = incident_role(request, incident_id)
    form = await checked_form(request)
    if decision not in ("approve", "reject"):
        raise HTTPException(status_code=404, detail="no such decision")
    conf = settings(request)
    act = approvals.approve if decision == "approve" else approvals.reject
    with session_scope(conf.engine) as s:
        found = s.get(approvals.Approval, approval_id)
        if found is None or found.incident_id != incident_id:
            raise HTTPException(status_code=404, detail="no such approval request")
        try:
            act(
                s, approval_id, approver=viewer.label, role=role, now=conf.clock.now(),
                note=form.get("note", "")[:1000], source=client_address(request),
            )  # fmt: skip
        except BreachscopeError as exc:
            raise HTTPException(status_code=403, detail=str(exc)) from exc
    return RedirectResponse(f"/incidents/{incident_id}/approvals#approval-{approval_id}", status_code=303)
