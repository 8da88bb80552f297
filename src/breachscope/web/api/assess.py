"""``/api/v1/incidents/{id}/assessment``: assess (which laws require notifying whom by when) and
record the decisions of risk-based duties. Shells over :func:`breachscope.rules.case_facts.run_assessment`
and :func:`breachscope.rules.store.record_decision`, as ``breachscope assess``."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from breachscope.rules import store
from breachscope.rules.case_facts import run_assessment
from breachscope.rules.loader import DATA_DIR, load_rules
from breachscope.tasks import sync_assessment
from breachscope.web.audit import record
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings, client_address

router = APIRouter(prefix="/api/v1/incidents/{incident_id}", tags=["assess"])


@router.post("/assessment", status_code=201)
def assess(incident_id: int, request: Request, db: DB, settings: Settings, who: Who) -> dict[str, Any]:
    """Evaluate every rule file on the stored scan, scope, dates and facts; store the assessment."""
    rules = load_rules(DATA_DIR)
    now = settings.clock.now()
    assessment_id, assessment = run_assessment(db, incident_id, rules, now=now)
    # every duty and recommended action becomes a task with its due time, as `breachscope assess`
    synced = sync_assessment(db, incident_id, assessment_id, assessment, actor=who.actor, now=now)
    record(
        db,
        actor=who.actor,
        action="assessment.run",
        object_type="assessment",
        object_id=assessment_id,
        incident_id=incident_id,
        details={"as_of": now.isoformat(), "tasks": synced.to_dict()},
        source=client_address(request),
    )
    return {"assessment_id": assessment_id, "tasks": synced.to_dict(), **assessment.to_dict()}


@router.get("/assessment")
def latest(incident_id: int, db: DB) -> dict[str, Any]:
    """The latest stored assessment (null before any)."""
    stored = store.latest_assessment(db, incident_id)
    if stored is None:
        return {"assessment_id": None}
    return {"assessment_id": stored.id, "tool_version": stored.tool_version, **stored.assessment.to_dict()}


class DecisionIn(BaseModel):
    duty_id: str = Field(max_length=100)
    verdict: Literal["required", "not_required"]
    why: str = Field(min_length=1, max_length=4000)


@router.get("/decisions")
def decisions(incident_id: int, db: DB) -> list[dict[str, Any]]:
    """Every recorded decision of a risk-based duty (who, why, when)."""
    return [
        {"duty_id": d.duty_id, "verdict": d.verdict, "by": d.by, "why": d.why, "at": d.at}
        for d in store.decisions(db, incident_id)
    ]


@router.post("/decisions", status_code=201)
def decide(
    incident_id: int, body: DecisionIn, request: Request, db: DB, settings: Settings, who: Who
) -> dict[str, Any]:
    """Settle a risk-based duty (required or not, and why), then assess again with it."""
    rules = load_rules(DATA_DIR)
    try:
        rules.rule(body.duty_id)
    except KeyError as exc:
        raise HTTPException(400, f"no rule {body.duty_id!r}") from exc
    now = settings.clock.now()
    store.record_decision(db, incident_id, body.duty_id, body.verdict, by=who.actor, why=body.why, at=now)
    assessment_id, assessment = run_assessment(db, incident_id, rules, now=now)
    synced = sync_assessment(db, incident_id, assessment_id, assessment, actor=who.actor, now=now)
    record(
        db,
        actor=who.actor,
        action="duty.decide",
        object_type="duty",
        object_id=body.duty_id,
        incident_id=incident_id,
        details={"verdict": body.verdict, "tasks": synced.to_dict()},
        source=client_address(request),
    )
    return {"assessment_id": assessment_id, "tasks": synced.to_dict(), **assessment.to_dict()}
