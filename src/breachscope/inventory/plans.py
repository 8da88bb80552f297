"""Tracking plans: the fields a team *declared* it sends, read from the tools' own exports.

Formats (detected from the content; ``--format`` forces one):

- ``segment-protocols``: a Segment Protocols tracking plan as JSON, either the Config API shape
  (``rules.events[].rules`` JSON Schema, plus ``rules.identify``/``group``/``global``; also what
  Typewriter's ``plan.json`` holds) or the Public API's rules list (``rules[]`` or
  ``data.rules[]`` with ``type``, ``key``, ``jsonSchema``). Field paths are the JSON Schema's
  property paths, so they match the wire format (``properties.order_id``, ``traits.email``).
  Source: https://segment.com/docs/protocols/apis-and-extensions/ and
  https://segment.com/docs/api/public-api/ (Tracking Plans).
- ``mixpanel-lexicon``: Lexicon's CSV export (Data > Lexicon > Export). Columns are matched by
  name: an entity type (``Entity Type``), the event (``Entity Name``/``Event Name``), the
  property (``Property Name``) and its description. Event properties become
  ``properties.<name>``, profile/user properties ``$set.<name>``.
  Source: https://docs.mixpanel.com/docs/data-governance/lexicon (and the Lexicon Schemas API,
  https://docs.mixpanel.com/reference/list-schemas-by-entity-and-name, for the entity types).
- ``amplitude-data``: Amplitude Data's tracking-plan CSV export (``Object Type``,
  ``Object Name``, ``Event Property Name``, ``Property Type``, ...); event properties become
  ``event_properties.<name>``, user properties ``user_properties.<name>``.
  Source: https://amplitude.com/docs/data/csv-import-export/file-schema
- ``avo``: an Avo tracking plan as JSON: the Export API's shape (``name``, ``events[]`` with
  ``id``, ``name``, ``description``, ``rules``: a JSON Schema per event; the top of that shape
  is confirmed by the public response example at
  https://www.avo.app/docs/reference/public-api/export-tracking-plan, the nesting inside
  ``rules`` is not: it is read as a Segment rule is), and a flat ``events[].properties[]`` list
  (``name``, ``type``, ``description``, optional ``sendAs``: event, user, system; unconfirmed,
  after https://www.avo.app/docs/data-design/avo-tracking-plan/properties). See docs/inventory.md.

A plan names fields, it does not carry values: classes come from the field *names*, through the
same column hints the scan uses (a ``format: email`` JSON Schema also says email). They are
declared flows (what the plan says is sent), shown as such; a HAR capture shows what is sent.
Budgets: the readers' (file size, JSON depth, fields); a bad row or rule is an issue, not a stop.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path
from typing import Any

from breachscope import taxonomy
from breachscope.errors import InputError
from breachscope.readers import Limits
from breachscope.readers.depth import value_depth
from breachscope.scan import ScanContext

FORMATS: tuple[str, ...] = ("segment-protocols", "mixpanel-lexicon", "amplitude-data", "avo")
_READER = Limits()
MAX_PLAN_BYTES = 64 << 20
MAX_ISSUES = 20


@dataclass
class PlanField:
    field: str
    events: set[str] = _field(default_factory=set)
    classes: set[str] = _field(default_factory=set)


@dataclass
class Plan:
    kind: str
    name: str
    sha256: str
    fields: dict[str, PlanField] = _field(default_factory=dict)
    issues: list[str] = _field(default_factory=list)
    events: int = 0

    def add(self, path: str, event: str, fmt: str | None = None) -> None:
        if len(self.fields) >= _READER.max_columns and path not in self.fields:
            self.issue(f"more than {_READER.max_columns:,} fields: the rest left out")
            return
        f = self.fields.setdefault(path, PlanField(path))
        if event:
            f.events.add(event[:200])
        if fmt == "email":
            f.classes.add("email")
        elif fmt in ("ipv4", "ipv6"):
            f.classes.add("ip_address")
        elif fmt in ("date-time", "date"):
            f.classes.add("timestamp")
        elif fmt in ("uri", "url"):
            f.classes.add("url")

    def issue(self, message: str) -> None:
        if len(self.issues) < MAX_ISSUES and message not in self.issues:
            self.issues.append(message)


def _schema_fields(plan: Plan, schema: Any, event: str) -> None:
    """Property paths of a JSON Schema (``properties`` nesting), iteratively."""
    stack: list[tuple[Any, str, int]] = [(schema, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if not isinstance(node, dict):
            continue
        if depth > _READER.max_depth:
            plan.issue(f"{event}: schema nested deeper than {_READER.max_depth} levels: skipped")
            continue
        props = node.get("properties")
        items = node.get("items")
        if isinstance(props, dict) and props:
            for name, sub in props.items():
                stack.append((sub, f"{path}.{name}" if path else str(name), depth + 1))
        elif isinstance(items, dict) and path:
            stack.append((items, f"{path}[]", depth + 1))
        elif path:
            fmt = node.get("format")
            plan.add(path, event, fmt if isinstance(fmt, str) else None)


def _segment(plan: Plan, doc: Any) -> None:
    rules: list[tuple[str, Any]] = []
    body = doc.get("tracking_plan", doc) if isinstance(doc, dict) else doc
    r = body.get("rules") if isinstance(body, dict) else None
    if isinstance(r, dict):  # Config API
        for ev in r.get("events") or []:
            if isinstance(ev, dict):
                rules.append((str(ev.get("name") or "?"), ev.get("rules")))
        for call in ("identify", "group", "global"):
            if isinstance(r.get(call), dict):
                rules.append((call, r[call]))
    else:  # Public API: rules[] / data.rules[]
        items = (
            r
            if isinstance(r, list)
            else (doc.get("data") or {}).get("rules")
            if isinstance(doc, dict)
            else None
        )
        for rule in items or []:
            if isinstance(rule, dict):
                label = str(rule.get("key") or rule.get("type") or "?")
                rules.append((label, rule.get("jsonSchema")))
    if not rules:
        raise InputError(
            f"{plan.name}: no tracking-plan rules found",
            "export the plan with the Segment Public or Config API",
        )
    for event, schema in rules:
        plan.events += 1
        if not isinstance(schema, dict):
            plan.issue(f"{event}: no JSON Schema: skipped")
            continue
        _schema_fields(plan, schema, event)


def _avo(plan: Plan, doc: Any) -> None:
    events = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        raise InputError(f"{plan.name}: not an Avo export (no events list)")
    for ev in events:
        if not isinstance(ev, dict):
            plan.issue("an event that is not an object: skipped")
            continue
        name = str(ev.get("name") or "?")
        plan.events += 1
        rules = ev.get("rules")
        if isinstance(rules, dict):  # the Export API: each event's rules as a JSON Schema
            _avo_rules(plan, rules, name)
        for prop in ev.get("properties") or []:
            if not isinstance(prop, dict) or not isinstance(prop.get("name"), str):
                plan.issue(f"{name}: a property without a name: skipped")
                continue
            send_as = str(prop.get("sendAs") or prop.get("category") or "event").lower()
            prefix = "user_properties" if send_as.startswith("user") else "properties"
            if send_as.startswith("system"):
                prefix = "context"
            plan.add(f"{prefix}.{prop['name']}", name)


#: Top-level keys of an Avo event's ``rules`` schema that name the call, not data sent.
_AVO_CALL_KEYS = frozenset({"name", "event", "type"})


def _avo_rules(plan: Plan, rules: dict[str, Any], event: str) -> None:
    """An Export API event's ``rules`` (JSON Schema): the sub-schemas under its top-level
    ``properties`` (``properties``, ``traits``, ``context`` ...) are walked as a Segment rule is;
    the event's own name is not a field."""
    top = rules.get("properties")
    if not isinstance(top, dict):
        plan.issue(f"{event}: rules without properties: skipped")
        return
    for key, sub in top.items():
        if key in _AVO_CALL_KEYS:
            continue
        _schema_fields(plan, {"properties": {key: sub}}, event)


def _avo_export(doc: Any) -> bool:
    """An Avo Export API document: ``events[]`` whose items carry ``rules``, and no Segment rules."""
    if not isinstance(doc, dict) or any(k in doc for k in ("rules", "tracking_plan", "data")):
        return False
    events = doc.get("events")
    return isinstance(events, list) and any(isinstance(e, dict) and "rules" in e for e in events)


_COLUMNS = {
    "kind": ("entity type", "object type", "type"),
    "event": ("entity name", "event name", "object name", "event"),
    "property": ("property name", "event property name", "user property name", "property"),
    "ptype": ("property type", "property category", "property entity type"),
}


def _csv(plan: Plan, text: str, fmt: str) -> None:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{plan.name}: empty file") from None
    norm = [h.strip().lower() for h in header]
    where: dict[str, int] = {}
    for key, names in _COLUMNS.items():
        for n in names:
            if n in norm:
                where[key] = norm.index(n)
                break
    if "property" not in where:
        raise InputError(
            f"{plan.name}: no property column in the header",
            "a Lexicon or Amplitude Data export has 'Property Name' or 'Event Property Name'",
        )
    event_prefix, user_prefix = (
        ("properties", "$set") if fmt == "mixpanel-lexicon" else ("event_properties", "user_properties")
    )
    seen_events: set[str] = set()
    for line, row in enumerate(reader, 2):
        if len(row) > _READER.max_columns:
            plan.issue(f"line {line}: more than {_READER.max_columns:,} cells: skipped")
            continue
        cells = [c.strip() for c in row]

        def cell(key: str, cells: list[str] = cells) -> str:
            i = where.get(key)
            return cells[i] if i is not None and i < len(cells) else ""

        prop = cell("property")
        if not prop:
            continue
        kinds = f"{cell('kind')} {cell('ptype')}".lower()
        user = "user" in kinds or "profile" in kinds or "people" in kinds
        event = cell("event") if not user else ""
        if event:
            seen_events.add(event)
        plan.add(f"{user_prefix if user else event_prefix}.{prop}", event or "user profile")
    plan.events = len(seen_events)


def sniff(name: str, data: bytes) -> str | None:
    """The plan format of a file's content, or ``None``."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        text = data[:65536].decode("utf-8", "replace")
        if '"jsonSchema"' in text or '"rules"' in text:
            return "segment-protocols"
        if '"events"' in text:
            return "avo"
        return None
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    if "object type" in first or "event property name" in first:
        return "amplitude-data"
    if "property name" in first or "entity type" in first:
        return "mixpanel-lexicon"
    return None


def read_plan(path: Path, fmt: str | None = None) -> Plan:
    """Read a tracking plan (format sniffed unless given); classes from field names."""
    import hashlib

    try:
        size = path.stat().st_size
        if size > MAX_PLAN_BYTES:
            raise InputError(f"{path}: {size:,} bytes is over the tracking-plan budget of {MAX_PLAN_BYTES:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    kind = fmt or sniff(path.name, data)
    if kind is None:
        raise InputError(
            f"{path}: not a tracking plan breachscope knows",
            f"formats: {', '.join(FORMATS)}, HAR (.har); or force one with --format",
        )
    plan = Plan(kind=kind, name=path.name, sha256=hashlib.sha256(data).hexdigest())
    text = data.decode("utf-8-sig", "replace")
    if kind in ("segment-protocols", "avo"):
        try:
            doc = json.loads(text)
        except RecursionError:
            raise InputError(f"{path}: JSON nested too deeply") from None
        except ValueError as exc:
            raise InputError(f"{path}: not JSON: {exc}") from None
        if value_depth(doc, _READER.max_depth * 4) > _READER.max_depth * 4:
            raise InputError(f"{path}: JSON nested deeper than {_READER.max_depth * 4} levels")
        if kind == "segment-protocols" and _avo_export(doc):
            plan.kind = kind = "avo"  # Avo's Export API also holds "rules" (per event)
        (_segment if kind == "segment-protocols" else _avo)(plan, doc)
    else:
        _csv(plan, text, kind)
    _classify(plan)
    return plan


#: Containers whose bare ``name`` is a person's name (``products[].name`` is not).
_PERSON_CONTAINERS = frozenset(
    {"", "traits", "user_properties", "$set", "$set_once", "user_data", "user", "profile"}
)


def name_classes(ctx: ScanContext, path: str) -> set[str]:
    """Classes a field's *name* declares: the scan's column hints on its last segment."""
    parent, _, last = path.replace("[]", "").rpartition(".")
    classes = {c for c in ctx.plan(last).hinted_classes if c in taxonomy.BY_ID}
    if "hash" not in last.lower():
        classes.discard("hashed_id")  # shape-only: a hashed value is recognised from the value
    if last.lstrip("$").lower() == "name" and parent.rpartition(".")[2] not in _PERSON_CONTAINERS:
        classes.discard("person_name")
    return classes


def _classify(plan: Plan) -> None:
    ctx = ScanContext.create(os.urandom(32))  # no source name: a table name changes name hints
    for f in plan.fields.values():
        f.classes |= name_classes(ctx, f.field)
