"""Segment: Tracking API calls (single, batch, S3 logs) and warehouse-flattened tables.

Field facts: ``vendor-formats.md`` section 2 (Segment), from segmentio/segment-docs
``src/connections/spec/common.md`` @02d62cb3 (common fields and ``context``), ``identify.md``
@04455333 (reserved traits), ``page.md`` @00608906 (page properties), ``group.md`` (group traits
may be a company contact), ``storage/catalog/aws-s3/index.md`` @10594e0b (S3 logs: gzipped JSONL
of full call payloads) and ``storage/warehouses/schema.md`` @0530a897 (warehouse tables: names
snake_cased, nested objects flattened with ``_``: ``context.userAgent`` -> ``context_user_agent``,
``traits.address.street`` -> ``address_street``).

Every column path is snake_cased first (``context.userAgent`` -> ``context_user_agent``), so the
JSON payloads and the warehouse columns share one map. Traits are looked up under ``trait:``
(from ``traits.*`` / ``context.traits.*``, or bare in warehouse ``identifies``/``users``), page
properties under ``page:`` (``properties.url``, or bare in warehouse ``pages``). Track
``properties.*`` and custom traits are customer-defined: value-scanned, no schema class.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from breachscope.vendors.fields import (
    ADDR,
    DEV,
    DOB,
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
    USERNAME,
    FieldMap,
    keys,
    snake,
)
from breachscope.vendors.layout import TableLayout

VENDOR = "segment"

DOC_REFS = (
    "https://segment.com/docs/connections/spec/common/",
    "https://segment.com/docs/connections/spec/identify/",
    "https://segment.com/docs/connections/spec/page/",
    "https://segment.com/docs/connections/storage/catalog/aws-s3/",
    "https://segment.com/docs/connections/storage/warehouses/schema/",
    "segmentio/segment-docs:src/connections/spec/common.md@02d62cb3",
    "dbt-labs/segment:integration_tests/seeds/example_segment_pages.csv@bfe379f0",
)

_TRAITS = {
    "email": EMAIL,
    **keys("first_name last_name name", NAME),
    "username": USERNAME,
    "phone": PHONE,
    "birthday": DOB,
    "created_at": TS,
    "id": ID,
    **keys("website avatar", URL),
}
_PAGE = keys("url path referrer search title keywords", URL)

FIELDS = FieldMap(
    {
        **keys(
            "user_id anonymous_id previous_id group_id context_group_id context_device_id "
            "context_device_advertising_id context_device_token context_referrer_id",
            ID,
        ),
        **keys("timestamp original_timestamp sent_at received_at", TS),
        "context_ip": IP,
        "context_user_agent": UA,
        "context_locale": DEV,
        "context_timezone": LOC_C,
        **keys("context_location_city context_location_country context_location_region", LOC_C),
        **keys("context_location_latitude context_location_longitude context_location_speed", LOC_P),
        **keys(
            "context_device_manufacturer context_device_model context_device_name context_device_type "
            "context_device_version context_device_ad_tracking_enabled",
            DEV,
        ),
        **{f"trait:{k}": v for k, v in _TRAITS.items()},
        **{f"page:{k}": v for k, v in _PAGE.items()},
    },
    patterns=(
        (r"context_page_(path|referrer|search|title|url)", URL),
        (r"context_referrer_(type|name|url|link)", URL),
        (r"context_campaign_[a-z_]+", URL),
        (r"context_(os|screen|network|app)_[a-z_]+", DEV),
        (r"trait:address_(street|city|state|country|postal_code)", ADDR),
    ),
)


def _keys_calls(path: str) -> list[str]:
    key = snake(path)
    for prefix in ("context_traits_", "traits_"):
        if key.startswith(prefix):
            return [f"trait:{key[len(prefix) :]}"]
    if key.startswith("properties_"):
        return [f"page:{key[len('properties_') :]}"]
    return [key]


# schema.md: bare trait columns are in identifies/users, bare page properties in pages
_TRAIT_TABLE = re.compile(r"(?:^|[^a-z])(identifies|users)(?:[^a-z]|$)", re.IGNORECASE)
_PAGE_TABLE = re.compile(r"(?:^|[^a-z])pages(?:[^a-z]|$)", re.IGNORECASE)


def _keys_warehouse(path: str, source_name: str = "") -> list[str]:
    """A bare column is a trait in ``identifies``/``users`` and a page property in ``pages``.

    ``title`` is the one bare column the two disagree on (a job-title trait, a page title): in a
    table the source name does not tell, it gets no schema class and its values decide.
    """
    key = snake(path)
    if _TRAIT_TABLE.search(source_name):
        return [*_keys_calls(path), f"trait:{key}"]
    if _PAGE_TABLE.search(source_name):
        return [*_keys_calls(path), f"page:{key}"]
    return [*_keys_calls(path), f"trait:{key}", *([] if key == "title" else [f"page:{key}"])]


def explode_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A batch envelope ``{"batch": [calls], "context": ...}`` read as one row -> one row per call.

    Envelope columns are repeated for each call. Where a call has a column of the same name, the
    call's value wins and the envelope's fills its nulls (Segment merges the envelope
    ``context`` into each call); if the two types cannot be merged the envelope column is kept
    as ``envelope.<name>``. An envelope with an empty or null ``batch`` still yields one row, so
    its own fields are scanned. Only used when the reader left ``batch`` as a list of records;
    otherwise a no-op.
    """
    if "batch" not in batch.schema.names:
        return batch
    arr = batch.column("batch")
    t = arr.type
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)) or not pa.types.is_struct(t.value_type):
        return batch
    try:
        flat = pc.list_flatten(arr)
        parents = pc.list_parent_indices(arr)
        empty = pc.indices_nonzero(pc.fill_null(pc.equal(pc.list_value_length(arr), 0), True))
        cols: dict[str, pa.Array] = {}
        stack = [("", flat)]
        while stack:
            prefix, a = stack.pop()
            for i in range(a.type.num_fields):
                name = a.type.field(i).name
                child = pc.struct_field(a, name)
                path = f"{prefix}{name}"
                if pa.types.is_struct(child.type):
                    stack.append((path + ".", child))
                else:
                    cols[_free(path, cols)] = child
        if len(empty):
            cols = {k: pa.concat_arrays([v, pa.nulls(len(empty), v.type)]) for k, v in cols.items()}
            parents = pa.concat_arrays([pc.cast(parents, pa.int64()), pc.cast(empty, pa.int64())])
        for name in batch.schema.names:
            if name == "batch":
                continue
            env = pc.take(batch.column(name), parents)
            call = cols.get(name)
            if call is None:
                cols[name] = env
                continue
            if pa.types.is_null(call.type):
                cols[name] = env
                continue
            try:
                cols[name] = pc.coalesce(call, pc.cast(env, call.type))
            except (pa.ArrowException, ValueError, TypeError):
                cols[_free(f"envelope.{name}", cols)] = env
        return pa.RecordBatch.from_arrays(list(cols.values()), names=list(cols))
    except (pa.ArrowException, ValueError, TypeError):
        return batch


def _free(name: str, taken: dict[str, pa.Array]) -> str:
    out, n = name, 1
    while out in taken:
        n += 1
        out = f"{name}#{n}"
    return out


#: Documented call paths (common.md, identify.md, page.md): what exploding batch envelopes yields.
CALL_PATHS: tuple[str, ...] = (
    *"userId anonymousId previousId groupId timestamp originalTimestamp sentAt receivedAt".split(),
    *(
        f"context.{k}"
        for k in (
            "ip userAgent locale timezone groupId location.city location.country location.region "
            "location.latitude location.longitude location.speed page.path page.referrer page.search "
            "page.title page.url referrer.type referrer.name referrer.url referrer.link referrer.id "
            "campaign.name campaign.source campaign.medium campaign.term campaign.content device.id "
            "device.advertisingId device.adTrackingEnabled device.manufacturer device.model device.name "
            "device.type device.version device.token os.name os.version screen.width screen.height "
            "screen.density network.bluetooth network.carrier network.cellular network.wifi app.name "
            "app.version app.build app.namespace"
        ).split()
    ),
    *(
        f"{prefix}{k}"
        for prefix in ("traits.", "context.traits.")
        for k in (
            "email firstName lastName first_name last_name name username phone birthday createdAt "
            "created_at id website avatar address.street address.city address.state address.country "
            "address.postalCode address.postal_code"
        ).split()
    ),
    *(f"properties.{k}" for k in "url path referrer search title keywords".split()),
)

# Segment documents no placeholder values; empty strings are treated as absent by the engine.
PLACEHOLDERS: frozenset[str] = frozenset()

_CALL_SUPPORT = (
    r"^context\.ip$",
    r"^context\.userAgent$",
    r"^context\.library\.name$",
    r"^(traits|properties|context\.traits)\.",
    r"^(sentAt|originalTimestamp|timestamp)$",
    r"^messageId$",
    r"^anonymousId$",
    r"^integrations",
)

# common.md / page.md: message bookkeeping, the SDK library, page/screen/event names
_CALL_BOOKKEEPING = (
    r"^context\.library\.(name|version)$",
    r"^(type|messageId|event|name|channel|version|writeKey|projectId)$",
    r"^(integrations|_metadata)(\.|$)",
    r"^context\.active$",
)

LAYOUTS = (
    TableLayout(
        VENDOR,
        "calls",
        "Tracking API calls (identify/track/page/screen/group/alias, single or batch payloads)",
        FIELDS,
        _keys_calls,
        require=(r"^type$", r"^(messageId|anonymousId|userId)$"),
        support=_CALL_SUPPORT,
        min_support=1,
        exclude=(r"^amplitude_id$", r"^uuid$", r"^user_pseudo_id$"),
        person_keys=("userId", "anonymousId"),
        fallback_keys=("anonymousId",),
        placeholders=PLACEHOLDERS,
        transform=explode_batch,
        doc_refs=DOC_REFS,
        bookkeeping=_CALL_BOOKKEEPING,
    ),
    TableLayout(
        VENDOR,
        "s3_logs",
        "S3 log files (gzipped JSONL of full call payloads with server fields)",
        FIELDS,
        _keys_calls,
        require=(
            r"^type$",
            r"^(messageId|anonymousId|userId)$",
            r"^receivedAt$",
            r"^(projectId|writeKey|_metadata\.|channel|version)",
        ),
        support=_CALL_SUPPORT,
        min_support=1,
        source_hint=r"segment-logs",
        exclude=(r"^amplitude_id$", r"^uuid$"),
        person_keys=("userId", "anonymousId"),
        fallback_keys=("anonymousId",),
        placeholders=PLACEHOLDERS,
        transform=explode_batch,
        doc_refs=DOC_REFS,
        bookkeeping=_CALL_BOOKKEEPING,
    ),
    TableLayout(
        VENDOR,
        "batch",
        "HTTP batch envelopes ({batch: [calls], context, sentAt}) read one envelope per row",
        FIELDS,
        _keys_calls,
        require=(r"^batch$",),
        support=(r"^sentAt$", r"^context\.", r"^messageId$", r"^writeKey$"),
        min_support=1,
        default_person_key="userId",
        fallback_keys=("anonymousId",),
        placeholders=PLACEHOLDERS,
        transform=explode_batch,
        expected=CALL_PATHS,
        doc_refs=DOC_REFS,
        bookkeeping=_CALL_BOOKKEEPING,
    ),
    TableLayout(
        VENDOR,
        "warehouse",
        "warehouse tables (identifies/users/pages/tracks ..., flattened snake_case columns)",
        FIELDS,
        _keys_warehouse,
        keys_in_table=_keys_warehouse,
        require=(
            r"^(received_at|uuid_ts|loaded_at|context_library_name)$",
            r"^(anonymous_id|user_id|id)$",
        ),
        support=(
            r"^context_ip$",
            r"^context_user_agent$",
            r"^context_page_",
            r"^context_campaign_",
            r"^(context_traits_|traits_)?email$",
            r"^anonymous_id$",
            r"^(uuid_ts|original_timestamp|sent_at)$",
            r"^context_library_(name|version)$",
        ),
        min_support=1,
        source_hint=r"(identifies|users|pages|screens|tracks|groups|aliases|accounts)",
        exclude=(r"[a-z][A-Z]", r"\.", r"^\$", r"^distinct_id$"),
        person_keys=("user_id", "anonymous_id", "id"),
        fallback_keys=("anonymous_id",),
        placeholders=PLACEHOLDERS,
        doc_refs=DOC_REFS,
        bookkeeping=(r"^context_library_(name|version)$", r"^(event|event_text|uuid_ts|loaded_at)$"),
    ),
)
