"""The incident as documents: what ``case list`` and ``case show`` print, from the case API.

The CLI (and the web layer) only present these dicts; building them is storage-level work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breachscope.case import api
from breachscope.case import facts as case_facts
from breachscope.case.dates import DATE_FIELDS
from breachscope.case.inventory import IncidentVendor, Vendor
from breachscope.case.purge import audit_log


def fmt_time(value: datetime | None) -> str:
    """ISO 8601 to the minute, ``-`` when unknown."""
    return value.isoformat(timespec="minutes") if value else "-"


def class_states(scan: dict[str, Any] | None) -> dict[str, list[str]]:
    """present / absent / not_checked class ids of a stored scan report."""
    out: dict[str, list[str]] = {"present": [], "absent": [], "not_checked": []}
    classes = (scan or {}).get("classes") or {}
    for cid, info in classes.items():
        status = info.get("status") if isinstance(info, dict) else None
        out.setdefault(str(status or "not_checked"), []).append(str(cid))
    return out


def canary_records_sentence(records: int | None, by_vendor: dict[str, int] | None, read: int) -> str | None:
    """What a dataset's canary records say ("3 of the 53 records read are canary records ..."),
    or ``None`` when none were found (or no canary check ran at attach)."""
    if not records:
        return None
    vendors = sorted((by_vendor or {}).items(), key=lambda kv: kv[0].casefold())
    if len(vendors) == 1:
        where = f"planted at {vendors[0][0]}"
    elif vendors:
        where = "planted at " + ", ".join(f"{v}: {n:,}" for v, n in vendors)
        if sum(n for _, n in vendors) != records:
            where += "; a record holding canaries of several vendors counts for each"
    else:
        where = "vendor not recorded"
    verb, noun = ("is", "a canary record") if records == 1 else ("are", "canary records")
    whom = "a person" if records == 1 else "people"
    return (
        f"{records:,} of the {read:,} records read {verb} {noun} ({where}): found in this dataset "
        f"and not counted as {whom}."
    )


def vendor_links(s: Session, incident_id: int) -> list[dict[str, Any]]:
    """The vendors linked to an incident with their stored field comparison (``vendors link``)."""
    rows = s.execute(
        select(IncidentVendor, Vendor)
        .join(Vendor, Vendor.id == IncidentVendor.vendor_id)
        .where(IncidentVendor.incident_id == incident_id)
        .order_by(Vendor.key)
    )
    out = []
    for link, vendor in rows:
        c = link.comparison or {}
        out.append(
            {
                "vendor": vendor.name,
                "status": vendor.status,
                "linked_at": fmt_time(link.linked_at),
                "compared_at": fmt_time(link.compared_at),
                "in_both": [r["key"] for r in c.get("in_both", [])],
                "leak_only": [
                    {"key": r["key"], "why": r.get("why", ""), "classes": r.get("classes", [])}
                    for r in c.get("leak_only", [])
                ],
                "sent_only": [r["key"] for r in c.get("sent_only", [])],
                "classes": c.get("classes"),
                "caveats": c.get("caveats", []),
            }
        )
    return out


def incident_rows(s: Session) -> list[dict[str, Any]]:
    """Every incident with its headline counts, as ``case list`` shows them."""
    return [
        {
            "id": i.id,
            "name": i.name,
            "vendor": i.vendor,
            "status": i.status,
            "created_at": fmt_time(i.created_at),
            "aware_at": fmt_time(i.aware_at),
            **api.counts(s, i.id),
        }
        for i in api.list_incidents(s)
    ]


def incident_document(s: Session, incident_id: int) -> dict[str, Any]:
    """One incident as ``case show`` prints it (and ``--json`` writes it)."""
    i = api.get_incident(s, incident_id)
    scope = api.latest_scope(s, incident_id)
    data: dict[str, Any] = {
        "id": i.id,
        "name": i.name,
        "vendor": i.vendor,
        "description": i.description,
        "status": i.status,
        "created_at": fmt_time(i.created_at),
        "purged_at": fmt_time(i.purged_at) if i.purged_at else None,
        "dates": {k: fmt_time(getattr(i, k)) for k in DATE_FIELDS},
        "counts": api.counts(s, incident_id),
        "facts": {k: f.value for k, f in case_facts.current(s, incident_id).items()},
        "datasets": [
            {
                "id": d.id,
                "file_name": d.file_name,
                "sha256": d.sha256,
                "size_bytes": d.size_bytes,
                "format": d.format,
                "vendor": d.vendor,
                "layout": d.layout,
                "records": d.records,
                # people first seen in this file (a later file of the same people adds none;
                # the exposures table keeps each person once, under the first dataset)
                "new_people": d.exposures,
                "scanned_at": fmt_time(d.scanned_at),
                "complete": d.is_complete,
                # attached | attaching | attach interrupted (then no stage reads it: not counted)
                "state": api.dataset_state(s, d),
                "attach_job_id": d.attach_job_id,
                "unread_records": d.unread_records,
                "unread_bytes": d.unread_bytes,
                "incomplete_accepted": (
                    {
                        "by": d.incomplete_accepted_by,
                        "why": d.incomplete_accepted_why,
                        "at": fmt_time(d.incomplete_accepted_at),
                    }
                    if d.incomplete_accepted_by
                    else None
                ),
                "classes": class_states(d.scan_json),
                # synthetic people planted at vendors: never exposures (breachscope.canary.exclude)
                "canary_records": d.canary_records,
                "canary_vendors": d.canary_vendors or {},
                "canary_sentence": canary_records_sentence(d.canary_records, d.canary_vendors, d.records),
            }
            for d in api.list_datasets(s, incident_id, attaching=True)
        ],
        "timeline": [
            {"at": fmt_time(e.at), "author": e.author, "kind": e.kind, "message": e.message}
            for e in api.timeline(s, incident_id)
        ],
        "scope": dict(scope.summary) if scope else None,
        "vendors": vendor_links(s, incident_id),
        "audit": [
            {"at": fmt_time(a.at), "actor": a.actor, "action": a.action, "detail": a.detail}
            for a in audit_log(s, incident_id)
        ],
    }

    return data
