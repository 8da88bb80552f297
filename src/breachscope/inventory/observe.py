"""The detectors over what a HAR capture sent: "we send email, name, city and IP to Mixpanel
from these pages".

Every distinct value of every field sent to a service is run through the scan engine's own
detectors (:func:`breachscope.scan.scan_batch`, the same plans, column hints and validators as
``breachscope scan``): the field path is the column name, so ``properties.$city`` gets the
location hints a leaked ``$city`` column gets. Each distinct value is examined once (the count
of repeats is kept), so every value sent is checked. A class is kept for a field on the same
terms as in a scan report (a detector's ``min_share`` of the values, or a matching column hint),
and the pages of the values that matched it are the pages the class was sent from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pyarrow as pa

from breachscope import taxonomy
from breachscope.detectors import BY_NAME
from breachscope.hashing import mask
from breachscope.inventory.har import MAX_PAGES_STORED, Capture, FieldSeen, ServiceSeen
from breachscope.scan import ScanContext, scan_batch

#: Fields of one service scanned in one Arrow batch (padded to the longest: grouped by size).
_GROUP_RATIO = 2
_SMALL = 64


@dataclass
class FieldFlow:
    field: str
    classes: list[str]
    pages: list[str]  # pages that sent a value of one of these classes (or the field, if none)
    values_seen: int
    distinct: int


@dataclass
class ServiceFlows:
    service: str
    vendor: str
    requests: int
    messages: int
    hosts: list[str]
    pages: list[str]
    scripts: list[dict[str, object]]
    keys: dict[str, list[str]]
    fields: list[FieldFlow] = field(default_factory=list)
    values_examined: int = 0

    def classes(self) -> dict[str, list[str]]:
        """class -> fields carrying it."""
        out: dict[str, list[str]] = {}
        for f in self.fields:
            for c in f.classes:
                out.setdefault(c, []).append(f.field)
        return dict(sorted(out.items(), key=lambda kv: (taxonomy.get(kv[0]).tier.rank, kv[0])))

    def to_dict(self) -> dict[str, object]:
        return {
            "service": self.service,
            "vendor": self.vendor,
            "requests": self.requests,
            "messages": self.messages,
            "hosts": self.hosts,
            "pages": self.pages,
            "scripts": self.scripts,
            "keys": self.keys,
            "values_examined": self.values_examined,
            "classes": self.classes(),
            "fields": [
                {
                    "field": f.field,
                    "classes": f.classes,
                    "pages": f.pages,
                    "values_seen": f.values_seen,
                    "distinct": f.distinct,
                }
                for f in self.fields
            ],
        }


def _groups(fields: dict[str, FieldSeen]) -> list[list[str]]:
    """Field names grouped so each batch pads its columns at most ``_GROUP_RATIO`` times."""
    names = sorted(fields, key=lambda n: len(fields[n].values))
    groups: list[list[str]] = []
    for name in names:
        n = len(fields[name].values)
        if groups:
            first = len(fields[groups[-1][0]].values)
            if n <= _SMALL or n <= first * _GROUP_RATIO:
                groups[-1].append(name)
                continue
        groups.append([name])
    return groups


def _supported(ctx: ScanContext, name: str, matches: dict[str, int], values: int) -> set[str]:
    """The classes a column keeps, as in a scan report (min_share, or a hint of the class)."""
    hinted = ctx.plan(name).hinted_classes
    out = set()
    for det_name, count in matches.items():
        det = BY_NAME.get(det_name)
        if det is None or count == 0:
            continue
        share = count / values if values else 0.0
        if det.min_share == 0 or share >= det.min_share or det.data_class in hinted:
            out.add(det.data_class)
    return out


def _pages(cap: Capture, indexes: set[int]) -> list[str]:
    return [cap.pages[i] for i in sorted(indexes)[:MAX_PAGES_STORED]]


def classify_service(cap: Capture, seen: ServiceSeen, key: bytes | None = None) -> ServiceFlows:
    ctx = ScanContext.create(key or os.urandom(32))  # no source name: it would change name hints
    out = ServiceFlows(
        service=seen.service,
        vendor=seen.vendor,
        requests=seen.requests,
        messages=seen.messages,
        hosts=sorted(seen.hosts),
        pages=_pages(cap, seen.pages),
        scripts=[{"url": url, "pages": _pages(cap, p)} for url, p in sorted(seen.scripts.items())],
        keys={k: sorted({mask(x, keep=4) for x in v}) for k, v in sorted(seen.keys.items())},
    )
    for group in _groups(seen.fields):
        values = {name: list(seen.fields[name].values) for name in group}
        rows = max(len(v) for v in values.values())
        ctx.max_findings = rows
        batch = pa.RecordBatch.from_arrays(
            [pa.array(v + [None] * (rows - len(v)), pa.string()) for v in values.values()], names=list(values)
        )
        partial = scan_batch(batch, 0, ctx)
        for name in group:
            fs = seen.fields[name]
            col = partial.columns.get(name)
            classes: set[str] = set()
            pages: set[int] = set()
            if col is not None:
                out.values_examined += col.values
                classes = _supported(ctx, name, col.detector_matches, col.values)
                for cls in classes:
                    for finding in col.findings.get(cls, []):
                        pages |= fs.values[values[name][finding.record - 1]]
            if not pages:
                for p in fs.values.values():
                    pages |= p
            ordered = sorted(classes, key=lambda c: (taxonomy.get(c).tier.rank, c))
            out.fields.append(FieldFlow(name, ordered, _pages(cap, pages), fs.count, len(fs.values)))
    out.fields.sort(key=lambda f: f.field)
    return out


def classify(cap: Capture, key: bytes | None = None) -> list[ServiceFlows]:
    """Every service of the capture with its fields classified, in vendor order."""
    return [classify_service(cap, seen, key) for _, seen in sorted(cap.services.items())]
