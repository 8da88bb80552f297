"""Sign-in: throttling and lockout, and the server-side sessions it starts.

- **Throttling** counts failed sign-ins per account (the email typed, known or not, so an
  unknown address behaves exactly like a known one) and per source address. After
  :data:`FREE_TRIES` failures (:data:`FREE_TRIES_ADDRESS` for an address, which an office may
  share) the key is locked for 30 s, doubling with each further failure up to 15 minutes; a
  locked key refuses even the right password. A quiet hour forgets the failures; a successful
  sign-in forgets the account's (not the address's).
- **Sessions**: a random 256-bit id, of which only the SHA-256 is stored, with an idle and an
  absolute timeout. A new id is made at every sign-in (a session id known before sign-in is
  never promoted: no fixation). The CSRF token of a session is an HMAC of its id, so it needs
  no storage and does not reveal the id.
- **Re-authentication**: changing one's password or making new recovery codes asks for the
  current password again (:func:`recheck_password`), under the same throttle as sign-in: a
  wrong one counts as a failed sign-in. A changed password ends every other session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from breachscope.case import accounts
from breachscope.case.accounts import TeamUser
from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime
from breachscope.errors import BreachscopeError

FREE_TRIES = 5
FREE_TRIES_ADDRESS = 30
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


class LoginThrottle(Base):
    """Failed sign-ins of one key (``account:<email>`` or ``address:<ip>``)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TeamSession(Base):
    """A signed-in browser; the id itself is only in the cookie."""

    __tablename__ = "team_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("team_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(300))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


def throttle_keys(email: str, address: str) -> tuple[str, str]:
    return f"account:{email.strip().lower()[:320]}", f"address:{address[:64]}"


def locked_for(session: Session, keys: tuple[str, ...], now: datetime) -> timedelta | None:
    """How long the longest lock of ``keys`` still runs, or None when none is locked."""
    longest: timedelta | None = None
    for row in session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))):
        if row.locked_until is not None and row.locked_until > now:
            left = row.locked_until - now
            longest = left if longest is None or left > longest else longest
    return longest


def _lock(failures: int, free: int) -> timedelta | None:
    if failures < free:
        return None
    lock: timedelta = FIRST_LOCK * 2 ** min(failures - free, 16)
    return min(lock, MAX_LOCK)


def record_failure(session: Session, keys: tuple[str, str], now: datetime) -> None:
    """Count a failed sign-in against the account key and the address key."""
    for key, free in zip(keys, (FREE_TRIES, FREE_TRIES_ADDRESS), strict=True):
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failure_at=now)
            session.add(row)
        elif now - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        lock = _lock(row.failures, free)
        row.locked_until = now + lock if lock else None
    session.flush()


def forget_failures(session: Session, key: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start_session(
    session: Session,
    user: TeamUser,
    *,
    now: datetime,
    address: str,
    user_agent: str,
    policy: SessionPolicy,
    replaces: str | None = None,
) -> str:
    """A new session for ``user``; the raw id is returned (for the cookie), its hash stored.

    ``replaces``: the id the browser held before signing in, ended now (rotation at sign-in).
    """
    if replaces:
        end_session(session, replaces, now)
    raw = secrets.token_urlsafe(32)
    session.add(
        TeamSession(
            id_hash=_hash(raw),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.absolute,
            address=address[:64],
            user_agent=user_agent[:300],
        )
    )
    session.flush()
    return raw


def resolve_session(
    session: Session, raw: str, *, now: datetime, policy: SessionPolicy
) -> tuple[TeamSession, TeamUser] | None:
    """The live session of ``raw`` and its user; idle or expired sessions are ended."""
    if not raw or len(raw) > 100:
        return None
    row = session.get(TeamSession, _hash(raw))
    if row is None or row.revoked_at is not None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= policy.idle:
        row.revoked_at = now
        return None
    user = session.get(TeamUser, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    if now - row.last_seen_at > timedelta(seconds=30):  # one write a half-minute, not per request
        row.last_seen_at = now
    return row, user


def end_session(session: Session, raw: str, now: datetime) -> None:
    row = session.get(TeamSession, _hash(raw)) if raw and len(raw) <= 100 else None
    if row is not None and row.revoked_at is None:
        row.revoked_at = now


def end_user_sessions(session: Session, user_id: int, now: datetime, *, keep: str | None = None) -> int:
    """End every session of a user (disabled, role or password changed), but ``keep`` (the raw
    id of the session that changed its own password)."""
    rows = session.scalars(
        select(TeamSession).where(TeamSession.user_id == user_id, TeamSession.revoked_at.is_(None))
    )
    kept = _hash(keep) if keep else None
    n = 0
    for row in rows:
        if row.id_hash != kept:
            row.revoked_at = now
            n += 1
    return n


@dataclass(frozen=True)
class Recheck:
    """The current password typed again: right, or wrong, or refused while locked."""

    ok: bool
    retry_after: timedelta | None = None


def recheck_password(
    session: Session, user: TeamUser, password: str, *, address: str, now: datetime, hasher: PasswordHasher
) -> Recheck:
    """Check a signed-in user's password again under the sign-in throttle (the account and
    the address): locked keys refuse it unchecked; a wrong password is a failed sign-in."""
    keys = throttle_keys(user.email, address)
    locked = locked_for(session, keys, now)
    if locked is not None:
        return Recheck(False, locked)
    if not accounts.verify_password(user, password, hasher):
        record_failure(session, keys, now)
        return Recheck(False)
    return Recheck(True)


def change_password(
    session: Session,
    user: TeamUser,
    current: str,
    new: str,
    *,
    address: str,
    now: datetime,
    hasher: PasswordHasher,
    keep_session: str | None = None,
) -> Recheck:
    """Self-service: the current password (rechecked, throttled), then the new one (same policy
    as at creation, argon2id); every other session of the user ends."""
    accounts.check_password(new)
    checked = recheck_password(session, user, current, address=address, now=now, hasher=hasher)
    if not checked.ok:
        return checked
    if accounts.verify_password(user, new, hasher):
        raise BreachscopeError("the new password is the current one", "choose another passphrase")
    accounts.set_password(user, new, hasher)
    end_user_sessions(session, user.id, now, keep=keep_session)
    return checked


def reset_password(
    session: Session, user: TeamUser, new: str, *, now: datetime, hasher: PasswordHasher
) -> int:
    """An administrator sets a user's password (forgotten): policy as at creation; every
    session of the user ends. Returns the number of sessions ended."""
    accounts.set_password(user, new, hasher)
    return end_user_sessions(session, user.id, now)


def csrf_token(raw_session_id: str) -> str:
    """The session's CSRF token: an HMAC of its id (stable for the session, reveals nothing)."""
    return hmac.new(raw_session_id.encode(), b"breachscope csrf v1", hashlib.sha256).hexdigest()


def check_csrf(raw_session_id: str, token: str) -> bool:
    return bool(token) and hmac.compare_digest(csrf_token(raw_session_id), token)
