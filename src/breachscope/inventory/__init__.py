"""The vendor registry (harden layer): who receives what, under which contract, and proof of it.

Entry points (the CLI ``breachscope vendors ...`` and the web layer call only these):

- :func:`add_vendor`, :func:`edit_vendor`, :func:`get_vendor`, :func:`list_vendors`,
  :func:`vendor_document`, :func:`add_flow` (:mod:`.registry`): the registry itself;
- :func:`import_evidence` (:mod:`.evidence`): flows learnt from a HAR capture or a tracking plan;
- :func:`audit` (:mod:`.audit`): classes sent vs needed, over-sharing, blast radius, contract gaps;
- :func:`link_incident` (:mod:`.compare`): fields sent vs fields in an incident's leaked data;
- :func:`offboard` (:mod:`.offboard`): ``vendors remove``: the checklist as tasks, deletion letters.

Storage is :mod:`breachscope.case.inventory`. Not to be confused with :mod:`breachscope.vendors`,
the vendors' export *layouts* used to read leaked files. See docs/inventory.md.
"""

from __future__ import annotations

from breachscope.inventory.audit import AuditReport, audit, audit_tasks
from breachscope.inventory.compare import compare, link_incident
from breachscope.inventory.evidence import EvidenceResult, import_evidence
from breachscope.inventory.offboard import Offboarding, offboard
from breachscope.inventory.registry import (
    EDITABLE,
    add_flow,
    add_vendor,
    edit_vendor,
    get_vendor,
    list_vendors,
    parse_contact,
    remove_manual_flow,
    vendor_document,
    vendor_row,
)

__all__ = [
    "AuditReport",
    "EDITABLE",
    "EvidenceResult",
    "Offboarding",
    "add_flow",
    "add_vendor",
    "audit",
    "audit_tasks",
    "compare",
    "edit_vendor",
    "get_vendor",
    "import_evidence",
    "link_incident",
    "list_vendors",
    "offboard",
    "parse_contact",
    "remove_manual_flow",
    "vendor_document",
    "vendor_row",
]
