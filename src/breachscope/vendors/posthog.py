"""PostHog: batch-export events and persons models (JSON Lines or Parquet).

Field facts: ``vendor-formats.md`` section 4 (PostHog), from PostHog/posthog.com
``contents/docs/cdp/batch-exports/s3.md`` @0500aae7 (events and persons columns; ``properties``
is a JSON string in Parquet, a nested object in JSONL), ``contents/docs/cdp/batch-exports/index.mdx``
@08ec1527, PostHog/posthog ``posthog/taxonomy/taxonomy.py`` @01035dde (default event and person
properties, ``$initial_*`` copies, campaign parameters), the posthog-js ``Properties`` reference,
and PostHog/posthog-plugin-geoip (``$geoip_*``; latitude/longitude/accuracy radius are precise
location, postal code a postal address).

``$set`` / ``$set_once`` (person properties sent with an event) use the person map. ``email`` and
``name`` are set by customers through ``identify()`` by convention (no ``$``), so they are mapped;
every other key without ``$`` is customer-defined and only value-scanned.
"""

from __future__ import annotations

from breachscope.vendors.fields import (
    ADDR,
    DEV,
    EMAIL,
    ID,
    IP,
    LOC_C,
    LOC_P,
    NAME,
    PHONE,
    TS,
    UA,
    URL,
    FieldMap,
    keys,
    strip_prefix,
)
from breachscope.vendors.layout import TableLayout
from breachscope.vendors.transforms import json_columns

VENDOR = "posthog"

DOC_REFS = (
    "https://posthog.com/docs/cdp/batch-exports/s3",
    "https://posthog.com/docs/references/posthog-js/types/Properties",
    "https://posthog.com/docs/data/user-properties",
    "PostHog/posthog:posthog/taxonomy/taxonomy.py@01035dde",
    "https://github.com/PostHog/posthog-plugin-geoip",
)

_CLICK_IDS = (
    "gclid gad_source gclsrc dclid gbraid wbraid fbclid msclkid twclid li_fat_id mc_cid igshid "
    "ttclid rdt_cid epik qclid sccid irclid _kx"
)

FIELDS = FieldMap(
    {
        # top-level columns of the events/persons models
        **keys("distinct_id person_id", ID),
        **keys("timestamp created_at", TS),
        "ip": IP,
        # properties (events) and person properties
        **keys(
            "$device_id $session_id $window_id $pageview_id $anon_distinct_id $user_id distinct_id",
            ID,
        ),
        "$ip": IP,
        **keys("$geoip_latitude $geoip_longitude $geoip_accuracy_radius", LOC_P),
        "$geoip_postal_code": ADDR,
        **keys(
            "$geoip_city_name $geoip_country_code $geoip_country_name $geoip_continent_code "
            "$geoip_continent_name $geoip_time_zone $timezone",
            LOC_C,
        ),
        **keys(
            "$os $os_name $os_version $browser $browser_version $browser_language $device_type "
            "$device $screen_height $screen_width $viewport_height $viewport_width $locale",
            DEV,
        ),
        "$raw_user_agent": UA,
        **keys("$current_url $host $pathname $referrer $referring_domain $search_engine", URL),
        **keys(_CLICK_IDS, URL),
        "$timestamp": TS,
        # conventional identify() traits (no $)
        "email": EMAIL,
        **keys("name first_name last_name", NAME),
        "phone": PHONE,
    },
    patterns=(
        (r"\$geoip_subdivision_[123]_(code|name)", LOC_C),
        (r"\$?utm_[a-z_]+", URL),
        (r"\$app_[a-z_]+", DEV),
    ),
)


def _person_key(key: str) -> list[str]:
    # Person properties keep first-touch copies: $initial_browser -> $browser, $initial_geoip_* ...
    if key.startswith("$initial_"):
        return [key, "$" + key[len("$initial_") :], key[len("$initial_") :]]
    return [key]


def _keys_person_export(path: str) -> list[str]:
    """A person-property export: ``properties.*`` (or ``person.properties.*``) are person
    properties; ``uuid``/``id`` and every ``distinct_ids`` entry identify the person; the
    top-level ``name`` is the person's display name (an email or a name PostHog shows)."""
    if path.startswith("person."):
        path = path[len("person.") :]
    if path in ("uuid", "id") or path.startswith("distinct_ids"):
        return ["distinct_id"]
    if path == "name":
        return ["name"]
    return _keys(path)


def _keys(path: str) -> list[str]:
    prefix, rest = strip_prefix(
        path,
        ("properties.", "person_properties.", "properties.$set.", "properties.$set_once."),
    )
    if not prefix:
        return [path]
    return _person_key(rest)


PLACEHOLDERS = frozenset({"$direct"})

_TOP_ONLY = {"person_id", "timestamp", "created_at", "ip"}
_ENUMERATED = (
    *(f"$geoip_subdivision_{n}_{p}" for n in (1, 2, 3) for p in ("code", "name")),
    *(f"$app_{k}" for k in ("build", "name", "namespace", "version")),
    *(f"{d}utm_{u}" for d in ("$", "") for u in ("source", "medium", "campaign", "term", "content")),
)


def _expected(*columns: str) -> tuple[str, ...]:
    """What parsing JSON-text ``properties`` / ``person_properties`` (Parquet exports) yields."""
    names = [k for k in FIELDS.exact if k not in _TOP_ONLY] + list(_ENUMERATED)
    initial = [k for k in names if k.startswith("$")] + _CLICK_IDS.split()  # taxonomy.py copies
    names += [f"$initial_{k.lstrip('$')}" for k in initial]
    prefixes = [f"{c}." for c in columns] + [f"{c}.{s}." for c in columns for s in ("$set", "$set_once")]
    return tuple(p + k for p in prefixes for k in names)


LAYOUTS = (
    TableLayout(
        VENDOR,
        "events",
        "events batch export (JSONL or Parquet: uuid, event, distinct_id, properties ...)",
        FIELDS,
        _keys,
        require=(r"^uuid$", r"^event$", r"^distinct_id$"),
        support=(
            r"^elements_chain$",
            r"^person_id$",
            r"^person_properties(\.|$)",
            r"^properties\.\$lib$",
            r"^properties\.\$geoip_",
            r"^_inserted_at$",
            r"^created_at$",
            r"^properties$",
        ),
        min_support=1,
        person_keys=("person_id", "distinct_id"),
        fallback_keys=("distinct_id",),  # rows whose person_id is empty
        placeholders=PLACEHOLDERS,
        transform=json_columns(("properties", "person_properties")),
        expected=_expected("properties", "person_properties"),
        doc_refs=DOC_REFS,
        bookkeeping=(
            r"^(uuid|event|_inserted_at)$",
            r"^properties\.(\$lib|\$lib_version|\$active_feature_flags|\$plugins_[a-z_]+|token)$",
        ),
    ),
    TableLayout(
        VENDOR,
        "persons",
        "persons batch export (JSONL or Parquet: team_id, distinct_id, person_id, properties ...)",
        FIELDS,
        _keys,
        require=(r"^person_id$", r"^distinct_id$", r"^properties(\.|$)"),
        support=(
            r"^team_id$",
            r"^person_version$",
            r"^person_distinct_id_version$",
            r"^is_deleted$",
            r"^_inserted_at$",
            r"^properties\.\$(initial_|geoip_)",
        ),
        min_support=1,
        exclude=(r"^event$", r"^uuid$"),
        person_keys=("person_id", "distinct_id"),
        fallback_keys=("distinct_id",),  # rows whose person_id is empty
        placeholders=PLACEHOLDERS,
        transform=json_columns(("properties",)),
        expected=_expected("properties"),
        doc_refs=DOC_REFS,
        bookkeeping=(
            r"^(team_id|person_version|person_distinct_id_version|is_deleted|_inserted_at)$",
            r"^properties\.\$creator_event_uuid$",
        ),
    ),
    TableLayout(
        VENDOR,
        "person_properties",
        "person-property export (persons API, Airbyte persons stream or a persons CSV: "
        "uuid/id, distinct_ids, properties ...)",
        FIELDS,
        _keys_person_export,
        require=(r"^(person\.)?distinct_ids(\.|$)", r"^(person\.)?properties\."),
        support=(
            r"^(person\.)?uuid$",
            r"^(person\.)?is_identified$",
            r"^(person\.)?created_at$",
            r"^(person\.)?name$",
            r"^(person\.)?properties\.(email|name|\$initial_|\$geoip_)",
        ),
        min_support=1,
        exclude=(r"^event$",),
        person_keys=("uuid", "person.uuid", "id", "person.id"),
        placeholders=PLACEHOLDERS,
        doc_refs=(*DOC_REFS, "https://posthog.com/docs/api/persons"),
        bookkeeping=(r"^(person\.)?(is_identified|team_id|type)$",),
    ),
)
