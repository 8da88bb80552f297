"""Heap: Heap Connect tables (users, sessions, pageviews, per-event tables, user_migrations).

Field facts: ``vendor-formats.md`` section 6 (Heap), from the Heap Connect data schema
https://help.heap.io/heap-connect/heap-connect-guide/data-schema, the S3 specification
https://docs.heap.io/docs/heap-connect-s3-specification (Avro files plus a manifest), Fivetran's
Heap connector schema https://fivetran.com/docs/connectors/applications/heap/connector-schema
(users and pageview/event columns) and mixpanel/mixpanel-utils
``src/mixpanel_utils/streaming/vendors/heap.py`` @361580ce (raw JSON field names: ``identity``,
``joindate``, ``initial_*``, ``_email``, ``firstName``...).

``identity`` is the value passed to ``heap.identify`` and is often an email address: the values
decide. User properties beyond those named here are customer-defined.
"""

from __future__ import annotations

from breachscope.vendors.fields import (
    DEV,
    EMAIL,
    ID,
    IP,
    LOC_C,
    NAME,
    TS,
    URL,
    FieldMap,
    keys,
)
from breachscope.vendors.layout import TableLayout

VENDOR = "heap"

DOC_REFS = (
    "https://help.heap.io/heap-connect/heap-connect-guide/data-schema",
    "https://docs.heap.io/docs/heap-connect-s3-specification",
    "https://fivetran.com/docs/connectors/applications/heap/connector-schema",
    "mixpanel/mixpanel-utils:src/mixpanel_utils/streaming/vendors/heap.py@361580ce",
)

FIELDS = FieldMap(
    {
        # raw JSON events also carry ``id``, a "(<env>,<user>)" tuple string (mixpanel-utils heap.py)
        **keys("user_id identity session_id event_id pageview_id from_user_id to_user_id id", ID),
        **keys("email _email", EMAIL),
        **keys("firstname lastname name first_name last_name", NAME),
        **keys("ip initial_ip", IP),
        **keys("city region country initial_city initial_region initial_country", LOC_C),
        **keys(
            "browser device_type platform library initial_browser initial_platform device_brand "
            "device_manufacturer device_model app_version carrier",
            DEV,
        ),
        **keys(
            "referrer landing_page landing_page_query landing_page_hash path query hash domain "
            "title heap_previous_page initial_referrer initial_search_keyword initial_landing_page",
            URL,
        ),
        **keys("time joindate join_date last_modified identity_time session_time", TS),
    },
    patterns=((r"(initial_)?utm_[a-z_]+", URL),),
)


def _keys(path: str) -> list[str]:
    return [path, path.lower()]


LAYOUTS = (
    TableLayout(
        VENDOR,
        "users",
        "Heap Connect users table (user_id, identity, joindate ...)",
        FIELDS,
        _keys,
        # raw JSON user exports (as Mixpanel's importer reads them) may lack ``user_id``
        require=(r"^identity$", r"^(joindate|join_date|last_modified)$"),
        support=(r"^user_id$", r"^(_)?email$", r"^initial_", r"^last_modified$", r"^identity_time$"),
        min_support=1,
        source_hint=r"users",
        person_keys=("user_id", "identity"),
        doc_refs=DOC_REFS,
        bookkeeping=(r"^(event_name|type|object)$",),
    ),
    TableLayout(
        VENDOR,
        "events",
        "Heap Connect sessions/pageviews/event tables",
        FIELDS,
        _keys,
        require=(r"^event_id$", r"^user_id$", r"^session_id$", r"^time$"),
        support=(
            r"^landing_page$",
            r"^heap_previous_page$",
            r"^library$",
            r"^device_type$",
            r"^(utm_source|referrer)$",
            r"^(city|region|country)$",
        ),
        min_support=1,
        exclude=(r"^amplitude_id$", r"^event_type$"),
        source_hint=r"(sessions|pageviews|all_events)",
        person_keys=("user_id",),
        doc_refs=DOC_REFS,
        bookkeeping=(r"^(event_name|type|object)$",),
    ),
    TableLayout(
        VENDOR,
        "user_migrations",
        "Heap Connect user_migrations table (merged users)",
        FIELDS,
        _keys,
        require=(r"^from_user_id$", r"^to_user_id$"),
        support=(r"^time$",),
        person_keys=("to_user_id",),
        doc_refs=DOC_REFS,
        bookkeeping=(r"^(event_name|type|object)$",),
    ),
)
