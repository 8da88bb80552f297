"""Signing in and out, shared by the JSON API (``POST /api/v1/auth/login``) and the console's form.

:func:`sign_in` checks throttling first (a locked account or address is refused before any
password is looked at), then the password (argon2id; the same work for an unknown email) and
the second factor (a TOTP code, or one of the user's single-use recovery codes; the audit
entry says which), counts a failure against the account and the address, and on success starts
a new session (the browser's previous session id, if any, is ended: no fixation). Every outcome
gives the caller one of three answers: signed in, "email, password or code wrong" (the same
for an unknown user, a wrong password and a wrong code) or "locked, retry after N s".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy.orm import Session

from breachscope.case import accounts, logins
from breachscope.web.audit import record
from breachscope.web.settings import SESSION_COOKIE, ServerSettings

FAILED = "email, password or code wrong"


@dataclass(frozen=True)
class SignIn:
    ok: bool
    session_id: str | None = None
    user: accounts.TeamUser | None = None
    retry_after: int | None = None  # seconds, when locked

    @property
    def message(self) -> str:
        if self.ok:
            return "signed in"
        if self.retry_after is not None:
            return f"too many failed sign-ins: try again in {self.retry_after} s"
        return FAILED


def sign_in(
    db: Session,
    settings: ServerSettings,
    *,
    email: str,
    password: str,
    code: str,
    address: str,
    user_agent: str,
    previous_session: str | None,
) -> SignIn:
    """Check the credentials under throttling; on success a new session (see the module doc)."""
    now = settings.clock.now()
    keys = logins.throttle_keys(email, address)
    locked = logins.locked_for(db, keys, now)
    if locked is not None:
        record(
            db,
            actor=email[:320] or "anonymous",
            action="auth.login",
            object_type="session",
            details={"result": "locked"},
            source=address,
            at=now,
        )
        return SignIn(False, retry_after=max(1, math.ceil(locked.total_seconds())))
    user = accounts.get_user(db, email)
    good = accounts.verify_password(user, password, settings.hasher)
    factor: str | None = None
    if good and user is not None and user.disabled_at is None:
        factor = accounts.verify_second_factor(db, user, code, now)
    if factor is None or user is None:
        logins.record_failure(db, keys, now)
        record(
            db,
            actor=email[:320] or "anonymous",
            action="auth.login",
            object_type="session",
            details={"result": "failed"},
            source=address,
            at=now,
        )
        return SignIn(False)
    logins.forget_failures(db, keys[0])
    raw = logins.start_session(
        db,
        user,
        now=now,
        address=address,
        user_agent=user_agent,
        policy=settings.sessions,
        replaces=previous_session,
    )
    details: dict[str, object] = {"result": "ok", "second_factor": factor}
    if factor == "recovery_code":
        details["recovery_codes_left"] = accounts.recovery_codes_left(db, user.id)
    record(
        db,
        actor=user.email,
        action="auth.login",
        object_type="user",
        object_id=user.id,
        details=details,
        source=address,
        at=now,
    )
    return SignIn(True, session_id=raw, user=user)


def cookie_secure(request: Request, settings: ServerSettings) -> bool:
    if settings.secure_cookies == "always":
        return True
    if settings.secure_cookies == "never":
        return False
    return request.url.scheme == "https"  # uvicorn sets it from a trusted proxy's X-Forwarded-Proto


def set_session_cookie(response: Response, request: Request, settings: ServerSettings, raw: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=int(settings.sessions.absolute.total_seconds()),
        path="/",
        secure=cookie_secure(request, settings),
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, request: Request, settings: ServerSettings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=cookie_secure(request, settings), httponly=True, samesite="strict"
    )
