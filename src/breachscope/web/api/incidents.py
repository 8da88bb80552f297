"""``/api/v1/incidents``: the incidents a user is a member of, and their members."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from breachscope.case import accounts
from breachscope.case import api as case_api
from breachscope.case.models import Incident
from breachscope.errors import BreachscopeError
from breachscope.web.audit import record
from breachscope.web.auth import team
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings, client_address

router = APIRouter(prefix="/api/v1", tags=["incidents"])


class IncidentOut(BaseModel):
    id: int
    name: str
    vendor: str
    description: str
    status: str
    created_at: datetime
    occurred_at: datetime | None
    vendor_detected_at: datetime | None
    vendor_notified_us_at: datetime | None
    dataset_received_at: datetime | None
    aware_at: datetime | None
    encrypted_values: bool


class IncidentIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    vendor: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=10_000)
    encrypt: bool = Field(default=False, description="store the values notices quote sealed")


class MemberOut(BaseModel):
    user_id: int
    email: str
    role: str
    added_by: str
    added_at: datetime


def incident_out(i: Incident) -> IncidentOut:
    return IncidentOut(
        id=i.id,
        name=i.name,
        vendor=i.vendor,
        description=i.description,
        status=i.status,
        created_at=i.created_at,
        occurred_at=i.occurred_at,
        vendor_detected_at=i.vendor_detected_at,
        vendor_notified_us_at=i.vendor_notified_us_at,
        dataset_received_at=i.dataset_received_at,
        aware_at=i.aware_at,
        encrypted_values=bool(i.seal_values),
    )


@router.get("/incidents", response_model=list[IncidentOut])
def list_incidents(db: DB, who: Who) -> list[IncidentOut]:
    """The incidents you are a member of (an incident-bound token: that one)."""
    ids = [i for i in accounts.member_incident_ids(db, who.user_id) if who.may_reach(i)]
    return [incident_out(case_api.get_incident(db, i)) for i in ids]


@router.post("/incidents", response_model=IncidentOut, status_code=201)
def create_incident(body: IncidentIn, request: Request, db: DB, settings: Settings, who: Who) -> IncidentOut:
    """Open an incident; you become its first member."""
    if who.only_incident is not None:
        raise HTTPException(403, "an incident-bound token cannot open incidents")
    try:
        incident = case_api.create_incident(
            db,
            body.name,
            vendor=body.vendor,
            description=body.description,
            author=who.actor,
            clock=settings.clock,
            encrypt=body.encrypt,
        )
    except BreachscopeError as exc:
        raise HTTPException(400, exc.message) from exc
    user = db.get(accounts.TeamUser, who.user_id)
    assert user is not None
    accounts.add_member(db, incident.id, user, by=who.actor, now=settings.clock.now())
    record(
        db,
        actor=who.actor,
        action="incident.create",
        object_type="incident",
        object_id=incident.id,
        incident_id=incident.id,
        source=client_address(request),
    )
    return incident_out(incident)


@router.get("/incidents/{incident_id}", response_model=IncidentOut)
def get_incident(incident_id: int, db: DB) -> IncidentOut:
    """One incident: its name, status and the dates that drive legal clocks."""
    return incident_out(case_api.get_incident(db, incident_id))


@router.get("/incidents/{incident_id}/members", response_model=list[MemberOut])
def list_members(incident_id: int, db: DB) -> list[MemberOut]:
    """Who may see this incident."""
    return [
        MemberOut(user_id=u.id, email=u.email, role=u.role, added_by=m.added_by, added_at=m.added_at)
        for m, u in accounts.members(db, incident_id)
    ]


@router.put("/incidents/{incident_id}/members/{user_id}", status_code=204)
def add_member(
    incident_id: int, user_id: int, request: Request, db: DB, settings: Settings, who: Who
) -> Response:
    """Let a user see this incident (their role decides what they may do in it)."""
    user = team.find_user(db, user_id)
    refusal = user if isinstance(user, team.Refusal) else team.grant(
        db, settings, who, user, incident_id, source=client_address(request)
    )  # fmt: skip
    if refusal is not None:
        raise HTTPException(refusal.status, refusal.message)
    return Response(status_code=204)


@router.delete("/incidents/{incident_id}/members/{user_id}", status_code=204)
def remove_member(incident_id: int, user_id: int, request: Request, db: DB, who: Who) -> Response:
    """Take the incident away from a user."""
    refusal = team.revoke(db, who, incident_id, user_id, source=client_address(request))
    if refusal is not None:
        raise HTTPException(refusal.status, refusal.message)
    return Response(status_code=204)
