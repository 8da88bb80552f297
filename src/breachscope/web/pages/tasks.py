"""Tasks: a board by status (columns) and owner, due times, overdue highlighted; a member with a
working role moves a task (status, with the reason ``not applicable`` needs) in place."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from breachscope.case import tasks as case_tasks
from breachscope.case.db import session_scope
from breachscope.errors import BreachscopeError
from breachscope.web.audit import record
from breachscope.web.deps import client_address
from breachscope.web.pages.base import incident_page
from breachscope.web.pages.context import checked_form, incident_role, require, settings

router = APIRouter()

COLUMNS = (
    (case_tasks.OPEN, "Open"),
    (case_tasks.IN_PROGRESS, "In progress"),
    (case_tasks.DONE, "Done"),
    (case_tasks.NOT_APPLICABLE, "Not applicable"),
)


@router.get("/incidents/{incident_id}/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, incident_id: int, owner: str = "") -> HTMLResponse:
    incident_role(request, incident_id)
    conf = settings(request)
    now = conf.clock.now()
    with session_scope(conf.engine) as s:
        every = case_tasks.list_tasks(s, incident_id)
        owners = sorted({t.owner for t in every if t.owner})
        board: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for t in every:
            if owner and (t.owner or "") != owner:
                continue
            board[t.status].append(
                {
                    "id": t.id,
                    "title": t.title,
                    "kind": t.kind,
                    "owner": t.owner,
                    "due_at": t.due_at,
                    "reason": t.status_reason,
                    "overdue": t.status in case_tasks.ACTIVE and t.due_at is not None and t.due_at < now,
                }
            )
    overdue = sum(1 for col in board.values() for t in col if t["overdue"])
    return incident_page(
        request, incident_id, "tasks", "tasks.html.j2",
        columns=COLUMNS, board=board, owners=owners, owner=owner, overdue=overdue, total=len(every),
    )  # fmt: skip


@router.post("/incidents/{incident_id}/tasks/{task_id}/status")
async def move(request: Request, incident_id: int, task_id: int) -> RedirectResponse:
    viewer, role = incident_role(request, incident_id)
    require(role, "tasks")
    form = await checked_form(request)
    status = form.get("status", "")
    if status not in case_tasks.STATUSES:
        raise HTTPException(status_code=400, detail="unknown task status")
    conf = settings(request)
    with session_scope(conf.engine) as s:
        try:
            case_tasks.update_task(
                s, task_id, actor=viewer.label, status=status, reason=form.get("reason") or None,
                incident_id=incident_id, clock=conf.clock,
            )  # fmt: skip
        except BreachscopeError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        record(
            s, actor=viewer.label, action="task.update", object_type="task", object_id=task_id,
            incident_id=incident_id, details={"status": status}, source=client_address(request),
            at=conf.clock.now(),
        )  # fmt: skip
    return RedirectResponse(f"/incidents/{incident_id}/tasks#task-{task_id}", status_code=303)
