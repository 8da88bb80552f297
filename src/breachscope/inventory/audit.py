"""``vendors audit``: every vendor held against its purpose, its contract and its last review.

Per vendor (removed ones are left out):

- **classes sent vs needed**: the classes of its flows (observed in a HAR capture, declared in a
  plan or by a person, each shown with its source) against what its purpose needs and may
  receive (:mod:`.purposes`, data). Every other class is **over-sharing**; classes that let a
  vendor re-identify people (email, name, IP, ...) and free text are named as such.
- **blast radius** if this vendor leaked: the classes it holds and the people: the number a
  person recorded for the vendor, else "up to" the directory size of the incident given with
  ``--incident`` (the people whose data *can* flow), else unknown.
- **contract gaps**: no breach-notice clause, one longer than 72 hours (GDPR Art. 33(1) gives
  the controller 72 hours), no deletion clause (Art. 28(3)(g)), no DPA, sub-processors not
  recorded; a fact nobody recorded is reported as "not recorded", never as "none".
- **review age**: days since the last review, overdue past ``review_every_days``.

:func:`audit_tasks` turns the audit into a company-wide task list on one incident: one "Audit
vendor X" task per vendor, with its findings (idempotent: a re-run updates the same tasks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breachscope import taxonomy
from breachscope.case.inventory import Vendor
from breachscope.case.models import Account
from breachscope.case.tasks import add_task
from breachscope.clock import Clock, SystemClock
from breachscope.inventory.compare import field_key
from breachscope.inventory.purposes import Purposes
from breachscope.inventory.purposes import load as load_purposes
from breachscope.inventory.registry import OBSERVED, evidence, flows, list_vendors

SCHEMA = "breachscope.vendor-audit/1"
#: Field keys that identify the subject of every event (an email here re-identifies people).
_ID_FIELD = re.compile(r"(^|_)(id|uid|identity|distinct_id|user|userid)$")
GDPR = "https://eur-lex.europa.eu/eli/reg/2016/679/oj"


@dataclass
class VendorAudit:
    name: str
    status: str
    purpose: str | None
    purpose_label: str | None
    sent: dict[str, dict[str, Any]]  # class -> {fields, sources, observed}
    needs: list[str]
    may: list[str]
    over_sharing: list[dict[str, Any]]
    blast_radius: dict[str, Any]
    contract_gaps: list[dict[str, str]]
    review: dict[str, Any]
    evidence: list[dict[str, Any]]
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def class_label(class_id: str) -> str:
    """A class's name inside a sentence: ``email addresses``; ``IP addresses`` stays."""
    name = taxonomy.get(class_id).name
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def _gaps(v: Vendor, p: Purposes) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []

    def gap(kind: str, text: str, cite: str) -> None:
        out.append({"kind": kind, "gap": text, "citation": cite})

    limit = p.max_breach_notice_hours
    if v.breach_clause is None and v.breach_notice_hours is None:
        gap("not_recorded", "breach-notice clause not recorded", "GDPR Art. 28(3)(f) and 33(2)")
    elif v.breach_clause == "":
        gap("missing", "no breach-notice clause in the contract", "GDPR Art. 28(3)(f) and 33(2)")
    elif v.breach_notice_hours is None:
        gap("not_recorded", "breach-notice clause recorded without its hours", "GDPR Art. 33(1)")
    if v.breach_notice_hours is not None and v.breach_notice_hours > limit:
        gap(
            "too_long",
            f"the vendor may take {v.breach_notice_hours} h to tell us of a breach, more than {limit} h"
            f" (we have {limit} h from awareness to tell the regulator)",
            "GDPR Art. 33(1)",
        )
    if v.deletion_clause is None:
        gap("not_recorded", "deletion clause not recorded", "GDPR Art. 28(3)(g)")
    elif v.deletion_clause == "":
        gap("missing", "no deletion or return clause in the contract", "GDPR Art. 28(3)(g)")
    if v.dpa_date is None:
        gap("not_recorded", "no data processing agreement date recorded", "GDPR Art. 28(3)")
    if v.subprocessors is None:
        gap("not_recorded", "sub-processors not recorded", "GDPR Art. 28(2) and 28(4)")
    return out


def _sent(vendor_flows: list[Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for f in vendor_flows:
        for c in f.classes:
            entry = out.setdefault(c, {"fields": set(), "sources": set(), "observed": False})
            entry["fields"].add(f.field)
            entry["sources"].add(f.source)
            entry["observed"] = entry["observed"] or f.source in OBSERVED
    ordered = sorted(out.items(), key=lambda kv: (taxonomy.get(kv[0]).tier.rank, kv[0]))
    return {c: {**e, "fields": sorted(e["fields"]), "sources": sorted(e["sources"])} for c, e in ordered}


def audit_vendor(
    s: Session, v: Vendor, p: Purposes, today: date, people: int | None, people_basis: str
) -> VendorAudit:
    vf = flows(s, v.id)
    sent = _sent(vf)
    purpose = p.get(v.purpose) if v.purpose else None
    flags: list[str] = []
    over: list[dict[str, Any]] = []
    if purpose is None:
        flags.append("purpose not recorded: over-sharing cannot be judged (vendors edit NAME --purpose ...)")
    else:
        for cls, entry in sent.items():
            if cls in purpose.allowed:
                continue
            as_id = sorted(f for f in entry["fields"] if _ID_FIELD.search(field_key(f)))
            why = f"{purpose.label} does not need {class_label(cls)}: {purpose.why}"
            if as_id and cls in p.reidentifying:
                why += f" It is used as an identifier ({', '.join(as_id[:3])}): every event names the person."
            over.append(
                {
                    "class": cls,
                    "fields": entry["fields"],
                    "observed": entry["observed"],
                    "reidentifying": cls in p.reidentifying,
                    "as_identifier": as_id,
                    "free_text": cls in p.free_text,
                    "why": why,
                }
            )
    if not vf:
        flags.append("no data flows recorded: what it receives is unknown (vendors evidence FILE)")
    elif not any(f.source in OBSERVED for f in vf):
        flags.append(
            "flows are declared only (tracking plan or manual): no capture shows what is really sent"
        )
    ev = evidence(s, v.id)
    for e in ev:
        if not e.complete:
            flags.append(f"evidence #{e.id} ({e.file_name}) was read incompletely: flows may be missing")
    if v.people is not None:
        people_n: int | None = v.people
        basis = "recorded for this vendor"
    else:
        people_n, basis = people, people_basis
    age = (today - v.last_review).days if v.last_review else None
    review = {
        "last_review": v.last_review.isoformat() if v.last_review else None,
        "age_days": age,
        "overdue": age is None or age > p.review_every_days,
        "every_days": p.review_every_days,
    }
    return VendorAudit(
        name=v.name,
        status=v.status,
        purpose=v.purpose or None,
        purpose_label=purpose.label if purpose else None,
        sent=sent,
        needs=sorted(purpose.needs) if purpose else [],
        may=sorted(purpose.may) if purpose else [],
        over_sharing=over,
        blast_radius={
            "people": people_n,
            "people_basis": basis,
            "classes": list(sent),
            "reidentifying": [c for c in sent if c in p.reidentifying],
        },
        contract_gaps=_gaps(v, p),
        review=review,
        evidence=[{"id": e.id, "kind": e.kind, "file": e.file_name, "complete": e.complete} for e in ev],
        flags=flags,
    )


@dataclass
class AuditReport:
    generated_at: str
    purposes_file: str
    directory: dict[str, Any]
    vendors: list[VendorAudit]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "generated_at": self.generated_at,
            "purposes_file": self.purposes_file,
            "directory": self.directory,
            "summary": {
                "vendors": len(self.vendors),
                "over_sharing": sum(1 for v in self.vendors if v.over_sharing),
                "contract_gaps": sum(
                    1 for v in self.vendors if any(g["kind"] != "not_recorded" for g in v.contract_gaps)
                ),
                "review_overdue": sum(1 for v in self.vendors if v.review["overdue"]),
            },
            "vendors": [v.to_dict() for v in self.vendors],
        }


def audit(
    s: Session,
    *,
    incident_id: int | None = None,
    purposes: Purposes | None = None,
    clock: Clock | None = None,
) -> AuditReport:
    """Audit every vendor that is not removed (see the module doc)."""
    p = purposes or load_purposes()
    now = (clock or SystemClock()).now()
    people: int | None = None
    basis = "unknown (no people count recorded for the vendor, and no --incident directory)"
    directory: dict[str, Any] = {"incident": incident_id, "accounts": None}
    if incident_id is not None:
        from breachscope.case.api import get_incident

        get_incident(s, incident_id)
        n = s.scalar(select(func.count()).select_from(Account).where(Account.incident_id == incident_id)) or 0
        directory["accounts"] = n
        if n:
            people, basis = n, f"up to the {n:,} accounts of incident {incident_id}'s directory"
        else:
            basis = f"unknown (incident {incident_id} has no directory imported: breachscope scope)"
    vendors = [v for v in list_vendors(s) if v.status != "removed"]
    return AuditReport(
        generated_at=now.isoformat(timespec="minutes"),
        purposes_file=p.source,
        directory=directory,
        vendors=[audit_vendor(s, v, p, now.date(), people, basis) for v in vendors],
    )


def findings_text(va: VendorAudit) -> str:
    """The findings of one vendor as plain lines (a task's detail)."""
    lines = [f"Purpose: {va.purpose_label or 'not recorded'}."]
    if va.sent:
        lines.append("Receives: " + ", ".join(va.sent) + ".")
    for o in va.over_sharing:
        tag = " (re-identifying)" if o["reidentifying"] else " (free text)" if o["free_text"] else ""
        lines.append(f"Over-sharing{tag}: {o['class']} in {', '.join(o['fields'][:5])}.")
    for g in va.contract_gaps:
        lines.append(f"Contract: {g['gap']} ({g['citation']}).")
    r = va.review
    lines.append(
        f"Last review: {r['last_review']} ({r['age_days']} days ago)"
        + (" - overdue." if r["overdue"] else ".")
        if r["last_review"]
        else "Never reviewed."
    )
    br = va.blast_radius
    people = (
        f"{br['people']:,} people ({br['people_basis']})" if br["people"] is not None else br["people_basis"]
    )
    lines.append(f"If it leaked: {people}; classes: {', '.join(br['classes']) or 'none recorded'}.")
    lines.extend(va.flags)
    return "\n".join(lines)


def audit_tasks(
    s: Session, report: AuditReport, incident_id: int, *, actor: str, clock: Clock | None = None
) -> list[dict[str, Any]]:
    """One "Audit vendor X" task per audited vendor on ``incident_id`` (re-runs update them)."""
    out = []
    from breachscope.inventory.registry import vendor_key

    for va in report.vendors:
        change = add_task(
            s,
            incident_id,
            f"Audit vendor {va.name}: purpose, data sent, contract, review",
            actor=actor,
            kind="vendor-audit",
            source="inventory",
            source_ref=f"audit:{vendor_key(va.name)}",
            detail=findings_text(va),
            clock=clock,
        )
        out.append({"vendor": va.name, "task": change.task.id, "change": change.change})
    created = sum(1 for t in out if t["change"] == "created")
    if created:
        from breachscope.case.api import add_timeline_event

        add_timeline_event(
            s,
            incident_id,
            f"vendor audit: {created} 'Audit vendor' task(s) created ({len(out)} vendors audited)",
            author=actor,
            kind="vendor",
            clock=clock,
        )
    return out


__all__ = ["AuditReport", "VendorAudit", "audit", "audit_tasks", "findings_text"]
