"""Enrolling a second factor: a new TOTP secret for someone who lost or replaced their
authenticator app, or a first one for someone created without (``--no-totp``).

- **Self-service** (a signed-in person, for instance signed in with a recovery code):
  :func:`begin` checks the current password again under the sign-in throttle
  (:func:`breachscope.case.logins.recheck_password`) and makes a new secret that is only
  *pending* (``team_users.totp_pending``, sealed under the KEK like the active one, with another
  AAD); the active secret keeps working. :func:`confirm` takes a code of the new authenticator:
  a right one makes the new secret the active one (the old one stops working; the code's step
  counts as used) and ends every other session of the person; a wrong one counts as a failed
  sign-in and changes nothing. A pending secret lives :data:`PENDING_FOR`; a new :func:`begin`
  replaces it. So a mistyped enrolment never locks anyone out. Recovery codes are not touched.
- **A first second factor** (a user created without one): the same two steps; nothing is
  active meanwhile, so the password alone still signs in until the code is confirmed. The
  confirmation also makes the user's first :data:`~breachscope.case.accounts.RECOVERY_CODES`
  recovery codes (returned once, in :class:`Confirmation`), as ``create_user`` does for a user
  created with a second factor.
- **Reset by an administrator** (:func:`reset`), for someone who cannot sign in at all: a new
  active secret at once, new recovery codes (the old ones stop working), every session ended.

The secret's text is returned once, for the caller to show once; nothing here logs it, and the
callers' audit entries never carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from breachscope.case import accounts, logins
from breachscope.case.accounts import TeamUser

#: How long a new secret waits for its first code.
PENDING_FOR = timedelta(minutes=15)
_PENDING = "totp pending"


@dataclass(frozen=True)
class Enrolment:
    """A new secret and its ``otpauth://`` URI (shown once), and until when it may be confirmed."""

    secret: str
    uri: str
    expires_at: datetime


@dataclass(frozen=True)
class Confirmation:
    """``ok`` (the new secret is active), ``failed`` (a wrong code), ``locked`` (the throttle
    refused it unchecked, ``retry_after``), ``none`` (nothing pending, or it expired). A first
    second factor (``first``) comes with its recovery codes, shown once."""

    result: str
    retry_after: timedelta | None = None
    sessions_ended: int = 0
    first: bool = False
    recovery_codes: tuple[str, ...] = ()


def pending_until(user: TeamUser, now: datetime) -> datetime | None:
    """Until when the user's pending secret may be confirmed; None when none is pending."""
    if user.totp_pending is None or user.totp_pending_at is None:
        return None
    until = user.totp_pending_at + PENDING_FOR
    return until if until > now else None


def _clear_pending(user: TeamUser) -> None:
    user.totp_pending = None
    user.totp_pending_at = None


def begin(
    session: Session, user: TeamUser, password: str, *, address: str, now: datetime, hasher: PasswordHasher
) -> tuple[logins.Recheck, Enrolment | None]:
    """The current password again (throttled), then a new pending secret; the active one (if
    any) still works. The enrolment is None when the password was refused."""
    check = logins.recheck_password(session, user, password, address=address, now=now, hasher=hasher)
    if not check.ok:
        return check, None
    secret, uri = accounts.new_totp_secret(user.email)
    user.totp_pending = accounts.seal_totp(session, user.email, secret, _PENDING)
    user.totp_pending_at = now
    return check, Enrolment(secret, uri, now + PENDING_FOR)


def confirm(
    session: Session, user: TeamUser, code: str, *, address: str, now: datetime, keep_session: str | None
) -> Confirmation:
    """A code of the pending secret makes it the active one (the old one, if any, stops working)
    and ends every session of the user but ``keep_session``; a wrong code is a failed sign-in.
    A first second factor also gets its recovery codes."""
    keys = logins.throttle_keys(user.email, address)
    locked = logins.locked_for(session, keys, now)
    if locked is not None:
        return Confirmation("locked", locked)
    if pending_until(user, now) is None or user.totp_pending is None:
        _clear_pending(user)
        return Confirmation("none")
    secret = accounts.open_totp(session, user.email, user.totp_pending, _PENDING)
    step = accounts.matching_step(secret, code, now, None)
    if step is None:
        logins.record_failure(session, keys, now)
        return Confirmation("failed")
    first = user.totp_secret is None
    user.totp_secret = accounts.seal_totp(session, user.email, secret)
    user.totp_last_step = step
    _clear_pending(user)
    session.flush()
    codes = accounts.new_recovery_codes(session, user, now) if first else ()
    ended = logins.end_user_sessions(session, user.id, now, keep=keep_session)
    return Confirmation("ok", sessions_ended=ended, first=first, recovery_codes=codes)


@dataclass(frozen=True)
class Reset:
    """An administrator's reset: the new secret, its URI and recovery codes (shown once)."""

    secret: str
    uri: str
    recovery_codes: tuple[str, ...]
    sessions_ended: int


def reset(session: Session, user: TeamUser, *, now: datetime) -> Reset:
    """A new active secret for ``user`` at once (also for one who had none), new recovery
    codes (the old ones stop working), any pending secret dropped, every session ended."""
    secret, uri = accounts.new_totp_secret(user.email)
    user.totp_secret = accounts.seal_totp(session, user.email, secret)
    user.totp_last_step = None
    _clear_pending(user)
    session.flush()
    codes = accounts.new_recovery_codes(session, user, now)
    ended = logins.end_user_sessions(session, user.id, now)
    return Reset(secret, uri, codes, ended)


def grouped(secret: str) -> str:
    """The secret in groups of four for typing into an app (``ABCD EFGH ...``)."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
