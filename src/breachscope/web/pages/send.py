"""Send notices from the console, with live progress: preview the plan (a background job of the
server), then send exactly that plan (``expect_total``: when the plan changed meanwhile, nothing
is sent). The job page shows the stage and a progress bar, refreshed by htmx every second while
the job runs (with JavaScript off: a refresh link). Four eyes, when the case's policy asks for
it, is enforced inside ``notify.service`` (the job fails naming the approval request)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from breachscope.case import jobs
from breachscope.web.api.jobs import job_out, queue_job
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings
from breachscope.web.pages.base import incident_page
from breachscope.web.pages.context import checked_form, incident_role

router = APIRouter()
AUDIENCES = ("all", "users", "admins", "regulators")


def _params(form: dict[str, str]) -> dict[str, Any]:
    audience = form.get("audience", "all")
    if audience not in AUDIENCES:
        raise HTTPException(status_code=400, detail="unknown audience")
    return {"audience": audience, "jurisdictions": [], "required_only": form.get("required_only") == "on"}


@router.post("/incidents/{incident_id}/notices/preview")
async def preview(
    request: Request, incident_id: int, db: DB, settings: Settings, who: Who
) -> RedirectResponse:
    incident_role(request, incident_id)
    params = _params(await checked_form(request))
    job = queue_job(request, db, settings, who, incident_id, "notify.preview", params)
    return RedirectResponse(f"/incidents/{incident_id}/jobs/{job.id}", status_code=303)


@router.post("/incidents/{incident_id}/notices/send")
async def send(request: Request, incident_id: int, db: DB, settings: Settings, who: Who) -> RedirectResponse:
    incident_role(request, incident_id)
    form = await checked_form(request)
    params = _params(form)
    expect = form.get("expect_total", "")
    if not expect.isdigit():
        raise HTTPException(status_code=400, detail="preview first: a send names the total it was shown")
    job = queue_job(
        request, db, settings, who, incident_id, "notify.send", {**params, "expect_total": int(expect)}
    )
    return RedirectResponse(f"/incidents/{incident_id}/jobs/{job.id}", status_code=303)


@router.get("/incidents/{incident_id}/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, incident_id: int, job_id: int, db: DB) -> HTMLResponse:
    incident_role(request, incident_id)
    found = jobs.get(db, incident_id, job_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such job")
    job = job_out(found, request.app.state.jobs.live)
    result = job.result or {}
    plan = result.get("plan") or {}
    return incident_page(
        request, incident_id, "notices", "job.html.j2",
        job=job, plan=plan, params=found.params if isinstance(found.params, dict) else {},
        sent=result.get("sent") or {}, running=job.state in ("queued", "running"),
    )  # fmt: skip
