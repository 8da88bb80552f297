"""Duties: per jurisdiction the verdict, deadline and clock, citation, factors for and against;
legal records a decision (verdict, why) in place, through ``rules.store.record_decision``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine

from breachscope.case.db import session_scope
from breachscope.errors import BreachscopeError
from breachscope.rules.facts import Duty, RiskDecision
from breachscope.rules.report import VERDICT_WORDS, verdict_text
from breachscope.rules.store import decisions, latest_assessment, record_decision
from breachscope.web.audit import record
from breachscope.web.deps import client_address
from breachscope.web.pages.base import incident_page
from breachscope.web.pages.context import checked_form, incident_role, require, settings
from breachscope.web.pages.snapshots import SnapshotCache

router = APIRouter()


def duties_document(engine: Engine, incident_id: int, cache: SnapshotCache) -> dict[str, Any]:
    """The latest assessment's duties grouped by jurisdiction, each with its latest decision."""
    with session_scope(engine) as s:
        stored = cache.latest(s, incident_id)
        latest: dict[str, RiskDecision] = {d.duty_id: d for d in decisions(s, incident_id)}
    if stored is None:
        return {"assessed": None, "groups": [], "decided": {}, "verdict_words": VERDICT_WORDS}
    groups: dict[str, list[Duty]] = defaultdict(list)
    for d in stored.assessment.duties:
        groups[f"{d.jurisdiction_name} ({d.jurisdiction})"].append(d)
    return {
        "assessed": stored.assessment.assessed_at,
        "rule_set": stored.assessment.rule_set_version,
        "groups": sorted(groups.items()),
        "decided": latest,
        "verdict_words": VERDICT_WORDS,
        "verdict_text": {d.id: verdict_text(d) for d in stored.assessment.duties},
    }


@router.get("/incidents/{incident_id}/duties", response_class=HTMLResponse)
def duties_page(request: Request, incident_id: int) -> HTMLResponse:
    incident_role(request, incident_id)
    conf = settings(request)
    doc = duties_document(conf.engine, incident_id, conf.assessments)
    return incident_page(request, incident_id, "duties", "duties.html.j2", **doc)


@router.post("/incidents/{incident_id}/duties/{duty_id}/decision")
async def decide(request: Request, incident_id: int, duty_id: str) -> RedirectResponse:
    viewer, role = incident_role(request, incident_id)
    require(role, "decide")
    form = await checked_form(request)
    verdict = form.get("verdict", "")
    if verdict not in ("required", "not_required"):
        raise HTTPException(status_code=400, detail="choose required or not required")
    conf = settings(request)
    with session_scope(conf.engine) as s:
        stored = latest_assessment(s, incident_id)
        if stored is None or duty_id not in {d.id for d in stored.assessment.duties}:
            raise HTTPException(status_code=404, detail="no such duty in the latest assessment")
        chosen: Literal["required", "not_required"] = "required" if verdict == "required" else "not_required"
        try:
            record_decision(
                s, incident_id, duty_id, chosen, by=viewer.label, why=form.get("why", ""), at=conf.clock.now()
            )
        except BreachscopeError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        record(
            s, actor=viewer.label, action="duty.decide", object_type="duty", object_id=duty_id,
            incident_id=incident_id, details={"verdict": chosen}, source=client_address(request),
            at=conf.clock.now(),
        )  # fmt: skip
    return RedirectResponse(f"/incidents/{incident_id}/duties#duty-{duty_id}", status_code=303)
