"""Scope: organizations -> admins -> users, email search by keyed hash, unmatched and review items.

Every list is a keyset page of ``scope.browse`` (``after`` = the last key of the previous page),
so the pages stay fast on a case of millions. People are masked; a role that may unmask states a
reason and sees one page unmasked, audited (web/pages/unmask.py). The email search is a POST (the
address never lands in a URL, a log or a browser history) and is looked up by HMAC, never by
scanning.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.scope import browse
from breachscope.web.pages.base import incident_page
from breachscope.web.pages.context import checked_form, incident_role, settings
from breachscope.web.pages.unmask import MASKED, Unmask, audit_view, show_people, unmask_request

router = APIRouter()


@router.get("/incidents/{incident_id}/scope", response_class=HTMLResponse)
def scope_page(request: Request, incident_id: int, after: str | None = None, q: str = "") -> HTMLResponse:
    incident_role(request, incident_id)
    with session_scope(settings(request).engine) as s:
        run = api.latest_scope(s, incident_id)
        summary = dict(run.summary) if run else {}
        page = browse.orgs(s, incident_id, after=after, name=q.strip()[:300]) if run else browse.Page([])
    return incident_page(
        request,
        incident_id,
        "scope",
        "scope.html.j2",
        summary=summary,
        scoped=run is not None,
        orgs=page,
        q=q,
    )


def _org(
    request: Request,
    incident_id: int,
    org: str,
    admins_after: str | None,
    users_after: str | None,
    state: Unmask,
) -> HTMLResponse:
    incident_role(request, incident_id)
    with session_scope(settings(request).engine) as s:
        found = browse.orgs(s, incident_id, name=org, limit=1).rows
        admins = browse.org_accounts(s, incident_id, org, admins=True, after=admins_after)
        users = browse.org_accounts(s, incident_id, org, admins=False, after=users_after)
        seen, _ = show_people(s, incident_id, admins.rows + users.rows, state)
        if state.reason is not None:
            audit_view(s, request, incident_id, "accounts", state.reason, accounts=seen)
    info = next((o for o in found if o["org_id"] == org), None)
    return incident_page(
        request, incident_id, "scope", "scope_org.html.j2", org=org, info=info, admins=admins, users=users,
        admins_after=admins_after or "", users_after=users_after or "", **state.context(),
    )  # fmt: skip


@router.get("/incidents/{incident_id}/scope/org", response_class=HTMLResponse)
def org_page(
    request: Request,
    incident_id: int,
    org: str,
    admins_after: str | None = None,
    users_after: str | None = None,
) -> HTMLResponse:
    return _org(request, incident_id, org, admins_after, users_after, MASKED)


@router.post("/incidents/{incident_id}/scope/org/unmask", response_class=HTMLResponse)
async def org_unmasked(
    request: Request,
    incident_id: int,
    org: str,
    admins_after: str | None = None,
    users_after: str | None = None,
) -> HTMLResponse:
    state = await unmask_request(request, incident_id)
    return _org(request, incident_id, org, admins_after, users_after, state)


@router.post("/incidents/{incident_id}/scope/search", response_class=HTMLResponse)
async def search(request: Request, incident_id: int) -> HTMLResponse:
    incident_role(request, incident_id)
    form = await checked_form(request)
    with session_scope(settings(request).engine) as s:
        result = browse.find_email(s, incident_id, form.get("email", "")[:320])
        show_people(s, incident_id, result["accounts"], MASKED)
    return incident_page(request, incident_id, "scope", "scope_search.html.j2", result=result)


def _people(request: Request, incident_id: int, kind: str, after: str | None, state: Unmask) -> HTMLResponse:
    incident_role(request, incident_id)
    listing = browse.unmatched if kind == "unmatched" else browse.review
    with session_scope(settings(request).engine) as s:
        page = listing(s, incident_id, after=after)
        accounts, exposures = show_people(s, incident_id, page.rows, state)
        if state.reason is not None:
            audit_view(
                s, request, incident_id, "exposures", state.reason, accounts=accounts, exposures=exposures
            )
    return incident_page(
        request, incident_id, "scope", "scope_people.html.j2", kind=kind, people=page, after=after or "",
        **state.context(),
    )  # fmt: skip


@router.get("/incidents/{incident_id}/scope/unmatched", response_class=HTMLResponse)
def unmatched_page(request: Request, incident_id: int, after: str | None = None) -> HTMLResponse:
    return _people(request, incident_id, "unmatched", after, MASKED)


@router.post("/incidents/{incident_id}/scope/unmatched/unmask", response_class=HTMLResponse)
async def unmatched_unmasked(request: Request, incident_id: int, after: str | None = None) -> HTMLResponse:
    return _people(request, incident_id, "unmatched", after, await unmask_request(request, incident_id))


@router.get("/incidents/{incident_id}/scope/review", response_class=HTMLResponse)
def review_page(request: Request, incident_id: int, after: str | None = None) -> HTMLResponse:
    return _people(request, incident_id, "review", after, MASKED)


@router.post("/incidents/{incident_id}/scope/review/unmask", response_class=HTMLResponse)
async def review_unmasked(request: Request, incident_id: int, after: str | None = None) -> HTMLResponse:
    return _people(request, incident_id, "review", after, await unmask_request(request, incident_id))
