"""A signed-in user's own account: change the password, make new recovery codes, count them.

One implementation for the API (``/api/v1/auth/password``, ``/api/v1/auth/recovery-codes``,
:mod:`.routes`) and the console's Account page (``/account``, :mod:`breachscope.web.pages.account`):
each shell turns a :class:`Refusal` into its own answer (JSON or a page), nothing more.

Both changes need a signed-in browser session (not an API token) and the current password
typed again, under the sign-in throttle (:func:`breachscope.case.logins.recheck_password`): a
wrong one is a failed sign-in (401); a locked account or address is refused unchecked (429,
with the seconds to wait). Every attempt, refused or not, is written to the audit chain; the
caller commits a refusal too, so the failure count and its audit entry stay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from breachscope.case import accounts, logins
from breachscope.errors import BreachscopeError
from breachscope.web.audit import record
from breachscope.web.auth.principal import Principal
from breachscope.web.settings import ServerSettings

SESSION_ONLY = "sign in with a browser session for this (an API token cannot)"
WRONG_PASSWORD = "the current password is wrong"
NO_SECOND_FACTOR = "you have no second factor, so no recovery codes"


@dataclass(frozen=True)
class Refusal:
    """Why a change was refused: the HTTP status, the sentence shown, the seconds to wait."""

    status: int  # 400 policy, 401 wrong current password, 403 not a session, 429 locked
    message: str
    retry_after: int | None = None

    @property
    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None


@dataclass(frozen=True)
class RecoveryState:
    second_factor: bool
    codes_left: int


def _session_only(who: Principal) -> Refusal | None:
    if who.via != "session" or not who.session_id:
        return Refusal(403, SESSION_ONLY)
    return None


def _user(db: Session, who: Principal) -> accounts.TeamUser:
    user = db.get(accounts.TeamUser, who.user_id)
    assert user is not None  # the gate resolved the session to this enabled user
    return user


def _refused(check: logins.Recheck) -> Refusal:
    if check.retry_after is not None:
        after = max(1, math.ceil(check.retry_after.total_seconds()))
        return Refusal(429, f"too many failed attempts: try again in {after} s", after)
    return Refusal(401, WRONG_PASSWORD)


def _result(check: logins.Recheck) -> str:
    return "ok" if check.ok else ("locked" if check.retry_after else "failed")


def change_password(
    db: Session, settings: ServerSettings, who: Principal, current: str, new: str, *, address: str
) -> Refusal | None:
    """Change the signed-in user's password (same policy as at creation, argon2id); every
    other session of theirs ends, this one stays. ``None`` when done."""
    if (refused := _session_only(who)) is not None:
        return refused
    user = _user(db, who)
    now = settings.clock.now()
    try:
        check = logins.change_password(
            db, user, current, new, address=address, now=now, hasher=settings.hasher,
            keep_session=who.session_id,
        )  # fmt: skip
    except BreachscopeError as exc:
        return Refusal(400, exc.message)
    record(
        db,
        actor=who.actor,
        action="auth.password_change",
        object_type="user",
        object_id=user.id,
        details={"result": _result(check)},
        source=address,
        at=now,
    )
    return None if check.ok else _refused(check)


def recovery_state(db: Session, who: Principal) -> RecoveryState:
    """Whether the user has a second factor and how many unused recovery codes are left."""
    user = _user(db, who)
    return RecoveryState(user.totp_secret is not None, accounts.recovery_codes_left(db, user.id))


def new_recovery_codes(
    db: Session, settings: ServerSettings, who: Principal, password: str, *, address: str
) -> tuple[tuple[str, ...], Refusal | None]:
    """New recovery codes (the old ones stop working), to be shown once; or why not."""
    if (refused := _session_only(who)) is not None:
        return (), refused
    user = _user(db, who)
    if user.totp_secret is None:
        return (), Refusal(400, NO_SECOND_FACTOR)
    now = settings.clock.now()
    check = logins.recheck_password(db, user, password, address=address, now=now, hasher=settings.hasher)
    codes = accounts.new_recovery_codes(db, user, now) if check.ok else ()
    record(
        db,
        actor=who.actor,
        action="auth.recovery_codes",
        object_type="user",
        object_id=user.id,
        details={"result": _result(check), "codes": len(codes)},
        source=address,
        at=now,
    )
    return codes, (None if check.ok else _refused(check))
