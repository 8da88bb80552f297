"""An admin's management of the team: add an account, change its role, disable or enable it,
require a second factor, set its password, give it a new authenticator, and grant or take away
an incident.

One implementation for the API (``/api/v1/users``, ``/api/v1/users/{id}``, ``.../password``,
``.../totp``, ``.../incidents/{incident_id}`` and ``/api/v1/incidents/{id}/members/{user_id}``:
:mod:`breachscope.web.api.users`, :mod:`breachscope.web.api.incidents`) and the console's Team
page (``/team``, :mod:`breachscope.web.pages.team`): each shell turns a :class:`Refusal` into its
own answer (JSON or a page), nothing more. The checks are the library's
(:mod:`breachscope.case.accounts`, :mod:`breachscope.case.logins`, :mod:`breachscope.case.reenrol`);
each change is appended to the audit chain here, in the caller's transaction, with the same
action names and details whichever shell called (never a password, secret or code).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from breachscope.case import accounts, logins, reenrol
from breachscope.errors import BreachscopeError
from breachscope.web.audit import record
from breachscope.web.auth.principal import Principal
from breachscope.web.auth.selfservice import Refusal
from breachscope.web.settings import ServerSettings

User = accounts.TeamUser

NO_SUCH_USER = "no such user"
NO_SUCH_INCIDENT = "no such incident"
NO_SUCH_MEMBER = "no such member"
#: why an admin does not reset their own password or authenticator here (:func:`find_user`)
OWN_PASSWORD = "change your own password with POST /api/v1/auth/password"
OWN_TOTP = "set up your own new authenticator with POST /api/v1/auth/totp"
#: why the team's last enabled admin is not disabled or given another role (:func:`change_user`)
LAST_ADMIN = (
    "{email} is the team's last enabled admin: without one nobody could manage accounts here; "
    "make another user admin first"
)

__all__ = [
    "LAST_ADMIN",
    "NO_SUCH_USER",
    "OWN_PASSWORD",
    "OWN_TOTP",
    "Change",
    "Refusal",
    "add_user",
    "change_user",
    "find_user",
    "grant",
    "reset_password",
    "reset_totp",
    "revoke",
]


@dataclass(frozen=True)
class Change:
    """What ``PATCH /api/v1/users/{id}`` changes; ``None``: leave as it is."""

    role: str | None = None
    disabled: bool | None = None
    totp_required: bool | None = None

    def details(self) -> dict[str, object]:
        """The audit entry's details: the fields given, in this order."""
        given = (("role", self.role), ("disabled", self.disabled), ("totp_required", self.totp_required))
        return {name: value for name, value in given if value is not None}


def find_user(
    db: Session, user_id: int, who: Principal | None = None, not_you: str = ""
) -> accounts.TeamUser | Refusal:
    """The user ``user_id`` (404 if none); with ``who``, 400 saying ``not_you`` when it is the
    caller (who changes their own password or authenticator through /auth)."""
    user = db.get(accounts.TeamUser, user_id)
    if user is None:
        return Refusal(404, NO_SUCH_USER)
    if who is not None and user.id == who.user_id:
        return Refusal(400, not_you)
    return user


def add_user(
    db: Session,
    settings: ServerSettings,
    who: Principal,
    *,
    email: str,
    role: str,
    password: str,
    totp: bool = True,
    totp_required: bool = False,
    source: str,
) -> accounts.NewUser | Refusal:
    """Add an account; its TOTP secret and recovery codes (when ``totp``) are in the answer only."""
    try:
        new = accounts.create_user(
            db,
            email,
            role,
            password,
            now=settings.clock.now(),
            created_by=who.actor,
            totp=totp,
            totp_required=totp_required,
            hasher=settings.hasher,
        )
    except BreachscopeError as exc:
        return Refusal(400, exc.message)
    record(
        db,
        actor=who.actor,
        action="user.create",
        object_type="user",
        object_id=new.user.id,
        details={"role": new.user.role, **({"totp_required": True} if totp_required else {})},
        source=source,
    )
    return new


def change_user(
    db: Session, settings: ServerSettings, who: Principal, user: User, change: Change, *, source: str
) -> Refusal | None:
    """Change a role, disable or enable an account, require a second factor or not; any change
    ends the account's sessions (no session keeps the old rights)."""
    now = settings.clock.now()
    if change.role is not None:
        try:
            accounts.check_role(change.role)
        except BreachscopeError as exc:
            return Refusal(400, exc.message)
    if accounts.last_admin_left(db, user, role=change.role, disabled=change.disabled):
        return Refusal(409, LAST_ADMIN.format(email=user.email))
    if change.role is not None:
        if change.role in accounts.TOTP_REQUIRED and user.totp_secret is None:
            return Refusal(400, f"{user.email} has no second factor, which the {change.role} role needs")
        user.role = change.role
    if change.disabled is not None:
        user.disabled_at = now if change.disabled else None
    if change.totp_required is not None:
        user.totp_required = change.totp_required
    logins.end_user_sessions(db, user.id, now)
    record(
        db,
        actor=who.actor,
        action="user.change",
        object_type="user",
        object_id=user.id,
        details=change.details(),
        source=source,
    )
    return None


def reset_password(
    db: Session, settings: ServerSettings, who: Principal, user: User, password: str, *, source: str
) -> Refusal | None:
    """Set a user's password (they forgot it): every session of theirs ends; their second factor
    stays as it is. Find the user with ``find_user(..., who, OWN_PASSWORD)``."""
    try:
        ended = logins.reset_password(db, user, password, now=settings.clock.now(), hasher=settings.hasher)
    except BreachscopeError as exc:
        return Refusal(400, exc.message)
    record(
        db,
        actor=who.actor,
        action="user.password_reset",
        object_type="user",
        object_id=user.id,
        details={"sessions_ended": ended},
        source=source,
    )
    return None


def reset_totp(
    db: Session, settings: ServerSettings, who: Principal, user: User, *, source: str
) -> reenrol.Reset:
    """A new second factor, active at once, and new recovery codes (in the answer only); the old
    ones stop working and every session of the user ends. Find the user with
    ``find_user(..., who, OWN_TOTP)``."""
    done = reenrol.reset(db, user, now=settings.clock.now())
    record(
        db,
        actor=who.actor,
        action="user.totp_reset",
        object_type="user",
        object_id=user.id,
        details={"sessions_ended": done.sessions_ended, "recovery_codes": len(done.recovery_codes)},
        source=source,
    )
    return done


def grant(
    db: Session, settings: ServerSettings, who: Principal, user: User, incident_id: int, *, source: str
) -> Refusal | None:
    """Make ``user`` a member of the incident (audited when they were not one already)."""
    try:
        added = accounts.add_member(db, incident_id, user, by=who.actor, now=settings.clock.now())
    except BreachscopeError:
        return Refusal(404, NO_SUCH_INCIDENT)
    if added:
        record(
            db,
            actor=who.actor,
            action="member.add",
            object_type="user",
            object_id=user.id,
            incident_id=incident_id,
            source=source,
        )
    return None


def revoke(db: Session, who: Principal, incident_id: int, user_id: int, *, source: str) -> Refusal | None:
    """Take the incident away from a user (404 when they are not a member)."""
    if not accounts.remove_member(db, incident_id, user_id):
        return Refusal(404, NO_SUCH_MEMBER)
    record(
        db,
        actor=who.actor,
        action="member.remove",
        object_type="user",
        object_id=user_id,
        incident_id=incident_id,
        source=source,
    )
    return None
