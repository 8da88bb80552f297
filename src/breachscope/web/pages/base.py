"""What every console page shares: the incident, the viewer, the navigation, the CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.errors import BreachscopeError
from breachscope.web.pages.context import PERMISSIONS, incident_role, settings
from breachscope.web.pages.render import render

#: (path under /incidents/N/, label, permission needed): the incident navigation, in order.
NAV: tuple[tuple[str, str, str], ...] = (
    ("overview", "Overview", "read"),
    ("data", "Data", "read"),
    ("scope", "Scope", "read"),
    ("duties", "Duties", "read"),
    ("tasks", "Tasks", "read"),
    ("notices", "Notices", "read"),
    ("approvals", "Approvals", "read"),
    ("timeline", "Timeline", "read"),
    ("audit", "Audit log", "audit"),
)


def incident_page(
    request: Request, incident_id: int, page: str, template: str, **context: Any
) -> HTMLResponse:
    """Render ``template`` for a member of the incident (404 otherwise) with the shared context."""
    viewer, role = incident_role(request, incident_id)
    conf = settings(request)
    with session_scope(conf.engine) as s:
        try:
            incident = api.get_incident(s, incident_id)
        except BreachscopeError as exc:
            raise HTTPException(status_code=404, detail="no such incident") from exc
        s.expunge(incident)
    allowed = {action for action, roles in PERMISSIONS.items() if role in roles}
    html = render(
        template,
        {
            "incident": incident,
            "viewer": viewer,
            "role": role,
            "allowed": allowed,
            "nav": [(key, label) for key, label, needs in NAV if needs in allowed],
            "page": page,
            "csrf_token": conf.auth.csrf_token(request),
            "now": conf.clock.now(),
            **context,
        },
    )
    return HTMLResponse(html)
