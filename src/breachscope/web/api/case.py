"""``/api/v1/incidents/{id}/...``: the case itself: summary, dates, facts, timeline, purge.

Thin shells over :mod:`breachscope.case` (``summary.incident_document``, ``dates.edit_dates``,
``facts.set_facts``, ``api.add_timeline_event``) and, for purge, a background job around
:func:`breachscope.case.purge.purge`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select, tuple_

from breachscope.case import api as case_api
from breachscope.case import facts as case_facts
from breachscope.case.dates import DATE_FIELDS, edit_dates
from breachscope.case.models import TimelineEvent
from breachscope.case.purge import require_approval
from breachscope.case.summary import incident_document
from breachscope.errors import BreachscopeError
from breachscope.web.api.jobs import JobOut, queue_job
from breachscope.web.audit import record
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings, client_address, engine_of

router = APIRouter(prefix="/api/v1/incidents/{incident_id}", tags=["case"])
PAGE_MAX = 500


@router.get("/summary")
def summary(incident_id: int, db: DB) -> dict[str, Any]:
    """Everything `breachscope case show` shows: dates, facts, datasets, timeline, counts."""
    return incident_document(db, incident_id)


class DatesIn(BaseModel):
    occurred_at: datetime | None = None
    vendor_detected_at: datetime | None = None
    vendor_notified_us_at: datetime | None = None
    dataset_received_at: datetime | None = None
    aware_at: datetime | None = None
    clear: list[str] = Field(default_factory=list, description="dates to unset")
    reason: str = Field(default="", max_length=2000, description="needed to correct a date already set")
    force: bool = Field(default=False, description="accept future or out-of-order dates (needs reason)")


@router.patch("/dates")
def set_dates(
    incident_id: int, body: DatesIn, request: Request, db: DB, settings: Settings, who: Who
) -> dict[str, Any]:
    """Set or correct the dates that drive legal clocks (checked and logged as `case edit`)."""
    changes: dict[str, datetime | None] = {
        k: getattr(body, k) for k in DATE_FIELDS if getattr(body, k) is not None
    }
    for name in body.clear:
        if name not in DATE_FIELDS:
            raise HTTPException(422, f"unknown date {name!r}")
        changes[name] = None
    for name, value in changes.items():
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, f"{name} needs a time zone (e.g. 2025-11-27T09:00+07:00)")
    done = edit_dates(
        db, incident_id, changes, by=who.actor, reason=body.reason, force=body.force, clock=settings.clock
    )
    record(
        db,
        actor=who.actor,
        action="incident.dates",
        object_type="incident",
        object_id=incident_id,
        incident_id=incident_id,
        details={"fields": [c.field for c in done]},
        source=client_address(request),
    )
    return {"changed": [{"field": c.field, "old": c.old, "new": c.new} for c in done]}


def _facts(db: DB, incident_id: int) -> dict[str, Any]:
    current = case_facts.current(db, incident_id)
    return {
        f.key: (
            {"value": current[f.key].value, "set_by": current[f.key].set_by, "set_at": current[f.key].set_at}
            if f.key in current
            else {"value": "unknown", "set_by": None, "set_at": None}
        )
        for f in case_facts.FACTS
    }


@router.get("/facts")
def get_facts(incident_id: int, db: DB) -> dict[str, Any]:
    """The recorded facts (cause, our systems, vendor status, ...); unrecorded ones are unknown."""
    return _facts(db, incident_id)


class FactsIn(BaseModel):
    set: dict[str, str] = Field(description="fact key -> value, as `case facts --set KEY=VALUE`")


@router.put("/facts")
def put_facts(
    incident_id: int, body: FactsIn, request: Request, db: DB, settings: Settings, who: Who
) -> dict[str, Any]:
    """Record facts (validated first, all or nothing; every change kept with who and when)."""
    changes = case_facts.set_facts(db, incident_id, body.set, by=who.actor, clock=settings.clock)
    record(
        db,
        actor=who.actor,
        action="incident.facts",
        object_type="incident",
        object_id=incident_id,
        incident_id=incident_id,
        details={"keys": [c.key for c in changes]},
        source=client_address(request),
    )
    return {
        "changed": [{"key": c.key, "old": c.old, "new": c.new} for c in changes],
        "facts": _facts(db, incident_id),
    }


class Event(BaseModel):
    id: int
    at: datetime
    author: str
    kind: str
    message: str


class TimelinePage(BaseModel):
    events: list[Event]
    after: str | None = Field(description="pass as ?after= for the next page; null on the last")


@router.get("/timeline", response_model=TimelinePage)
def timeline(
    incident_id: int,
    db: DB,
    after: str | None = Query(default=None, max_length=80, description="the previous page's key"),
    limit: int = Query(default=100, ge=1, le=PAGE_MAX),
) -> TimelinePage:
    """The timeline in time order, page by page (keyset: every page costs the same)."""
    stmt = select(TimelineEvent).where(TimelineEvent.incident_id == incident_id)
    if after:
        try:
            at_text, _, id_text = after.rpartition("_")
            key = (datetime.fromisoformat(at_text), int(id_text))
        except ValueError as exc:
            raise HTTPException(422, "not a page key of this list") from exc
        stmt = stmt.where(tuple_(TimelineEvent.at, TimelineEvent.id) > key)
    rows = list(db.scalars(stmt.order_by(TimelineEvent.at, TimelineEvent.id).limit(limit + 1)))
    events = [Event(id=e.id, at=e.at, author=e.author, kind=e.kind, message=e.message) for e in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return TimelinePage(events=events, after=f"{last.at.isoformat()}_{last.id}" if last else None)


class NoteIn(BaseModel):
    message: str = Field(min_length=1, max_length=10_000)
    kind: str = Field(default="note", max_length=40)
    at: datetime | None = None


@router.post("/timeline", response_model=Event, status_code=201)
def add_note(incident_id: int, body: NoteIn, request: Request, db: DB, settings: Settings, who: Who) -> Event:
    """Add an event to the timeline (`case log`)."""
    if body.at is not None and body.at.tzinfo is None:
        raise HTTPException(422, "at needs a time zone")
    e = case_api.add_timeline_event(
        db, incident_id, body.message, author=who.actor, kind=body.kind, clock=settings.clock, at=body.at
    )
    record(
        db,
        actor=who.actor,
        action="timeline.add",
        object_type="timeline_event",
        object_id=e.id,
        incident_id=incident_id,
        source=client_address(request),
    )
    return Event(id=e.id, at=e.at, author=e.author, kind=e.kind, message=e.message)


class PurgeIn(BaseModel):
    confirm_name: str = Field(description="the incident's name, typed again")
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/purge", response_model=JobOut, status_code=202)
def purge(incident_id: int, body: PurgeIn, request: Request, db: DB, settings: Settings, who: Who) -> JobOut:
    """Delete the incident's person data and destroy its key, verified (a background job)."""
    incident = case_api.get_incident(db, incident_id)
    if body.confirm_name.strip() != incident.name:
        raise HTTPException(400, "confirm_name is not the incident's name: nothing purged")
    # four eyes (when the case's policy asks for it): without an approved request, one is
    # recorded and the answer is 409 with its number, before a job is queued. The job's own
    # purge then uses (consumes) the approval.
    db.commit()  # hold no write lock while the request is recorded in its own transaction
    require_approval(engine_of(request), incident_id, actor=who.actor,
                    now=settings.clock.now(), reason=body.reason)  # fmt: skip
    try:
        return queue_job(request, db, settings, who, incident_id, "purge", {"reason": body.reason})
    except BreachscopeError as exc:
        raise HTTPException(400, exc.message) from exc
