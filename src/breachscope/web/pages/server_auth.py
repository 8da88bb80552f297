"""The console's view of the server's sign-in: the principal the gate found, membership, CSRF.

The gate (:mod:`breachscope.web.auth.gate`) has already authorized every page request (rule,
session, CSRF on changes, membership for incident routes) before a page runs; this adapter only
answers the questions the templates ask (who, which role here, which token goes in the forms).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine

from breachscope.case import accounts, logins
from breachscope.case.db import session_scope
from breachscope.web.auth.principal import Principal
from breachscope.web.pages.context import Viewer


def _principal(request: Request) -> Principal | None:
    value = getattr(request.state, "principal", None)
    return value if isinstance(value, Principal) else None


@dataclass
class ServerAuth:
    engine: Engine

    def viewer(self, request: Request) -> Viewer | None:
        p = _principal(request)
        if p is None:
            return None
        return Viewer(p.user_id, p.email, role=p.role, only_incident=p.only_incident)

    def role(self, viewer: Viewer, incident_id: int) -> str | None:
        """The request's role (a token's role may be below its owner's) on an incident it may reach."""
        if viewer.only_incident is not None and viewer.only_incident != incident_id:
            return None
        with session_scope(self.engine) as s:
            return viewer.role if accounts.is_member(s, incident_id, viewer.id) else None

    def incident_ids(self, viewer: Viewer) -> list[int]:
        with session_scope(self.engine) as s:
            ids = accounts.member_incident_ids(s, viewer.id)
        return [i for i in ids if viewer.only_incident in (None, i)]

    def csrf_token(self, request: Request) -> str:
        p = _principal(request)
        return logins.csrf_token(p.session_id) if p is not None and p.session_id else ""

    def check_csrf(self, request: Request, token: str) -> bool:
        p = _principal(request)
        if p is None:
            return False
        if p.session_id is None:  # an API token: no cookie, so no cross-site request to forge
            return True
        return logins.check_csrf(p.session_id, token)
