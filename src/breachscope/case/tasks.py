"""Task storage: one row per piece of work of an incident, whoever creates it.

A **task** carries a duty, a recommended action or any other step of the response to done. The
``tasks`` package derives tasks from an assessment; other stages (watch look-alikes, reported
mail, vendor offboarding, canaries) and people (``breachscope tasks add``) create them here.

The API, all on an open :class:`~sqlalchemy.orm.Session` (the caller commits):

- :func:`add_task` ``(session, incident_id, title, *, actor, kind, source, source_ref, due_at,
  owner, detail, clock) -> TaskChange``: creates a task. With a ``source_ref`` it is
  **idempotent**: a task with the same ``(incident, source, source_ref)`` is found and updated
  (title, detail, due time; never its status or owner) instead of duplicated, so a stage can
  simply re-run. ``TaskChange.change`` says ``created`` / ``updated`` / ``unchanged``.
- :func:`update_task` ``(session, task_id, *, actor, status, reason, owner, due_at, title,
  detail, incident_id, clock) -> TaskChange``: changes a task. ``not_applicable`` needs a
  ``reason``; ``incident_id`` makes a task of another incident answer "not found".
- :func:`get_task`, :func:`list_tasks` (filters: incident, statuses, source, kind, due before),
  :func:`tasks_by_ref` (a source's tasks keyed by ``source_ref``, for sync loops).
- :func:`task_dict`: the JSON shape the CLI and API print.

Statuses: :data:`OPEN`, :data:`IN_PROGRESS`, :data:`DONE`, :data:`NOT_APPLICABLE` (with a
reason). ``source`` names the creator (``assess``, ``watch``, ``mail``, ``inventory``,
``canary``, ``manual``); ``source_ref`` is the creator's stable key for the thing (a duty id, a
domain). Every change appends an audit entry (:mod:`breachscope.case.audit`).

Tasks describe work, not people: a title names a duty, a domain or a vendor, never a leaked
value, and purge keeps them (the record of what the response did). Migration ``0048_tasks``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from breachscope.case import audit
from breachscope.case.base import Base
from breachscope.case.models import Incident, UTCDateTime
from breachscope.clock import Clock, SystemClock
from breachscope.errors import BreachscopeError, InputError

__all__ = [
    "ACTIVE",
    "DONE",
    "IN_PROGRESS",
    "NOT_APPLICABLE",
    "OPEN",
    "STATUSES",
    "Task",
    "TaskChange",
    "add_task",
    "get_task",
    "list_tasks",
    "task_dict",
    "tasks_by_ref",
    "update_task",
]

OPEN = "open"
IN_PROGRESS = "in_progress"
DONE = "done"
NOT_APPLICABLE = "not_applicable"
STATUSES: tuple[str, ...] = (OPEN, IN_PROGRESS, DONE, NOT_APPLICABLE)
#: Statuses of work still to do (due-soon and overdue look only at these).
ACTIVE: tuple[str, ...] = (OPEN, IN_PROGRESS)

TITLE_MAX = 500
_UNSET: Any = object()


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        # NULL source_ref (manual tasks) never collides: NULLs are distinct in unique indexes.
        UniqueConstraint("incident_id", "source", "source_ref", name="uq_tasks_incident_source_ref"),
        Index("ix_tasks_incident_status_due", "incident_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    #: duty | action | manual | lookalike | offboarding | canary | phishing ... (free vocabulary)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(TITLE_MAX).with_variant(Text(), "postgresql"))
    detail: Mapped[str] = mapped_column(Text, default="")
    #: Who made it (assess | watch | mail | inventory | canary | manual) and its key there.
    source: Mapped[str] = mapped_column(String(40))
    source_ref: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=OPEN)
    #: Why it is not applicable (required then) or any note on the last status change.
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


@dataclass(frozen=True)
class TaskChange:
    """The task after a call, and what the call did: ``created``, ``updated`` or ``unchanged``;
    ``fields`` names the columns that changed."""

    task: Task
    change: str
    fields: tuple[str, ...] = ()


def _now(clock: Clock | None) -> datetime:
    return (clock or SystemClock()).now()


def _check_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise InputError("a task needs a title", "say what is to be done, e.g. --title 'Call the DPO'")
    if len(title) > TITLE_MAX:
        raise InputError(f"a task title is at most {TITLE_MAX} characters", "put the rest in the detail")
    return title


def _check_status(status: str, reason: str | None) -> None:
    if status not in STATUSES:
        raise InputError(f"unknown task status {status!r}", f"use one of: {', '.join(STATUSES)}")
    if status == NOT_APPLICABLE and not (reason or "").strip():
        raise InputError("a task marked not_applicable needs a reason", "say why with --reason '...'")


def _check_due(due_at: datetime | None) -> None:
    if due_at is not None and due_at.tzinfo is None:
        raise InputError("a due time must carry its time zone", "give it as ISO 8601 with Z or +hh:mm")


def _audit(
    session: Session, task: Task, action: str, actor: str, now: datetime, details: dict[str, Any]
) -> None:
    audit.append(
        session,
        actor=actor,
        action=action,
        object_type="task",
        object_id=task.id,
        incident_id=task.incident_id,
        details=details,
        at=now,
    )


def add_task(
    session: Session,
    incident_id: int,
    title: str,
    *,
    actor: str,
    kind: str = "manual",
    source: str = "manual",
    source_ref: str | None = None,
    due_at: datetime | None = None,
    owner: str | None = None,
    detail: str = "",
    clock: Clock | None = None,
) -> TaskChange:
    """Create a task, or (same ``source`` + ``source_ref``) bring the existing one up to date.

    A re-run updates title, detail and due time; status, reason and owner stay as people set
    them (a source that closed a task itself reopens it with :func:`update_task`).
    """
    title = _check_title(title)
    _check_due(due_at)
    if session.get(Incident, incident_id) is None:
        raise BreachscopeError(f"no incident {incident_id}", "list them with: breachscope case list")
    now = _now(clock)
    existing = None
    if source_ref is not None:
        existing = session.scalars(
            select(Task).where(
                Task.incident_id == incident_id, Task.source == source, Task.source_ref == source_ref
            )
        ).first()
    if existing is None:
        task = Task(
            incident_id=incident_id,
            kind=kind,
            title=title,
            detail=detail,
            source=source,
            source_ref=source_ref,
            due_at=due_at,
            owner=owner,
            status=OPEN,
            status_reason=None,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        session.add(task)
        session.flush()
        _audit(session, task, "task.create", actor, now, {"kind": kind, "source": source, "title": title})
        return TaskChange(task, "created", ())
    wanted: dict[str, Any] = {"title": title, "detail": detail, "due_at": due_at, "kind": kind}
    return _apply(session, existing, wanted, actor, now)


def _apply(session: Session, task: Task, wanted: dict[str, Any], actor: str, now: datetime) -> TaskChange:
    changed = tuple(name for name, value in wanted.items() if getattr(task, name) != value)
    if not changed:
        return TaskChange(task, "unchanged", ())
    before = {name: _plain(getattr(task, name)) for name in changed}
    for name in changed:
        setattr(task, name, wanted[name])
    task.updated_at = now
    task.updated_by = actor
    session.flush()
    after = {name: _plain(getattr(task, name)) for name in changed}
    _audit(session, task, "task.update", actor, now, {"before": before, "after": after})
    return TaskChange(task, "updated", changed)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def get_task(session: Session, task_id: int, incident_id: int | None = None) -> Task:
    """The task, or an error; with ``incident_id``, a task of another incident is "not found"."""
    task = session.get(Task, task_id)
    if task is None or (incident_id is not None and task.incident_id != incident_id):
        where = f" in incident {incident_id}" if incident_id is not None else ""
        raise BreachscopeError(f"no task {task_id}{where}", "list them with: breachscope tasks list")
    return task


def update_task(
    session: Session,
    task_id: int,
    *,
    actor: str,
    status: str | None = None,
    reason: str | None = None,
    owner: str | None = _UNSET,
    due_at: datetime | None = _UNSET,
    title: str | None = None,
    detail: str | None = None,
    incident_id: int | None = None,
    clock: Clock | None = None,
) -> TaskChange:
    """Change a task's status (``not_applicable`` needs ``reason``), owner (``None`` clears it),
    due time (``None`` clears it), title or detail. Fields not given stay as they are."""
    task = get_task(session, task_id, incident_id)
    wanted: dict[str, Any] = {}
    if status is not None:
        _check_status(status, reason)
        wanted["status"] = status
        wanted["status_reason"] = reason.strip() if reason else None
    elif reason is not None:
        raise InputError("a reason goes with a status change", "add --status")
    if owner is not _UNSET:
        wanted["owner"] = owner or None
    if due_at is not _UNSET:
        _check_due(due_at)
        wanted["due_at"] = due_at
    if title is not None:
        wanted["title"] = _check_title(title)
    if detail is not None:
        wanted["detail"] = detail
    return _apply(session, task, wanted, actor, _now(clock))


def list_tasks(
    session: Session,
    incident_id: int | None = None,
    *,
    statuses: Iterable[str] | None = None,
    source: str | None = None,
    kind: str | None = None,
    due_before: datetime | None = None,
) -> list[Task]:
    """Tasks, earliest due first (no due time last), then by id. ``due_before`` keeps only tasks
    with a due time before it."""
    stmt = select(Task)
    if incident_id is not None:
        stmt = stmt.where(Task.incident_id == incident_id)
    if statuses is not None:
        stmt = stmt.where(Task.status.in_(list(statuses)))
    if source is not None:
        stmt = stmt.where(Task.source == source)
    if kind is not None:
        stmt = stmt.where(Task.kind == kind)
    if due_before is not None:
        stmt = stmt.where(Task.due_at.is_not(None), Task.due_at < due_before)
    stmt = stmt.order_by(Task.due_at.is_(None), Task.due_at, Task.id)
    return list(session.scalars(stmt))


def tasks_by_ref(session: Session, incident_id: int, source: str) -> dict[str, Task]:
    """A source's tasks of the incident keyed by ``source_ref`` (tasks without one left out)."""
    rows = session.scalars(
        select(Task).where(
            Task.incident_id == incident_id, Task.source == source, Task.source_ref.is_not(None)
        )
    )
    return {t.source_ref: t for t in rows if t.source_ref is not None}


def task_dict(task: Task) -> dict[str, Any]:
    """The JSON shape of a task (CLI ``--json`` and the API)."""
    return {
        "id": task.id,
        "incident_id": task.incident_id,
        "kind": task.kind,
        "title": task.title,
        "detail": task.detail,
        "source": task.source,
        "source_ref": task.source_ref,
        "due_at": _plain(task.due_at),
        "owner": task.owner,
        "status": task.status,
        "status_reason": task.status_reason,
        "created_at": _plain(task.created_at),
        "created_by": task.created_by,
        "updated_at": _plain(task.updated_at),
        "updated_by": task.updated_by,
    }
