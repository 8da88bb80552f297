"""The vendor registry: add, find, list, edit vendors and record declared data flows.

A vendor is found by name, case-insensitively (``mixpanel`` finds "Mixpanel"). Every field a
person did not record stays ``NULL`` and reads as *unknown*: ``--breach-clause none`` records
that the contract has no such clause (``""``), ``unknown`` clears it back to ``NULL``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from breachscope import taxonomy
from breachscope.case.inventory import STATUSES, IncidentVendor, Vendor, VendorEvidence, VendorFlow
from breachscope.clock import Clock, SystemClock
from breachscope.errors import InputError
from breachscope.inventory import endpoints
from breachscope.inventory.purposes import Purposes
from breachscope.inventory.purposes import load as load_purposes

#: Evidence kinds that observed traffic (what was really sent), as against plans (declared):
#: HAR captures and proxy logs (:mod:`.proxylog`).
OBSERVED: frozenset[str] = frozenset({"har", "squid-log", "access-log"})

#: Fields ``add``/``edit`` accept (the columns of :class:`Vendor` a person records).
EDITABLE: tuple[str, ...] = (
    "name",
    "service",
    "purpose",
    "status",
    "contacts",
    "dpa_date",
    "breach_notice_hours",
    "breach_clause",
    "deletion_clause",
    "subprocessors",
    "gdpr",
    "last_review",
    "people",
    "notes",
)
_MAX_TEXT = 2000
_CONTACT = re.compile(
    r"^\s*(?P<name>[^<>()]*?)\s*(?:<(?P<email>[^<>\s]+@[^<>\s]+)>)?\s*(?:\((?P<role>[^()]*)\))?\s*$"
)


def vendor_key(name: str) -> str:
    """The identity of a vendor name: trimmed, inner spaces collapsed, case-folded."""
    return " ".join(name.split()).casefold()


def parse_contact(text: str) -> dict[str, str]:
    """``"Jane Roe <dpo@vendor.example> (DPO)"`` -> ``{"name", "email", "role"}`` (each optional)."""
    m = _CONTACT.match(text)
    if not m or not (m["name"] or m["email"]):
        raise InputError(
            f"not a contact: {text!r}", 'write it as "Name <email@example.com> (role)"; each part is optional'
        )
    return {k: (m[k] or "").strip() for k in ("name", "email", "role") if m[k]}


def _text(field: str, value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > _MAX_TEXT or any(ord(c) < 32 and c not in "\t\n" for c in text):
        raise InputError(f"{field}: at most {_MAX_TEXT} printable characters")
    return text


def _check(field: str, value: Any, purposes: Purposes) -> Any:
    """One validated value for ``field`` (raises :class:`InputError` naming the field)."""
    if field == "name":
        name = _text(field, value) or ""
        if not name or len(name) > 200:
            raise InputError("a vendor needs a name of 1 to 200 characters")
        return " ".join(name.split())
    if field == "service":
        if value in (None, ""):
            return None
        if value not in endpoints.services():
            raise InputError(
                f"unknown service {value!r}", f"known services: {', '.join(sorted(endpoints.services()))}"
            )
        return value
    if field == "purpose":
        if value in (None, "", "unknown"):
            return ""
        if purposes.get(str(value)) is None:
            raise InputError(
                f"unknown purpose {value!r}",
                f"known purposes: {', '.join(sorted(purposes.purposes))} (edit {purposes.source})",
            )
        return str(value)
    if field == "status":
        if value not in STATUSES:
            raise InputError(f"unknown status {value!r}", f"one of: {', '.join(STATUSES)}")
        return value
    if field == "contacts":
        return [parse_contact(c) if isinstance(c, str) else dict(c) for c in value or []]
    if field in ("dpa_date", "last_review"):
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise InputError(f"{field.replace('_', '-')}: not a date: {value!r}", "use YYYY-MM-DD") from None
    if field in ("breach_notice_hours", "people"):
        if value is None:
            return None
        try:
            n = int(value)
        except (TypeError, ValueError):
            raise InputError(f"{field.replace('_', '-')}: not a whole number: {value!r}") from None
        if n < 0 or n > 10**9:
            raise InputError(f"{field.replace('_', '-')}: out of range: {n}")
        return n
    if field in ("breach_clause", "deletion_clause"):
        return _text(field, value)
    if field == "subprocessors":
        if value is None:
            return None
        return [s for s in (_text(field, v) for v in value) if s]
    if field == "gdpr":
        return None if value is None else bool(value)
    if field == "notes":
        return _text(field, value) or ""
    raise InputError(f"not a vendor field: {field!r}", f"fields: {', '.join(EDITABLE)}")


def get_vendor(s: Session, name: str) -> Vendor:
    """The vendor named ``name`` (any case); an error lists the registered ones."""
    vendor = s.scalar(select(Vendor).where(Vendor.key == vendor_key(name)))
    if vendor is None:
        known = [v.name for v in s.scalars(select(Vendor).order_by(Vendor.key))]
        raise InputError(
            f"no vendor named {name!r} in the registry",
            f"registered: {', '.join(known)}" if known else 'add one: breachscope vendors add "Vendor name"',
        )
    return vendor


def find_vendor(s: Session, name: str) -> Vendor | None:
    return s.scalar(select(Vendor).where(Vendor.key == vendor_key(name)))


def list_vendors(s: Session, status: str | None = None) -> list[Vendor]:
    q = select(Vendor).order_by(Vendor.key)
    if status is not None:
        q = q.where(Vendor.status == status)
    return list(s.scalars(q))


def add_vendor(
    s: Session,
    name: str,
    facts: Mapping[str, Any] | None = None,
    *,
    author: str,
    clock: Clock | None = None,
    purposes: Purposes | None = None,
) -> Vendor:
    """Register a vendor; ``facts`` holds any of :data:`EDITABLE` (an existing name is an error)."""
    purposes = purposes or load_purposes()
    clean_name = _check("name", name, purposes)
    if find_vendor(s, clean_name) is not None:
        raise InputError(
            f"vendor {clean_name!r} is already registered",
            f'change it with: breachscope vendors edit "{clean_name}" ...',
        )
    now = (clock or SystemClock()).now()
    vendor = Vendor(
        name=clean_name,
        key=vendor_key(clean_name),
        purpose="",
        status="active",
        contacts=[],
        notes="",
        created_at=now,
        updated_at=now,
        updated_by=author,
    )
    _apply(vendor, {k: v for k, v in (facts or {}).items() if k != "name"}, purposes)
    s.add(vendor)
    s.flush()
    return vendor


def _apply(vendor: Vendor, facts: Mapping[str, Any], purposes: Purposes) -> list[str]:
    changed = []
    for field, raw in facts.items():
        value = _check(field, raw, purposes)
        if getattr(vendor, field) != value:
            setattr(vendor, field, value)
            changed.append(field)
    return changed


def edit_vendor(
    s: Session,
    name: str,
    facts: Mapping[str, Any],
    *,
    author: str,
    clock: Clock | None = None,
    purposes: Purposes | None = None,
) -> tuple[Vendor, list[str]]:
    """Change recorded facts of a vendor; returns it and the fields that changed."""
    purposes = purposes or load_purposes()
    vendor = get_vendor(s, name)
    facts = dict(facts)
    if "name" in facts:
        new = _check("name", facts["name"], purposes)
        other = find_vendor(s, new)
        if other is not None and other.id != vendor.id:
            raise InputError(f"vendor {new!r} is already registered")
        facts["name"] = new
    changed = _apply(vendor, facts, purposes)
    if "name" in changed:
        vendor.key = vendor_key(vendor.name)
    if changed:
        vendor.updated_at = (clock or SystemClock()).now()
        vendor.updated_by = author
        if "status" in changed and vendor.status != "removed":
            vendor.removed_at = None
    s.flush()
    return vendor, changed


def add_flow(
    s: Session,
    vendor: Vendor,
    field: str,
    classes: list[str],
    *,
    origin: str = "",
    author: str,
    clock: Clock | None = None,
) -> VendorFlow:
    """Record a declared flow (a person says: this field, of these classes, goes to the vendor)."""
    field_name = (_text("field", field) or "")[:500]
    if not field_name:
        raise InputError("a flow needs a field name")
    unknown = [c for c in classes if c not in taxonomy.BY_ID]
    if unknown:
        raise InputError(
            f"unknown data class {', '.join(unknown)}", f"known: {', '.join(sorted(taxonomy.BY_ID))}"
        )
    flow = VendorFlow(
        vendor_id=vendor.id,
        evidence_id=None,
        source="manual",
        field=field_name,
        classes=sorted(set(classes)),
        origin=_text("origin", origin) or "",
        pages=[],
        values_seen=None,
        recorded_at=(clock or SystemClock()).now(),
        author=author,
    )
    s.add(flow)
    s.flush()
    return flow


def remove_manual_flow(s: Session, vendor: Vendor, field: str) -> int:
    """Delete the declared (manual) flows of ``field``; returns how many."""
    res = s.execute(
        delete(VendorFlow).where(
            VendorFlow.vendor_id == vendor.id, VendorFlow.source == "manual", VendorFlow.field == field
        )
    )
    return int(getattr(res, "rowcount", 0) or 0)


def flows(s: Session, vendor_id: int) -> list[VendorFlow]:
    return list(
        s.scalars(select(VendorFlow).where(VendorFlow.vendor_id == vendor_id).order_by(VendorFlow.field))
    )


def evidence(s: Session, vendor_id: int) -> list[VendorEvidence]:
    return list(
        s.scalars(
            select(VendorEvidence).where(VendorEvidence.vendor_id == vendor_id).order_by(VendorEvidence.id)
        )
    )


def classes_sent(vendor_flows: list[VendorFlow]) -> dict[str, list[str]]:
    """data class -> the fields that carry it (sorted)."""
    out: dict[str, set[str]] = {}
    for f in vendor_flows:
        for c in f.classes:
            out.setdefault(c, set()).add(f.field)
    return {
        c: sorted(v) for c, v in sorted(out.items(), key=lambda kv: (taxonomy.get(kv[0]).tier.rank, kv[0]))
    }


def _day(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def vendor_row(s: Session, v: Vendor) -> dict[str, Any]:
    """A vendor as ``vendors list`` shows it."""
    n_flows = s.scalar(select(func.count()).select_from(VendorFlow).where(VendorFlow.vendor_id == v.id)) or 0
    return {
        "name": v.name,
        "service": v.service,
        "purpose": v.purpose or None,
        "status": v.status,
        "flows": n_flows,
        "last_review": _day(v.last_review),
        "breach_notice_hours": v.breach_notice_hours,
    }


def vendor_document(s: Session, v: Vendor) -> dict[str, Any]:
    """A vendor with its contract facts, flows, evidence and incidents (``vendors show``)."""
    vf = flows(s, v.id)
    links = list(s.scalars(select(IncidentVendor).where(IncidentVendor.vendor_id == v.id)))
    return {
        "name": v.name,
        "service": v.service,
        "purpose": v.purpose or None,
        "status": v.status,
        "contacts": v.contacts,
        "contract": {
            "dpa_date": _day(v.dpa_date),
            "breach_notice_hours": v.breach_notice_hours,
            "breach_clause": v.breach_clause,
            "deletion_clause": v.deletion_clause,
            "subprocessors": v.subprocessors,
            "gdpr": v.gdpr,
        },
        "last_review": _day(v.last_review),
        "people": v.people,
        "notes": v.notes,
        "created_at": v.created_at.isoformat(timespec="minutes"),
        "updated_at": v.updated_at.isoformat(timespec="minutes"),
        "updated_by": v.updated_by,
        "removed_at": v.removed_at.isoformat(timespec="minutes") if v.removed_at else None,
        "classes_sent": classes_sent(vf),
        "flows": [
            {
                "field": f.field,
                "classes": f.classes,
                "source": f.source,
                "evidence_id": f.evidence_id,
                "origin": f.origin,
                "pages": f.pages,
                "values_seen": f.values_seen,
            }
            for f in vf
        ],
        "evidence": [
            {
                "id": e.id,
                "kind": e.kind,
                "file_name": e.file_name,
                "sha256": e.sha256,
                "imported_at": e.imported_at.isoformat(timespec="minutes"),
                "author": e.author,
                "complete": e.complete,
                "summary": e.summary,
            }
            for e in evidence(s, v.id)
        ],
        "incidents": [
            {
                "incident": link.incident_id,
                "linked_at": link.linked_at.isoformat(timespec="minutes"),
                "compared_at": link.compared_at.isoformat(timespec="minutes") if link.compared_at else None,
                "leak_only": [r["key"] for r in (link.comparison or {}).get("leak_only", [])],
                "sent_only": [r["key"] for r in (link.comparison or {}).get("sent_only", [])],
            }
            for link in links
        ],
    }
