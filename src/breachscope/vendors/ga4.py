"""Google Analytics 4: BigQuery export rows (``events_YYYYMMDD`` extracts as JSONL/Parquet/Avro).

Field facts: ``vendor-formats.md`` section 5 (GA4), from "[GA4] BigQuery Export schema"
https://support.google.com/analytics/answer/7029846 (also
https://developers.google.com/analytics/bigquery/event-schema) and the default web event
parameters https://support.google.com/analytics/answer/9234069.

``event_params`` and ``user_properties`` are repeated ``{key, value{string_value, int_value,
float_value, double_value}}`` records: the layout's transform turns them into columns
``event_params.<key>`` / ``user_properties.<key>`` (values as text) so each parameter is
classified and value-scanned on its own. ``user_properties.*`` and unknown ``event_params`` are
customer-defined. GA4 does not log or store IP addresses, so none is expected.
"""

from __future__ import annotations

from breachscope.vendors.fields import DEV, ID, LOC_C, TS, URL, FieldMap, keys
from breachscope.vendors.layout import TableLayout
from breachscope.vendors.transforms import key_value_columns

VENDOR = "ga4"

DOC_REFS = (
    "https://support.google.com/analytics/answer/7029846",
    "https://developers.google.com/analytics/bigquery/event-schema",
    "https://support.google.com/analytics/answer/9234069",
)

FIELDS = FieldMap(
    {
        **keys(
            "event_date event_timestamp event_previous_timestamp user_first_touch_timestamp "
            "event_server_timestamp_offset",
            TS,
        ),
        **keys("user_id user_pseudo_id device.vendor_id device.advertising_id", ID),
        **keys(
            "device.category device.mobile_brand_name device.mobile_model_name "
            "device.mobile_marketing_name device.mobile_os_hardware_model device.operating_system "
            "device.operating_system_version device.language device.time_zone_offset_seconds "
            "device.is_limited_ad_tracking device.web_info.browser device.web_info.browser_version "
            "app_info.id app_info.version app_info.install_store "
            "app_info.firebase_app_id app_info.install_source",
            DEV,
        ),
        **keys("geo.continent geo.sub_continent geo.country geo.region geo.metro geo.city", LOC_C),
        **keys("traffic_source.name traffic_source.medium traffic_source.source", URL),
        # default web event parameters (answer/9234069) and session parameters
        **keys(
            "event_params.page_location event_params.page_referrer event_params.page_title "
            "event_params.source event_params.medium event_params.campaign event_params.term "
            "event_params.gclid",
            URL,
        ),
        **keys("event_params.language event_params.screen_resolution", DEV),
        "event_params.ga_session_id": ID,
        # device.web_info.hostname is listed as DEV in vendor-formats.md, but it is the site's own
        # hostname, not a fact about the person: no schema class (values are still scanned).
    },
    patterns=(
        (r"collected_traffic_source\..+", URL),
        (r"session_traffic_source_last_click\..+", URL),
    ),
)


def _keys(path: str) -> list[str]:
    return [path]


#: Fivetran's GA4 export connector flattens the BigQuery rows: ``geo.city`` -> ``geo_city``,
#: ``event_params`` -> ``param_<key>``, ``event_name`` -> ``name``, ``event_timestamp`` ->
#: ``timestamp`` (fivetran/dbt_ga4_export ``integration_tests/seeds/event_data.csv``).
_FIVETRAN_PREFIXES = (
    ("param_", "event_params."),
    ("user_property_", "user_properties."),
    ("geo_", "geo."),
    ("device_web_info_", "device.web_info."),
    ("device_", "device."),
    ("app_info_", "app_info."),
    ("traffic_source_", "traffic_source."),
    ("collected_traffic_source_", "collected_traffic_source."),
    ("session_traffic_source_last_click_", "session_traffic_source_last_click."),
)
_FIVETRAN_BARE = {"date": "event_date", "timestamp": "event_timestamp", "name": "event_name"}


def _keys_fivetran(path: str) -> list[str]:
    if path in _FIVETRAN_BARE:
        return [_FIVETRAN_BARE[path]]
    for flat, dotted in _FIVETRAN_PREFIXES:
        if path.startswith(flat):
            return [dotted + path[len(flat) :], path]
    return [path]


LAYOUTS = (
    TableLayout(
        VENDOR,
        "bigquery_events",
        "BigQuery export rows (event_params key/value records, device.*, geo.*, traffic_source.*)",
        FIELDS,
        _keys,
        require=(r"^user_pseudo_id$", r"^event_params(\.|$)"),
        support=(
            r"^event_timestamp$",
            r"^event_name$",
            r"^event_date$",
            r"^geo\.",
            r"^device\.",
            r"^traffic_source\.",
            r"^user_properties(\.|$)",
            r"^stream_id$",
        ),
        source_hint=r"events_(intraday_)?\d{8}",
        person_keys=("user_pseudo_id", "user_id"),
        fallback_keys=("user_id",),
        placeholders=frozenset(
            {"(not set)", "(direct)", "(none)", "<Other>", "(data deleted)", "(not provided)"}
        ),
        transform=key_value_columns(("event_params", "user_properties")),
        expected=tuple(k for k in FIELDS.exact if k.startswith("event_params.")),
        doc_refs=DOC_REFS,
        bookkeeping=(
            r"^(event_name|event_value_in_usd|event_bundle_sequence_id|batch_event_index"
            r"|batch_ordering_id|batch_page_id|stream_id|platform)$",
            r"^privacy_info\.",
            r"^event_params\.(engagement_time_msec|ga_session_number|session_engaged"
            r"|engaged_session_event|entrances|debug_mode)$",
            r"^device\.web_info\.hostname$",  # the site's own host name
        ),
        notes="GA4 does not log or store IP addresses, so no IP address is expected in this export",
    ),
    TableLayout(
        VENDOR,
        "fivetran_events",
        "Fivetran GA4 event table (flattened: geo_*, device_*, traffic_source_*, param_*)",
        FIELDS,
        _keys_fivetran,
        require=(r"^user_pseudo_id$", r"^(param_|traffic_source_|geo_|device_category$)"),
        support=(
            r"^_fivetran_",
            r"^param_ga_session_id$",
            r"^geo_(city|country|region)$",
            r"^traffic_source_(name|medium|source)$",
            r"^event_dimensions_hostname$",
            r"^bundle_sequence_id$",
            r"^user_first_touch_timestamp$",
        ),
        min_support=2,
        source_hint=r"event",
        person_keys=("user_pseudo_id", "user_id"),
        fallback_keys=("user_id",),
        placeholders=frozenset(
            {"(not set)", "(direct)", "(none)", "<Other>", "(data deleted)", "(not provided)"}
        ),
        doc_refs=(*DOC_REFS, "fivetran/dbt_ga4_export:integration_tests/seeds/event_data.csv@50b10f63"),
        bookkeeping=(
            r"^(name|value_in_usd|bundle_sequence_id|batch_event_index|batch_ordering_id|batch_page_id"
            r"|stream_id|platform|is_intraday|event_dimensions_hostname)$",
            r"^ecommerce_",
            r"^param_(engagement_time_msec|ga_session_number|session_engaged(_\d+)?|engaged_session_event"
            r"|entrances|debug_mode|percent_scrolled|video_duration)$",
        ),
        notes="GA4 does not log or store IP addresses, so no IP address is expected in this export",
    ),
)
