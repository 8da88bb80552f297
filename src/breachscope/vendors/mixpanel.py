"""Mixpanel: raw event export, engage (people) pages, UI CSV, JSON pipelines, warehouse columns.

Field facts: ``vendor-formats.md`` section 1 (Mixpanel), from
mixpanel/docs ``pages/docs/data-structure/property-reference/default-properties.mdx``
@046645a9 and ``reserved-properties.mdx`` @0023cfed (classes), ``pages/docs/export-methods.mdx``
@0b7cd29c (event and engage layouts), ``pages/docs/data-pipelines/json-pipelines.mdx`` @0060ec09
(pipeline tables), ``old-pipelines/schematized-export-pipeline.mdx`` @2e45959f (``mp_`` renaming),
Airbyte's and Fivetran's Mixpanel connectors (``$`` stripped).

Mixpanel computes ``$city``/``$region``/``mp_country_code`` from the request IP (MaxMind) and
does not store the IP, so an IP column is not expected in any Mixpanel export.

Keys are canonical without ``$``: ``$city``, ``mp_city`` (schematized) and ``city`` (connectors)
all resolve to ``city``; ``mp_country_code`` and ``mp_keyword`` are Mixpanel's own names.
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
    PHONE,
    TS,
    URL,
    FieldMap,
    keys,
    snake,
    strip_prefix,
)
from breachscope.vendors.layout import NOT_CSV, TableLayout
from breachscope.vendors.transforms import json_columns

VENDOR = "mixpanel"

DOC_REFS = (
    "https://docs.mixpanel.com/docs/export-methods",
    "https://docs.mixpanel.com/reference/engage-query",
    "mixpanel/docs:pages/docs/data-structure/property-reference/default-properties.mdx@046645a9",
    "mixpanel/docs:pages/docs/data-structure/property-reference/reserved-properties.mdx@0023cfed",
    "mixpanel/docs:pages/docs/data-pipelines/json-pipelines.mdx@0060ec09",
    "mixpanel/docs:pages/docs/data-pipelines/old-pipelines/schematized-export-pipeline.mdx@2e45959f",
    "fivetran/dbt_mixpanel:integration_tests/seeds/event.csv@e35ddb34",
)

NO_IP = (
    "Mixpanel derives city/region/country from the request IP and does not store the IP, "
    "so no IP address is expected in this export"
)

FIELDS = FieldMap(
    {
        # identifiers (default-properties.mdx; ID-merge bookkeeping, reserved-properties.mdx)
        **keys(
            "distinct_id user_id device_id identified_id anon_id alias distinct_ids "
            "distinct_id_before_identity mp_original_distinct_id resolved_distinct_id",
            ID,
        ),
        # time (Unix seconds; mp_processing_time_ms / $mp_api_timestamp_ms UTC ms)
        **keys(
            "time mp_api_timestamp_ms mp_processing_time_ms created last_seen mp_first_event_time",
            TS,
        ),
        # coarse geo from IP or lat/long (profiles: $country_code; events: mp_country_code)
        **keys("city region mp_country_code country_code timezone country", LOC_C),
        # device / OS / browser (event and profile defaults)
        **keys(
            "os os_version browser browser_version device model manufacturer brand watch_model "
            "carrier radio wifi bluetooth_enabled bluetooth_version has_nfc has_telephone "
            "google_play_services screen_height screen_width screen_dpi app_build_number "
            "app_version_string app_version app_release android_os android_os_version ios_version "
            "android_manufacturer android_brand android_model ios_device_model android_app_version "
            "android_app_version_code ios_app_release ios_app_version mp_device_model "
            "operating_system android_lib_version ios_lib_version swift_lib_version",
            DEV,
        ),
        # referrers, URLs, acquisition
        **keys(
            "current_url initial_referrer initial_referring_domain referrer referring_domain "
            "search_engine mp_keyword",
            URL,
        ),
        # profile-only people properties
        **keys("name first_name last_name", NAME),
        "email": EMAIL,
        "phone": PHONE,
        # precise coordinates when a customer supplies them (mixpanel-utils posthog.py @03266fb3)
        **keys("latitude longitude", LOC_P),
        # "ip" is only in the ingestion payload and not stored; if an export has one, it is an IP
        "ip": IP,
    },
    patterns=(
        (r"(initial_)?utm_[a-z_]+", URL),
        (r"ios_ifa", ID),
    ),
)

# UI CSV headers are display names ("Distinct ID", "Operating System", "Initial Referrer").
_DISPLAY = {"updated_at": "last_seen", "event_name": "event"}


def _canonical(rest: str) -> list[str]:
    k = rest.lstrip("$")
    out = [rest, k]
    if k.startswith("mp_"):
        out.append(k[3:])  # schematized pipeline: "$browser" -> "mp_browser"
    s = snake(k)
    if s != k:
        out.append(_DISPLAY.get(s, s))
    return out


def _keys_events(path: str) -> list[str]:
    prefix, rest = strip_prefix(path, ("properties.",))
    if not prefix:
        return ["time"] if path == "time" else []
    return _canonical(rest)


def _keys_people(path: str) -> list[str]:
    if path in ("$distinct_id", "distinct_id"):
        return ["distinct_id"]
    prefix, rest = strip_prefix(path, ("$properties.", "properties."))
    return _canonical(rest) if prefix else []


def _keys_flat(path: str) -> list[str]:
    prefix, rest = strip_prefix(path, ("properties.", "$properties.", "mp_properties."))
    return _canonical(rest)


def _keys_warehouse(path: str) -> list[str]:
    # Fivetran's event table has a bare ``name`` column: the event name, not a person's name.
    return [] if path == "name" else _keys_flat(path)


PLACEHOLDERS = frozenset({"$direct"})

#: mixpanel-iphone v5.0.2 / Simplified ID Merge: an anonymous ``distinct_id`` is
#: ``"$device:<uuid>"`` while ``$device_id`` holds the bare uuid: the same anonymous device key.
KEY_PREFIXES = (("$device:", "device_id"),)

_UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def _expected(column: str) -> tuple[str, ...]:
    """``properties.$city``, ``properties.city`` ... : what parsing a JSON ``properties`` yields."""
    names = [*FIELDS.exact, *_UTM, *(f"initial_{u}" for u in _UTM), "ios_ifa"]
    return tuple(f"{column}.{d}{k}" for k in names for d in ("$", ""))


_PROPS = r"^(\$?properties)(\.|$)"

# library, dedup and pipeline fields (SYS in default-properties.mdx): no personal data class
_SYS = (
    r"(mp_lib|\$lib_version|mp_sent_by_lib_version|\$mp_api_endpoint|\$insert_id|\$import|token"
    r"|\$source|\$partner_id)"
)

LAYOUTS = (
    TableLayout(
        VENDOR,
        "events",
        "raw event export (JSONL: event + properties)",
        FIELDS,
        _keys_events,
        require=(r"^event$", r"^properties\.(distinct_id|time)$"),
        support=(
            r"^properties\.\$insert_id$",
            r"^properties\.mp_lib$",
            r"^properties\.mp_processing_time_ms$",
            r"^properties\.\$(city|region|os|browser)$",
            r"^properties\.mp_country_code$",
        ),
        exclude=(r"^uuid$", r"^messageId$", r"^anonymousId$"),
        person_keys=("properties.distinct_id", "properties.$distinct_id"),
        fallback_keys=("properties.$user_id", "properties.$device_id"),
        key_prefixes=KEY_PREFIXES,
        placeholders=PLACEHOLDERS,
        doc_refs=DOC_REFS,
        bookkeeping=(r"^event$", rf"^properties\.{_SYS}$"),
        notes=NO_IP,
    ),
    TableLayout(
        VENDOR,
        "people",
        "engage/people profile pages (JSON: $distinct_id + $properties)",
        FIELDS,
        _keys_people,
        require=(r"^\$distinct_id$", r"^\$properties\."),
        support=(
            r"^\$properties\.\$email$",
            r"^\$properties\.\$(name|first_name|last_name)$",
            r"^\$properties\.\$last_seen$",
            r"^\$properties\.\$(city|region|country_code)$",
        ),
        person_keys=("$distinct_id",),
        key_prefixes=KEY_PREFIXES,
        placeholders=PLACEHOLDERS,
        doc_refs=DOC_REFS,
        bookkeeping=(r"^\$properties\.\$geo_source$",),
        notes=NO_IP,
    ),
    TableLayout(
        VENDOR,
        "connector_people",
        "engage (people) records as connectors deliver them (distinct_id + properties, $ stripped)",
        FIELDS,
        _keys_flat,
        require=(r"^distinct_id$", r"^(last_seen|email|name|first_name|last_name|phone)$"),
        support=(
            r"^last_seen$",
            r"^email$",
            r"^(name|first_name|last_name)$",
            r"^(city|region|country_code|timezone)$",
            r"^cohort_id$",
        ),
        min_support=2,
        source_hint=r"engage|people|cohort_members",
        exclude=(r"^time$", r"^event$", r"^properties", r"^\$", r"^(insert_id|mp_lib|event_name)$"),
        person_keys=("distinct_id",),
        key_prefixes=KEY_PREFIXES,
        placeholders=PLACEHOLDERS,
        doc_refs=(*DOC_REFS, "airbytehq/airbyte:source-mixpanel/source_mixpanel/schemas/engage.json"),
        bookkeeping=(r"^cohort_id$",),
        notes=NO_IP,
    ),
    TableLayout(
        VENDOR,
        "ui_csv",
        "UI CSV export (events or users tab)",
        FIELDS,
        _keys_flat,
        require=(
            r"^(Distinct ID|\$distinct_id|distinct_id)$",
            r"^(\$(?!distinct_id$)[a-z_]+|Operating System|Initial Referring Domain|Initial Referrer"
            r"|Country Code|Event Name|Browser Version)$",
        ),
        support=(
            r"^(\$city|City)$",
            r"^(\$region|Region)$",
            r"^(\$email|Email)$",
            r"^(\$os|Operating System)$",
            r"^(\$browser|Browser)$",
            r"^(\$initial_referrer|Initial Referrer)$",
            r"^(\$last_seen|Updated at|Last Seen)$",
        ),
        min_support=1,
        exclude=(r"^\$properties\.", r"^properties\.", r"^uuid$", r"^\$set\."),
        source_exclude=NOT_CSV,
        person_keys=("Distinct ID", "$distinct_id", "distinct_id"),
        key_prefixes=KEY_PREFIXES,
        placeholders=PLACEHOLDERS,
        doc_refs=DOC_REFS,
        bookkeeping=(r"^(Event Name|Event|event)$",),
        notes=NO_IP,
    ),
    TableLayout(
        VENDOR,
        "pipeline_events",
        "JSON pipeline events table (distinct_id, event_name, properties, time ...)",
        FIELDS,
        _keys_flat,
        require=(r"^distinct_id$", r"^time$", _PROPS, r"^(event_name|insert_id)$"),
        support=(r"^device_id$", r"^user_id$", r"^insert_id$", r"^event_name$", r"^properties\.\$"),
        exclude=(r"^uuid$", r"^person_id$", r"^event$"),
        person_keys=("distinct_id",),
        fallback_keys=("user_id", "device_id"),
        key_prefixes=KEY_PREFIXES,
        placeholders=PLACEHOLDERS,
        transform=json_columns(("properties",)),
        expected=_expected("properties"),
        doc_refs=DOC_REFS,
        bookkeeping=(r"^(event_name|insert_id)$", rf"^properties\.{_SYS}$"),
        notes=NO_IP,
    ),
    TableLayout(
        VENDOR,
        "pipeline_people",
        "JSON pipeline people table (distinct_id, properties)",
        FIELDS,
        _keys_flat,
        require=(r"^distinct_id$", _PROPS),
        support=(
            r"^properties\.\$(email|name|first_name|last_name|last_seen|created|city|region)$",
            r"^properties$",
        ),
        min_support=1,
        source_hint=r"mp_people",
        exclude=(r"^person_id$", r"^team_id$", r"^time$", r"^event", r"^uuid$"),
        person_keys=("distinct_id",),
        key_prefixes=KEY_PREFIXES,
        placeholders=PLACEHOLDERS,
        transform=json_columns(("properties",)),
        expected=_expected("properties"),
        doc_refs=DOC_REFS,
        bookkeeping=(rf"^properties\.{_SYS}$",),
        notes=NO_IP,
    ),
    TableLayout(
        VENDOR,
        "warehouse",
        "warehouse/connector columns ($ stripped or mp_ prefixed)",
        FIELDS,
        _keys_warehouse,
        require=(
            r"^distinct_id$",
            r"^mp_(lib|processing_time_ms|country_code|event_name|keyword|device_model|api_endpoint"
            r"|properties|browser|os|city|region|current_url|initial_referrer)$",
            r"^(time|mp_event_name|name|event|city|mp_city|region|mp_region)$",
        ),
        support=(
            r"^(mp_)?browser$",
            r"^(mp_)?city$",
            r"^(mp_)?region$",
            r"^(mp_)?os$",
            r"^(mp_)?initial_referr(er|ing_domain)$",
            r"^(mp_)?current_url$",
            r"^(mp_)?insert_id$",
            r"^mp_country_code$",
        ),
        exclude=(r"^\$", r"^uuid$", r"^person_id$"),
        person_keys=("distinct_id",),
        fallback_keys=("device_id",),  # Fivetran's event table
        key_prefixes=KEY_PREFIXES,
        placeholders=PLACEHOLDERS,
        transform=json_columns(("properties", "mp_properties")),
        expected=_expected("properties") + _expected("mp_properties"),
        doc_refs=DOC_REFS,
        bookkeeping=(
            # Fivetran's ``name`` is the event name; connector bookkeeping columns
            r"^(name|mp_event_name|event_id|insert_id|mp_lib|lib_version|mp_api_endpoint"
            r"|had_persisted_distinct_id|ae_session_length)$",
            r"^_fivetran_",
        ),
        notes=NO_IP,
    ),
)
