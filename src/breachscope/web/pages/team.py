"""Team: every account of the team, and an admin's changes to them (``/team``; admins only).

A thin shell over :mod:`breachscope.web.auth.team`, the functions the API's ``/api/v1/users``
routes and ``/api/v1/incidents/{id}/members/{user_id}`` call: the page reads the form (the gate
has checked its rule, its CSRF token and its Origin) and renders the answer. Each change is
written to the audit chain by that module, exactly as the API writes it; a refusal is the API's
sentence and status (an unknown role, a role that needs a second factor the user has not got, a
password the policy refuses, your own password or authenticator: the Account page). The
list shows each user's email (autoescaped, bounded), role, second factor (enrolled / required,
not added yet / none), whether disabled, when created, and the incidents they are a member of.

A new account's authenticator secret, setup link, QR code and recovery codes (and those of an
authenticator an admin resets) appear on the response to the form only, never cached
(``Cache-Control: no-store``), and never again; the password is the one the admin typed, as the
API takes it (``POST /api/v1/users`` never makes one up).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from breachscope.case import accounts
from breachscope.case import api as case_api
from breachscope.case.reenrol import grouped
from breachscope.web import qr
from breachscope.web.auth import team
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings, client_address
from breachscope.web.pages.context import settings as console_settings
from breachscope.web.pages.context import signed_in
from breachscope.web.pages.render import render

router = APIRouter()

Password = Annotated[str, Form(max_length=accounts.MAX_PASSWORD)]
Choice = Annotated[str, Form(max_length=40)]
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

#: ?done= -> the sentence shown on the user's page after a change that redirected there
DONE = {
    "role": "The role was changed. Their sessions were signed out.",
    "disabled": "The account was disabled: it cannot sign in, and its sessions were signed out.",
    "enabled": "The account was enabled again: it can sign in.",
    "totp_required": "A second factor is now required: until they add one, they can only add one.",
    "totp_optional": "A second factor is no longer required of this account.",
    "password": "The password was set. Their sessions were signed out; tell them the new password"
    " by another channel than this account's email.",
    "granted": "The incident was granted.",
    "revoked": "The incident was taken away.",
}


def second_factor(user: accounts.TeamUser) -> str:
    """enrolled | required (an admin requires one not added yet) | none"""
    if user.totp_secret is not None:
        return "enrolled"
    return "required" if accounts.must_enrol(user) else "none"


def _row(db: DB, user: accounts.TeamUser, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "second_factor": second_factor(user),
        "totp_required": user.totp_required,
        "disabled": user.disabled_at is not None,
        "created_at": user.created_at,
        "created_by": user.created_by,
        "incidents": [(i, names.get(i, f"#{i}")) for i in accounts.member_incident_ids(db, user.id)],
    }


def _render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    values: dict[str, Any] = {
        "viewer": signed_in(request),
        "incident": None,
        "page": "team",
        "csrf_token": console_settings(request).auth.csrf_token(request),
        "roles": accounts.ROLES,
        "totp_roles": sorted(accounts.TOTP_REQUIRED),
        "min_password": accounts.MIN_PASSWORD,
        **context,
    }
    return HTMLResponse(render(template, values), status_code=status, headers=NO_STORE)


def _names(db: DB) -> dict[int, str]:
    return {i.id: i.name for i in case_api.list_incidents(db)}


def _list(request: Request, db: DB, status: int = 200, **context: Any) -> HTMLResponse:
    names = _names(db)
    rows = [_row(db, u, names) for u in accounts.list_users(db)]
    values: dict[str, Any] = {"rows": rows, "add_error": "", "added": None, "form": {}, **context}
    return _render(request, "team.html.j2", status, **values)


def _user_page(
    request: Request, db: DB, who: Who, user: accounts.TeamUser, status: int = 200, **context: Any
) -> HTMLResponse:
    names = _names(db)
    row = _row(db, user, names)
    member_of = {i for i, _ in row["incidents"]}
    values: dict[str, Any] = {
        "user": row,
        "yourself": user.id == who.user_id,
        "grantable": [(i, name) for i, name in sorted(names.items()) if i not in member_of],
        "done": "",
        "error": "",
        "error_at": "",
        "reset": None,
        **context,
    }
    return _render(request, "team_user.html.j2", status, **values)


def _shown_factor(secret: str | None, uri: str | None, codes: tuple[str, ...]) -> dict[str, Any] | None:
    """A new authenticator as the page shows it once: the key in groups, the link, its QR code."""
    if secret is None or uri is None:
        return None
    return {"secret": grouped(secret), "uri": uri, "qr": qr.picture(uri), "codes": codes}


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request, db: DB) -> HTMLResponse:
    return _list(request, db)


@router.post("/team/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    db: DB,
    settings: Settings,
    who: Who,
    email: Annotated[str, Form(max_length=320)],
    role: Choice,
    password: Password,
    totp: Annotated[str, Form(max_length=10)] = "",
    totp_required: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    new = team.add_user(
        db, settings, who, email=email, role=role, password=password, totp=totp == "on",
        totp_required=totp_required == "on", source=client_address(request),
    )  # fmt: skip
    if isinstance(new, team.Refusal):
        form = {"email": email, "role": role, "totp": totp == "on", "totp_required": totp_required == "on"}
        return _list(request, db, new.status, add_error=new.message, form=form)
    db.flush()
    added = {
        "id": new.user.id,
        "email": new.user.email,
        "role": new.user.role,
        "factor": _shown_factor(new.totp_secret, new.totp_uri, new.recovery_codes),
        "must_enrol": accounts.must_enrol(new.user),
    }
    return _render(request, "team_added.html.j2", added=added)


def _found(
    request: Request, db: DB, user_id: int, who: Who | None = None, not_you: str = ""
) -> accounts.TeamUser | HTMLResponse:
    """The user, or the page that says why not (404 no such user; 400 yourself)."""
    found = team.find_user(db, user_id, who, not_you)
    if not isinstance(found, team.Refusal):
        return found
    user = db.get(accounts.TeamUser, user_id) if who is not None else None
    if who is None or user is None:  # no such user (or no page to show the refusal on)
        raise HTTPException(found.status, found.message)
    return _user_page(request, db, who, user, found.status, error=found.message, error_at="factor")


@router.get("/team/users/{user_id}", response_class=HTMLResponse)
def user_page(request: Request, user_id: int, db: DB, who: Who, done: str = "") -> HTMLResponse:
    user = _found(request, db, user_id)
    if isinstance(user, HTMLResponse):
        return user
    return _user_page(request, db, who, user, done=DONE.get(done, ""))


@router.post("/team/users/{user_id}/change", response_model=None)
def change_user(
    request: Request,
    user_id: int,
    db: DB,
    settings: Settings,
    who: Who,
    role: Choice = "",
    disabled: Choice = "",
    totp_required: Choice = "",
) -> Response:
    """One field at a time, as the page's forms post them (``PATCH /api/v1/users/{id}``)."""
    user = _found(request, db, user_id)
    if isinstance(user, HTMLResponse):
        return user
    flags = {"yes": True, "no": False}
    change = team.Change(
        role=role or None, disabled=flags.get(disabled), totp_required=flags.get(totp_required)
    )
    if change == team.Change():
        return _user_page(request, db, who, user, 400, error="nothing to change", error_at="account")
    refusal = team.change_user(db, settings, who, user, change, source=client_address(request))
    if refusal is not None:
        return _user_page(request, db, who, user, refusal.status, error=refusal.message, error_at="account")
    if change.role is not None:
        done = "role"
    elif change.disabled is not None:
        done = "disabled" if change.disabled else "enabled"
    else:
        done = "totp_required" if change.totp_required else "totp_optional"
    return RedirectResponse(f"/team/users/{user_id}?done={done}", status_code=303)


@router.post("/team/users/{user_id}/password", response_model=None)
def reset_password(
    request: Request, user_id: int, db: DB, settings: Settings, who: Who, password: Password
) -> Response:
    user = _found(request, db, user_id, who, team.OWN_PASSWORD)
    if isinstance(user, HTMLResponse):
        return user
    refusal = team.reset_password(db, settings, who, user, password, source=client_address(request))
    if refusal is not None:
        return _user_page(request, db, who, user, refusal.status, error=refusal.message, error_at="factor")
    return RedirectResponse(f"/team/users/{user_id}?done=password", status_code=303)


@router.post("/team/users/{user_id}/totp", response_class=HTMLResponse)
def reset_totp(request: Request, user_id: int, db: DB, settings: Settings, who: Who) -> HTMLResponse:
    user = _found(request, db, user_id, who, team.OWN_TOTP)
    if isinstance(user, HTMLResponse):
        return user
    done = team.reset_totp(db, settings, who, user, source=client_address(request))
    db.flush()
    reset = _shown_factor(done.secret, done.uri, done.recovery_codes)
    return _user_page(request, db, who, user, reset=reset, sessions_ended=done.sessions_ended)


@router.post("/team/users/{user_id}/incidents", response_model=None)
def grant(
    request: Request,
    user_id: int,
    db: DB,
    settings: Settings,
    who: Who,
    incident_id: Annotated[int, Form()],
) -> Response:
    user = _found(request, db, user_id)
    if isinstance(user, HTMLResponse):
        return user
    refusal = team.grant(db, settings, who, user, incident_id, source=client_address(request))
    if refusal is not None:
        return _user_page(request, db, who, user, refusal.status, error=refusal.message, error_at="incidents")
    return RedirectResponse(f"/team/users/{user_id}?done=granted", status_code=303)


@router.post("/team/users/{user_id}/incidents/{incident_id}/revoke", response_model=None)
def revoke(request: Request, user_id: int, incident_id: int, db: DB, who: Who) -> Response:
    user = _found(request, db, user_id)
    if isinstance(user, HTMLResponse):
        return user
    refusal = team.revoke(db, who, incident_id, user_id, source=client_address(request))
    if refusal is not None:
        return _user_page(request, db, who, user, refusal.status, error=refusal.message, error_at="incidents")
    return RedirectResponse(f"/team/users/{user_id}?done=revoked", status_code=303)
