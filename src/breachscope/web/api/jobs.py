"""``/api/v1/incidents/{id}/jobs``: long operations and their progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from breachscope.case import jobs
from breachscope.web.audit import record
from breachscope.web.auth.principal import Principal
from breachscope.web.deps import DB, client_address
from breachscope.web.settings import ServerSettings

router = APIRouter(prefix="/api/v1/incidents/{incident_id}", tags=["jobs"])


class JobOut(BaseModel):
    id: int
    kind: str
    state: str
    stage: str
    done: int
    total: int | None
    result: dict[str, Any] | None
    error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    approval: dict[str, Any] | None = Field(
        default=None,
        description="a failed job that waits for four eyes: status 409, approval_id, detail, hint",
    )


def job_out(j: jobs.Job, live: dict[int, dict[str, Any]] | None = None) -> JobOut:
    """The job as stored; for a running job of this process, its latest progress."""
    now = (live or {}).get(j.id) if j.state == "running" else None
    stage, done, total = (now["stage"], now["done"], now["total"]) if now else (j.stage, j.done, j.total)
    return JobOut(
        id=j.id,
        kind=j.kind,
        state=j.state,
        stage=stage,
        done=done,
        total=total,
        result=j.result,
        error=j.error,
        created_by=j.created_by,
        created_at=j.created_at,
        started_at=j.started_at,
        finished_at=j.finished_at,
        approval=(j.result or {}).get("approval") if j.state == "failed" else None,
    )


def queue_job(
    request: Request,
    db: Session,
    settings: ServerSettings,
    who: Principal,
    incident_id: int,
    kind: str,
    params: dict[str, Any],
) -> JobOut:
    """Queue a job in the request's transaction, commit, and wake a worker."""
    job = jobs.enqueue(db, incident_id, kind, params, by=who.actor, now=settings.clock.now())
    shown = {k: v for k, v in params.items() if k not in ("path", "upload_dir")}
    record(
        db,
        actor=who.actor,
        action=f"job.{kind}",
        object_type="job",
        object_id=job.id,
        incident_id=incident_id,
        details=shown,
        source=client_address(request),
    )
    db.commit()
    request.app.state.jobs.wake()
    return job_out(job)


@router.get("/jobs", response_model=list[JobOut])
def list_jobs(
    incident_id: int,
    request: Request,
    db: DB,
    before: int | None = Query(default=None, ge=1),
    limit: int = Query(default=50, ge=1, le=500),
) -> list[JobOut]:
    """The incident's jobs, newest first (``?before=<id>`` for the next page)."""
    live = request.app.state.jobs.live
    return [job_out(j, live) for j in jobs.listed(db, incident_id, before=before, limit=limit)]


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(incident_id: int, job_id: int, request: Request, db: DB) -> JobOut:
    """One job: state (queued, running, done, failed, interrupted), progress, result or error."""
    job = jobs.get(db, incident_id, job_id)
    if job is None:
        raise HTTPException(404, "no such job")
    return job_out(job, request.app.state.jobs.live)
