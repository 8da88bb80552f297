"""``/api/v1/incidents/{id}/notices``: preview (who would get what), send, outbox status.

Preview and send are background jobs over :func:`breachscope.notify.service.notify`. A send
names the ``expect_total`` of the preview it was approved on: when the plan no longer has
exactly that many notices, nothing is sent (the job fails saying so). The outbox sends each
notice once, whatever is retried.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from breachscope.notify.service import status
from breachscope.web.api.jobs import JobOut, queue_job
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings, engine_of

router = APIRouter(prefix="/api/v1/incidents/{incident_id}/notices", tags=["notices"])


class Audience(BaseModel):
    audience: Literal["all", "users", "admins", "regulators"] = "all"
    jurisdictions: list[str] = Field(
        default_factory=list, description="as --jurisdiction (DE, US, EU, US-CA)"
    )
    required_only: bool = False


class SendIn(Audience):
    expect_total: int = Field(ge=0, description="the total of the preview this send was approved on")


@router.post("/preview", response_model=JobOut, status_code=202)
def preview(
    incident_id: int, body: Audience, request: Request, db: DB, settings: Settings, who: Who
) -> JobOut:
    """Render what a send would send now; the job's result is the plan (per kind, jurisdiction,
    duty). Nothing is stored or sent."""
    return queue_job(request, db, settings, who, incident_id, "notify.preview", body.model_dump())


@router.post("/send", response_model=JobOut, status_code=202)
def send(incident_id: int, body: SendIn, request: Request, db: DB, settings: Settings, who: Who) -> JobOut:
    """Queue and send the notices (DKIM-signed, exactly once), if the plan still has ``expect_total``."""
    return queue_job(request, db, settings, who, incident_id, "notify.send", body.model_dump())


@router.get("/status")
def outbox_status(incident_id: int, request: Request) -> dict[str, Any]:
    """The outbox by kind and state (queued, sent, unconfirmed, bounced, failed) with causes."""
    return status(engine_of(request), incident_id)
