"""The detection errors seen on public export samples (issue 10, section 4), each on its shape:
a small table scanned end to end, the column's classes asserted."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from breachscope.placeholders import PLACEHOLDERS, is_placeholder
from breachscope.scan import scan_sources
from breachscope.vendors import recognise
from tests.scan.scan_helpers import KEY, source


def _columns(table: pa.Table, name: str = "leak.csv") -> dict[str, dict[str, Any]]:
    doc = scan_sources([source(table, name=name)], key=KEY, vendor="generic").to_dict()
    return {c["name"]: c for c in doc["sources"][0]["columns"]}


def _classes(col: dict[str, Any]) -> set[str]:
    return {c["class"] for c in col["classes"]}


# (column, values, class that must be present or None, class that must be absent or None)
SHAPES = [
    # user agents are not IP addresses
    (
        "ua_string",
        ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/142.0.0.0 Safari/537.36"] * 3,
        None,
        "ip_address",
    ),
    # a boolean flag about a password is not a password
    ("has_password_set", ["true", "false", "true"], None, "password"),
    ("password", ["true", "false", "hunter2!"], "password", None),
    # percent-encoded values are decoded before detection
    ("landing_url", ["https://shop.example.co.id/?email=rina%40example.co.id&x=1"], "email", None),
    # names of things are not people
    ("event_name", ["Purchase", "Sign Up", "Page View"], None, "person_name"),
    ("item_name", ["Bose Speaker", "Lord Of Rings"], None, "person_name"),
    ("project_name", ["Default Project", "Mobile App"], None, "person_name"),
    ("traffic_source.name", ["Spring Sale", "Organic"], None, "person_name"),
    ("company_name", ["Acme Trading", "Kopi Nusantara"], None, "person_name"),
    ("group_traits.name", ["Acme Trading", "Kopi Nusantara"], None, "person_name"),
    ("oauth_client_name", ["Zapier", "Slack"], None, "person_name"),
    ("campaign_name", ["Autumn Collection", "Retarget"], None, "person_name"),
    ("canvas_name", ["Onboarding Flow", "Winback"], None, "person_name"),
    ("board_name", ["Roadmap", "Sprint Board"], None, "person_name"),
    ("device_friendly_name", ["Rina Phone", "Living Room"], None, "person_name"),
    ("first_contact_reply_type", ["conversation", "email"], None, "person_name"),
    ("full_name", ["Rina Wulandari", "Budi Santoso"], "person_name", None),
    # hashes in an email column are hashed identifiers
    ("email_hash", ["pabACwVFlKUUrFX3+yMBSg==", "YChf8nHEFlI3O0aDzeAGwQ=="], "hashed_id", "email"),
    # dates inside identifiers are not timestamps
    ("ad_label", ["google-ad-1234567-2023-08-24", "meta-ad-99-2023-09-01"], None, "timestamp"),
    # grouped NIK
    ("note_id", ["3171 0405 0584 8982", "3578 0152 0597 3796"], "government_id", None),
    # record ids are not a person's identifier; person ids are
    (
        "event_id",
        ["788ecef2-e346-4b67-ae32-77b139f01b8a", "0b5fd428-27b2-44e4-ae58-bc67bc6241ec"],
        None,
        "internal_id",
    ),
    ("message_id", ["ajs-9527e97fc714abe02a23b3d24cf09a36", "ajs-1"], None, "internal_id"),
    ("insert_id", ["pnreuCmtCqgcDgkCaFhymwDgmwajggzaiDdn", "x"], None, "internal_id"),
    ("app_id", ["wjw5eps7", "abc123"], None, "internal_id"),
    ("client_id", ["1234567890.1762000000", "99"], None, "internal_id"),
    ("campaign_id", ["120203", "120204"], None, "internal_id"),
    ("ad_id", ["23850", "23851"], None, "internal_id"),
    ("idfa", ["788ecef2-e346-4b67-ae32-77b139f01b8a"], "internal_id", None),
    ("session_id", ["1762000000", "1762000001"], "internal_id", None),
    ("group_id", ["acme", "kopi"], "internal_id", None),
    ("org_id", ["org-1", "org-2"], "internal_id", None),
    ("requester_id", ["396331237134", "1500656884401"], "internal_id", None),
    ("actor_id", ["agent:403969141094", "visitor:1"], "internal_id", None),
    ("url", ["https://x.zendesk.com/api/v2/users/403958466973.json"] * 2, None, "url"),
    ("time_zone", ["Pacific Time (US & Canada)", "Jakarta"], "coarse_location", None),
    ("timezone", ["UTC", "UTC"], None, "coarse_location"),
    ("_Company_synced", ["2024-03-19 16:51:27.764000"] * 2, None, "timestamp"),
    # pipeline bookkeeping carries no class
    ("_fivetran_synced", ["2020-12-01 18:00:13.416"] * 2, None, "timestamp"),
    ("_airbyte_emitted_at", ["2020-12-01 18:00:13.416"] * 2, None, "timestamp"),
    ("_sdc_batched_at", ["2020-12-01 18:00:13.416"] * 2, None, "timestamp"),
    ("_rudder_id", ["788ecef2-e346-4b67-ae32-77b139f01b8a"] * 2, None, "internal_id"),
    ("_airbyte_ab_id", ["788ecef2-e346-4b67-ae32-77b139f01b8a"] * 2, None, "internal_id"),
    ("_airbyte_raw_id", ["788ecef2-e346-4b67-ae32-77b139f01b8a"] * 2, None, "internal_id"),
    ("loaded_at", ["2020-12-01 18:00:13.416"] * 2, None, "timestamp"),
    # free text written by people is chat content whatever the column is called
    (
        "remark",
        ["Hi team, I'm writing again about my account because the invoice for last month was wrong."],
        "chat_content",
        None,
    ),
]


@pytest.mark.parametrize(("column", "values", "present", "absent"), SHAPES, ids=[s[0] for s in SHAPES])
def test_shape(column: str, values: list[str], present: str | None, absent: str | None) -> None:
    col = _columns(pa.table({column: values}))[column]
    if present:
        assert present in _classes(col), col["classes"]
    if absent:
        assert absent not in _classes(col), col["classes"]


def test_an_email_used_as_customer_id_is_both() -> None:
    col = _columns(pa.table({"customer_id": ["rina@example.co.id", "budi@example.com"]}))["customer_id"]
    assert {"email", "internal_id"} <= _classes(col)


def test_the_name_and_id_of_a_tag_table_are_no_person_data() -> None:
    cols = _columns(
        pa.table({"id": ["4614778", "4614791"], "name": ["Support", "Lead"]}), name="tag_data.csv"
    )
    assert _classes(cols["id"]) == set() and _classes(cols["name"]) == set()
    people = _columns(
        pa.table({"id": ["u1", "u2"], "name": ["Rina Wulandari", "Budi Santoso"]}), name="users.csv"
    )
    assert "internal_id" in _classes(people["id"]) and "person_name" in _classes(people["name"])


@pytest.mark.parametrize(
    "value", ["test", "(not set)", "(none)", "null", "undefined", "N/A", "-", "", "NULL", "Null"]
)
def test_placeholders_count_as_no_data(value: str) -> None:
    assert is_placeholder(value)
    col = _columns(pa.table({"email": [value, value]}))["email"]
    assert col["non_null"] == 0 and col["placeholders"] == 2 and _classes(col) == set()


def test_the_placeholder_list_is_normalised() -> None:
    assert all(p == p.strip().lower() for p in PLACEHOLDERS)


def test_a_card_in_a_url_has_the_bare_cards_hash() -> None:
    table = pa.table(
        {"a": ["4111111111111111", "x"], "b": ["https://x.example/pay?cc=4111111111111111&amt=1", "y"]}
    )
    doc = scan_sources([source(table)], key=KEY, vendor="generic").to_dict()
    findings = doc["classes"]["payment_card"]["findings"]
    hashes = {f["column"]: f["hash"] for f in findings}
    assert set(hashes) == {"a", "b"} and hashes["a"] == hashes["b"]


def test_the_distinct_count_never_exceeds_the_values() -> None:
    values = [f"user-{i}-" + "x" * 40 for i in range(3000)]
    col = _columns(pa.table({"v": values[:5]}))["v"]
    assert col["distinct_approx"] <= col["non_null"]
    col = _columns(pa.table({"v": values}))["v"]
    assert col["distinct_approx"] <= col["non_null"]


@pytest.mark.parametrize(
    ("columns", "name", "vendor", "layout"),
    [
        (["stream", "data.distinct_id", "data.email", "data.name", "data.last_seen", "emitted_at"],
         "engage.jsonl", "mixpanel", "connector_people"),
        (["stream", "data.type", "data.email", "data.id", "data.name", "data.job_title", "emitted_at"],
         "admins.jsonl", "intercom", "admins"),
        (["stream", "data.foo", "emitted_at"], "x.jsonl", "airbyte", "records"),
        (["_airbyte_ab_id", "_airbyte_emitted_at", "_airbyte_data"], "raw.parquet", "airbyte", "raw_table"),
        (["user_pseudo_id", "geo_city", "traffic_source_name", "param_ga_session_id", "_fivetran_synced"],
         "event.csv", "ga4", "fivetran_events"),
        (["company_id", "name", "monthly_spend", "user_count", "plan_name"], "company.csv",
         "intercom", "companies"),
        (["id", "conversation_id", "part_type", "body", "author_id", "author_type"], "parts.csv",
         "intercom", "conversation_parts"),
    ],
)  # fmt: skip
def test_layouts_are_recognised(columns: list[str], name: str, vendor: str, layout: str) -> None:
    match = recognise(columns, source_name=name)
    assert match is not None and (match.vendor, match.layout) == (vendor, layout)


@pytest.mark.parametrize("name", ["users.jsonl", "users.parquet", "users.json.gz"])
def test_jsonl_and_parquet_are_never_a_ui_csv_export(name: str) -> None:
    match = recognise(["Distinct ID", "$os", "$city", "$email"], source_name=name)
    assert match is None or match.layout != "ui_csv"
    assert recognise(["Distinct ID", "$os", "$city", "$email"], source_name="users.csv") is not None
