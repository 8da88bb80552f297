"""The server's sign-in and membership as the console pages use them (``ConsoleAuth``).

The gate (:mod:`.gate`) has already resolved who is asking and checked CSRF and the route's rule
when a page runs; this adapter answers the pages' questions from that principal and the
case's membership rows, so the pages and the API decide access the same way.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import Engine

from breachscope.case import accounts, logins
from breachscope.case.session import session_scope
from breachscope.web.auth.principal import Principal
from breachscope.web.pages.context import Viewer


class SessionConsoleAuth:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @staticmethod
    def _principal(request: Request) -> Principal | None:
        principal: Principal | None = getattr(request.state, "principal", None)
        return principal

    def viewer(self, request: Request) -> Viewer | None:
        p = self._principal(request)
        return Viewer(p.user_id, p.email, role=p.role) if p else None

    def role(self, viewer: Viewer, incident_id: int) -> str | None:
        with session_scope(self.engine) as s:
            if not accounts.is_member(s, incident_id, viewer.id):
                return None
            user = s.get(accounts.TeamUser, viewer.id)
            return user.role if user is not None and user.disabled_at is None else None

    def incident_ids(self, viewer: Viewer) -> list[int]:
        with session_scope(self.engine) as s:
            return accounts.member_incident_ids(s, viewer.id)

    def csrf_token(self, request: Request) -> str:
        p = self._principal(request)
        return logins.csrf_token(p.session_id) if p and p.session_id else ""

    def check_csrf(self, request: Request, token: str) -> bool:
        p = self._principal(request)
        return bool(p and p.session_id and logins.check_csrf(p.session_id, token))
