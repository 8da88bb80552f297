"""Amplitude: Export API zip of gzipped JSON, S3/GCS ``*.json.gz`` exports, merged-id files.

Field facts: ``vendor-formats.md`` section 3 (Amplitude), from Amplitude-Developer-Docs/
amplitude-dev-center ``docs/analytics/apis/export-api.md`` @13a94d7d (zip of per-hour JSON files,
one event per line; the documented keys), ``docs/data/destinations/amazon-s3.md`` @1b9a24fe
(``projectID_yyyy-MM-dd_H#n.json.gz``; merged Amplitude ids file), the user-property definitions
page (geo from the IP by MaxMind; on Web ``os_name``/``os_version`` are the browser) and
amplitude/Amplitude-JavaScript PR #37 (``user_properties`` referrer keys set by the JS SDK).

``user_properties.*`` beyond the SDK defaults and all of ``event_properties.*`` /
``group_properties.*`` are customer-defined: value-scanned, no schema class. ``user_id`` is the
customer's own id and often holds an email address; the values decide, and a disagreement with
the schema (``internal_id``) is reported by the engine.
"""

from __future__ import annotations

from breachscope.vendors.fields import (
    DEV,
    EMAIL,
    ID,
    IP,
    LOC_C,
    LOC_P,
    NAME,
    TS,
    URL,
    FieldMap,
    keys,
    strip_prefix,
)
from breachscope.vendors.layout import TableLayout

VENDOR = "amplitude"

DOC_REFS = (
    "https://amplitude.com/docs/apis/analytics/export",
    "https://amplitude.com/docs/data/destination-catalog/amazon-s3",
    "https://amplitude.com/docs/get-started/user-property-definitions",
    "https://amplitude.com/docs/data/understand-ip-address-and-location",
    "Amplitude-Developer-Docs/amplitude-dev-center:docs/analytics/apis/export-api.md@13a94d7d",
    "https://github.com/amplitude/Amplitude-JavaScript/pull/37",
)

FIELDS = FieldMap(
    {
        **keys(
            "user_id device_id amplitude_id session_id adid idfa merged_amplitude_id user_properties:user_id",
            ID,
        ),
        "ip_address": IP,
        **keys("location_lat location_lng", LOC_P),
        **keys("city region country dma", LOC_C),
        **keys(
            "language platform os_name os_version device_brand device_carrier device_family "
            "device_manufacturer device_model device_type version_name start_version",
            DEV,
        ),
        **keys(
            "event_time client_event_time client_upload_time server_received_time "
            "server_upload_time processed_time user_creation_time merge_time merge_server_time",
            TS,
        ),
        # user_properties set by the JS SDK and by common customer conventions (PR #37)
        **keys(
            "user_properties:initial_referrer user_properties:referrer "
            "user_properties:initial_referring_domain user_properties:referring_domain",
            URL,
        ),
        "user_properties:email": EMAIL,
        **keys("user_properties:name user_properties:first_name user_properties:last_name", NAME),
    },
    patterns=(
        (r"user_properties:(initial_)?(utm_[a-z_]+|gclid|fbclid)", URL),
        (r"user_properties:(city|country|region|dma)", LOC_C),
    ),
)


def _keys(path: str) -> list[str]:
    prefix, rest = strip_prefix(path, ("user_properties.", "event_properties.", "group_properties."))
    if prefix == "user_properties.":
        return [f"user_properties:{rest.lstrip('$')}"]
    if prefix:
        return []
    return [path]


LAYOUTS = (
    TableLayout(
        VENDOR,
        "events",
        "event export (Export API zip of gzipped JSON, or S3/GCS *.json.gz)",
        FIELDS,
        _keys,
        require=(r"^amplitude_id$", r"^event_type$"),
        support=(
            r"^server_upload_time$",
            r"^user_properties\.",
            r"^event_properties\.",
            r"^device_id$",
            r"^\$insert_id$",
            r"^ip_address$",
            r"^client_event_time$",
            r"^library$",
        ),
        exclude=(r"^messageId$", r"^distinct_id$"),
        person_keys=("amplitude_id", "user_id"),
        fallback_keys=("user_id", "device_id"),  # device_id: the anonymous key
        # "(none)" is how Amplitude shows a missing value, never data; -1 is a placeholder only
        # in session_id (events outside a session) and ordinary data in any other column
        placeholders=frozenset({"(none)"}),
        field_placeholders=((r"^session_id$", frozenset({"-1"})),),
        doc_refs=DOC_REFS,
        bookkeeping=(
            r"^(event_type|amplitude_event_type|library|\$insert_id|\$insert_key|uuid|event_id|app|paying"
            r"|sample_rate|is_attribution_event|\$schema|data_type|source_id|partner_id)$",
        ),
    ),
    TableLayout(
        VENDOR,
        "merged_ids",
        "merged Amplitude ids file (-OrgID_yyyy-MM-dd_H.json.gz)",
        FIELDS,
        _keys,
        require=(r"^amplitude_id$", r"^merged_amplitude_id$"),
        support=(r"^merge_time$", r"^merge_server_time$", r"^scope$"),
        person_keys=("amplitude_id",),
        doc_refs=DOC_REFS,
    ),
)
