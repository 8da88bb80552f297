"""``/api/v1/auth``: sign in and out, who am I, change one's password, recovery codes, a new
authenticator; ``/api/v1/tokens``: the caller's API tokens.

Changing the password, making new recovery codes and starting a new authenticator need a signed-in
browser session (not an API token) and the current password typed again, under the sign-in
throttle (:func:`breachscope.case.logins.recheck_password`): a wrong one answers 401 and counts as
a failed sign-in; a locked account or address answers 429 with ``Retry-After``. The console's
Account page does the same through the same functions (:mod:`.selfservice`). A new authenticator's
secret is answered once (``Cache-Control: no-store``) and takes effect only when a code of it is
sent to ``/api/v1/auth/totp/confirm``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from breachscope.case import accounts, logins
from breachscope.errors import BreachscopeError
from breachscope.web.audit import record
from breachscope.web.auth import selfservice
from breachscope.web.auth.gate import Who
from breachscope.web.auth.rules import within
from breachscope.web.auth.signin import clear_session_cookie, set_session_cookie, sign_in
from breachscope.web.deps import DB, Settings, client_address, user_agent
from breachscope.web.settings import CSRF_HEADER, SESSION_COOKIE

router = APIRouter(prefix="/api/v1", tags=["auth"])


class Login(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=accounts.MAX_PASSWORD)
    totp: str = Field(
        default="",
        max_length=40,
        description="the 6-digit code (admin and legal always), or one unused recovery code",
    )


class Me(BaseModel):
    id: int
    email: str
    role: str
    via: str
    incidents: list[int]
    csrf_token: str | None = Field(description=f"send it in {CSRF_HEADER} on every change (sessions only)")


def _me(db: DB, who: Who) -> Me:
    ids = accounts.member_incident_ids(db, who.user_id)
    if who.only_incident is not None:
        ids = [i for i in ids if i == who.only_incident]
    csrf = logins.csrf_token(who.session_id) if who.session_id else None
    return Me(id=who.user_id, email=who.email, role=who.role, via=who.via, incidents=ids, csrf_token=csrf)


@router.post("/auth/login", response_model=Me, responses={401: {}, 429: {}})
def login(
    body: Login,
    request: Request,
    db: DB,
    settings: Settings,
    bs_session: Annotated[str | None, Cookie()] = None,
) -> Any:
    """Sign in with email, password and (admin, legal, or when enrolled) the TOTP code.

    Sets the session cookie (a new id every time) and returns the CSRF token to send with
    every change. Too many failures lock the account and the address for a while (429)."""
    outcome = sign_in(
        db,
        settings,
        email=body.email,
        password=body.password,
        code=body.totp,
        address=client_address(request),
        user_agent=user_agent(request),
        previous_session=bs_session,
    )
    if not outcome.ok or outcome.session_id is None or outcome.user is None:
        db.commit()  # the failure count and its audit entry stay, though the answer is an error
        status = 429 if outcome.retry_after is not None else 401
        headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after is not None else None
        return JSONResponse({"detail": outcome.message}, status_code=status, headers=headers)
    user = outcome.user
    me = Me(
        id=user.id,
        email=user.email,
        role=user.role,
        via="session",
        incidents=accounts.member_incident_ids(db, user.id),
        csrf_token=logins.csrf_token(outcome.session_id),
    )
    response = JSONResponse(me.model_dump())
    set_session_cookie(response, request, settings, outcome.session_id)
    return response


@router.post("/auth/logout", status_code=204)
def logout(request: Request, db: DB, settings: Settings, who: Who) -> Response:
    """End this session (the cookie is cleared too)."""
    if who.session_id:
        logins.end_session(db, who.session_id, settings.clock.now())
    record(
        db,
        actor=who.actor,
        action="auth.logout",
        object_type="user",
        object_id=who.user_id,
        source=client_address(request),
    )
    response = Response(status_code=204)
    clear_session_cookie(response, request, settings)
    return response


@router.get("/auth/me", response_model=Me)
def me(db: DB, who: Who) -> Me:
    """The signed-in user, their role, their incidents and the session's CSRF token."""
    return _me(db, who)


class TokenIn(BaseModel):
    name: str = Field(max_length=200)
    role: str | None = Field(default=None, description="at most your own role (default: yours)")
    incident_id: int | None = Field(default=None, description="reach only this incident")
    days: float = Field(default=30, gt=0, le=366)


class TokenOut(BaseModel):
    id: int
    name: str
    role: str
    incident_id: int | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    token: str | None = Field(default=None, description="shown once, at creation")


def _token_out(t: accounts.ApiToken, text: str | None = None) -> TokenOut:
    return TokenOut(
        id=t.id,
        name=t.name,
        role=t.role,
        incident_id=t.incident_id,
        created_at=t.created_at,
        expires_at=t.expires_at,
        revoked_at=t.revoked_at,
        last_used_at=t.last_used_at,
        token=text,
    )


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(db: DB, who: Who) -> list[TokenOut]:
    """Your API tokens (never their secrets)."""
    return [_token_out(t) for t in accounts.list_tokens(db, who.user_id)]


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_token(body: TokenIn, request: Request, db: DB, settings: Settings, who: Who) -> TokenOut:
    """A token for automation (``Authorization: Bearer <token>``); the text is shown only now.

    Only a signed-in browser makes tokens (a token cannot make another)."""
    if who.via != "session":
        raise HTTPException(403, "tokens are made from a signed-in session")
    user = db.get(accounts.TeamUser, who.user_id)
    assert user is not None
    if body.incident_id is not None and not accounts.is_member(db, body.incident_id, who.user_id):
        raise HTTPException(404, "no such incident")
    role = body.role or user.role
    if not within(role, user.role):  # "ranked no higher" let communications make a legal token
        raise HTTPException(400, f"a {role} token would hold rights your role ({user.role}) has not")
    try:
        token, text = accounts.create_token(
            db,
            user,
            name=body.name,
            role=role,
            incident_id=body.incident_id,
            lifetime=timedelta(days=body.days),
            now=settings.clock.now(),
        )
    except BreachscopeError as exc:
        raise HTTPException(400, exc.message) from exc
    record(
        db,
        actor=who.actor,
        action="token.create",
        object_type="api_token",
        object_id=token.id,
        incident_id=body.incident_id,
        details={"role": token.role},
        source=client_address(request),
    )
    return _token_out(token, text)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, request: Request, db: DB, settings: Settings, who: Who) -> Response:
    """Revoke one of your tokens."""
    if not accounts.revoke_token(db, who.user_id, token_id, settings.clock.now()):
        raise HTTPException(404, "no such token")
    record(
        db,
        actor=who.actor,
        action="token.revoke",
        object_type="api_token",
        object_id=token_id,
        source=client_address(request),
    )
    return Response(status_code=204)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=accounts.MAX_PASSWORD)
    new_password: str = Field(max_length=accounts.MAX_PASSWORD)


class PasswordAgain(BaseModel):
    password: str = Field(max_length=accounts.MAX_PASSWORD, description="your current password")


class RecoveryState(BaseModel):
    second_factor: bool
    recovery_codes_left: int


class RecoveryCodes(BaseModel):
    codes: list[str] = Field(description="shown once: each works once in place of a TOTP code")


REFUSALS: dict[int | str, dict[str, Any]] = {401: {}, 429: {}}


def _refused(refusal: selfservice.Refusal) -> JSONResponse:
    return JSONResponse({"detail": refusal.message}, status_code=refusal.status, headers=refusal.headers)


@router.post("/auth/password", status_code=204, responses=REFUSALS)
def change_password(body: PasswordChange, request: Request, db: DB, settings: Settings, who: Who) -> Response:
    """Change your password: the current one, then the new one (at least 12 characters).

    Every other session of yours ends; this one stays signed in. Audited."""
    refusal = selfservice.change_password(
        db, settings, who, body.current_password, body.new_password, address=client_address(request)
    )
    if refusal is not None:
        db.commit()  # the failure counts (throttle) and its audit entry stay
        return _refused(refusal)
    return Response(status_code=204)


@router.get("/auth/recovery-codes", response_model=RecoveryState)
def recovery_state(db: DB, settings: Settings, who: Who) -> RecoveryState:
    """Whether you have a second factor and how many unused recovery codes are left."""
    state = selfservice.recovery_state(db, settings, who)
    return RecoveryState(second_factor=state.second_factor, recovery_codes_left=state.codes_left)


@router.post("/auth/recovery-codes", response_model=RecoveryCodes, responses=REFUSALS)
def new_recovery_codes(body: PasswordAgain, request: Request, db: DB, settings: Settings, who: Who) -> Any:
    """New recovery codes for your second factor (the old ones stop working); shown only now."""
    codes, refusal = selfservice.new_recovery_codes(
        db, settings, who, body.password, address=client_address(request)
    )
    if refusal is not None:
        db.commit()
        return _refused(refusal)
    return RecoveryCodes(codes=list(codes))


class NewAuthenticator(BaseModel):
    secret: str = Field(description="shown once: type it (or scan the URI) into the new authenticator app")
    uri: str = Field(description="the otpauth:// URI of the same secret")
    expires_at: datetime = Field(description="confirm a code of it before this, else start again")


class TotpCode(BaseModel):
    code: str = Field(max_length=40, description="the new authenticator's current 6-digit code")


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/auth/totp", response_model=NewAuthenticator, responses={400: {}, **REFUSALS})
def begin_totp(body: PasswordAgain, request: Request, db: DB, settings: Settings, who: Who) -> Any:
    """Start a new authenticator (lost or replaced phone), or your first one (an account made
    without a second factor): a new TOTP secret, shown only now.

    It takes effect when a code of it is sent to ``POST /auth/totp/confirm`` (within 15
    minutes); until then your current authenticator (or a recovery code; without one, the
    password alone) still signs you in."""
    enrolment = selfservice.begin_totp(db, settings, who, body.password, address=client_address(request))
    if isinstance(enrolment, selfservice.Refusal):
        db.commit()  # the failure counts (throttle) and its audit entry stay
        return _refused(enrolment)
    out = NewAuthenticator(secret=enrolment.secret, uri=enrolment.uri, expires_at=enrolment.expires_at)
    return JSONResponse(out.model_dump(mode="json"), headers=NO_STORE)


FIRST_CONFIRMED: dict[int | str, dict[str, Any]] = {
    200: {
        "model": RecoveryCodes,
        "description": "your first authenticator is set up: its recovery codes, shown only now",
    },
    204: {"description": "your new authenticator replaced the old one (your recovery codes stay)"},
}


@router.post("/auth/totp/confirm", status_code=204, responses={400: {}, **REFUSALS, **FIRST_CONFIRMED})
def confirm_totp(body: TotpCode, request: Request, db: DB, settings: Settings, who: Who) -> Response:
    """Confirm the new authenticator with its current code: from now on only it signs you in
    (the old one stops working) and every other session of yours ends. A wrong code counts as a
    failed sign-in and changes nothing. Your first authenticator answers 200 with your first
    recovery codes (``no-store``); a replaced one answers 204."""
    codes, refusal = selfservice.confirm_totp(db, settings, who, body.code, address=client_address(request))
    if refusal is not None:
        db.commit()
        return _refused(refusal)
    if codes:
        return JSONResponse(RecoveryCodes(codes=list(codes)).model_dump(), headers=NO_STORE)
    return Response(status_code=204)


__all__ = ["SESSION_COOKIE", "router"]
