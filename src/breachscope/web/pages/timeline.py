"""Timeline and audit log: filterable lists and their CSV export (cells made inert by
``breachscope.inert.csv_cell``: no formula, no control character; a server-made file name)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from breachscope.case import audit
from breachscope.case.db import session_scope
from breachscope.case.models import TimelineEvent
from breachscope.inert import csv_cell
from breachscope.web.pages.base import incident_page
from breachscope.web.pages.context import incident_role, settings

router = APIRouter()

LIMIT = 1000


def _matches(text: str, *values: object) -> bool:
    needle = text.casefold()
    return not needle or any(needle in str(v).casefold() for v in values if v is not None)


def _newest(stmt: Select[Any], s: Session, keep: Callable[[Any], bool], limit: int | None) -> list[Any]:
    """The newest ``limit`` rows of ``stmt`` (ordered newest first) that ``keep`` accepts,
    oldest first: read newest first in batches and stopped at the limit, so a page costs the
    rows it shows, not the incident's whole history (100,000 events in the server's 10M case).
    ``limit=None``: every row (the CSV exports, which must never stop short silently)."""
    out = []
    for row in s.scalars(stmt.execution_options(yield_per=500)):
        if keep(row):
            out.append(row)
            if limit is not None and len(out) >= limit:
                break
    return out[::-1]


def timeline_rows(
    request: Request, incident_id: int, kind: str, q: str, limit: int | None = LIMIT
) -> tuple[list[dict[str, Any]], list[str]]:
    mine = TimelineEvent.incident_id == incident_id
    stmt = select(TimelineEvent).where(mine).order_by(TimelineEvent.at.desc(), TimelineEvent.id.desc())
    if kind:
        stmt = stmt.where(TimelineEvent.kind == kind)
    with session_scope(settings(request).engine) as s:
        kinds = list(
            s.scalars(select(TimelineEvent.kind).where(mine).distinct().order_by(TimelineEvent.kind))
        )
        events = _newest(stmt, s, lambda e: _matches(q, e.message, e.author), limit)
        rows = [{"at": e.at, "kind": e.kind, "author": e.author, "message": e.message} for e in events]
    return rows, kinds


def audit_rows(
    request: Request, incident_id: int, action: str, q: str, limit: int | None = LIMIT
) -> tuple[list[dict[str, Any]], list[str]]:
    """The incident's entries of the hash-chained audit log (``case.audit``), newest last."""
    mine = audit.AuditEntry.incident_id == incident_id
    stmt = select(audit.AuditEntry).where(mine).order_by(audit.AuditEntry.seq.desc())
    if action:
        stmt = stmt.where(audit.AuditEntry.action == action)
    with session_scope(settings(request).engine) as s:
        actions = list(
            s.scalars(
                select(audit.AuditEntry.action).where(mine).distinct().order_by(audit.AuditEntry.action)
            )
        )
        entries = _newest(stmt, s, lambda e: _matches(q, e.actor, e.details, e.object_id), limit)
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
        ]
    return rows, actions


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
    rows, _ = timeline_rows(request, incident_id, kind, q, limit=None)
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
    rows, _ = audit_rows(request, incident_id, action, q, limit=None)
    return csv_download(
        f"incident-{incident_id}-audit.csv",
        ("seq", "at", "actor", "action", "object", "source", "detail"),
        ((r["seq"], r["at"], r["actor"], r["action"], r["object"], r["source"], r["detail"]) for r in rows),
    )
