"""Customer.io: people (customers) exports, CSV from the exports API.

Field facts: ``vendor-formats.md`` section 7 (Customer.io), from
https://docs.customer.io/integrations/api/app/tag/exports/exportPeopleData/ (customers export:
``filters`` and ``attributes``, a CSV download) and
https://docs.customer.io/journeys/objects-export-many.md (people identifiers ``cio_id``, ``id``,
``email``). Every other column is a workspace attribute: customer-defined, value-scanned.
"""

from __future__ import annotations

from breachscope.vendors.fields import EMAIL, ID, TS, FieldMap, keys
from breachscope.vendors.layout import TableLayout

VENDOR = "customerio"

DOC_REFS = (
    "https://docs.customer.io/integrations/api/app/tag/exports/exportPeopleData/",
    "https://docs.customer.io/journeys/objects-export-many.md",
)

FIELDS = FieldMap({**keys("cio_id id", ID), "email": EMAIL, "created_at": TS})


def _keys(path: str) -> list[str]:
    return [path.lower()]


LAYOUTS = (
    TableLayout(
        VENDOR,
        "customers",
        "customers (people) export",
        FIELDS,
        _keys,
        require=(r"^cio_id$",),
        support=(r"^id$", r"^email$", r"^created_at$", r"^unsubscribed$"),
        min_support=1,
        person_keys=("cio_id", "id", "email"),
        doc_refs=DOC_REFS,
    ),
)
