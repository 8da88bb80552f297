"""Every documented layout is recognised from a hand-written fixture read by the real readers,
and every documented field lands in its data class."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from breachscope.errors import InputError
from breachscope.vendors import LAYOUTS, check_forced, recognise

Reader = Callable[[Path], tuple[str, pa.RecordBatch]]

# fixture -> (vendor, layout, person key)
RECOGNISED = [
    ("mixpanel/events.jsonl", "mixpanel", "events", "properties.distinct_id"),
    ("mixpanel/engage_page.json", "mixpanel", "people", "$distinct_id"),
    ("mixpanel/ui_users.csv", "mixpanel", "ui_csv", "Distinct ID"),
    ("mixpanel/ui_events.csv", "mixpanel", "ui_csv", "Distinct ID"),
    ("mixpanel/pipeline_events.csv", "mixpanel", "pipeline_events", "distinct_id"),
    ("mixpanel/mp_people_data.jsonl", "mixpanel", "pipeline_people", "distinct_id"),
    ("mixpanel/fivetran_event.csv", "mixpanel", "warehouse", "distinct_id"),
    ("mixpanel/mp_master_event.csv", "mixpanel", "warehouse", "distinct_id"),
    ("segment/identify.json", "segment", "calls", "userId"),
    ("segment/batch.json", "segment", "calls", "userId"),
    ("segment/batch_envelopes.jsonl", "segment", "batch", "userId"),
    ("segment/s3_log.jsonl", "segment", "s3_logs", "userId"),
    ("segment/s3_log.jsonl.gz", "segment", "s3_logs", "userId"),
    ("segment/identifies.csv", "segment", "warehouse", "user_id"),
    ("segment/pages.csv", "segment", "warehouse", "user_id"),
    ("segment/warehouse_traits.csv", "segment", "warehouse", "user_id"),
    ("amplitude/export.zip", "amplitude", "events", "amplitude_id"),
    ("amplitude/events.json.gz", "amplitude", "events", "amplitude_id"),
    ("posthog/events.jsonl", "posthog", "events", "person_id"),
    ("posthog/events.parquet", "posthog", "events", "person_id"),
    ("posthog/persons.jsonl", "posthog", "persons", "person_id"),
    ("posthog/persons.parquet", "posthog", "persons", "person_id"),
    ("posthog/persons_api.jsonl", "posthog", "person_properties", "uuid"),
    ("ga4/events_20251109.jsonl", "ga4", "bigquery_events", "user_pseudo_id"),
    ("heap/users.csv", "heap", "users", "user_id"),
    ("heap/raw_users.jsonl", "heap", "users", "identity"),
    ("heap/pageviews.csv", "heap", "events", "user_id"),
    ("heap/user_migrations.csv", "heap", "user_migrations", "to_user_id"),
    ("intercom/contacts.json", "intercom", "contacts", "id"),
    ("intercom/admins.csv", "intercom", "admins", "id"),
    ("intercom/companies.csv", "intercom", "companies", "company_id"),
    ("intercom/conversations.csv", "intercom", "conversations", "source_author_id"),
    ("intercom/conversation_parts.csv", "intercom", "conversation_parts", "author_id"),
    ("mixpanel/airbyte_engage.jsonl", "mixpanel", "connector_people", "distinct_id"),
    ("ga4/fivetran_event.csv", "ga4", "fivetran_events", "user_pseudo_id"),
    ("customerio/customers.csv", "customerio", "customers", "cio_id"),
]


@pytest.mark.parametrize(("name", "vendor", "layout", "key"), RECOGNISED, ids=[r[0] for r in RECOGNISED])
def test_layout_is_recognised(
    name: str, vendor: str, layout: str, key: str, fixture_path: Callable[[str], Path], read_first: Reader
) -> None:
    source, batch = read_first(fixture_path(name))
    match = recognise(batch.schema.names, source_name=source)
    assert match is not None, f"{name} not recognised"
    assert (match.vendor, match.layout) == (vendor, layout), match.reason
    assert match.person_key == key
    assert match.reason.startswith(vendor) and "columns" in match.reason
    assert match.doc_refs


def test_every_layout_has_a_fixture() -> None:
    covered = {(v, lay) for _, v, lay, _ in RECOGNISED}
    missing = {(lay.vendor, lay.name) for lay in LAYOUTS} - covered - {("amplitude", "merged_ids")}
    assert not missing


def test_unknown_layout_falls_back_to_generic(
    fixture_path: Callable[[str], Path], read_first: Reader
) -> None:
    source, batch = read_first(fixture_path("generic/unknown.csv"))
    assert recognise(batch.schema.names, source_name=source) is None


@pytest.mark.parametrize(
    ("columns", "forced", "expected"),
    [
        (["customer_number", "full_name"], "mixpanel", "mixpanel"),  # forced even without a fit
        (["event", "properties.time", "properties.$city"], "mixpanel/events", "mixpanel"),
        (["event", "properties.time", "properties.$city"], "generic", None),
        (["amplitude_id", "event_type"], "AMPLITUDE", "amplitude"),
    ],
)
def test_forced_vendor(columns: list[str], forced: str, expected: str | None) -> None:
    match = recognise(columns, forced=forced)
    assert (match.vendor if match else None) == expected


def test_forced_misfit_says_so() -> None:
    match = recognise(["customer_number", "full_name"], forced="mixpanel")
    assert match is not None and "do not fit" in match.reason
    assert match.score < 0.5


def test_unknown_forced_vendor_is_a_user_error() -> None:
    with pytest.raises(InputError) as err:
        recognise(["a"], forced="snowplow")
    assert err.value.hint and "mixpanel" in err.value.hint


def test_mixpanel_reason_says_no_ip() -> None:
    match = recognise(["event", "properties.distinct_id", "properties.$city"])
    assert match is not None and "does not store the IP" in match.reason


def _classes(name: str, fixture_path: Callable[[str], Path], read_first: Reader) -> dict[str, set[str]]:
    source, batch = read_first(fixture_path(name))
    match = recognise(batch.schema.names, source_name=source)
    assert match is not None
    if match.transform is not None:
        batch = match.transform(batch)
    return {c: set(match.field_classes.get(c, ())) for c in batch.schema.names}


# (fixture, column, expected classes; empty = customer-defined, no schema class)
FIELDS = [
    ("mixpanel/events.jsonl", "properties.$city", {"coarse_location"}),
    ("mixpanel/events.jsonl", "properties.$region", {"coarse_location"}),
    ("mixpanel/events.jsonl", "properties.mp_country_code", {"coarse_location"}),
    ("mixpanel/events.jsonl", "properties.$initial_referrer", {"url"}),
    ("mixpanel/events.jsonl", "properties.$initial_referring_domain", {"url"}),
    ("mixpanel/events.jsonl", "properties.$referring_domain", {"url"}),
    ("mixpanel/events.jsonl", "properties.$current_url", {"url"}),
    ("mixpanel/events.jsonl", "properties.distinct_id", {"internal_id"}),
    ("mixpanel/events.jsonl", "properties.$device_id", {"internal_id"}),
    ("mixpanel/events.jsonl", "properties.$os", {"device"}),
    ("mixpanel/events.jsonl", "properties.$browser", {"device"}),
    ("mixpanel/events.jsonl", "properties.time", {"timestamp"}),
    ("mixpanel/events.jsonl", "properties.utm_source", {"url"}),
    ("mixpanel/events.jsonl", "properties.org_id", set()),
    ("mixpanel/events.jsonl", "properties.$insert_id", set()),
    ("mixpanel/engage_page.json", "$distinct_id", {"internal_id"}),
    ("mixpanel/engage_page.json", "$properties.$email", {"email"}),
    ("mixpanel/engage_page.json", "$properties.$name", {"person_name"}),
    ("mixpanel/engage_page.json", "$properties.$first_name", {"person_name"}),
    ("mixpanel/engage_page.json", "$properties.$phone", {"phone"}),
    ("mixpanel/engage_page.json", "$properties.$country_code", {"coarse_location"}),
    ("mixpanel/engage_page.json", "$properties.$timezone", {"coarse_location"}),
    ("mixpanel/engage_page.json", "$properties.$last_seen", {"timestamp"}),
    ("mixpanel/ui_users.csv", "Email", {"email"}),
    ("mixpanel/ui_users.csv", "Operating System", {"device"}),
    ("mixpanel/ui_users.csv", "Initial Referring Domain", {"url"}),
    ("mixpanel/pipeline_events.csv", "properties.$city", {"coarse_location"}),
    ("mixpanel/pipeline_events.csv", "properties.$initial_referrer", {"url"}),
    ("mixpanel/pipeline_events.csv", "properties.plan", set()),
    ("mixpanel/mp_people_data.jsonl", "properties.$email", {"email"}),
    ("mixpanel/fivetran_event.csv", "city", {"coarse_location"}),
    ("mixpanel/fivetran_event.csv", "initial_referring_domain", {"url"}),
    ("mixpanel/fivetran_event.csv", "name", set()),  # the event name, not a person's
    ("mixpanel/mp_master_event.csv", "mp_browser", {"device"}),
    ("mixpanel/mp_master_event.csv", "mp_initial_referrer", {"url"}),
    ("segment/identify.json", "context.ip", {"ip_address"}),
    ("segment/identify.json", "context.userAgent", {"user_agent"}),
    ("segment/identify.json", "context.timezone", {"coarse_location"}),
    ("segment/identify.json", "context.location.latitude", {"precise_location"}),
    ("segment/identify.json", "context.page.referrer", {"url"}),
    ("segment/identify.json", "context.campaign.source", {"url"}),
    ("segment/identify.json", "traits.email", {"email"}),
    ("segment/identify.json", "traits.firstName", {"person_name"}),
    ("segment/identify.json", "traits.phone", {"phone"}),
    ("segment/identify.json", "traits.birthday", {"date_of_birth"}),
    ("segment/identify.json", "traits.address.postalCode", {"postal_address"}),
    ("segment/identify.json", "traits.plan", set()),
    ("segment/identify.json", "userId", {"internal_id"}),
    ("segment/batch.json", "context.device.advertisingId", {"internal_id"}),
    ("segment/batch.json", "context.os.name", {"device"}),
    ("segment/batch.json", "previousId", {"internal_id"}),
    ("segment/batch.json", "properties.url", {"url"}),
    ("segment/batch.json", "properties.sku", set()),
    ("segment/batch_envelopes.jsonl", "traits.email", {"email"}),
    ("segment/batch_envelopes.jsonl", "context.ip", {"ip_address"}),
    ("segment/s3_log.jsonl", "context.traits.email", {"email"}),
    ("segment/identifies.csv", "context_ip", {"ip_address"}),
    ("segment/identifies.csv", "context_user_agent", {"user_agent"}),
    ("segment/identifies.csv", "context_page_referrer", {"url"}),
    ("segment/identifies.csv", "email", {"email"}),
    ("segment/identifies.csv", "address_postal_code", {"postal_address"}),
    ("segment/warehouse_traits.csv", "traits_email", {"email"}),
    ("segment/pages.csv", "context_campaign_medium", {"url"}),
    ("amplitude/export.zip", "user_id", {"internal_id"}),
    ("amplitude/export.zip", "ip_address", {"ip_address"}),
    ("amplitude/export.zip", "location_lat", {"precise_location"}),
    ("amplitude/export.zip", "dma", {"coarse_location"}),
    ("amplitude/export.zip", "os_name", {"device"}),
    ("amplitude/export.zip", "idfa", {"internal_id"}),
    ("amplitude/export.zip", "user_properties.initial_referrer", {"url"}),
    ("amplitude/export.zip", "user_properties.email", {"email"}),
    ("amplitude/export.zip", "user_properties.plan", set()),
    ("amplitude/export.zip", "event_properties.screen", set()),
    ("posthog/events.jsonl", "properties.$ip", {"ip_address"}),
    ("posthog/events.jsonl", "properties.$geoip_latitude", {"precise_location"}),
    ("posthog/events.jsonl", "properties.$geoip_postal_code", {"postal_address"}),
    ("posthog/events.jsonl", "properties.$geoip_city_name", {"coarse_location"}),
    ("posthog/events.jsonl", "properties.$geoip_subdivision_1_name", {"coarse_location"}),
    ("posthog/events.jsonl", "properties.$raw_user_agent", {"user_agent"}),
    ("posthog/events.jsonl", "properties.gclid", {"url"}),
    ("posthog/events.jsonl", "properties.$set.email", {"email"}),
    ("posthog/events.jsonl", "properties.workspace", set()),
    ("posthog/events.parquet", "properties.$geoip_longitude", {"precise_location"}),
    ("posthog/events.parquet", "person_properties.email", {"email"}),
    ("posthog/persons.jsonl", "properties.$initial_geoip_postal_code", {"postal_address"}),
    ("posthog/persons.jsonl", "properties.$initial_browser", {"device"}),
    ("posthog/persons.parquet", "properties.email", {"email"}),
    ("ga4/events_20251109.jsonl", "event_params.page_location", {"url"}),
    ("ga4/events_20251109.jsonl", "event_params.page_referrer", {"url"}),
    ("ga4/events_20251109.jsonl", "event_params.ga_session_id", {"internal_id"}),
    ("ga4/events_20251109.jsonl", "event_params.support_email", set()),
    ("ga4/events_20251109.jsonl", "user_properties.plan", set()),
    ("ga4/events_20251109.jsonl", "device.web_info.browser", {"device"}),
    ("ga4/events_20251109.jsonl", "geo.city", {"coarse_location"}),
    ("ga4/events_20251109.jsonl", "traffic_source.source", {"url"}),
    ("ga4/events_20251109.jsonl", "user_pseudo_id", {"internal_id"}),
    ("heap/users.csv", "identity", {"internal_id"}),
    ("heap/users.csv", "initial_ip", {"ip_address"}),
    ("heap/users.csv", "firstName", {"person_name"}),
    ("heap/users.csv", "initial_search_keyword", {"url"}),
    ("heap/pageviews.csv", "landing_page", {"url"}),
    ("heap/pageviews.csv", "city", {"coarse_location"}),
    ("intercom/contacts.json", "email", {"email"}),
    ("intercom/contacts.json", "formatted_phone", {"phone"}),
    ("intercom/contacts.json", "location.city", {"coarse_location"}),
    ("intercom/contacts.json", "signed_up_at", {"timestamp"}),
    ("intercom/contacts.json", "custom_attributes.notes", set()),
    ("customerio/customers.csv", "cio_id", {"internal_id"}),
    ("customerio/customers.csv", "email", {"email"}),
    ("customerio/customers.csv", "company", set()),
]


@pytest.mark.parametrize(("name", "column", "expected"), FIELDS, ids=[f"{n}:{c}" for n, c, _ in FIELDS])
def test_documented_field_lands_in_its_class(
    name: str, column: str, expected: set[str], fixture_path: Callable[[str], Path], read_first: Reader
) -> None:
    classes = _classes(name, fixture_path, read_first)
    assert column in classes, f"{column} is not a column of {name}"
    assert classes[column] == expected


@pytest.mark.parametrize(
    ("columns", "created", "expected"),
    [
        (["user_pseudo_id", "event_params", "geo.city"], "event_params.page_location", {"url"}),
        (["distinct_id", "time", "event_name", "properties"], "properties.$city", {"coarse_location"}),
        (["uuid", "event", "distinct_id", "properties", "elements_chain"], "properties.$ip", {"ip_address"}),
        (["batch", "sentAt", "context.library.name"], "context.userAgent", {"user_agent"}),
        # names only a pattern knows ($app_*, click ids, subdivisions) are enumerated too
        (
            ["uuid", "event", "distinct_id", "properties", "elements_chain"],
            "properties.$app_version",
            {"device"},
        ),
        (
            ["uuid", "event", "distinct_id", "person_properties", "elements_chain"],
            "person_properties.$initial_gclid",
            {"url"},
        ),
        (
            ["uuid", "event", "distinct_id", "properties", "elements_chain"],
            "properties.$geoip_subdivision_2_name",
            {"coarse_location"},
        ),
        (["person_id", "distinct_id", "properties", "team_id"], "properties.$initial_app_build", {"device"}),
        (["distinct_id", "time", "event_name", "properties"], "properties.utm_campaign", {"url"}),
        (["distinct_id", "time", "event_name", "properties"], "properties.ios_ifa", {"internal_id"}),
        (["distinct_id", "time", "event_name", "properties"], "properties.ip", {"ip_address"}),
    ],
)
def test_columns_a_transform_creates_survive_a_plain_dict_copy(
    columns: list[str], created: str, expected: set[str]
) -> None:
    match = recognise(columns)
    assert match is not None
    assert dict(match.field_classes)[created] == expected


def test_a_match_can_be_shipped_to_worker_processes() -> None:
    match = recognise(["user_pseudo_id", "event_params", "geo.city"])
    assert match is not None
    copy = pickle.loads(pickle.dumps(match))
    assert copy.field_classes.get("event_params.page_referrer") == frozenset({"url"})
    batch = pa.record_batch({"user_pseudo_id": ["a"]})
    assert copy.transform is not None and copy.transform(batch).equals(batch)


@pytest.mark.parametrize("name", [None, "mixpanel", "mixpanel/people", "Segment:calls", "generic", "none"])
def test_check_forced_accepts(name: str | None) -> None:
    check_forced(name)


@pytest.mark.parametrize("name", ["snowplow", "mixpanel/nope", ""])
def test_check_forced_rejects(name: str) -> None:
    with pytest.raises(InputError):
        check_forced(name)
