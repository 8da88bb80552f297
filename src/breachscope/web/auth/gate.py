"""The one authorization check every route goes through (an app-wide dependency).

In order: find the route's rule (none: refuse), find who is asking (session cookie or API
token), check CSRF for a cookie session's state-changing request (Origin, then the per-session
token), refuse all but the enrolment routes to a user who must add a second factor first
(:class:`MustEnrol`), then the rule: a permission of the role, and for an incident route membership of the
incident in the path. A non-member, an incident-bound token of another incident and a missing
incident all get the same 404.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from breachscope.case import accounts, logins
from breachscope.web.auth.principal import Principal
from breachscope.web.auth.rules import ENROLMENT_ROUTES, ROUTE_RULES, Rule, within
from breachscope.web.deps import DB, client_address, settings_of
from breachscope.web.settings import CSRF_FORM_FIELD, CSRF_HEADER, SESSION_COOKIE, ServerSettings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NO_SUCH_INCIDENT = "no such incident"


class NotSignedIn(HTTPException):
    """401: no valid session or token (pages turn it into a redirect to the sign-in page)."""

    def __init__(self) -> None:
        super().__init__(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})


class MustEnrol(HTTPException):
    """403: an admin requires a second factor this user has not added yet (pages turn it into a
    redirect to the Account page, where they add one)."""

    def __init__(self) -> None:
        super().__init__(403, MUST_ENROL)


MUST_ENROL = (
    "an admin requires a second factor for your account: add an authenticator app first"
    " (the console's Account page, /account, or POST /api/v1/auth/totp from a browser session)"
)


class AuthzProbe(Exception):
    """Raised instead of running the endpoint when ``settings.authz_probe`` is on (tests)."""


def _route_path(request: Request) -> str | None:
    return getattr(request.scope.get("route"), "path", None)


def rule_for(request: Request) -> Rule:
    path = _route_path(request)
    rule = ROUTE_RULES.get((request.method, path)) if path else None
    if rule is None and request.method == "HEAD":
        rule = ROUTE_RULES.get(("GET", path)) if path else None
    if rule is None:
        raise HTTPException(500, "this route has no authorization rule (web/auth/rules.py)")
    return rule


def expected_origin(request: Request, settings: ServerSettings) -> str:
    if settings.public_origin:
        return settings.public_origin.rstrip("/")
    return f"{request.url.scheme}://{request.headers.get('host', '')}"


def check_origin(request: Request, settings: ServerSettings) -> None:
    """A state-changing request that names its origin must name ours (login CSRF too)."""
    origin = request.headers.get("origin")
    if origin is None and request.headers.get("referer"):
        parts = urlsplit(request.headers["referer"])
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin is not None and origin != expected_origin(request, settings):
        raise HTTPException(403, "cross-origin request refused")


async def _csrf_token_sent(request: Request) -> str:
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        value = form.get(CSRF_FORM_FIELD)
        sent = value if isinstance(value, str) else ""
    return sent


def resolve_principal(request: Request, db: Session, settings: ServerSettings) -> Principal | None:
    """The session or token of the request, or None."""
    now = settings.clock.now()
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        found = accounts.resolve_token(db, auth[7:].strip(), now)
        if found is None:
            raise NotSignedIn()  # a wrong or expired token is not silently anonymous
        token, user = found
        # the token's role, never a right the owner's role (as it is now) lacks
        role = (
            token.role
            if within(token.role, user.role)
            else user.role
            if within(user.role, token.role)
            else "viewer"
        )
        return Principal(
            user.id, user.email, role, "token", token_id=token.id, only_incident=token.incident_id,
            must_enrol=accounts.must_enrol(user),
        )  # fmt: skip
    raw = request.cookies.get(SESSION_COOKIE, "")
    if not raw:
        return None
    live = logins.resolve_session(db, raw, now=now, policy=settings.sessions)
    if live is None:
        return None
    _, user = live
    return Principal(
        user.id, user.email, user.role, "session", session_id=raw, must_enrol=accounts.must_enrol(user)
    )


def _decide(
    request: Request, db: Session, settings: ServerSettings, rule: Rule, csrf_sent: str
) -> Principal | None:
    if rule.kind == "public":
        if request.method not in SAFE_METHODS:
            check_origin(request, settings)
        return None
    principal = resolve_principal(request, db, settings)
    if principal is None:
        raise NotSignedIn()
    if request.method not in SAFE_METHODS and principal.via == "session":
        check_origin(request, settings)
        assert principal.session_id is not None
        if not logins.check_csrf(principal.session_id, csrf_sent):
            raise HTTPException(403, f"CSRF token missing or wrong (send it in {CSRF_HEADER})")
    if principal.must_enrol and (request.method, _route_path(request)) not in ENROLMENT_ROUTES:
        raise MustEnrol()
    if rule.kind == "incident":
        raw = request.path_params.get("incident_id", "")
        incident_id = int(raw) if str(raw).isdigit() and len(str(raw)) < 18 else None
        if (
            incident_id is None
            or not principal.may_reach(incident_id)
            or not accounts.is_member(db, incident_id, principal.user_id)
        ):
            raise HTTPException(404, NO_SUCH_INCIDENT)
    if rule.permission is not None and not principal.can(rule.permission):
        raise HTTPException(403, f"the {principal.role} role may not do this ({rule.permission})")
    return principal


async def authorize(request: Request, db: DB) -> Principal | None:
    """App-wide dependency: the principal of an allowed request (None on public routes)."""
    settings = settings_of(request)
    rule = rule_for(request)
    csrf_sent = (
        "" if request.method in SAFE_METHODS or rule.kind == "public" else await _csrf_token_sent(request)
    )
    principal = await run_in_threadpool(_decide, request, db, settings, rule, csrf_sent)
    request.state.principal = principal
    if settings.authz_probe:
        db.commit()
        raise AuthzProbe()
    return principal


def _signed_in(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise NotSignedIn()
    return principal


#: The signed-in principal of a non-public route (set by :func:`authorize`).
Who = Annotated[Principal, Depends(_signed_in)]
__all__ = [
    "NO_SUCH_INCIDENT",
    "AuthzProbe",
    "MustEnrol",
    "NotSignedIn",
    "Who",
    "authorize",
    "client_address",
    "rule_for",
]
