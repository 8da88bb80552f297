"""Who is asking: a signed-in browser (session cookie) or an API token (``Authorization: Bearer``).

A :class:`Principal` carries the role that counts for this request: the user's role, or for a
token the token's role (never above the owner's, see :func:`breachscope.case.accounts.create_token`),
and for an incident-bound token the one incident it may reach.
"""

from __future__ import annotations

from dataclasses import dataclass

from breachscope.web.auth.rules import PERMISSIONS


@dataclass(frozen=True)
class Principal:
    user_id: int
    email: str
    role: str
    via: str  # session | token
    #: the raw session id (cookie) for a session; None for a token
    session_id: str | None = None
    token_id: int | None = None
    #: an incident-bound token reaches only this incident
    only_incident: int | None = None
    #: an admin requires a second factor the user has not added: only the enrolment is open
    must_enrol: bool = False

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    def may_reach(self, incident_id: int) -> bool:
        return self.only_incident is None or self.only_incident == incident_id

    @property
    def actor(self) -> str:
        """The author written into the timeline, facts and audit entries."""
        return self.email if self.via == "session" else f"{self.email} (token {self.token_id})"
