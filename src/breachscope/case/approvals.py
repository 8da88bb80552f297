"""Four eyes: an action that cannot be undone runs only after a second person approved it.

Guarded actions (:data:`APPROVER_ROLES` says who may approve each):

- ``notify.send``: sending more notices than the case's policy allows without approval
  (``notify_above``; the check is inside :func:`breachscope.notify.service.notify`);
- ``incident.purge``: purging an incident (inside :func:`breachscope.case.purge.purge`);
- ``approvals.policy``: loosening the policy itself (turning a guard off, raising the count).

The flow, the same for the CLI and the web (both call the library entry point, which calls
:func:`require`):

1. The entry point calls :func:`require`, which finds no usable approval, records and commits a
   **request** bound to the exact parameters (incident, audience, recipient count, ...:
   ``params``) and raises :class:`ApprovalNeeded` naming the request id (exit code 4). Running
   it again reuses the pending request.
2. A **different person** whose role is in ``APPROVER_ROLES[action]`` calls :func:`approve`
   (or :func:`reject`). The approver's role comes from their team account; the caller passes it.
3. The requester runs the action again: :func:`require` finds the approved request with the same
   action, incident and parameters, by the same requester, not expired and not used, and the
   action marks it **used** (:func:`consume`) in its own transaction. An approval works once
   (no replay); a changed parameter (another recipient count) needs a new approval; it
   expires ``ttl`` after it was requested (default 24 h).

Every step appends to the audit log. What four eyes does NOT protect against: anyone with write
access to the case database (a CLI user holds it) can forge rows, and the CLI's actor is what
``$BREACHSCOPE_ACTOR`` says; the audit chain then shows the forgery only if an anchor was kept
elsewhere. Four eyes stops mistakes and single-person decisions made through breachscope; the
team server, where people sign in and nobody else touches the database, makes it a control.
See docs/audit.md.

Migration ``0050_approvals``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, Engine, ForeignKey, Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from breachscope.case import accounts, audit
from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime
from breachscope.case.session import session_scope
from breachscope.errors import BreachscopeError, InputError

__all__ = [
    "APPROVER_ROLES",
    "Approval",
    "ApprovalNeeded",
    "ApprovalPolicy",
    "Policy",
    "account_role",
    "approve",
    "consume",
    "get_policy",
    "list_approvals",
    "reject",
    "require",
    "set_policy",
]

NOTIFY_SEND = "notify.send"
PURGE = "incident.purge"
POLICY = "approvals.policy"
#: Who may approve each guarded action (team roles of case/accounts.py).
APPROVER_ROLES: dict[str, tuple[str, ...]] = {
    NOTIFY_SEND: ("communications", "admin"),
    PURGE: ("admin",),
    POLICY: ("admin",),
}
DEFAULT_TTL = timedelta(hours=24)
PENDING, APPROVED, REJECTED, USED = "pending", "approved", "rejected", "used"


class ApprovalNeeded(BreachscopeError):
    """The action needs a second person's approval; ``approval_id`` is the recorded request."""

    exit_code = 4

    def __init__(self, approval: Approval, what: str) -> None:
        roles = " or ".join(APPROVER_ROLES[approval.action])
        super().__init__(
            f"{what} needs a second person's approval: request #{approval.id} is "
            f"{'recorded' if approval.status == PENDING else approval.status}",
            f"another person with the {roles} role approves it "
            f"(breachscope approvals approve {approval.id}); then run the same command again",
        )
        self.approval_id = approval.id


class Approval(Base):
    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_incident_action_status", "incident_id", "action", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    action: Mapped[str] = mapped_column(String(40))
    #: The exact parameters approved, and their digest (what require() compares).
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    params_sha256: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_role: Mapped[str | None] = mapped_column(String(20))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApprovalPolicy(Base):
    """The case's four-eyes policy (one row, id 1; no row = every guard off)."""

    __tablename__ = "approval_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purge: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A send of more than this many notices needs approval; NULL = no limit.
    notify_above: Mapped[int | None] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Policy:
    purge: bool = False
    notify_above: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"purge": self.purge, "notify_above": self.notify_above}

    def looser_than(self, other: Policy) -> bool:
        if other.purge and not self.purge:
            return True
        if other.notify_above is None:
            return False
        return self.notify_above is None or self.notify_above > other.notify_above


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def _digest(params: dict[str, Any]) -> str:
    return hashlib.sha256(audit.canonical(params)).hexdigest()


def get_policy(session: Session) -> Policy:
    row = session.get(ApprovalPolicy, 1)
    return Policy() if row is None else Policy(purge=row.purge, notify_above=row.notify_above)


def set_policy(
    engine: Engine, policy: Policy, *, actor: str, now: datetime, source: str | None = None
) -> Policy:
    """Change the policy. Tightening is immediate; loosening needs an approval (``approvals.policy``)."""
    if policy.notify_above is not None and policy.notify_above < 0:
        raise InputError("the notice count must be 0 or more")
    with session_scope(engine) as session:
        old = get_policy(session)
    if policy == old:
        return old
    approval = None
    if policy.looser_than(old):
        approval = require(
            engine, POLICY, None, {"from": old.to_dict(), "to": policy.to_dict()},
            actor=actor, now=now, what="loosening the four-eyes policy", source=source,
        )  # fmt: skip
    with session_scope(engine) as session:
        if approval is not None:
            consume(session, approval, actor=actor, now=now, source=source)
        row = session.get(ApprovalPolicy, 1)
        if row is None:
            row = ApprovalPolicy(id=1, set_by=actor, set_at=now)
            session.add(row)
        row.purge, row.notify_above, row.set_by, row.set_at = policy.purge, policy.notify_above, actor, now
        audit.append(
            session, actor=actor, action="approvals.policy", object_type="policy", object_id=1,
            details={"from": old.to_dict(), "to": policy.to_dict()}, source=source, at=now,
        )  # fmt: skip
    return policy


def _find(session: Session, action: str, incident_id: int | None, digest: str, actor: str) -> list[Approval]:
    stmt = select(Approval).where(Approval.action == action, Approval.params_sha256 == digest)
    stmt = stmt.where(
        Approval.incident_id.is_(None) if incident_id is None else Approval.incident_id == incident_id
    )
    return [
        a for a in session.scalars(stmt.order_by(Approval.id.desc())) if _same_person(a.requested_by, actor)
    ]


def require(
    engine: Engine,
    action: str,
    incident_id: int | None,
    params: dict[str, Any],
    *,
    actor: str,
    now: datetime,
    what: str,
    reason: str = "",
    ttl: timedelta = DEFAULT_TTL,
    source: str | None = None,
) -> int:
    """The id of an approved request for exactly this action, incident and ``params`` by
    ``actor`` (not expired, not used); else record a request (or reuse the pending one),
    commit it, and raise :class:`ApprovalNeeded`. The action then calls :func:`consume` with
    the id inside its own transaction."""
    if action not in APPROVER_ROLES:
        raise ValueError(f"not a guarded action: {action}")
    params = audit._json_safe(params)
    digest = _digest(params)
    with session_scope(engine) as session:
        pending = None
        for a in _find(session, action, incident_id, digest, actor):
            if a.status == APPROVED and a.expires_at > now:
                return a.id
            if a.status == PENDING and a.expires_at > now and pending is None:
                pending = a
        if pending is None:
            pending = Approval(
                incident_id=incident_id,
                action=action,
                params=params,
                params_sha256=digest,
                summary=what,
                reason=reason,
                requested_by=actor,
                requested_at=now,
                expires_at=now + ttl,
                status=PENDING,
            )
            session.add(pending)
            session.flush()
            audit.append(
                session, actor=actor, action="approval.request", object_type="approval", object_id=pending.id,
                incident_id=incident_id, details={"for": action, "params": params, "reason": reason},
                source=source, at=now,
            )  # fmt: skip
    raise ApprovalNeeded(pending, what)


def consume(
    session: Session, approval_id: int, *, actor: str, now: datetime, source: str | None = None
) -> None:
    """Mark the approval used, in the action's transaction; refused if it was used meanwhile
    (two runs of the same approved action) or expired."""
    done = session.execute(
        update(Approval)
        .where(Approval.id == approval_id, Approval.status == APPROVED, Approval.expires_at > now)
        .values(status=USED, used_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(done, "rowcount", 0) or 0) != 1:
        raise BreachscopeError(
            f"approval #{approval_id} can no longer be used (used by another run, or expired)",
            "run the command again to request a new approval",
        )
    a = get_approval(session, approval_id)
    audit.append(
        session, actor=actor, action="approval.use", object_type="approval", object_id=a.id,
        incident_id=a.incident_id, details={"for": a.action, "approved_by": a.decided_by},
        source=source, at=now,
    )  # fmt: skip


def account_role(session: Session, person: str, incident_id: int | None) -> str | None:
    """The role ``person`` may approve with: their team account's (``breachscope users add``),
    when the account is enabled and, for an incident's request, a member of that incident
    (access is per incident on the server too). ``None`` otherwise."""
    user = accounts.get_user(session, person)
    if user is None or user.disabled_at is not None:
        return None
    if incident_id is not None and not accounts.is_member(session, incident_id, user.id):
        return None
    return user.role


def get_approval(session: Session, approval_id: int) -> Approval:
    a = session.get(Approval, approval_id)
    if a is None:
        raise BreachscopeError(
            f"no approval request #{approval_id}", "list them with: breachscope approvals list"
        )
    return a


def _decide(
    session: Session,
    approval_id: int,
    *,
    approver: str,
    role: str | None,
    now: datetime,
    approve_it: bool,
    note: str,
    source: str | None,
) -> Approval:
    a = get_approval(session, approval_id)
    if a.status != PENDING:
        raise BreachscopeError(f"request #{a.id} is {a.status}, not pending", "a request is decided once")
    if a.expires_at <= now:
        raise BreachscopeError(
            f"request #{a.id} expired at {a.expires_at.isoformat()}", "run the action again"
        )
    if _same_person(a.requested_by, approver):
        raise BreachscopeError(
            f"{approver} requested #{a.id} and cannot also decide it", "another person must (four eyes)"
        )
    allowed = APPROVER_ROLES[a.action]
    if role not in allowed:
        raise BreachscopeError(
            f"{approver} ({role or 'no team role: no enabled account that is a member here'}) "
            f"may not decide {a.action}",
            f"it needs the {' or '.join(allowed)} role",
        )
    a.status = APPROVED if approve_it else REJECTED
    a.decided_by, a.decided_role, a.decided_at, a.decision_note = approver, role, now, note or None
    audit.append(
        session, actor=approver, action="approval.approve" if approve_it else "approval.reject",
        object_type="approval", object_id=a.id, incident_id=a.incident_id,
        details={"for": a.action, "params_sha256": a.params_sha256, "role": role, "note": note},
        source=source, at=now,
    )  # fmt: skip
    session.flush()
    return a


def approve(
    session: Session, approval_id: int, *, approver: str, role: str | None, now: datetime, note: str = "",
    source: str | None = None,
) -> Approval:  # fmt: skip
    """Approve a pending request: a different person than the requester, with an allowed role."""
    return _decide(session, approval_id, approver=approver, role=role, now=now, approve_it=True, note=note,
                   source=source)  # fmt: skip


def reject(
    session: Session, approval_id: int, *, approver: str, role: str | None, now: datetime, note: str = "",
    source: str | None = None,
) -> Approval:  # fmt: skip
    """Reject a pending request (same rules as approving)."""
    return _decide(session, approval_id, approver=approver, role=role, now=now, approve_it=False, note=note,
                   source=source)  # fmt: skip


def list_approvals(
    session: Session, incident_id: int | None = None, *, status: str | None = None
) -> list[Approval]:
    stmt = select(Approval)
    if incident_id is not None:
        stmt = stmt.where(Approval.incident_id == incident_id)
    if status is not None:
        stmt = stmt.where(Approval.status == status)
    return list(session.scalars(stmt.order_by(Approval.id)))


def approval_dict(a: Approval, now: datetime | None = None) -> dict[str, Any]:
    expired = now is not None and a.status in (PENDING, APPROVED) and a.expires_at <= now
    return {
        "id": a.id,
        "incident_id": a.incident_id,
        "action": a.action,
        "summary": a.summary,
        "params": a.params,
        "reason": a.reason,
        "requested_by": a.requested_by,
        "requested_at": a.requested_at.isoformat(),
        "expires_at": a.expires_at.isoformat(),
        "status": "expired" if expired else a.status,
        "decided_by": a.decided_by,
        "decided_role": a.decided_role,
        "decided_at": a.decided_at.isoformat() if a.decided_at else None,
        "used_at": a.used_at.isoformat() if a.used_at else None,
    }
