"""Team accounts: the people who run the response, their roles and the incidents they may see.

Storage and the secrets' handling, shared by ``breachscope users`` and ``breachscope serve``:

- a **user** has an email (lower-cased, unique), one **role** (:data:`ROLES`), an argon2id
  password hash (argon2-cffi, RFC 9106 defaults; :func:`verify_password` rehashes old
  parameters) and, for admin and legal always, a TOTP secret (RFC 6238, 30 s, 6 digits, SHA-1
  for authenticator apps). Another user may have none, and add one later themselves
  (:mod:`breachscope.case.reenrol`); an admin may **require** it (``totp_required``): until
  they add one, such a user is :func:`must_enrol` and their sign-in reaches only the
  enrolment. The TOTP secret is stored encrypted (AES-256-GCM) under the case database's
  key-encryption key (:mod:`breachscope.case.keys`), so a copy of the database alone cannot
  mint codes. The last accepted TOTP step is kept, so a code is never accepted twice.
- **recovery codes**: with a second factor come :data:`RECOVERY_CODES` single-use codes (80
  random bits each, ``xxxx-xxxx-xxxx-xxxx``), shown once and stored as SHA-256 (a random 80-bit
  secret needs no slow hash). One is accepted once in place of a TOTP code
  (:func:`verify_second_factor`); making new ones deletes the old ones.
- **membership**: a user sees an incident only when a row of ``incident_members`` says so
  (deny by default).
- **API tokens** for automation: ``bst_<id>_<secret>``, shown once, stored as SHA-256 of the
  256-bit secret, capped to a role (never above the owner's) and optionally to one incident,
  expiring, revocable.

Sessions and sign-in throttling are in :mod:`breachscope.case.logins`. Nothing here logs or
returns a password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    delete,
    false,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from breachscope.case.base import Base
from breachscope.case.keys import kek_for
from breachscope.case.models import Incident, UTCDateTime
from breachscope.errors import BreachscopeError

#: The roles, least to most trusted (what each may do: web/auth/rules.py, docs/server.md).
ROLES: tuple[str, ...] = ("viewer", "responder", "legal", "communications", "admin")
#: Roles that cannot sign in without a second factor.
TOTP_REQUIRED: frozenset[str] = frozenset({"admin", "legal"})
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
TOTP_STEP = 30
TOTP_ISSUER = "breachscope"
TOKEN_PREFIX = "bst"
#: Recovery codes made at second-factor enrolment (and by each regeneration).
RECOVERY_CODES = 10
_NONCE = 12
#: argon2id, t=3, m=64 MiB, p=4 (RFC 9106's second recommendation). Callers may pass another
#: ``PasswordHasher`` (tests use cheap parameters); a stored hash carries its own parameters, and
#: :func:`verify_password` rehashes one whose parameters differ from the hasher's.
HASHER = PasswordHasher()
#: Per hasher parameters: a hash verified when the email is unknown, so that an unknown user
#: costs the same time as a wrong password.
_DUMMY: dict[tuple[int, int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY[key]


class TeamUser(Base):
    """One person of the response team (not a leaked person; not a directory account)."""

    __tablename__ = "team_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    #: The TOTP secret encrypted under the KEK (nonce + ciphertext + tag); NULL: no second factor.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    #: A new secret waiting for its first code (:mod:`breachscope.case.reenrol`), sealed like
    #: ``totp_secret`` (another AAD); the active one works until it is confirmed.
    totp_pending: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_pending_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: An admin requires a second factor (migration 0098); with none yet, :func:`must_enrol`.
    totp_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IncidentMember(Base):
    """A user may see (and, by role, change) one incident."""

    __tablename__ = "incident_members"
    __table_args__ = (UniqueConstraint("incident_id", "user_id", name="uq_incident_members_incident_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("team_users.id"), index=True)
    added_by: Mapped[str] = mapped_column(String(320))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A token for automation: hashed, capped to a role and maybe one incident, expiring."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("team_users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(Base):
    """One single-use recovery code of a user's second factor (its SHA-256 only)."""

    __tablename__ = "team_recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("team_users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class NewUser:
    """A created user and, once, its TOTP provisioning secret and URI and its recovery codes
    (None and empty without TOTP)."""

    user: TeamUser
    totp_secret: str | None
    totp_uri: str | None
    recovery_codes: tuple[str, ...] = ()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def role_rank(role: str) -> int:
    return ROLES.index(role)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise BreachscopeError(f"unknown role {role!r}", f"use one of: {', '.join(ROLES)}")
    return role


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BreachscopeError(
            f"the password is shorter than {MIN_PASSWORD} characters", "choose a longer passphrase"
        )
    if len(password) > MAX_PASSWORD:
        raise BreachscopeError(f"the password is longer than {MAX_PASSWORD} characters")


def _totp_aad(email: str, purpose: str) -> bytes:
    return f"breachscope {purpose} v1 {email}".encode()


def seal_totp(session: Session, email: str, secret: str, purpose: str = "totp") -> bytes:
    """``secret`` encrypted under the KEK (nonce + ciphertext + tag), bound to the email and
    to ``purpose`` (``totp``: the active secret; ``totp pending``: one waiting for its first code)."""
    kek, _ = kek_for(session, create=True)
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(kek).encrypt(nonce, secret.encode(), _totp_aad(email, purpose))


def open_totp(session: Session, email: str, blob: bytes, purpose: str = "totp") -> str:
    """The secret :func:`seal_totp` sealed; a wrong key is a :class:`BreachscopeError`."""
    kek, source = kek_for(session)
    try:
        return AESGCM(kek).decrypt(blob[:_NONCE], blob[_NONCE:], _totp_aad(email, purpose)).decode()
    except InvalidTag as exc:
        raise BreachscopeError(
            f"the key in {source.describe()} does not open the second factor of {email}",
            "use the key file that belongs to this database",
        ) from exc


def new_totp_secret(email: str) -> tuple[str, str]:
    """A new random TOTP secret (160 bits, base32) and its ``otpauth://`` provisioning URI."""
    secret = pyotp.random_base32()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def _open_active(session: Session, user: TeamUser) -> str | None:
    return None if user.totp_secret is None else open_totp(session, user.email, user.totp_secret)


def create_user(
    session: Session,
    email: str,
    role: str,
    password: str,
    *,
    now: datetime,
    created_by: str,
    totp: bool = True,
    totp_required: bool = False,
    hasher: PasswordHasher = HASHER,
) -> NewUser:
    """Add a user; the TOTP secret (when ``totp``, always for admin and legal) is returned once.
    ``totp_required`` without ``totp``: the user adds their own at their first sign-in."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise BreachscopeError(f"not an email address: {email!r}")
    check_role(role)
    check_password(password)
    if not totp and role in TOTP_REQUIRED:
        raise BreachscopeError(f"the {role} role needs a second factor", "admin and legal always have one")
    if session.scalar(select(TeamUser.id).where(TeamUser.email == email)) is not None:
        raise BreachscopeError(f"a user {email} already exists")
    user = TeamUser(
        email=email,
        role=role,
        password_hash=hasher.hash(password),
        created_at=now,
        created_by=created_by,
        totp_required=totp_required,
    )
    secret = uri = None
    if totp:
        secret, uri = new_totp_secret(email)
        user.totp_secret = seal_totp(session, email, secret)
    session.add(user)
    session.flush()
    codes = new_recovery_codes(session, user, now) if totp else ()
    return NewUser(user, secret, uri, codes)


def get_user(session: Session, email: str) -> TeamUser | None:
    return session.scalar(select(TeamUser).where(TeamUser.email == normalise_email(email)))


def list_users(session: Session) -> list[TeamUser]:
    return list(session.scalars(select(TeamUser).order_by(TeamUser.id)))


def count_users(session: Session) -> int:
    return len(session.scalars(select(TeamUser.id)).all())


def last_admin_left(session: Session, user: TeamUser, *, role: str | None, disabled: bool | None) -> bool:
    """Whether giving ``user`` this role or disabled state would leave the team without an
    enabled admin (``None``: unchanged). Nobody could then manage accounts from the console or
    the API; only ``breachscope users add`` on the server's host would bring one back.

    When it would not, the enabled admins stay locked until the caller's transaction ends, so two
    admins removing each other at once cannot both pass: PostgreSQL locks their rows (the second
    waits, then sees the first's change); SQLite has no row locks, so its write lock is taken first.
    """
    stays_admin = (role if role is not None else user.role) == "admin" and not (
        disabled if disabled is not None else user.disabled_at is not None
    )
    if stays_admin:
        return False  # still an enabled admin: the team keeps at least this one
    if session.get_bind().dialect.name == "sqlite":
        # a write that changes nothing takes the database's write lock before the read below
        session.execute(update(TeamUser).where(TeamUser.id.is_(None)).values(role=TeamUser.role))
    admins = session.scalars(
        select(TeamUser)
        .where(TeamUser.role == "admin", TeamUser.disabled_at.is_(None))
        .order_by(TeamUser.id)
        .with_for_update()
        .execution_options(populate_existing=True)  # ``user`` as committed, not as first loaded
    ).all()
    return [a.id for a in admins] == [user.id]


def verify_password(user: TeamUser | None, password: str, hasher: PasswordHasher = HASHER) -> bool:
    """Check a password in constant work whether or not the user exists; rehash old parameters."""
    if len(password) > MAX_PASSWORD:
        password = password[:MAX_PASSWORD]
    try:
        hasher.verify(user.password_hash if user else _dummy_hash(hasher), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def set_password(user: TeamUser, password: str, hasher: PasswordHasher = HASHER) -> None:
    check_password(password)
    user.password_hash = hasher.hash(password)


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step (previous, current or next 30 s) whose code of ``secret`` is ``code``, never
    one at or before ``last_step`` (no replay); None when none is."""
    code = code.strip()
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // TOTP_STEP
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


def verify_totp(session: Session, user: TeamUser, code: str, now: datetime) -> bool:
    """A code of the previous, current or next 30 s step, never one of an already used step."""
    secret = _open_active(session, user)
    if secret is None:
        return True  # no second factor enrolled (never for admin and legal: create_user refuses)
    step = matching_step(secret, code, now, user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def totp_code(session: Session, user: TeamUser, at: datetime) -> str:
    """The TOTP code of ``user`` at ``at`` (tests and the demo's printed sign-in)."""
    secret = _open_active(session, user)
    if secret is None:
        raise BreachscopeError(f"{user.email} has no second factor")
    return pyotp.TOTP(secret).at(int(at.timestamp()) // TOTP_STEP * TOTP_STEP)


def must_enrol(user: TeamUser) -> bool:
    """An admin requires a second factor the user has not added yet: they may only add one."""
    return user.totp_required and user.totp_secret is None


# -- recovery codes ------------------------------------------------------------------------


def _recovery_hash(normal: str) -> str:
    return hashlib.sha256(f"breachscope recovery v1 {normal}".encode()).hexdigest()


def _normal_recovery(code: str) -> str | None:
    """The 16 base32 characters of a typed code (case, spaces and dashes ignored), else None."""
    text = "".join(ch for ch in code.lower() if ch not in " -\t")
    if len(text) != 16 or any(ch not in "abcdefghijklmnopqrstuvwxyz234567" for ch in text):
        return None
    return text


def new_recovery_codes(session: Session, user: TeamUser, now: datetime) -> tuple[str, ...]:
    """Make :data:`RECOVERY_CODES` new codes for ``user`` (their text is returned only now);
    every earlier code of the user, used or not, is deleted."""
    if user.totp_secret is None:
        raise BreachscopeError(f"{user.email} has no second factor, so no recovery codes")
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        text = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(text), created_at=now))
        codes.append("-".join(text[i : i + 4] for i in range(0, 16, 4)))
    session.flush()
    return tuple(codes)


def recovery_codes_left(session: Session, user_id: int) -> int:
    stmt = select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    return int(session.scalar(stmt) or 0)


def use_recovery_code(session: Session, user: TeamUser, code: str, now: datetime) -> bool:
    """Accept an unused recovery code of ``user`` once (two requests racing: one wins)."""
    normal = _normal_recovery(code)
    if normal is None:
        return False
    done = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(normal),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0) == 1


def verify_second_factor(session: Session, user: TeamUser, code: str, now: datetime) -> str | None:
    """How ``code`` proves the second factor: ``"totp"`` (a 6-digit code, :func:`verify_totp`),
    ``"recovery_code"`` (an unused recovery code, now used), ``"none"`` (no factor enrolled),
    or ``None`` (refused)."""
    if user.totp_secret is None:
        return "none"
    if verify_totp(session, user, code, now):
        return "totp"
    if use_recovery_code(session, user, code, now):
        return "recovery_code"
    return None


# -- membership ----------------------------------------------------------------------------


def add_member(session: Session, incident_id: int, user: TeamUser, *, by: str, now: datetime) -> bool:
    """Make ``user`` a member of the incident; False when already one."""
    if session.get(Incident, incident_id) is None:
        raise BreachscopeError(f"no incident {incident_id}")
    if is_member(session, incident_id, user.id):
        return False
    session.add(IncidentMember(incident_id=incident_id, user_id=user.id, added_by=by, added_at=now))
    session.flush()
    return True


def remove_member(session: Session, incident_id: int, user_id: int) -> bool:
    row = session.scalar(
        select(IncidentMember).where(
            IncidentMember.incident_id == incident_id, IncidentMember.user_id == user_id
        )
    )
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def is_member(session: Session, incident_id: int, user_id: int) -> bool:
    found = session.scalar(
        select(IncidentMember.id).where(
            IncidentMember.incident_id == incident_id, IncidentMember.user_id == user_id
        )
    )
    return found is not None


def member_incident_ids(session: Session, user_id: int) -> list[int]:
    rows = session.scalars(
        select(IncidentMember.incident_id)
        .where(IncidentMember.user_id == user_id)
        .order_by(IncidentMember.incident_id)
    )
    return list(rows)


def members(session: Session, incident_id: int) -> list[tuple[IncidentMember, TeamUser]]:
    rows = session.execute(
        select(IncidentMember, TeamUser)
        .join(TeamUser, TeamUser.id == IncidentMember.user_id)
        .where(IncidentMember.incident_id == incident_id)
        .order_by(TeamUser.email)
    )
    return [(m, u) for m, u in rows.tuples()]


# -- API tokens ----------------------------------------------------------------------------


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session,
    user: TeamUser,
    *,
    name: str,
    role: str,
    incident_id: int | None,
    lifetime: timedelta,
    now: datetime,
) -> tuple[ApiToken, str]:
    """A new token and its text, shown once: ``bst_<id>_<secret>``. Its role is at most the owner's."""
    check_role(role)
    if role_rank(role) > role_rank(user.role):
        raise BreachscopeError(f"a token cannot have more rights ({role}) than its owner ({user.role})")
    if lifetime <= timedelta(0) or lifetime > timedelta(days=366):
        raise BreachscopeError("a token lives between 1 second and 366 days")
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name[:200],
        secret_hash=_token_hash(secret),
        role=role,
        incident_id=incident_id,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    return token, f"{TOKEN_PREFIX}_{token.id}_{secret}"


def resolve_token(session: Session, text: str, now: datetime) -> tuple[ApiToken, TeamUser] | None:
    """The live token (not expired, not revoked, owner enabled) that ``text`` is, else None."""
    parts = text.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1].isdigit() or len(parts[1]) > 18:
        return None
    token = session.get(ApiToken, int(parts[1]))
    if token is None or not hmac.compare_digest(token.secret_hash, _token_hash(parts[2])):
        return None
    if token.revoked_at is not None or token.expires_at <= now:
        return None
    user = session.get(TeamUser, token.user_id)
    if user is None or user.disabled_at is not None:
        return None
    token.last_used_at = now
    return token, user


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_token(session: Session, user_id: int, token_id: int, now: datetime) -> bool:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id or token.revoked_at is not None:
        return False
    token.revoked_at = now
    return True
