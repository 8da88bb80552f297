"""Incident <-> vendor: the fields we sent to a vendor against the fields in the leaked dataset.

``vendors link NAME --incident N`` (:func:`link_incident`) compares the vendor's flows (observed
or declared) with the columns of every dataset attached to the incident (from their stored scan
reports: a column counts when it holds at least one value), and stores the result in the case
(``inventory_incident_vendors.comparison``), with a timeline event, so ``case show`` and the
report say it:

- **in both**: fields we sent that the leak holds;
- **leak only**: fields in the leak we never sent (per the recorded flows): data the vendor
  derived itself (geo-IP location from the request's IP, device parsed from the user agent,
  its own ids and times), or a sign the dataset is not (only) from this vendor;
- **sent only**: fields we sent that are not in this dataset: not exposed *here*, but held by
  the vendor.

Field names differ between the wire and an export (``properties.$email`` sent, ``$email`` or
``email`` exported, ``context.ip`` vs ``context_ip``), so both sides are reduced to one key: the
last path segment, without ``$``/``mp_`` prefixes or the envelope words below, in snake case.
The classes are compared as well, which does not depend on names. What could not be known is
said: no flows recorded, a dataset read incompletely, flows only declared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from breachscope import taxonomy
from breachscope.case import api
from breachscope.case.inventory import IncidentVendor, Vendor
from breachscope.clock import Clock, SystemClock
from breachscope.inventory.registry import OBSERVED, flows, get_vendor

SCHEMA = "breachscope.vendor-comparison/1"
#: Path words that wrap a field rather than name it (wire envelopes and export flattening).
ENVELOPES = frozenset(
    "properties property props traits context user_properties event_properties group_properties "
    "set set_once user_data user data event_params user_params params page location".split()
)
#: Envelope prefixes of flattened warehouse columns (Segment ``context_ip``), longest first.
FLATTENED = ("user_properties", "event_properties", "group_properties", "properties", "context", "traits")
#: Names that mean the same field on the wire and in exports (key -> canonical key).
ALIASES = {"ip_address": "ip", "remote_ip": "ip", "user_agent": "useragent", "distinctid": "distinct_id"}
#: Why a leak-only class is likely derived by the vendor (else: not sent by us).
DERIVED = {
    "coarse_location": "likely derived by the vendor from the IP address every request carries (geo-IP)",
    "precise_location": "likely derived by the vendor from the IP address every request carries (geo-IP)",
    "device": "likely parsed by the vendor from the browser's user agent",
    "user_agent": "recorded by the vendor from the request headers",
    "timestamp": "likely the vendor's own time stamps (received, processed)",
    "internal_id": "possibly the vendor's own identifiers (device, insert, session ids)",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def field_key(name: str) -> str:
    """The comparable key of a field name: ``properties.$email`` -> ``email``, ``context_ip`` ->
    ``ip``, ``traits.firstName`` -> ``first_name``, ``mp_country_code`` -> ``country_code``."""
    parts = [p for p in re.split(r"[.\[\]/]+", name) if p]
    words: list[str] = []
    for p in parts:
        p = _CAMEL.sub("_", p.lstrip("$")).lower()
        p = re.sub(r"[^a-z0-9]+", "_", p).strip("_")
        if p.startswith("mp_"):
            p = p[3:]
        words.append(p)
    while len(words) > 1 and words[0] in ENVELOPES:
        words.pop(0)
    key = words[-1] if words and words[-1] else name.strip().lower()
    for env in FLATTENED:  # flattened exports: context_ip, traits_email
        if key.startswith(env + "_") and len(key) > len(env) + 1:
            key = key[len(env) + 1 :]
            break
    return ALIASES.get(key, key)


@dataclass
class LeakColumn:
    name: str
    dataset: int
    classes: set[str]


def leak_columns(s: Session, incident_id: int) -> tuple[list[LeakColumn], list[dict[str, Any]]]:
    """Columns holding values in the incident's datasets, and the datasets compared."""
    cols: list[LeakColumn] = []
    sets: list[dict[str, Any]] = []
    for d in api.list_datasets(s, incident_id):
        scan = d.scan_json or {}
        sets.append(
            {
                "id": d.id,
                "file": d.file_name,
                "complete": d.is_complete,
                "columns_known": bool(scan.get("sources")),
            }
        )
        for src in scan.get("sources") or []:
            for c in src.get("columns") or []:
                if not isinstance(c, dict) or not c.get("non_null"):
                    continue
                classes = {cc.get("class") for cc in c.get("classes") or [] if isinstance(cc, dict)}
                cols.append(LeakColumn(str(c.get("name")), d.id, {x for x in classes if isinstance(x, str)}))
    return cols, sets


def _tier(classes: set[str]) -> list[str]:
    return sorted((c for c in classes if c in taxonomy.BY_ID), key=lambda c: (taxonomy.get(c).tier.rank, c))


def compare(s: Session, vendor: Vendor, incident_id: int) -> dict[str, Any]:
    """The comparison document (see the module doc); nothing is stored here."""
    vf = flows(s, vendor.id)
    cols, datasets = leak_columns(s, incident_id)
    sent: dict[str, dict[str, Any]] = {}
    for f in vf:
        e = sent.setdefault(field_key(f.field), {"fields": set(), "classes": set()})
        e["fields"].add(f.field)
        e["classes"] |= set(f.classes)
    leak: dict[str, dict[str, Any]] = {}
    for c in cols:
        e = leak.setdefault(field_key(c.name), {"fields": set(), "classes": set()})
        e["fields"].add(c.name)
        e["classes"] |= c.classes
    sent_classes = set().union(*(e["classes"] for e in sent.values())) if sent else set()
    leak_classes = set().union(*(e["classes"] for e in leak.values())) if leak else set()

    def rows(
        keys: set[str], side: dict[str, dict[str, Any]], other: dict[str, dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        out = []
        for k in sorted(keys):
            row: dict[str, Any] = {
                "key": k,
                "fields": sorted(side[k]["fields"]),
                "classes": _tier(side[k]["classes"]),
            }
            if other is not None:
                row["sent_fields"] = sorted(other[k]["fields"])
            out.append(row)
        return out

    leak_only = rows(set(leak) - set(sent), leak)
    for row in leak_only:
        reasons = {DERIVED[c] for c in row["classes"] if c in DERIVED}
        row["why"] = (
            "; ".join(sorted(reasons))
            or "not sent by us per the recorded flows: vendor-derived, or not from this vendor"
        )
    caveats = []
    if not vf:
        caveats.append(
            "no flows recorded for this vendor: every leaked field reads as 'leak only' (add evidence first)"
        )
    elif not any(f.source in OBSERVED for f in vf):
        caveats.append(
            "the vendor's flows are declared only (tracking plan or manual): "
            "no capture shows what was really sent"
        )
    if not datasets:
        caveats.append("no dataset attached to the incident: nothing to compare (breachscope case attach)")
    for d in datasets:
        if d["complete"] is False:
            caveats.append(
                f"dataset {d['id']} ({d['file']}) was read incompletely: "
                "'sent only' may include fields of its unread part"
            )
        if not d["columns_known"]:
            caveats.append(f"dataset {d['id']} ({d['file']}) has no stored columns (purged?): not compared")
    return {
        "schema": SCHEMA,
        "vendor": vendor.name,
        "incident": incident_id,
        "datasets": datasets,
        "in_both": rows(set(leak) & set(sent), leak, sent),
        "leak_only": leak_only,
        "sent_only": rows(set(sent) - set(leak), sent),
        "classes": {
            "sent": _tier(sent_classes),
            "leaked": _tier(leak_classes),
            "leak_only": _tier(leak_classes - sent_classes),
            "sent_only": _tier(sent_classes - leak_classes),
        },
        "caveats": caveats,
    }


def summary_sentence(doc: dict[str, Any]) -> str:
    """One line for the timeline and ``case show``."""
    c = doc["classes"]
    parts = [
        f"{len(doc['in_both'])} field(s) we sent are in the leak",
        f"{len(doc['leak_only'])} leaked field(s) we never sent"
        + (f" (classes: {', '.join(c['leak_only'])})" if c["leak_only"] else ""),
        f"{len(doc['sent_only'])} field(s) we sent are not in this dataset but held by {doc['vendor']}"
        + (f" (classes: {', '.join(c['sent_only'])})" if c["sent_only"] else ""),
    ]
    return "; ".join(parts)


def link_incident(
    s: Session, name: str, incident_id: int, *, author: str, clock: Clock | None = None
) -> dict[str, Any]:
    """Link the incident to the vendor (or refresh the link), compare, store and log it."""
    clock = clock or SystemClock()
    vendor = get_vendor(s, name)
    api.get_incident(s, incident_id)
    now = clock.now()
    link = s.scalar(
        select(IncidentVendor).where(
            IncidentVendor.incident_id == incident_id, IncidentVendor.vendor_id == vendor.id
        )
    )
    if link is None:
        link = IncidentVendor(incident_id=incident_id, vendor_id=vendor.id, linked_at=now, author=author)
        s.add(link)
    doc = compare(s, vendor, incident_id)
    link.comparison = doc
    link.compared_at = now
    s.flush()
    api.add_timeline_event(
        s,
        incident_id,
        f"compared with vendor {vendor.name}: {summary_sentence(doc)}",
        author=author,
        kind="vendor",
        clock=clock,
    )
    return doc
