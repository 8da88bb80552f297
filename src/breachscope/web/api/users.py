"""``/api/v1/users``: the team's accounts (admin), and granting incidents to them."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from breachscope.case import accounts
from breachscope.web.auth import team
from breachscope.web.auth.gate import Who
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


def _found(found: accounts.TeamUser | team.Refusal) -> accounts.TeamUser:
    if isinstance(found, team.Refusal):
        raise HTTPException(found.status, found.message)
    return found


def _refused(refusal: team.Refusal | None) -> None:
    if refusal is not None:
        raise HTTPException(refusal.status, refusal.message)


@router.get("/users", response_model=list[UserOut])
def list_users(db: DB) -> list[UserOut]:
    """Every account of the team."""
    return [user_out(u) for u in accounts.list_users(db)]


@router.post("/users", response_model=NewUserOut, status_code=201)
def add_user(body: UserIn, request: Request, db: DB, settings: Settings, who: Who) -> NewUserOut:
    """Add an account; its TOTP secret is in this answer only."""
    new = team.add_user(
        db, settings, who, email=body.email, role=body.role, password=body.password, totp=body.totp,
        totp_required=body.totp_required, source=client_address(request),
    )  # fmt: skip
    if isinstance(new, team.Refusal):
        raise HTTPException(new.status, new.message)
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
    then only add one until they have); any change ends the account's sessions. The team's last
    enabled admin is neither disabled nor given another role (409)."""
    user = _found(team.find_user(db, user_id))
    change = team.Change(role=body.role, disabled=body.disabled, totp_required=body.totp_required)
    _refused(team.change_user(db, settings, who, user, change, source=client_address(request)))
    return user_out(user)


@router.post("/users/{user_id}/password", status_code=204)
def reset_password(
    user_id: int, body: PasswordReset, request: Request, db: DB, settings: Settings, who: Who
) -> None:
    """Set a user's password (they forgot it): every session of theirs ends; their second
    factor stays as it is. Audited. Your own password: ``POST /api/v1/auth/password``."""
    user = _found(team.find_user(db, user_id, who, team.OWN_PASSWORD))
    _refused(team.reset_password(db, settings, who, user, body.password, source=client_address(request)))


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
    user = _found(team.find_user(db, user_id, who, team.OWN_TOTP))
    done = team.reset_totp(db, settings, who, user, source=client_address(request))
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
    user = _found(team.find_user(db, user_id))
    _refused(team.grant(db, settings, who, user, incident_id, source=client_address(request)))
