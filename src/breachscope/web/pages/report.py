"""The report button: the incident report (``breachscope.report.render_report``) as a download,
HTML or PDF, English or Indonesian. Served as an attachment (the report carries its own policy:
a hashed inline stylesheet, which the console's pages do not allow)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from breachscope.report import render_report
from breachscope.web.pages.context import incident_role, settings

router = APIRouter()

FORMATS: dict[str, str] = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
LANGUAGES = ("en", "id")


@router.get("/incidents/{incident_id}/report")
async def report(request: Request, incident_id: int, lang: str = "en", format: str = "pdf") -> Response:
    incident_role(request, incident_id)
    if format not in FORMATS or lang not in LANGUAGES:
        raise HTTPException(status_code=400, detail="format is html or pdf; lang is en or id")
    conf = settings(request)
    fmt: Literal["html", "pdf"] = "pdf" if format == "pdf" else "html"
    body = await run_in_threadpool(
        render_report, conf.engine, incident_id, language=lang, fmt=fmt, clock=conf.clock
    )
    return Response(
        body,
        media_type=FORMATS[format],
        headers={
            "content-disposition": f'attachment; filename="incident-{incident_id}-report-{lang}.{format}"'
        },
    )
