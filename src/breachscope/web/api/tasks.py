"""``/api/v1/incidents/{id}/tasks``: the incident's tasks (duties, actions, manual steps).

Shells over :mod:`breachscope.case.tasks`: list (by status, due soon, overdue), add a manual
task, change status / owner / due time (``not_applicable`` needs a reason). A task id of
another incident answers 404, as a missing one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from breachscope.case import tasks
from breachscope.errors import BreachscopeError
from breachscope.web.audit import record
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings, client_address

router = APIRouter(prefix="/api/v1/incidents/{incident_id}/tasks", tags=["tasks"])


@router.get("")
def list_tasks(
    incident_id: int,
    db: DB,
    settings: Settings,
    status: list[str] = Query(default=[], description="open, in_progress, done, not_applicable"),
    due_within_hours: float | None = Query(default=None, ge=0, description="only active tasks due by then"),
) -> dict[str, Any]:
    """Tasks, earliest due first; with the counts of active tasks overdue and due within 24 h."""
    now = settings.clock.now()
    if any(s not in tasks.STATUSES for s in status):
        raise HTTPException(422, f"status is one of {', '.join(tasks.STATUSES)}")
    statuses = status or None
    due_before = None
    if due_within_hours is not None:
        statuses, due_before = list(tasks.ACTIVE), now + timedelta(hours=due_within_hours)
    rows = tasks.list_tasks(db, incident_id, statuses=statuses, due_before=due_before)
    active = tasks.list_tasks(db, incident_id, statuses=tasks.ACTIVE, due_before=now + timedelta(hours=24))
    overdue = sum(1 for t in active if t.due_at is not None and t.due_at < now)
    return {
        "tasks": [tasks.task_dict(t) for t in rows],
        "overdue": overdue,
        "due_within_24h": len(active) - overdue,
    }


class TaskIn(BaseModel):
    title: str = Field(min_length=1, max_length=tasks.TITLE_MAX)
    due_at: datetime | None = None
    owner: str | None = Field(default=None, max_length=320)
    detail: str = Field(default="", max_length=10_000)


@router.post("", status_code=201)
def add_task(
    incident_id: int, body: TaskIn, request: Request, db: DB, settings: Settings, who: Who
) -> dict[str, Any]:
    """Add a manual task."""
    try:
        change = tasks.add_task(
            db,
            incident_id,
            body.title,
            actor=who.actor,
            due_at=body.due_at,
            owner=body.owner,
            detail=body.detail,
            clock=settings.clock,
        )
    except BreachscopeError as exc:
        raise HTTPException(400, exc.message) from exc
    record(
        db,
        actor=who.actor,
        action="task.create",
        object_type="task",
        object_id=change.task.id,
        incident_id=incident_id,
        source=client_address(request),
    )
    return tasks.task_dict(change.task)


class TaskPatch(BaseModel):
    status: str | None = None
    reason: str | None = Field(default=None, max_length=4000, description="needed for not_applicable")
    owner: str | None = Field(default=None, max_length=320)
    due_at: datetime | None = None


@router.patch("/{task_id}")
def change_task(
    incident_id: int, task_id: int, body: TaskPatch, request: Request, db: DB, settings: Settings, who: Who
) -> dict[str, Any]:
    """Change a task's status (with a reason for not_applicable), owner or due time."""
    given = body.model_dump(exclude_unset=True)
    extra: dict[str, Any] = {k: given[k] for k in ("owner", "due_at") if k in given}
    try:
        change = tasks.update_task(
            db,
            task_id,
            actor=who.actor,
            status=body.status,
            reason=body.reason,
            incident_id=incident_id,
            clock=settings.clock,
            **extra,
        )
    except BreachscopeError as exc:
        status = 404 if "no task" in exc.message or "not found" in exc.message else 400
        raise HTTPException(status, exc.message) from exc
    record(
        db,
        actor=who.actor,
        action="task.change",
        object_type="task",
        object_id=task_id,
        incident_id=incident_id,
        details={"status": body.status},
        source=client_address(request),
    )
    return tasks.task_dict(change.task)
