"""Background jobs of the team server: long operations (attach, scope, send, purge) as rows.

A job is queued by a request, claimed by one worker (an ``UPDATE ... WHERE state = 'queued'``
that only one claimant can win), reports progress into its row (``done`` of ``total``, a
``stage`` text) and ends ``done`` with a JSON result or ``failed`` with an error message.

Crash safety: the state is in the case database, not in memory. A worker writes a heartbeat
while it runs; when the server starts, :func:`recover` marks every job still ``running`` whose
heartbeat is older than the stale limit (its worker died with the process) as ``interrupted``,
so the API never shows a dead job as running. The library entry points a job runs are safe to
run again (attach refuses a file already attached, scope replaces its results, the notify outbox
sends nothing twice), so an interrupted job is re-run by queueing it again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from breachscope.case.base import Base
from breachscope.case.models import UTCDateTime

STATES = ("queued", "running", "done", "failed", "interrupted")
STALE = timedelta(minutes=2)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_incident_id", "incident_id", "id"),
        Index("ix_jobs_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))
    #: what the job works on: ids, options; never a password or a leaked value
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(200), default="")
    done: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def enqueue(
    session: Session, incident_id: int, kind: str, params: dict[str, Any], *, by: str, now: datetime
) -> Job:
    job = Job(
        incident_id=incident_id,
        kind=kind,
        state="queued",
        params=params,
        created_by=by,
        created_at=now,
        done=0,
        stage="queued",
    )
    session.add(job)
    session.flush()
    return job


def claim(session: Session, now: datetime) -> Job | None:
    """The oldest queued job, now ``running`` for this caller; None when there is none."""
    for job_id in session.scalars(select(Job.id).where(Job.state == "queued").order_by(Job.id).limit(5)):
        won = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "queued")
            .values(state="running", started_at=now, heartbeat_at=now, stage="started")
        )
        if getattr(won, "rowcount", 0) == 1:
            session.flush()
            return session.get(Job, job_id, populate_existing=True)
    return None


def report(session: Session, job_id: int, *, stage: str, done: int, total: int | None, now: datetime) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "running")
        .values(stage=stage[:200], done=done, total=total, heartbeat_at=now)
    )


def finish(session: Session, job_id: int, result: dict[str, Any], now: datetime) -> None:
    session.execute(
        update(Job).where(Job.id == job_id).values(state="done", result=result, finished_at=now, stage="done")
    )


def fail(
    session: Session, job_id: int, error: str, now: datetime, result: dict[str, Any] | None = None
) -> None:
    """The job failed with ``error`` (and, e.g. for an approval it waits for, a ``result``)."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(state="failed", error=error[:4000], finished_at=now, stage="failed", result=result)
    )


STOPPED = "the server stopped while this job ran"
INTERRUPTED = f"{STOPPED}; start it again"


def recover(session: Session, now: datetime, stale: timedelta = STALE) -> int:
    """Mark jobs whose worker died (running, no heartbeat for ``stale``) ``interrupted``."""
    return len(recover_jobs(session, now, stale))


def recover_jobs(session: Session, now: datetime, stale: timedelta = STALE) -> list[Job]:
    """:func:`recover`, returning the jobs this caller marked (of two recovering at once, each
    job goes to one: the update is conditional, as :func:`claim`'s)."""
    cutoff = now - stale
    ids = list(
        session.scalars(
            select(Job.id).where(Job.state == "running", Job.heartbeat_at < cutoff).order_by(Job.id)
        )
    )
    out = []
    for job_id in ids:
        won = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "running", Job.heartbeat_at < cutoff)
            .values(state="interrupted", finished_at=now, error=INTERRUPTED)
        )
        if getattr(won, "rowcount", 0) == 1:
            job = session.get(Job, job_id, populate_existing=True)
            if job is not None:
                out.append(job)
    return out


def get(session: Session, incident_id: int, job_id: int) -> Job | None:
    """A job of this incident (another incident's job id answers None, as a missing one)."""
    job = session.get(Job, job_id)
    return job if job is not None and job.incident_id == incident_id else None


def listed(session: Session, incident_id: int, *, before: int | None, limit: int) -> list[Job]:
    stmt = select(Job).where(Job.incident_id == incident_id)
    if before is not None:
        stmt = stmt.where(Job.id < before)
    return list(session.scalars(stmt.order_by(Job.id.desc()).limit(limit)))
