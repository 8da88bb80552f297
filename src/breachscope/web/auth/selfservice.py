"""A signed-in user's own account: change the password, make new recovery codes, count them,
set up a new authenticator (second factor), or a first one for a user created without.

One implementation for the API (``/api/v1/auth/password``, ``/api/v1/auth/recovery-codes``,
``/api/v1/auth/totp``, :mod:`.routes`) and the console's Account page (``/account``,
:mod:`breachscope.web.pages.account`): each shell turns a :class:`Refusal` into its own answer
(JSON or a page), nothing more.

Every change needs a signed-in browser session (not an API token) and the current password
typed again, under the sign-in throttle (:func:`breachscope.case.logins.recheck_password`): a
wrong one is a failed sign-in (401); a locked account or address is refused unchecked (429,
with the seconds to wait). Every attempt, refused or not, is written to the audit chain; the
caller commits a refusal too, so the failure count and its audit entry stay. A new
authenticator (:mod:`breachscope.case.reenrol`) needs the password to start and then a code of
the new app to take effect; a wrong code is a failed sign-in too. A first authenticator takes the
same two steps and its confirmation makes the first recovery codes (shown once). The secret and
the codes are never audited (the entries say ``"first": true`` and how many codes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from breachscope.case import accounts, logins, reenrol
from breachscope.errors import BreachscopeError
from breachscope.web.audit import record
from breachscope.web.auth.principal import Principal
from breachscope.web.settings import ServerSettings

SESSION_ONLY = "sign in with a browser session for this (an API token cannot)"
WRONG_PASSWORD = "the current password is wrong"
NO_SECOND_FACTOR = "you have no second factor, so no recovery codes"
WRONG_CODE = "that is not the new authenticator's current code"
NOTHING_PENDING = (
    f"no new authenticator is waiting for its code (it waits {reenrol.PENDING_FOR.seconds // 60} minutes):"
    " start again"
)


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
    #: until when a new authenticator waits for its first code (None: none waits)
    totp_pending_until: datetime | None = None
    #: an admin requires a second factor not added yet (:func:`breachscope.case.accounts.must_enrol`)
    must_enrol: bool = False


def _session_only(who: Principal) -> Refusal | None:
    if who.via != "session" or not who.session_id:
        return Refusal(403, SESSION_ONLY)
    return None


def _user(db: Session, who: Principal) -> accounts.TeamUser:
    user = db.get(accounts.TeamUser, who.user_id)
    assert user is not None  # the gate resolved the session to this enabled user
    return user


def _locked(retry_after: timedelta) -> Refusal:
    after = max(1, math.ceil(retry_after.total_seconds()))
    return Refusal(429, f"too many failed attempts: try again in {after} s", after)


def _refused(check: logins.Recheck) -> Refusal:
    return _locked(check.retry_after) if check.retry_after is not None else Refusal(401, WRONG_PASSWORD)


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


def recovery_state(db: Session, settings: ServerSettings, who: Principal) -> RecoveryState:
    """Whether the user has a second factor, how many unused recovery codes are left, and until
    when a new authenticator waits for its first code."""
    user = _user(db, who)
    pending = reenrol.pending_until(user, settings.clock.now())
    return RecoveryState(
        user.totp_secret is not None,
        accounts.recovery_codes_left(db, user.id),
        pending,
        accounts.must_enrol(user),
    )


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


def begin_totp(
    db: Session, settings: ServerSettings, who: Principal, password: str, *, address: str
) -> reenrol.Enrolment | Refusal:
    """A new authenticator secret (or a first one), pending until :func:`confirm_totp` (the
    current one, if any, keeps working meanwhile), to be shown once; or why not."""
    if (refused := _session_only(who)) is not None:
        return refused
    user = _user(db, who)
    now = settings.clock.now()
    first = user.totp_secret is None
    check, enrolment = reenrol.begin(db, user, password, address=address, now=now, hasher=settings.hasher)
    details: dict[str, object] = {"result": _result(check)}
    if first:
        details["first"] = True
    record(
        db,
        actor=who.actor,
        action="auth.totp_enrol",
        object_type="user",
        object_id=user.id,
        details=details,
        source=address,
        at=now,
    )
    return enrolment if enrolment is not None else _refused(check)


def confirm_totp(
    db: Session, settings: ServerSettings, who: Principal, code: str, *, address: str
) -> tuple[tuple[str, ...], Refusal | None]:
    """A code of the new authenticator makes it the active one: the old one stops working and
    every other session of the user ends. When done: the recovery codes of a first
    authenticator (shown once; none when one was replaced) and no refusal."""
    if (refused := _session_only(who)) is not None:
        return (), refused
    user = _user(db, who)
    now = settings.clock.now()
    done = reenrol.confirm(db, user, code, address=address, now=now, keep_session=who.session_id)
    details: dict[str, object] = {"result": done.result}
    if done.result == "ok":
        details["sessions_ended"] = done.sessions_ended
    if done.first:
        details.update(first=True, recovery_codes=len(done.recovery_codes))
    record(
        db,
        actor=who.actor,
        action="auth.totp_confirm",
        object_type="user",
        object_id=user.id,
        details=details,
        source=address,
        at=now,
    )
    if done.result == "ok":
        return done.recovery_codes, None
    if done.retry_after is not None:
        return (), _locked(done.retry_after)
    return (), Refusal(401, WRONG_CODE) if done.result == "failed" else Refusal(400, NOTHING_PENDING)
