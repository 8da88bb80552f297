"""What the console needs from the server around it: who is signed in, on which incidents, in what role.

The console never decides sign-in or membership itself: the app factory hands it a
:class:`ConsoleAuth` (the server's accounts and sessions) in :class:`ConsoleSettings`. Every page
of an incident asks :func:`incident_role` first; a non-member gets the same 404 as a missing
incident (no existence leak). What each role may do in the pages is :data:`PERMISSIONS` (data, so
a test walks it): the pages only show a form to a role that may use it, and the handler checks
again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from fastapi import HTTPException, Request
from sqlalchemy import Engine

from breachscope.clock import Clock, SystemClock
from breachscope.notify.config import NotifyConfig
from breachscope.web.auth.rules import PERMISSIONS as SERVER_PERMISSIONS
from breachscope.web.pages.snapshots import SnapshotCache

#: permission -> roles holding it: the server's table (web/auth/rules.py), one truth for API and pages.
PERMISSIONS = SERVER_PERMISSIONS


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as the pages show them."""

    id: int
    email: str
    name: str = ""
    #: The role of this request (the user's, or an API token's).
    role: str = ""
    #: An incident-bound API token reaches only this incident.
    only_incident: int | None = None

    @property
    def label(self) -> str:
        return self.name or self.email

    def may(self, permission: str) -> bool:
        """Does the role of this request hold a server-wide ``permission`` (the header's links)?"""
        return self.role in PERMISSIONS.get(permission, frozenset())


class ConsoleAuth(Protocol):
    """The server's sign-in and membership, as the console uses it."""

    def viewer(self, request: Request) -> Viewer | None:
        """The signed-in user of this request (second factor done), else ``None``."""

    def role(self, viewer: Viewer, incident_id: int) -> str | None:
        """The viewer's role on the incident, ``None`` when not a member (deny by default)."""

    def incident_ids(self, viewer: Viewer) -> list[int]:
        """The incidents the viewer is a member of."""

    def csrf_token(self, request: Request) -> str:
        """The token every state-changing form carries (``csrf_token`` field)."""

    def check_csrf(self, request: Request, token: str) -> bool:
        """Is ``token`` this session's CSRF token (and the Origin ours)?"""


@dataclass
class ConsoleSettings:
    engine: Engine
    auth: ConsoleAuth
    notify_config: NotifyConfig | None = None
    clock: Clock = field(default_factory=SystemClock)
    #: URL of the sign-in page (the server's); pages redirect there when nobody is signed in.
    sign_in_url: str = "/sign-in"
    #: Public notice check: attempts per source address per window, and the window in seconds.
    check_limit: int = 10
    check_window_s: int = 600
    #: Parsed assessment snapshots of this case database (web/pages/snapshots.py).
    assessments: SnapshotCache = field(default_factory=SnapshotCache)


class SignInRequired(Exception):
    """Raised by a page when nobody is signed in; answered with a redirect to the sign-in page."""


def settings(request: Request) -> ConsoleSettings:
    value = request.app.state.console
    assert isinstance(value, ConsoleSettings)
    return value


def signed_in(request: Request) -> Viewer:
    viewer = settings(request).auth.viewer(request)
    if viewer is None:
        raise SignInRequired()
    return viewer


def incident_role(request: Request, incident_id: int) -> tuple[Viewer, str]:
    """(viewer, role) on the incident; 404 for a non-member exactly as for a missing incident."""
    viewer = signed_in(request)
    role = settings(request).auth.role(viewer, incident_id)
    if role is None:
        raise HTTPException(status_code=404, detail="no such incident")
    return viewer, role


def may(role: str, action: str) -> bool:
    return role in PERMISSIONS.get(action, frozenset())


def require(role: str, action: str) -> None:
    if not may(role, action):
        raise HTTPException(status_code=403, detail=f"your role ({role}) may not {action.replace('_', ' ')}")


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form after the CSRF check (403 when the token is missing or wrong)."""
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not settings(request).auth.check_csrf(request, token):
        raise HTTPException(status_code=403, detail="the form expired or did not come from this site; reload")
    return {k: v for k, v in form.items() if isinstance(v, str)}
