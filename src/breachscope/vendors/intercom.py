"""Intercom: contacts (REST API objects, CSV and warehouse/connector exports).

Field facts: ``vendor-formats.md`` section 7 (Intercom), from the contacts model
https://developers.intercom.com/docs/references/2.3/rest-api/contacts/contacts-model and
https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/contacts, and
fivetran/dbt_intercom ``integration_tests/seeds/contact_history_data.csv`` @0e7d8235 (``location``
flattened to ``location_city``..., custom attributes to ``custom_<name>``).

``custom_attributes.*`` / ``custom_*`` are customer-defined: value-scanned, no schema class.
"""

from __future__ import annotations

from breachscope.vendors.fields import (
    DEV,
    EMAIL,
    ID,
    LOC_C,
    NAME,
    PHONE,
    TS,
    URL,
    FieldMap,
    keys,
)
from breachscope.vendors.layout import TableLayout

VENDOR = "intercom"

DOC_REFS = (
    "https://developers.intercom.com/docs/references/2.3/rest-api/contacts/contacts-model",
    "https://developers.intercom.com/docs/references/2.11/rest-api/api.intercom.io/contacts",
    "fivetran/dbt_intercom:integration_tests/seeds/contact_history_data.csv@0e7d8235",
)

FIELDS = FieldMap(
    {
        **keys("id external_id workspace_id owner_id", ID),
        # vendor-formats.md lists email_domain as EMAIL; a bare domain is not an address, so
        # breachscope gives it no schema class (its values are still scanned).
        "email": EMAIL,
        "name": NAME,
        **keys("phone formatted_phone", PHONE),
        **keys(
            "location.country location.region location.city location_country location_region location_city",
            LOC_C,
        ),
        **keys("browser browser_version browser_language os language_override", DEV),
    },
    patterns=(
        (r"[a-z_]+_at", TS),
        (r"(android|ios)_[a-z_]+", DEV),
        (r"social_profiles(\.data)?(\.url)?", URL),
        (r"avatar(\.image_url)?", URL),  # a URL string, or {type, image_url} in API 2.x objects
    ),
)


def _keys(path: str) -> list[str]:
    if path.startswith(("custom_attributes.", "custom_")):
        return []
    return [path]


LAYOUTS = (
    TableLayout(
        VENDOR,
        "contacts",
        "contacts (API objects, CSV or warehouse export)",
        FIELDS,
        _keys,
        require=(r"^id$", r"^(email|external_id)$"),
        support=(
            r"^workspace_id$",
            r"^external_id$",
            r"^email_domain$",
            r"^formatted_phone$",
            r"^role$",
            r"^signed_up_at$",
            r"^last_seen_at$",
            r"^last_replied_at$",
            r"^unsubscribed_from_emails$",
            r"^(has_hard_bounced|marked_email_as_spam)$",
            r"^location[._](city|country|region)$",
            r"^(custom_attributes\.|custom_)",
        ),
        min_support=3,
        source_hint=r"contact",
        person_keys=("id", "external_id", "email"),
        doc_refs=DOC_REFS,
        bookkeeping=(
            r"^(type|role|location\.type|has_hard_bounced|marked_email_as_spam|unsubscribed_from_emails)$",
        ),
    ),
)
