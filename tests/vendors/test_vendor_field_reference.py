"""Every field documented in ``vendor-formats.md`` lands in its data class, layout by layout.

One row per documented field (column path as the readers produce it) and the taxonomy ids the
layout's schema must give it; ``None`` means "documented as bookkeeping or customer-defined: no
schema class" (the values are still scanned). Deliberate departures from the reference's codes
are marked and explained in ``docs/vendors.md``.
"""

from __future__ import annotations

import pytest

from breachscope.vendors import LAYOUTS

ID, EMAIL, NAME, PHONE = "internal_id", "email", "person_name", "phone"
ADDR, IP, LOC_P, LOC_C = "postal_address", "ip_address", "precise_location", "coarse_location"
DEV, UA, URL, TS, DOB, USER = "device", "user_agent", "url", "timestamp", "date_of_birth", "username"
CHAT = "chat_content"

_BY_ID = {f"{lay.vendor}/{lay.name}": lay for lay in LAYOUTS}


def _w(names: str) -> list[str]:
    return names.split()


# fmt: off
REFERENCE: list[tuple[str, str, str | None]] = [
    # --- Mixpanel raw event export (section 1.3, event properties) ---
    *[("mixpanel/events", f"properties.{k}", ID) for k in _w(
        "distinct_id $distinct_id $device_id $user_id $identified_id $anon_id alias "
        "$distinct_ids $distinct_id_before_identity mp_original_distinct_id"
    )],
    ("mixpanel/events", "properties.$insert_id", None),
    *[("mixpanel/events", f"properties.{k}", TS) for k in _w(
        "time $time $mp_api_timestamp_ms mp_processing_time_ms"
    )],
    *[("mixpanel/events", f"properties.{k}", LOC_C) for k in _w("$city $region mp_country_code")],
    ("mixpanel/events", "properties.ip", IP),  # "not stored": if it is there, it is an IP
    *[("mixpanel/events", f"properties.${k}", DEV) for k in _w(
        "os os_version browser browser_version device model manufacturer brand "
        "watch_model carrier radio wifi bluetooth_enabled bluetooth_version has_nfc "
        "has_telephone google_play_services screen_height screen_width screen_dpi "
        "app_build_number app_version_string"
    )],
    *[("mixpanel/events", f"properties.{k}", URL) for k in _w(
        "$current_url $initial_referrer $initial_referring_domain $referrer "
        "$referring_domain $search_engine mp_keyword utm_source utm_medium utm_campaign "
        "utm_term utm_content"
    )],
    *[("mixpanel/events", f"properties.{k}", None) for k in _w(
        "mp_lib mp_sent_by_lib_version $mp_api_endpoint $import token $source $partner_id "
        "$duration $event_count $origin_start plan org_id"
    )],
    ("mixpanel/events", "event", None),
    # --- Mixpanel engage profiles (section 1.3, profile properties) ---
    ("mixpanel/people", "$distinct_id", ID),
    *[("mixpanel/people", f"$properties.${k}", NAME) for k in _w("name first_name last_name")],
    ("mixpanel/people", "$properties.$email", EMAIL),
    ("mixpanel/people", "$properties.$phone", PHONE),
    ("mixpanel/people", "$properties.$avatar", None),
    *[("mixpanel/people", f"$properties.${k}", TS) for k in _w("created last_seen mp_first_event_time")],
    *[("mixpanel/people", f"$properties.${k}", LOC_C) for k in _w("city region country_code timezone")],
    ("mixpanel/people", "$properties.$geo_source", None),
    *[("mixpanel/people", f"$properties.${k}", DEV) for k in _w(
        "os browser browser_version android_os android_os_version ios_version "
        "android_manufacturer android_brand android_model ios_device_model "
        "android_app_version android_app_version_code ios_app_release ios_app_version "
        "android_lib_version ios_lib_version swift_lib_version"
    )],
    *[("mixpanel/people", f"$properties.{k}", URL) for k in _w(
        "$initial_referrer $initial_referring_domain initial_utm_source "
        "initial_utm_medium"
    )],
    *[("mixpanel/people", f"$properties.${k}", LOC_P) for k in _w("latitude longitude")],
    # --- connector-delivered engage records, Fivetran GA4, Intercom tables ---
    ("posthog/person_properties", "uuid", ID),
    ("posthog/person_properties", "distinct_ids", ID),
    ("posthog/person_properties", "properties.email", EMAIL),
    ("posthog/person_properties", "person.properties.email", EMAIL),
    ("posthog/person_properties", "properties.$geoip_city_name", LOC_C),
    ("mixpanel/connector_people", "distinct_id", ID),
    ("mixpanel/connector_people", "email", EMAIL),
    ("mixpanel/connector_people", "name", NAME),
    ("mixpanel/connector_people", "last_seen", TS),
    ("ga4/fivetran_events", "user_pseudo_id", ID),
    ("ga4/fivetran_events", "geo_city", LOC_C),
    ("ga4/fivetran_events", "device_category", DEV),
    ("ga4/fivetran_events", "traffic_source_name", URL),
    ("ga4/fivetran_events", "param_page_location", URL),
    ("ga4/fivetran_events", "param_ga_session_id", ID),
    ("ga4/fivetran_events", "name", None),
    ("intercom/admins", "email", EMAIL),
    ("intercom/admins", "name", NAME),
    ("intercom/companies", "company_id", ID),
    ("intercom/conversations", "source_body", CHAT),
    ("intercom/conversations", "source_author_id", ID),
    ("intercom/conversations", "source_url", URL),
    ("intercom/conversation_parts", "body", CHAT),
    ("intercom/conversation_parts", "author_id", ID),
    # --- Mixpanel UI CSV, pipelines, warehouse/connector names ---
    ("mixpanel/ui_csv", "Distinct ID", ID),
    ("mixpanel/ui_csv", "Operating System", DEV),
    ("mixpanel/ui_csv", "Initial Referring Domain", URL),
    ("mixpanel/ui_csv", "Country Code", LOC_C),
    ("mixpanel/ui_csv", "Updated at", TS),
    ("mixpanel/ui_csv", "$email", EMAIL),
    *[("mixpanel/pipeline_events", k, ID) for k in _w("device_id distinct_id user_id")],
    ("mixpanel/pipeline_events", "time", TS),
    ("mixpanel/pipeline_events", "insert_id", None),
    ("mixpanel/pipeline_events", "event_name", None),
    ("mixpanel/pipeline_events", "properties.$city", LOC_C),
    ("mixpanel/pipeline_people", "properties.$email", EMAIL),
    ("mixpanel/pipeline_people", "resolved_distinct_id", ID),
    *[("mixpanel/warehouse", k, DEV) for k in _w(
        "browser mp_browser os os_version screen_width wifi app_release app_version "
        "mp_device_model manufacturer radio carrier model brand device has_nfc"
    )],
    *[("mixpanel/warehouse", k, LOC_C) for k in _w("city mp_city region mp_country_code")],
    *[("mixpanel/warehouse", k, URL) for k in _w(
        "initial_referrer initial_referring_domain referrer current_url search_engine "
        "referring_domain mp_keyword mp_initial_referrer"
    )],
    *[("mixpanel/warehouse", k, ID) for k in _w("distinct_id device_id distinct_id_before_identity ios_ifa")],
    *[("mixpanel/warehouse", k, TS) for k in _w("time mp_processing_time_ms")],
    *[("mixpanel/warehouse", k, None) for k in _w(
        "name mp_event_name event_id insert_id mp_lib lib_version "
        "had_persisted_distinct_id ae_session_length _fivetran_synced"
    )],
    # --- Segment calls (section 2.2, 2.3) ---
    *[("segment/calls", k, ID) for k in _w(
        "userId anonymousId previousId groupId context.groupId context.device.id "
        "context.device.advertisingId context.device.token context.referrer.id traits.id"
    )],
    *[("segment/calls", k, TS) for k in _w(
        "timestamp originalTimestamp sentAt receivedAt traits.createdAt traits.created_at"
    )],
    *[("segment/calls", k, None) for k in _w(
        "type messageId integrations.All version channel writeKey projectId "
        "context.library.name context.library.version context.active event "
        "properties.revenue traits.age traits.gender traits.title traits.company.name "
        "traits.description"
    )],
    ("segment/calls", "context.ip", IP),
    ("segment/calls", "context.userAgent", UA),
    ("segment/calls", "context.locale", DEV),
    ("segment/calls", "context.timezone", LOC_C),
    *[("segment/calls", f"context.location.{k}", LOC_C) for k in _w("city country region")],
    *[("segment/calls", f"context.location.{k}", LOC_P) for k in _w("latitude longitude speed")],
    *[("segment/calls", f"context.page.{k}", URL) for k in _w("path referrer search title url")],
    *[("segment/calls", f"context.referrer.{k}", URL) for k in _w("type name url link")],
    *[("segment/calls", f"context.campaign.{k}", URL) for k in _w("name source medium term content")],
    *[("segment/calls", f"context.device.{k}", DEV) for k in _w(
        "adTrackingEnabled manufacturer model name type version"
    )],
    *[("segment/calls", k, DEV) for k in _w(
        "context.os.name context.os.version context.screen.width context.screen.height "
        "context.screen.density context.network.bluetooth context.network.carrier "
        "context.network.cellular context.network.wifi context.app.name "
        "context.app.version context.app.build context.app.namespace"
    )],
    *[("segment/calls", f"{p}.{k}", ADDR) for p in ("traits", "context.traits") for k in _w(
        "address.city address.country address.postalCode address.state address.street"
    )],
    *[("segment/calls", f"{p}.{k}", NAME) for p in ("traits", "context.traits") for k in _w(
        "firstName lastName first_name last_name name"
    )],
    ("segment/calls", "traits.username", USER),  # reference: NAME; taxonomy has the finer class
    *[("segment/calls", f"{p}.email", EMAIL) for p in ("traits", "context.traits")],
    ("segment/calls", "traits.phone", PHONE),
    ("segment/calls", "traits.birthday", DOB),
    *[("segment/calls", f"traits.{k}", URL) for k in _w("website avatar")],
    *[("segment/calls", f"properties.{k}", URL) for k in _w("path referrer search title url keywords")],
    *[("segment/batch", k, c) for k, c in (
        ("context.ip", IP), ("userId", ID), ("traits.email", EMAIL), ("batch", None), ("writeKey", None))],
    *[("segment/s3_logs", k, c) for k, c in (
        ("context.ip", IP), ("anonymousId", ID), ("receivedAt", TS), ("_metadata.bundled", None))],
    # --- Segment warehouse (flattened, snake_cased) ---
    *[("segment/warehouse", k, ID) for k in _w("id user_id anonymous_id group_id context_device_id")],
    *[("segment/warehouse", k, TS) for k in _w("received_at sent_at timestamp original_timestamp")],
    ("segment/warehouse", "context_ip", IP),
    ("segment/warehouse", "context_user_agent", UA),
    ("segment/warehouse", "context_page_referrer", URL),
    *[("segment/warehouse", f"context_campaign_{k}", URL) for k in _w("source medium name term content")],
    ("segment/warehouse", "context_location_latitude", LOC_P),
    ("segment/warehouse", "context_traits_email", EMAIL),
    ("segment/warehouse", "email", EMAIL),
    ("segment/warehouse", "address_street", ADDR),
    ("segment/warehouse", "address_postal_code", ADDR),
    *[("segment/warehouse", k, URL) for k in _w("url path referrer search")],
    ("segment/warehouse", "title", None),  # table unknown: page title or job-title trait (docs/vendors.md)
    *[("segment/warehouse", k, None) for k in _w("context_library_name uuid_ts event event_text")],
    # --- Amplitude (section 3.2) ---
    *[("amplitude/events", k, ID) for k in _w("user_id device_id amplitude_id session_id adid idfa")],
    ("amplitude/events", "ip_address", IP),
    *[("amplitude/events", k, LOC_P) for k in _w("location_lat location_lng")],
    *[("amplitude/events", k, LOC_C) for k in _w("city region country dma")],
    *[("amplitude/events", k, DEV) for k in _w(
        "language platform os_name os_version device_brand device_carrier device_family "
        "device_manufacturer device_model device_type version_name start_version"
    )],
    *[("amplitude/events", k, TS) for k in _w(
        "event_time client_event_time client_upload_time server_received_time "
        "server_upload_time processed_time user_creation_time"
    )],
    *[("amplitude/events", f"user_properties.{k}", URL) for k in _w(
        "initial_referrer referrer initial_referring_domain referring_domain "
        "initial_utm_source utm_campaign"
    )],
    ("amplitude/events", "user_properties.email", EMAIL),
    ("amplitude/events", "user_properties.name", NAME),
    *[("amplitude/events", k, None) for k in _w(
        "paying is_attribution_event amplitude_attribution_ids data.path $schema "
        "sample_rate amplitude_event_type event_type library $insert_id uuid event_id app "
        "event_properties.email event_properties.plan group_properties.name "
        "user_properties.plan"
    )],
    ("amplitude/merged_ids", "merged_amplitude_id", ID),
    ("amplitude/merged_ids", "merge_time", TS),
    # --- PostHog (section 4) ---
    *[("posthog/events", k, ID) for k in _w(
        "distinct_id person_id properties.distinct_id properties.$device_id "
        "properties.$session_id properties.$window_id properties.$pageview_id "
        "properties.$anon_distinct_id properties.$user_id"
    )],
    ("posthog/events", "properties.$ip", IP),
    ("posthog/events", "ip", IP),
    *[("posthog/events", f"properties.$geoip_{k}", LOC_C) for k in _w(
        "city_name subdivision_1_code subdivision_1_name subdivision_2_code "
        "subdivision_2_name subdivision_3_code subdivision_3_name country_code "
        "country_name continent_code continent_name time_zone"
    )],
    *[("posthog/events", f"properties.$geoip_{k}", LOC_P) for k in _w("latitude longitude accuracy_radius")],
    # a postal code is postal_address in breachscope's taxonomy ("street addresses and postal codes")
    ("posthog/events", "properties.$geoip_postal_code", ADDR),
    *[("posthog/events", f"properties.${k}", DEV) for k in _w(
        "os os_name os_version browser browser_version browser_language device_type "
        "device screen_height screen_width viewport_height viewport_width app_version "
        "app_build app_name app_namespace"
    )],
    ("posthog/events", "properties.$raw_user_agent", UA),  # reference: DEV; the finer UA class
    *[("posthog/events", f"properties.{k}", URL) for k in _w(
        "$current_url $host $pathname $referrer $referring_domain $search_engine "
        "utm_source $utm_medium gclid gad_source gclsrc dclid gbraid wbraid fbclid "
        "msclkid twclid li_fat_id mc_cid igshid ttclid rdt_cid epik qclid sccid irclid "
        "_kx"
    )],
    ("posthog/events", "properties.$timestamp", TS),
    *[("posthog/events", k, TS) for k in _w("timestamp created_at")],
    *[("posthog/events", k, None) for k in _w(
        "uuid event elements_chain _inserted_at properties.$lib properties.$lib_version "
        "properties.$active_feature_flags properties.token properties.plan"
    )],
    *[("posthog/events", f"properties.{s}.{k}", c) for s in ("$set", "$set_once") for k, c in (
        ("email", EMAIL), ("name", NAME), ("$geoip_postal_code", ADDR), ("$initial_os", DEV))],
    *[("posthog/events", f"person_properties.{k}", c) for k, c in (
        ("email", EMAIL), ("$initial_geoip_latitude", LOC_P), ("$initial_utm_source", URL),
        ("$initial_gclid", URL), ("$initial_raw_user_agent", UA), ("$initial_pathname", URL))],
    *[("posthog/persons", f"properties.{k}", c) for k, c in (
        ("email", EMAIL), ("name", NAME), ("first_name", NAME), ("last_name", NAME), ("phone", PHONE),
        ("$initial_browser", DEV), ("$initial_current_url", URL), ("$initial_app_version", DEV),
        ("$initial_geoip_city_name", LOC_C), ("$geoip_postal_code", ADDR), ("$creator_event_uuid", None),
        ("joined_at", None))],
    *[("posthog/persons", k, None) for k in _w(
        "team_id person_distinct_id_version person_version is_deleted _inserted_at"
    )],
    # --- GA4 BigQuery export (section 5) ---
    *[("ga4/bigquery_events", k, TS) for k in _w(
        "event_date event_timestamp event_previous_timestamp user_first_touch_timestamp "
        "event_server_timestamp_offset"
    )],
    *[("ga4/bigquery_events", k, None) for k in _w(
        "event_name event_value_in_usd event_bundle_sequence_id batch_event_index "
        "batch_ordering_id batch_page_id stream_id platform "
        "privacy_info.analytics_storage privacy_info.ads_storage "
        "privacy_info.uses_transient_token user_properties.plan user_ltv.revenue "
        "user_ltv.currency ecommerce.transaction_id items "
        "event_params.engagement_time_msec event_params.ga_session_number "
        "device.web_info.hostname"
    )],
    *[("ga4/bigquery_events", k, ID) for k in _w(
        "user_id user_pseudo_id device.vendor_id device.advertising_id "
        "event_params.ga_session_id"
    )],
    *[("ga4/bigquery_events", f"device.{k}", DEV) for k in _w(
        "category mobile_brand_name mobile_model_name mobile_marketing_name "
        "mobile_os_hardware_model operating_system operating_system_version language "
        "time_zone_offset_seconds is_limited_ad_tracking web_info.browser "
        "web_info.browser_version"
    )],
    *[("ga4/bigquery_events", f"geo.{k}", LOC_C) for k in _w(
        "continent sub_continent country region metro city"
    )],
    *[("ga4/bigquery_events", f"app_info.{k}", DEV) for k in _w(
        "id version install_store firebase_app_id install_source"
    )],
    # traffic_source.name is the campaign name, never a person's name
    *[("ga4/bigquery_events", f"traffic_source.{k}", URL) for k in _w("name medium source")],
    *[("ga4/bigquery_events", k, URL) for k in _w(
        "collected_traffic_source.manual_source collected_traffic_source.gclid "
        "session_traffic_source_last_click.manual_campaign.campaign_name"
    )],
    *[("ga4/bigquery_events", f"event_params.{k}", URL) for k in _w(
        "page_location page_referrer page_title"
    )],
    *[("ga4/bigquery_events", f"event_params.{k}", DEV) for k in _w("language screen_resolution")],
    # --- Heap (section 6) ---
    *[("heap/users", k, ID) for k in _w("user_id identity")],
    *[("heap/users", k, EMAIL) for k in _w("email _email")],
    *[("heap/users", k, NAME) for k in _w("firstName lastName Name")],
    ("heap/users", "initial_ip", IP),
    *[("heap/users", k, LOC_C) for k in _w("initial_city initial_country initial_region")],
    *[("heap/users", k, DEV) for k in _w(
        "initial_browser initial_platform device_brand device_manufacturer device_model "
        "app_version"
    )],
    *[("heap/users", k, URL) for k in _w(
        "initial_referrer initial_search_keyword initial_utm_source initial_utm_medium "
        "initial_utm_campaign initial_utm_content initial_utm_term"
    )],
    *[("heap/users", k, TS) for k in _w("joindate join_date last_modified identity_time")],
    *[("heap/events", k, ID) for k in _w("event_id user_id session_id pageview_id id")],
    ("heap/events", "ip", IP),
    *[("heap/events", k, LOC_C) for k in _w("city country region")],
    *[("heap/events", k, DEV) for k in _w("browser device_type platform library")],
    *[("heap/events", k, URL) for k in _w(
        "domain path query hash title referrer landing_page landing_page_query "
        "landing_page_hash heap_previous_page utm_source utm_medium"
    )],
    ("heap/events", "time", TS),
    *[("heap/events", k, None) for k in _w("event_name type object properties.plan")],
    *[("heap/user_migrations", k, ID) for k in _w("from_user_id to_user_id")],
    # --- Intercom (section 7) ---
    *[("intercom/contacts", k, ID) for k in _w("id external_id")],
    # the reference lists workspace_id as ID; it is the Intercom app (workspace) id: an app id,
    # not a person's (issue 10: app/bundle/client ids are record ids)
    ("intercom/contacts", "workspace_id", None),
    ("intercom/contacts", "email", EMAIL),
    ("intercom/contacts", "email_domain", None),  # reference: EMAIL; a bare domain is not an address
    ("intercom/contacts", "name", NAME),
    *[("intercom/contacts", k, PHONE) for k in _w("phone formatted_phone")],
    *[("intercom/contacts", f"location{s}{k}", LOC_C) for s in (".", "_") for k in _w("country region city")],
    *[("intercom/contacts", k, DEV) for k in _w(
        "browser browser_version browser_language os android_app_name android_device "
        "ios_os_version ios_sdk_version"
    )],
    *[("intercom/contacts", k, URL) for k in _w("avatar avatar.image_url social_profiles.data.url")],
    *[("intercom/contacts", k, TS) for k in _w(
        "created_at updated_at signed_up_at last_seen_at last_replied_at "
        "last_contacted_at last_email_opened_at last_email_clicked_at"
    )],
    *[("intercom/contacts", k, None) for k in _w(
        "type role has_hard_bounced marked_email_as_spam unsubscribed_from_emails "
        "custom_attributes.plan custom_plan location.type social_profiles.data.name"
    )],
    # --- Customer.io (section 7) ---
    *[("customerio/customers", k, ID) for k in _w("cio_id id")],
    ("customerio/customers", "email", EMAIL),
    *[("customerio/customers", k, None) for k in _w("name plan unsubscribed")],
]
# fmt: on


@pytest.mark.parametrize(("layout", "path", "expected"), REFERENCE, ids=[f"{a}:{b}" for a, b, _ in REFERENCE])
def test_documented_field_class(layout: str, path: str, expected: str | None) -> None:
    got = _BY_ID[layout].classify(path)
    assert got == (frozenset({expected}) if expected else frozenset()), f"{layout} {path}: {sorted(got)}"


def test_reference_covers_every_layout() -> None:
    assert {layout for layout, _, _ in REFERENCE} == set(_BY_ID)


#: only the fields the reference classifies: for the others the test below has nothing to check
CLASSIFIED = [(layout, path) for layout, path, expected in REFERENCE if expected is not None]


@pytest.mark.parametrize(("layout", "path"), CLASSIFIED, ids=[f"{a}:{b}" for a, b in CLASSIFIED])
def test_a_classified_field_is_never_bookkeeping(layout: str, path: str) -> None:
    match = _BY_ID[layout].fit([path])
    assert path not in match.bookkeeping


# (layout, column path): documented bookkeeping whose name would otherwise hint a personal class
BOOKKEEPING = [
    ("segment/calls", "context.library.name"),
    ("segment/calls", "name"),  # a page or screen name
    ("segment/batch", "context.library.name"),
    ("segment/s3_logs", "event"),
    ("segment/warehouse", "context_library_name"),
    ("mixpanel/warehouse", "name"),  # Fivetran's event name
    ("mixpanel/events", "properties.$lib_version"),
    ("mixpanel/events", "properties.$insert_id"),
    ("amplitude/events", "library"),
    ("posthog/events", "properties.$lib"),
    ("posthog/persons", "team_id"),
    ("ga4/bigquery_events", "event_name"),
    ("ga4/bigquery_events", "device.web_info.hostname"),
    ("ga4/bigquery_events", "event_params.ga_session_number"),
    ("heap/events", "event_name"),
    ("intercom/contacts", "location.type"),
]


@pytest.mark.parametrize(("layout", "path"), BOOKKEEPING, ids=[f"{a}:{b}" for a, b in BOOKKEEPING])
def test_bookkeeping_fields(layout: str, path: str) -> None:
    match = _BY_ID[layout].fit([path])
    assert path in match.bookkeeping
    assert not _BY_ID[layout].classify(path)


def test_customer_fields_are_not_bookkeeping() -> None:
    match = _BY_ID["segment/warehouse"].fit(["name"])
    assert "name" not in match.bookkeeping  # identifies.name is the person's name trait
    assert "properties.plan" not in _BY_ID["mixpanel/events"].fit(["event"]).bookkeeping
