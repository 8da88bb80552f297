"""Data: each dataset's stored scan (classes with evidence, per-column classes, read issues,
incomplete parts) and the per-person field sets. Nothing is rescanned: the page reads the scan
report stored at attach (``datasets.scan_json``)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine, Text, cast, func, select

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.models import Exposure
from breachscope.web.pages.base import incident_page
from breachscope.web.pages.context import incident_role, settings

router = APIRouter()

STATUS_ORDER = {"present": 0, "not_checked": 1, "absent": 2}


def datasets_document(engine: Engine, incident_id: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with session_scope(engine) as s:
        for ds in api.list_datasets(s, incident_id, attaching=True):
            scan = ds.scan_json or {}
            classes = [
                {"id": cid, **info}
                for cid, info in (scan.get("classes") or {}).items()
                if isinstance(info, dict)
            ]
            classes.sort(key=lambda c: (STATUS_ORDER.get(str(c.get("status")), 1), str(c["id"])))
            out.append(
                {
                    "id": ds.id,
                    "file_name": ds.file_name,
                    "sha256": ds.sha256,
                    "size_bytes": ds.size_bytes,
                    "format": ds.format,
                    "vendor": ds.vendor,
                    "layout": ds.layout,
                    "records": ds.records,
                    "new_people": ds.exposures,
                    "scanned_at": ds.scanned_at,
                    "complete": ds.is_complete,
                    "state": api.dataset_state(s, ds),
                    "attach_job_id": ds.attach_job_id,
                    "unread_records": ds.unread_records,
                    "unread_bytes": ds.unread_bytes,
                    "accepted_by": ds.incomplete_accepted_by,
                    "accepted_why": ds.incomplete_accepted_why,
                    "has_scan": bool(scan),
                    "rows_examined": scan.get("rows_examined"),
                    "values_examined": scan.get("values_examined"),
                    "classes": classes,
                    "sources": [src for src in scan.get("sources") or [] if isinstance(src, dict)],
                    "unread_notes": (scan.get("unread") or {}).get("notes") or [],
                }
            )
    return out


def field_sets(engine: Engine, incident_id: int, limit: int = 50) -> list[tuple[list[str], int]]:
    """The distinct sets of exposed fields over the incident's people, most common first (all people)."""
    fields = cast(Exposure.exposed_fields, Text)  # PostgreSQL has no equality for json, so no GROUP BY
    with engine.connect() as conn:
        stmt = (
            select(fields, func.count())
            .where(api.settled(conn, incident_id))
            .group_by(fields)
            .order_by(func.count().desc())
            .limit(limit)
        )
        return [(list(json.loads(text) if text else []), int(n)) for text, n in conn.execute(stmt)]


@router.get("/incidents/{incident_id}/data", response_class=HTMLResponse)
def data_page(request: Request, incident_id: int) -> HTMLResponse:
    incident_role(request, incident_id)
    docs = datasets_document(settings(request).engine, incident_id)
    return incident_page(request, incident_id, "data", "data.html.j2", datasets=docs)


@router.get("/incidents/{incident_id}/data/fields", response_class=HTMLResponse)
def fields_page(request: Request, incident_id: int) -> HTMLResponse:
    incident_role(request, incident_id)
    sets = field_sets(settings(request).engine, incident_id)
    return incident_page(request, incident_id, "data", "data_fields.html.j2", sets=sets)
