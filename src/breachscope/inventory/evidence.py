"""Flows learnt from evidence: a HAR capture, a proxy log or a tracking-plan export, stored in the registry.

:func:`import_evidence` reads the file (:mod:`.har` or :mod:`.proxylog`, then :mod:`.observe`;
or :mod:`.plans`), and
for each vendor it concerns stores one ``inventory_evidence`` row (file name, SHA-256, complete
or not, a summary) and one ``inventory_flows`` row per field, pointing at that evidence.
Importing the same file again for the same vendor replaces its earlier rows (same SHA-256).

A capture (HAR or proxy log) names its vendors itself: a service with no vendor in the registry is added
(status active, the endpoint table's usual purpose, and a note saying so, to confirm), because
a vendor that receives data without being in the registry is exactly what a review must find.
A tracking plan is for the vendor given with ``--vendor`` (Segment, Mixpanel and Amplitude plans
default to those vendors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from breachscope.case.inventory import Vendor, VendorEvidence, VendorFlow
from breachscope.clock import Clock, SystemClock
from breachscope.errors import InputError
from breachscope.inventory import endpoints
from breachscope.inventory.har import Capture, HarLimits, read_har
from breachscope.inventory.observe import ServiceFlows, classify
from breachscope.inventory.plans import FORMATS, Plan, read_plan
from breachscope.inventory.proxylog import FORMATS as LOG_FORMATS
from breachscope.inventory.proxylog import read_proxy_log
from breachscope.inventory.proxylog import sniff as sniff_log
from breachscope.inventory.registry import add_vendor, find_vendor, get_vendor, vendor_key

#: The vendor (endpoint service id) a plan format belongs to when --vendor is not given.
PLAN_SERVICE = {"segment-protocols": "segment", "mixpanel-lexicon": "mixpanel", "amplitude-data": "amplitude"}
KINDS: tuple[str, ...] = ("har", *LOG_FORMATS, *FORMATS)


@dataclass
class VendorEvidenceResult:
    vendor: str
    added: bool
    evidence_id: int
    flows: int
    classes: dict[str, list[str]]
    pages: list[str] = field(default_factory=list)
    scripts: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, list[str]] = field(default_factory=dict)
    requests: int | None = None


@dataclass
class EvidenceResult:
    file: str
    kind: str
    sha256: str
    complete: bool
    issues: dict[str, int]
    issue_examples: dict[str, list[str]]
    vendors: list[VendorEvidenceResult]
    entries: int | None = None
    values_examined: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "sha256": self.sha256,
            "complete": self.complete,
            "entries": self.entries,
            "values_examined": self.values_examined,
            "issues": self.issues,
            "issue_examples": self.issue_examples,
            "vendors": [v.__dict__ for v in self.vendors],
        }


def sniff_kind(path: Path) -> str | None:
    if path.suffix.lower() == ".har":
        return "har"
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if head.lstrip()[:1] == b"{" and b'"log"' in head and b'"entries"' in head:
        return "har"
    log = sniff_log(head)
    if log is not None:
        return log
    from breachscope.inventory.plans import sniff

    return sniff(path.name, head)


def _resolve(
    s: Session, sid: str, name: str, file_name: str, author: str, clock: Clock
) -> tuple[Vendor, bool]:
    """The registry vendor for a service seen in evidence (added if missing)."""
    service = endpoints.services().get(sid)
    if service is not None:
        found = s.scalar(select(Vendor).where(Vendor.service == sid).order_by(Vendor.id))
        if found is not None:
            return found, False
    found = find_vendor(s, name)
    if found is not None:
        return found, False
    purpose = service.purpose if service is not None else ""
    note = f"added from evidence {file_name}; " + (
        f"purpose '{purpose}' is the endpoint table's usual one for {name}: confirm it (vendors edit)"
        if purpose
        else "purpose unknown: record it (vendors edit --purpose)"
    )
    facts: dict[str, Any] = {"purpose": purpose, "notes": note}
    if service is not None:
        facts["service"] = sid
    return add_vendor(s, name, facts, author=author, clock=clock), True


def _replace(s: Session, vendor: Vendor, sha256: str) -> None:
    old = list(
        s.scalars(
            select(VendorEvidence.id).where(
                VendorEvidence.vendor_id == vendor.id, VendorEvidence.sha256 == sha256
            )
        )
    )
    if old:
        s.execute(delete(VendorFlow).where(VendorFlow.evidence_id.in_(old)))
        s.execute(delete(VendorEvidence).where(VendorEvidence.id.in_(old)))


def _store_har_service(
    s: Session,
    vendor: Vendor,
    flows: ServiceFlows,
    base: dict[str, Any],
    author: str,
    clock: Clock,
    kind: str = "har",
) -> VendorEvidence:
    now = clock.now()
    _replace(s, vendor, base["sha256"])
    ev = VendorEvidence(
        vendor_id=vendor.id,
        kind=kind,
        file_name=base["file"][:500],
        sha256=base["sha256"],
        imported_at=now,
        author=author,
        complete=base["complete"],
        summary={
            **{k: v for k, v in flows.to_dict().items() if k != "fields"},
            "issues": base["issues"],
            "issue_examples": base["issue_examples"],
            "entries": base["entries"],
            **base.get("extra", {}),
        },
    )
    s.add(ev)
    s.flush()
    for f in flows.fields:
        s.add(
            VendorFlow(
                vendor_id=vendor.id,
                evidence_id=ev.id,
                source=kind,
                field=f.field[:500],
                classes=f.classes,
                origin="",
                pages=f.pages,
                values_seen=f.values_seen,
                recorded_at=now,
                author=author,
            )
        )
    return ev


def _import_har(
    s: Session, path: Path, only: str | None, author: str, clock: Clock, limits: HarLimits | None
) -> EvidenceResult:
    return _import_capture(s, read_har(path, limits), "har", only, author, clock)


def _import_log(
    s: Session, path: Path, kind: str, only: str | None, author: str, clock: Clock
) -> EvidenceResult:
    cap, read = read_proxy_log(path, kind)
    extra = {
        "log": {
            "lines": read.lines,
            "requests": read.requests,
            "without_host": read.relative,
            "not_collection": read.not_collection,
            "tunnelled": read.tunnelled,
        }
    }
    return _import_capture(s, cap, kind, only, author, clock, extra)


def _import_capture(
    s: Session,
    cap: Capture,
    kind: str,
    only: str | None,
    author: str,
    clock: Clock,
    extra: dict[str, Any] | None = None,
) -> EvidenceResult:
    services = classify(cap)
    base = {
        "file": cap.name,
        "sha256": cap.sha256,
        "complete": cap.complete,
        "issues": dict(cap.issue_counts),
        "issue_examples": dict(cap.issues),
        "entries": cap.entries,
        "extra": extra or {},
    }
    wanted = get_vendor(s, only) if only else None
    out = EvidenceResult(
        file=cap.name,
        kind=kind,
        sha256=cap.sha256,
        complete=cap.complete,
        issues=dict(cap.issue_counts),
        issue_examples=dict(cap.issues),
        vendors=[],
        entries=cap.entries,
        values_examined=sum(f.values_examined for f in services),
    )
    for flows in services:
        if wanted is not None:
            same = (wanted.service and wanted.service == flows.service) or wanted.key == vendor_key(
                flows.vendor
            )
            if not same:
                continue
            vendor, added = wanted, False
        else:
            vendor, added = _resolve(s, flows.service, flows.vendor, cap.name, author, clock)
        ev = _store_har_service(s, vendor, flows, base, author, clock, kind)
        out.vendors.append(
            VendorEvidenceResult(
                vendor=vendor.name,
                added=added,
                evidence_id=ev.id,
                flows=len(flows.fields),
                classes=flows.classes(),
                pages=flows.pages,
                scripts=flows.scripts,
                keys=flows.keys,
                requests=flows.requests,
            )
        )
    s.flush()
    return out


def _import_plan(
    s: Session, path: Path, fmt: str | None, only: str | None, author: str, clock: Clock
) -> EvidenceResult:
    plan: Plan = read_plan(path, fmt)
    if only:
        vendor, added = get_vendor(s, only), False
    elif plan.kind in PLAN_SERVICE:
        sid = PLAN_SERVICE[plan.kind]
        vendor, added = _resolve(s, sid, endpoints.services()[sid].vendor, plan.name, author, clock)
    else:
        raise InputError(
            f"{plan.name}: an {plan.kind} plan can be for any vendor", "say which with --vendor NAME"
        )
    now = clock.now()
    _replace(s, vendor, plan.sha256)
    classes: dict[str, list[str]] = {}
    for f in sorted(plan.fields.values(), key=lambda f: f.field):
        for c in f.classes:
            classes.setdefault(c, []).append(f.field)
    ev = VendorEvidence(
        vendor_id=vendor.id,
        kind=plan.kind,
        file_name=plan.name[:500],
        sha256=plan.sha256,
        imported_at=now,
        author=author,
        complete=not plan.issues,
        summary={
            "events": plan.events,
            "fields": len(plan.fields),
            "issues": plan.issues,
            "classes": classes,
        },
    )
    s.add(ev)
    s.flush()
    for f in sorted(plan.fields.values(), key=lambda f: f.field):
        events = sorted(f.events)
        s.add(
            VendorFlow(
                vendor_id=vendor.id,
                evidence_id=ev.id,
                source=plan.kind,
                field=f.field[:500],
                classes=sorted(f.classes),
                origin=", ".join(events[:10]) + (f" (+{len(events) - 10} more)" if len(events) > 10 else ""),
                pages=[],
                values_seen=None,
                recorded_at=now,
                author=author,
            )
        )
    s.flush()
    return EvidenceResult(
        file=plan.name,
        kind=plan.kind,
        sha256=plan.sha256,
        complete=not plan.issues,
        issues={"plan": len(plan.issues)} if plan.issues else {},
        issue_examples={"plan": plan.issues} if plan.issues else {},
        vendors=[VendorEvidenceResult(vendor.name, added, ev.id, len(plan.fields), classes)],
    )


def import_evidence(
    s: Session,
    path: Path,
    *,
    vendor: str | None = None,
    fmt: str | None = None,
    author: str,
    clock: Clock | None = None,
    limits: HarLimits | None = None,
) -> EvidenceResult:
    """Read a HAR capture or tracking plan and store the flows it shows (see the module doc)."""
    clock = clock or SystemClock()
    if fmt is not None and fmt not in KINDS:
        raise InputError(f"unknown evidence format {fmt!r}", f"one of: {', '.join(KINDS)}")
    kind = fmt or sniff_kind(path)
    if kind is None:
        raise InputError(
            f"{path}: neither a HAR capture, a proxy log nor a tracking plan breachscope knows",
            f"formats: {', '.join(KINDS)}; force one with --format",
        )
    if kind == "har":
        return _import_har(s, path, vendor, author, clock, limits)
    if kind in LOG_FORMATS:
        return _import_log(s, path, kind, vendor, author, clock)
    return _import_plan(s, path, kind, vendor, author, clock)
