"""``/api/v1/incidents/{id}/scope``: run the scope (a job) and browse its result page by page.

The directory is either an upload (a CSV/Parquet/... file as the raw body, streamed like a
dataset) or a source the operator configured by name (``serve --directory NAME=URL``); a client
never gives a database URL or a path. Lists use keyset pages (``?after=`` the previous page's
key) over the indexes of migrations 0045 and 0052, and mask people unless unmasked
(:mod:`.people`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from breachscope.case import api as case_api
from breachscope.scope import browse
from breachscope.web import uploads
from breachscope.web.api.jobs import JobOut, queue_job
from breachscope.web.api.people import check_unmask, mask_names, unmask_rows
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings

router = APIRouter(prefix="/api/v1/incidents/{incident_id}/scope", tags=["scope"])
After = Query(default=None, max_length=400, description="the previous page's key")
Limit = Query(default=browse.PAGE, ge=1, le=500)
Unmask = Query(default=False, description="show the values (role with unmask, and a reason; audited)")
Reason = Query(default=None, max_length=2000)


class Page(BaseModel):
    rows: list[dict[str, Any]]
    after: str | None = Field(description="pass as ?after= for the next page; null on the last")
    notes: list[str] = Field(default_factory=list)


class ScopeIn(BaseModel):
    source: str = Field(description="a directory source configured on the server (serve --directory)")
    mapping: dict[str, str] = Field(default_factory=dict, description="canonical field -> source column")
    table: str | None = Field(default=None, max_length=200)
    admin_roles: list[str] = Field(default_factory=list)


@router.post("", response_model=JobOut, status_code=202)
def run_configured(
    incident_id: int, body: ScopeIn, request: Request, db: DB, settings: Settings, who: Who
) -> JobOut:
    """Scope against a directory source configured on the server (a background job)."""
    if body.source not in settings.directories:
        raise HTTPException(400, f"no configured directory source {body.source!r}")
    params = {
        "source": body.source,
        "mapping": body.mapping,
        "table": body.table,
        "admin_roles": body.admin_roles,
    }
    return queue_job(request, db, settings, who, incident_id, "scope", params)


@router.post(
    "/directory",
    response_model=JobOut,
    status_code=202,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def run_uploaded(
    incident_id: int,
    request: Request,
    db: DB,
    settings: Settings,
    who: Who,
    file_name: str = Query(min_length=1, max_length=500),
    mapping: list[str] = Query(default=[], description="canonical=column, as scope --map"),
    admin_roles: list[str] = Query(default=[]),
) -> JobOut:
    """Upload the account directory (the raw body) and scope against it (a background job)."""
    from breachscope.scope.directory import parse_mapping

    mapped = parse_mapping(mapping)
    path = await uploads.receive(request, settings, file_name)
    params = {
        "path": str(path),
        "upload_dir": str(path.parent),
        "mapping": mapped,
        "admin_roles": admin_roles,
    }
    return queue_job(request, db, settings, who, incident_id, "scope", params)


@router.get("")
def latest(incident_id: int, db: DB) -> dict[str, Any]:
    """The latest scope run's summary (counts only), or null before any."""
    run = case_api.latest_scope(db, incident_id)
    return {
        "scope": None
        if run is None
        else {"id": run.id, "at": run.at, "directory": run.directory, "summary": run.summary}
    }


def _page(
    page: browse.Page,
    db: DB,
    request: Request,
    who: Who,
    incident_id: int,
    unmask: bool,
    reason: str | None,
    what: str,
) -> Page:
    rows = mask_names(page.rows)
    if check_unmask(who, unmask, reason):
        assert reason is not None
        rows = unmask_rows(db, request, who, incident_id, rows, reason, what)
    return Page(rows=rows, after=page.after, notes=page.notes)


@router.get("/orgs", response_model=Page)
def orgs(
    incident_id: int,
    db: DB,
    after: str | None = After,
    limit: int = Limit,
    name: str = Query(default="", max_length=300),
) -> Page:
    """Affected organizations with their roll-up, in org id order."""
    p = browse.orgs(db, incident_id, after=after, name=name, limit=limit)
    return Page(rows=p.rows, after=p.after, notes=p.notes)


@router.get("/users", response_model=Page)
def users(
    incident_id: int,
    request: Request,
    db: DB,
    who: Who,
    after: str | None = After,
    limit: int = Limit,
    unmask: bool = Unmask,
    reason: str | None = Reason,
) -> Page:
    """Accounts whose own record leaked, in account id order (masked by default)."""
    if after is not None and (not after.isdigit() or len(after) > 18):
        raise HTTPException(422, "not a page key of this list")
    page = browse.affected_accounts(db, incident_id, after=after, limit=limit)
    return _page(page, db, request, who, incident_id, unmask, reason, "accounts")


@router.get("/orgs/{org_id}/admins", response_model=Page)
def org_admins(
    incident_id: int,
    org_id: str,
    request: Request,
    db: DB,
    who: Who,
    after: str | None = After,
    limit: int = Limit,
    unmask: bool = Unmask,
    reason: str | None = Reason,
) -> Page:
    """An organization's admins (who get the admin notice)."""
    p = browse.org_accounts(db, incident_id, org_id, admins=True, after=after, limit=limit)
    return _page(p, db, request, who, incident_id, unmask, reason, "accounts")


@router.get("/unmatched", response_model=Page)
def unmatched(
    incident_id: int,
    request: Request,
    db: DB,
    who: Who,
    after: str | None = After,
    limit: int = Limit,
    unmask: bool = Unmask,
    reason: str | None = Reason,
) -> Page:
    """Leaked people matched to no account."""
    p = browse.unmatched(db, incident_id, after=after, limit=limit)
    return _page(p, db, request, who, incident_id, unmask, reason, "exposures")


@router.get("/review", response_model=Page)
def review(
    incident_id: int,
    request: Request,
    db: DB,
    who: Who,
    after: str | None = After,
    limit: int = Limit,
    unmask: bool = Unmask,
    reason: str | None = Reason,
) -> Page:
    """Leaked people with ambiguous or look-alike candidate accounts."""
    p = browse.review(db, incident_id, after=after, limit=limit)
    return _page(p, db, request, who, incident_id, unmask, reason, "exposures")


class SearchIn(BaseModel):
    email: str = Field(max_length=320)


@router.post("/search")
def search(incident_id: int, body: SearchIn, db: DB) -> dict[str, Any]:
    """Is this email address in the leak, and which accounts did it match? (by keyed hash; masked)"""
    found = browse.find_email(db, incident_id, body.email)
    mask_names(found.get("accounts", []))
    return found
