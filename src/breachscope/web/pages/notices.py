"""Notices: the outbox by state, unconfirmed sends and failures, a preview of each template in
each language (a real queued notice, the recipient's address and name masked; a role that may
unmask states a reason and sees it unmasked once, audited), and the regulator
drafts with their ``[TO COMPLETE]`` fields editable (legal) and exportable."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine, Table, select

from breachscope import notify as notify_package
from breachscope.case.db import session_scope
from breachscope.errors import BreachscopeError
from breachscope.hashing import mask
from breachscope.notify import drafts
from breachscope.notify.outbox import STATES, OutboxMessage, unpack_body
from breachscope.notify.service import status
from breachscope.web.audit import record
from breachscope.web.deps import client_address
from breachscope.web.pages.base import incident_page
from breachscope.web.pages.context import checked_form, incident_role, require, settings
from breachscope.web.pages.unmask import MASKED, Unmask, audit_view, unmask_request

router = APIRouter()
KINDS = ("user", "admin", "regulator")
#: The languages notices are written in (notify/templates/<language>/).
LANGUAGES = tuple(
    sorted(p.name for p in (Path(notify_package.__file__).parent / "templates").iterdir() if p.is_dir())
)


def templates_present(engine: Engine, incident_id: int) -> list[tuple[str, str]]:
    """(kind, language) pairs with at least one notice in the outbox: one index seek per pair
    (``ix_notify_outbox_incident_kind_state``), never a scan of the outbox."""
    table = cast(Table, OutboxMessage.__table__)
    out: list[tuple[str, str]] = []
    with engine.connect() as conn:
        for kind in KINDS:
            for lang in LANGUAGES:
                stmt = select(table.c.id).where(
                    table.c.incident_id == incident_id, table.c.kind == kind, table.c.language == lang
                )
                if conn.execute(stmt.limit(1)).first() is not None:
                    out.append((kind, lang))
    return out


def masked_text(text: str, addr: str, name: str) -> str:
    """The notice text with the recipient's address and name masked (``hashing.mask``)."""
    for value in sorted({addr, name, addr.lower(), name.upper()} - {""}, key=len, reverse=True):
        if len(value) >= 3:
            text = text.replace(value, mask(value))
    return text


@router.get("/incidents/{incident_id}/notices", response_class=HTMLResponse)
def notices_page(request: Request, incident_id: int) -> HTMLResponse:
    incident_role(request, incident_id)
    engine = settings(request).engine
    outbox = status(engine, incident_id)
    with session_scope(engine) as s:
        regulator = [drafts.draft_dict(d) for d in drafts.list_drafts(s, incident_id)]
    return incident_page(
        request, incident_id, "notices", "notices.html.j2",
        outbox=outbox, states=STATES, kinds=KINDS, drafts=regulator,
        templates=templates_present(engine, incident_id),
    )  # fmt: skip


def _preview(request: Request, incident_id: int, kind: str, lang: str, state: Unmask) -> HTMLResponse:
    incident_role(request, incident_id)
    table = cast(Table, OutboxMessage.__table__)
    stmt = (
        select(table.c.id, table.c.subject, table.c.body, table.c.to_addr, table.c.to_name, table.c.state)
        .where(table.c.incident_id == incident_id, table.c.kind == kind[:20], table.c.language == lang[:20])
        .order_by(table.c.id)
        .limit(1)
    )
    with settings(request).engine.connect() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        raise HTTPException(status_code=404, detail="no notice of this kind and language in the outbox")
    text, _ = unpack_body(row.body)
    if state.reason is not None:
        with session_scope(settings(request).engine) as s:
            audit_view(s, request, incident_id, "notice", state.reason, notices=[row.id])
        to, subject = row.to_addr, row.subject
    else:
        to, subject = mask(row.to_addr), masked_text(row.subject, row.to_addr, row.to_name)
        text = masked_text(text, row.to_addr, row.to_name)
    return incident_page(
        request, incident_id, "notices", "notice_preview.html.j2",
        kind=kind, lang=lang, state=row.state, to=to, subject=subject, text=text, **state.context(),
    )  # fmt: skip


@router.get("/incidents/{incident_id}/notices/preview", response_class=HTMLResponse)
def preview_page(request: Request, incident_id: int, kind: str, lang: str) -> HTMLResponse:
    return _preview(request, incident_id, kind, lang, MASKED)


@router.post("/incidents/{incident_id}/notices/preview/unmask", response_class=HTMLResponse)
async def preview_unmasked(request: Request, incident_id: int, kind: str, lang: str) -> HTMLResponse:
    _, role = incident_role(request, incident_id)
    require(role, "notify.preview")
    return _preview(request, incident_id, kind, lang, await unmask_request(request, incident_id))


def _draft(request: Request, incident_id: int, outbox_id: int) -> drafts.Draft:
    with session_scope(settings(request).engine) as s:
        try:
            return drafts.load_draft(s, incident_id, outbox_id)
        except BreachscopeError as exc:
            raise HTTPException(status_code=404, detail="no such regulator draft") from exc


@router.get("/incidents/{incident_id}/notices/drafts/{outbox_id}", response_class=HTMLResponse)
def draft_page(request: Request, incident_id: int, outbox_id: int) -> HTMLResponse:
    incident_role(request, incident_id)
    draft = _draft(request, incident_id, outbox_id)
    return incident_page(request, incident_id, "notices", "draft.html.j2", draft=draft)


@router.post("/incidents/{incident_id}/notices/drafts/{outbox_id}")
async def save_draft(request: Request, incident_id: int, outbox_id: int) -> RedirectResponse:
    viewer, role = incident_role(request, incident_id)
    require(role, "decide")
    form = await checked_form(request)
    draft = _draft(request, incident_id, outbox_id)
    values = [form.get(f"field-{i}", "") for i in range(len(draft.fields))]
    conf = settings(request)
    with session_scope(conf.engine) as s:
        drafts.save_values(s, incident_id, outbox_id, values, by=viewer.label, at=conf.clock.now())
        record(
            s, actor=viewer.label, action="draft.complete", object_type="regulator_draft",
            object_id=outbox_id, incident_id=incident_id, source=client_address(request), at=conf.clock.now(),
        )  # fmt: skip
    return RedirectResponse(f"/incidents/{incident_id}/notices/drafts/{outbox_id}", status_code=303)


@router.get("/incidents/{incident_id}/notices/drafts/{outbox_id}/export")
def export_draft(request: Request, incident_id: int, outbox_id: int) -> Response:
    incident_role(request, incident_id)
    draft = _draft(request, incident_id, outbox_id)
    return Response(
        draft.completed_text(),
        media_type="text/plain; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="incident-{incident_id}-draft-{outbox_id}.txt"'
        },
    )
