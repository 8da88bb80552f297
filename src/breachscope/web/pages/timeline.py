"""Timeline and audit log: filterable lists and their CSV export (cells made inert by
``breachscope.inert.csv_cell``: no formula, no control character; a server-made file name)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from breachscope.case import api, audit
from breachscope.case.db import session_scope
from breachscope.inert import csv_cell
from breachscope.web.pages.base import incident_page
from breachscope.web.pages.context import incident_role, settings

router = APIRouter()

LIMIT = 1000


def _matches(text: str, *values: object) -> bool:
    needle = text.casefold()
    return not needle or any(needle in str(v).casefold() for v in values if v is not None)


def timeline_rows(
    request: Request, incident_id: int, kind: str, q: str
) -> tuple[list[dict[str, Any]], list[str]]:
    with session_scope(settings(request).engine) as s:
        events = api.timeline(s, incident_id)
    kinds = sorted({e.kind for e in events})
    rows = [
        {"at": e.at, "kind": e.kind, "author": e.author, "message": e.message}
        for e in events
        if (not kind or e.kind == kind) and _matches(q, e.message, e.author)
    ]
    return rows[-LIMIT:], kinds


def audit_rows(
    request: Request, incident_id: int, action: str, q: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """The incident's entries of the hash-chained audit log (``case.audit``), newest last."""
    with session_scope(settings(request).engine) as s:
        entries = list(audit.entries(s, incident_id=incident_id))
    actions = sorted({e.action for e in entries})
    rows = [
        {
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "object": f"{e.object_type} {e.object_id or ''}".strip(),
            "source": e.source or "",
            "detail": json.dumps(e.details, sort_keys=True) if e.details is not None else "(redacted)",
            "seq": e.seq,
        }
        for e in entries
        if (not action or e.action == action) and _matches(q, e.actor, e.details, e.object_id)
    ]
    return rows[-LIMIT:], actions


def csv_download(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v.isoformat() if isinstance(v, datetime) else v) for v in row])
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/incidents/{incident_id}/timeline", response_class=HTMLResponse)
def timeline_page(request: Request, incident_id: int, kind: str = "", q: str = "") -> HTMLResponse:
    incident_role(request, incident_id)
    rows, kinds = timeline_rows(request, incident_id, kind, q)
    return incident_page(
        request,
        incident_id,
        "timeline",
        "timeline.html.j2",
        rows=rows,
        kinds=kinds,
        kind=kind,
        q=q,
        limit=LIMIT,
    )


@router.get("/incidents/{incident_id}/timeline.csv")
def timeline_csv(request: Request, incident_id: int, kind: str = "", q: str = "") -> Response:
    incident_role(request, incident_id)
    rows, _ = timeline_rows(request, incident_id, kind, q)
    return csv_download(
        f"incident-{incident_id}-timeline.csv",
        ("at", "kind", "author", "message"),
        ((r["at"], r["kind"], r["author"], r["message"]) for r in rows),
    )


@router.get("/incidents/{incident_id}/audit", response_class=HTMLResponse)
def audit_page(request: Request, incident_id: int, action: str = "", q: str = "") -> HTMLResponse:
    incident_role(request, incident_id)
    rows, actions = audit_rows(request, incident_id, action, q)
    return incident_page(
        request,
        incident_id,
        "audit",
        "audit.html.j2",
        rows=rows,
        actions=actions,
        action=action,
        q=q,
        limit=LIMIT,
    )


@router.get("/incidents/{incident_id}/audit.csv")
def audit_csv(request: Request, incident_id: int, action: str = "", q: str = "") -> Response:
    incident_role(request, incident_id)
    rows, _ = audit_rows(request, incident_id, action, q)
    return csv_download(
        f"incident-{incident_id}-audit.csv",
        ("seq", "at", "actor", "action", "object", "source", "detail"),
        ((r["seq"], r["at"], r["actor"], r["action"], r["object"], r["source"], r["detail"]) for r in rows),
    )
