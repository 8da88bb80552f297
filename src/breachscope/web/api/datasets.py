"""``/api/v1/incidents/{id}/datasets``: leaked files: upload + attach (a job), list, accept incomplete.

An upload is the raw request body (``Content-Type: application/octet-stream``), streamed to a
private file the server names (:mod:`breachscope.web.uploads`) under the size limit, then
attached by a background job through :func:`breachscope.exposures.attach.attach_file`: the same
readers, budgets and hostile-input guards as ``breachscope case attach``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from breachscope.case import api as case_api
from breachscope.case.summary import class_states
from breachscope.errors import BreachscopeError
from breachscope.web import uploads
from breachscope.web.api.jobs import JobOut, queue_job
from breachscope.web.audit import record
from breachscope.web.auth.gate import Who
from breachscope.web.deps import DB, Settings, client_address

router = APIRouter(prefix="/api/v1/incidents/{incident_id}", tags=["datasets"])


class DatasetOut(BaseModel):
    id: int
    file_name: str
    sha256: str
    size_bytes: int
    format: str
    vendor: str | None
    layout: str | None
    records: int
    exposures: int
    complete: bool
    unread_records: int
    unread_bytes: int | None
    incomplete_accepted_by: str | None
    scanned_at: datetime
    classes: dict[str, list[str]]
    state: str = Field(
        description="attached; attaching (its job still stores its people: no stage reads it yet); "
        "attach interrupted (its job ended before the last batch: not an incomplete read of the file; "
        "the server removes it and the people first seen in it)"
    )
    attach_job_id: int | None = Field(description="the job that attached it (or is attaching it)")


def dataset_out(d: Any, state: str) -> DatasetOut:
    return DatasetOut(
        id=d.id,
        file_name=d.file_name,
        sha256=d.sha256,
        size_bytes=d.size_bytes,
        format=d.format,
        vendor=d.vendor,
        layout=d.layout,
        records=d.records,
        exposures=d.exposures,
        complete=d.is_complete,
        unread_records=d.unread_records,
        unread_bytes=d.unread_bytes,
        incomplete_accepted_by=d.incomplete_accepted_by,
        scanned_at=d.scanned_at,
        classes=class_states(d.scan_json),
        state=state,
        attach_job_id=d.attach_job_id,
    )


@router.get("/datasets", response_model=list[DatasetOut])
def list_datasets(incident_id: int, db: DB) -> list[DatasetOut]:
    """The datasets: hash, size, format, vendor, complete or incomplete read, classes, and whether
    the attach has finished (``state``)."""
    return [
        dataset_out(d, case_api.dataset_state(db, d))
        for d in case_api.list_datasets(db, incident_id, attaching=True)
    ]


@router.post(
    "/datasets",
    response_model=JobOut,
    status_code=202,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload_dataset(
    incident_id: int,
    request: Request,
    db: DB,
    settings: Settings,
    who: Who,
    file_name: str = Query(
        min_length=1, max_length=500, description="the leaked file's name (its extension helps)"
    ),
    vendor: str | None = Query(
        default=None, max_length=100, description="force an export layout, as --vendor"
    ),
) -> JobOut:
    """Upload a leaked file (the raw body) and attach it in a background job; poll the job."""
    path = await uploads.receive(request, settings, file_name)
    params = {"path": str(path), "upload_dir": str(path.parent), "file_name": path.name, "vendor": vendor}
    return queue_job(request, db, settings, who, incident_id, "attach", params)


class AcceptIn(BaseModel):
    why: str = Field(min_length=1, max_length=4000)


@router.post("/datasets/{dataset_id}/accept-incomplete", response_model=DatasetOut)
def accept_incomplete(
    incident_id: int, dataset_id: int, body: AcceptIn, request: Request, db: DB, settings: Settings, who: Who
) -> DatasetOut:
    """Accept the unread part of an incompletely read dataset (who, why)."""
    try:
        ds = case_api.accept_incomplete(
            db, incident_id, dataset_id, why=body.why, author=who.actor, clock=settings.clock
        )
    except BreachscopeError as exc:
        raise HTTPException(404 if "has no dataset" in exc.message else 400, exc.message) from exc
    record(
        db,
        actor=who.actor,
        action="dataset.accept_incomplete",
        object_type="dataset",
        object_id=dataset_id,
        incident_id=incident_id,
        source=client_address(request),
    )
    return dataset_out(ds, case_api.ATTACHED)
