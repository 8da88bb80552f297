"""``/api/v1/users``: the team's accounts (admin), and granting incidents to them."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from breachscope.case import accounts, logins, reenrol
from breachscope.errors import BreachscopeError
from breachscope.web.audit import record
from breachscope.web.auth.gate import Who
from breachscope.web.auth.principal import Principal
from breachscope.web.auth.routes import NO_STORE
from breachscope.web.deps import DB, Settings, client_address

router = APIRouter(prefix="/api/v1", tags=["users"])


class UserOut(BaseModel):
    id: int
    email: str
    role: str
    totp: bool
    totp_required: bool = Field(
        description="an admin requires a second factor: without one yet, the user may only add it"
    )
    created_at: datetime
    disabled: bool


class UserIn(BaseModel):
    email: str = Field(max_length=320)
    role: str
    password: str = Field(min_length=accounts.MIN_PASSWORD, max_length=accounts.MAX_PASSWORD)
    totp: bool = True
    totp_required: bool = Field(
        default=False,
        description='with "totp": false, the user adds their own authenticator at their first sign-in'
        " (until then they can open nothing else)",
    )


class NewUserOut(UserOut):
    totp_secret: str | None = Field(description="shown once: enter it in an authenticator app")
    totp_uri: str | None
    recovery_codes: list[str] = Field(
        default_factory=list, description="shown once: each works once in place of a TOTP code"
    )


class PasswordReset(BaseModel):
    password: str = Field(min_length=accounts.MIN_PASSWORD, max_length=accounts.MAX_PASSWORD)


class UserPatch(BaseModel):
    role: str | None = None
    disabled: bool | None = None
    totp_required: bool | None = Field(
        default=None,
        description="require a second factor: a user without one can then only add one"
        " (the console's Account page, POST /api/v1/auth/totp) until they have",
    )


def user_out(u: accounts.TeamUser) -> UserOut:
    return UserOut(
        id=u.id,
        email=u.email,
        role=u.role,
        totp=u.totp_secret is not None,
        totp_required=u.totp_required,
        created_at=u.created_at,
        disabled=u.disabled_at is not None,
    )


def _user(db: Session, user_id: int, not_you: tuple[Principal, str] | None = None) -> accounts.TeamUser:
    """The user ``user_id`` (404 if none); with ``not_you``, 400 with its sentence when it is
    the caller (who changes their own password or authenticator through /auth)."""
    user = db.get(accounts.TeamUser, user_id)
    if user is None:
        raise HTTPException(404, "no such user")
    if not_you is not None and user.id == not_you[0].user_id:
        raise HTTPException(400, not_you[1])
    return user


@router.get("/users", response_model=list[UserOut])
def list_users(db: DB) -> list[UserOut]:
    """Every account of the team."""
    return [user_out(u) for u in accounts.list_users(db)]


@router.post("/users", response_model=NewUserOut, status_code=201)
def add_user(body: UserIn, request: Request, db: DB, settings: Settings, who: Who) -> NewUserOut:
    """Add an account; its TOTP secret is in this answer only."""
    try:
        new = accounts.create_user(
            db,
            body.email,
            body.role,
            body.password,
            now=settings.clock.now(),
            created_by=who.actor,
            totp=body.totp,
            totp_required=body.totp_required,
            hasher=settings.hasher,
        )
    except BreachscopeError as exc:
        raise HTTPException(400, exc.message) from exc
    record(
        db,
        actor=who.actor,
        action="user.create",
        object_type="user",
        object_id=new.user.id,
        details={"role": new.user.role, **({"totp_required": True} if body.totp_required else {})},
        source=client_address(request),
    )
    return NewUserOut(
        **user_out(new.user).model_dump(),
        totp_secret=new.totp_secret,
        totp_uri=new.totp_uri,
        recovery_codes=list(new.recovery_codes),
    )


@router.patch("/users/{user_id}", response_model=UserOut)
def change_user(
    user_id: int, body: UserPatch, request: Request, db: DB, settings: Settings, who: Who
) -> UserOut:
    """Change a role, disable an account, or require a second factor (someone without one can
    then only add one until they have); any change ends the account's sessions."""
    user = _user(db, user_id)
    now = settings.clock.now()
    if body.role is not None:
        try:
            accounts.check_role(body.role)
        except BreachscopeError as exc:
            raise HTTPException(400, exc.message) from exc
        if body.role in accounts.TOTP_REQUIRED and user.totp_secret is None:
            raise HTTPException(400, f"{user.email} has no second factor, which the {body.role} role needs")
        user.role = body.role
    if body.disabled is not None:
        user.disabled_at = now if body.disabled else None
    if body.totp_required is not None:
        user.totp_required = body.totp_required
    logins.end_user_sessions(db, user.id, now)  # privilege change: no session keeps the old rights
    record(
        db,
        actor=who.actor,
        action="user.change",
        object_type="user",
        object_id=user.id,
        details=body.model_dump(exclude_none=True),
        source=client_address(request),
    )
    return user_out(user)


@router.post("/users/{user_id}/password", status_code=204)
def reset_password(
    user_id: int, body: PasswordReset, request: Request, db: DB, settings: Settings, who: Who
) -> None:
    """Set a user's password (they forgot it): every session of theirs ends; their second
    factor stays as it is. Audited. Your own password: ``POST /api/v1/auth/password``."""
    user = _user(db, user_id, not_you=(who, "change your own password with POST /api/v1/auth/password"))
    try:
        ended = logins.reset_password(
            db, user, body.password, now=settings.clock.now(), hasher=settings.hasher
        )
    except BreachscopeError as exc:
        raise HTTPException(400, exc.message) from exc
    record(
        db,
        actor=who.actor,
        action="user.password_reset",
        object_type="user",
        object_id=user.id,
        details={"sessions_ended": ended},
        source=client_address(request),
    )


class TotpReset(BaseModel):
    totp_secret: str = Field(description="shown once: the user enters it in their new authenticator app")
    totp_uri: str
    recovery_codes: list[str] = Field(description="shown once: the old ones stopped working")
    sessions_ended: int


@router.post("/users/{user_id}/totp", response_model=TotpReset)
def reset_totp(user_id: int, request: Request, db: DB, settings: Settings, who: Who) -> JSONResponse:
    """A new second factor for a user who cannot sign in (lost authenticator and recovery
    codes): a new TOTP secret, active at once, and new recovery codes, all in this answer only;
    the old secret and codes stop working and every session of theirs ends. Audited (never the
    secret). Your own: ``POST /api/v1/auth/totp``."""
    user = _user(db, user_id, not_you=(who, "set up your own new authenticator with POST /api/v1/auth/totp"))
    done = reenrol.reset(db, user, now=settings.clock.now())
    record(
        db,
        actor=who.actor,
        action="user.totp_reset",
        object_type="user",
        object_id=user.id,
        details={"sessions_ended": done.sessions_ended, "recovery_codes": len(done.recovery_codes)},
        source=client_address(request),
    )
    out = TotpReset(
        totp_secret=done.secret,
        totp_uri=done.uri,
        recovery_codes=list(done.recovery_codes),
        sessions_ended=done.sessions_ended,
    )
    return JSONResponse(out.model_dump(), headers=NO_STORE)


@router.put("/users/{user_id}/incidents/{incident_id}", status_code=204)
def grant_incident(
    user_id: int, incident_id: int, request: Request, db: DB, settings: Settings, who: Who
) -> None:
    """Make a user a member of any incident (admin; how a first member is added to an incident
    opened from the command line)."""
    user = _user(db, user_id)
    try:
        added = accounts.add_member(db, incident_id, user, by=who.actor, now=settings.clock.now())
    except BreachscopeError as exc:
        raise HTTPException(404, "no such incident") from exc
    if added:
        record(
            db,
            actor=who.actor,
            action="member.add",
            object_type="user",
            object_id=user_id,
            incident_id=incident_id,
            source=client_address(request),
        )
