"""Vendor person keys and per-field placeholders, through the real readers, layouts and
``person_fields``: anonymous visitors are people, keys say their kind, and a value that is a
placeholder in one documented field is data in every other."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Any

import pytest

from breachscope.exposures.people import person_fields
from breachscope.hashing import keyed_hash
from breachscope.readers import open_sources
from breachscope.scan import scan_files
from breachscope.vendors import LAYOUTS, recognise
from breachscope.vendors.base import key_kind

FIXTURES = Path(__file__).parent / "fixtures"
KEY = bytes(range(32))
_BY_ID = {f"{lay.vendor}/{lay.name}": lay for lay in LAYOUTS}


def _s3_log(tmp: Path) -> Path:
    """The anonymous S3 log fixture as S3 stores it: segment-logs/<source>/<day>/<file>.gz."""
    folder = tmp / "segment-logs" / "src-EXAMPLE" / "1762646400"
    folder.mkdir(parents=True)
    out = folder / "1762675300000.log.jsonl.gz"
    out.write_bytes(gzip.compress((FIXTURES / "segment" / "anonymous_s3_log.jsonl").read_bytes()))
    return out


def _path(name: str, tmp: Path) -> Path:
    return _s3_log(tmp) if name == "segment/anonymous_s3_log.jsonl.gz" else FIXTURES / name


# (fixture, layout, people, rows without key, people per key kind, fallback keys merged,
#  a field only anonymous people expose -> how many people expose it)
ANONYMOUS: list[tuple[str, str, int, int, dict[str, int], int, tuple[str, int]]] = [
    # anon-a/-b/-d/-e are anonymous people; anon-c signed in as u-1 (merged); anon-e was seen
    # with u-2 and u-3 (a shared device), so it stays its own person; one row has no key at all
    (
        "segment/anonymous_calls.jsonl",
        "segment/calls",
        7,
        1,
        {"user_id": 3, "anonymous_id": 4},
        1,
        ("context.traits.email", 1),
    ),
    # every call of the envelope is anonymous: the userId column does not even exist
    ("segment/anonymous_batch.jsonl", "segment/batch", 2, 0, {"anonymous_id": 2}, 0, ("traits.email", 1)),
    (
        "segment/anonymous_s3_log.jsonl.gz",
        "segment/s3_logs",
        3,
        0,
        {"user_id": 1, "anonymous_id": 2},
        0,
        ("context.traits.email", 1),
    ),
    # warehouse identifies: empty user_id, anonymous_id set
    (
        "segment/identifies_anonymous.csv",
        "segment/warehouse",
        3,
        0,
        {"user_id": 1, "anonymous_id": 2},
        0,
        ("email", 2),
    ),
    # distinct_id "$device:dev-1" is the anonymous device dev-1, which later signed up as u-9
    (
        "mixpanel/events_anonymous.jsonl",
        "mixpanel/events",
        2,
        0,
        {"distinct_id": 1, "device_id": 1},
        1,
        ("properties.$city", 2),
    ),
    # a row without amplitude_id is identified by its device_id, seen with amplitude_id 501
    ("amplitude/anonymous_events.json", "amplitude/events", 2, 0, {"amplitude_id": 2}, 1, ("ip_address", 2)),
    # PostHog: no person_id -> distinct_id
    (
        "posthog/events_anonymous.jsonl",
        "posthog/events",
        2,
        0,
        {"person_id": 1, "distinct_id": 1},
        0,
        ("properties.$ip", 2),
    ),
    # GA4: no user_pseudo_id (consent mode) -> user_id
    (
        "ga4/events_consent.jsonl",
        "ga4/bigquery_events",
        2,
        0,
        {"user_pseudo_id": 1, "user_id": 1},
        0,
        ("geo.city", 2),
    ),
]


@pytest.mark.parametrize(
    ("name", "layout", "people", "without_key", "kinds", "linked", "field"),
    ANONYMOUS,
    ids=[a[0] for a in ANONYMOUS],
)
def test_anonymous_rows_are_people(
    name: str,
    layout: str,
    people: int,
    without_key: int,
    kinds: dict[str, int],
    linked: int,
    field: tuple[str, int],
    tmp_path: Path,
) -> None:
    path = _path(name, tmp_path)
    src = open_sources(path)[0]
    match = recognise(next(iter(src.chunks())).batch.schema.names, source_name=src.name)
    assert match is not None and f"{match.vendor}/{match.layout}" == layout
    s = person_fields(open_sources(path), key=KEY)
    assert (s.people, s.rows_without_key, s.key_kinds, s.linked_keys) == (people, without_key, kinds, linked)
    assert s.field_people[field[0]] == field[1]
    assert s.fallback_columns[src.name]  # the summary says which fallback key columns it used


def test_per_person_file_names_the_key_kind(tmp_path: Path) -> None:
    out = tmp_path / "people.csv"
    person_fields(open_sources(FIXTURES / "segment" / "anonymous_calls.jsonl"), key=KEY, out=out)
    rows = {(r["person"], r["key_kind"]): r for r in csv.DictReader(out.open())}
    assert (keyed_hash(KEY, "anonymous_id:anon-b"), "anonymous_id") in rows
    assert (keyed_hash(KEY, "user_id:u-1"), "user_id") in rows
    assert (keyed_hash(KEY, "anonymous_id:anon-c"), "anonymous_id") not in rows  # merged into u-1
    u1 = rows[(keyed_hash(KEY, "user_id:u-1"), "user_id")]
    assert "context.userAgent" in u1["fields"].split(";")  # from anon-c's page view before sign-in
    anon_b = rows[(keyed_hash(KEY, "anonymous_id:anon-b"), "anonymous_id")]
    assert "email" in anon_b["classes"].split(";")
    assert "anon-" not in out.read_text()  # never a raw key


def test_an_explicit_person_key_has_no_fallback() -> None:
    s = person_fields(
        open_sources(FIXTURES / "segment" / "anonymous_calls.jsonl"), key=KEY, person_key="userId"
    )
    assert s.people == 3 and s.rows_without_key == 6 and s.key_kinds == {"user_id": 3}


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("userId", "user_id"),
        ("anonymousId", "anonymous_id"),
        ("anonymous_id", "anonymous_id"),
        ("properties.$device_id", "device_id"),
        ("$distinct_id", "distinct_id"),
        ("Distinct ID", "distinct_id"),
        ("user_pseudo_id", "user_pseudo_id"),
    ],
)
def test_key_kind(column: str, kind: str) -> None:
    assert key_kind(column) == kind


# --- placeholders: per field where the vendor documents them per field ---

# (layout, column, value, is a placeholder there)
PLACEHOLDERS = [
    ("amplitude/events", "session_id", "-1", True),  # documented: events outside a session
    ("amplitude/events", "event_properties.session_id", "-1", False),  # a custom property
    ("amplitude/events", "event_properties.count", "-1", False),
    ("amplitude/events", "user_properties.zip", "-1", False),
    ("amplitude/events", "user_properties.phone", "-1", False),
    ("amplitude/events", "user_id", "-1", False),
    ("amplitude/events", "location_lat", "-1", False),
    ("amplitude/events", "dma", "(none)", True),  # a display marker, never data: any column
    ("mixpanel/events", "properties.$initial_referrer", "$direct", True),
    ("ga4/bigquery_events", "geo.city", "(not set)", True),
    ("segment/calls", "traits.phone", "-1", False),
]


@pytest.mark.parametrize(("layout", "column", "value", "placeholder"), PLACEHOLDERS)
def test_placeholder_only_in_its_documented_field(
    layout: str, column: str, value: str, placeholder: bool
) -> None:
    match = _BY_ID[layout].fit([column])
    assert (value in match.placeholders_for(column)) is placeholder


def _columns(path: Path) -> dict[str, dict[str, Any]]:
    source = scan_files([path]).to_dict()["sources"][0]
    return {c["name"]: c for c in source["columns"]}


# (column, placeholders, non-null values) in the scan of amplitude/anonymous_events.json
SCANNED = [
    ("user_properties.zip", 0, 2),  # "-1" in a custom property is scanned as data
    ("event_properties.count", 0, 2),  # so is -1 as a number
    ("city", 1, 2),  # "(none)" still is no data
]


@pytest.mark.parametrize(("column", "placeholders", "non_null"), SCANNED)
def test_minus_one_outside_session_id_is_scanned(column: str, placeholders: int, non_null: int) -> None:
    col = _columns(FIXTURES / "amplitude" / "anonymous_events.json")[column]
    assert (col["placeholders"], col["non_null"]) == (placeholders, non_null)


def test_session_id_minus_one_is_a_placeholder_in_the_scan() -> None:
    col = _columns(FIXTURES / "amplitude" / "anonymous_events.json")["session_id"]
    assert (col["placeholders"], col["non_null"]) == (2, 1)


def test_per_person_placeholder_only_in_its_field() -> None:
    path = FIXTURES / "amplitude" / "anonymous_events.json"
    name = open_sources(path)[0].name
    # a scan's final classes: value detection classified the custom zip property
    classes = {(name, "session_id"): ["internal_id"], (name, "user_properties.zip"): ["postal_address"]}
    s = person_fields(open_sources(path), key=KEY, scan_classes=classes)
    assert s.field_people["session_id"] == 1  # 502 and the merged row have -1: outside a session
    assert s.field_people["user_properties.zip"] == 2  # "-1" and "94103" are both values
    assert s.field_people["city"] == 1  # "(none)"


# --- Segment warehouse: a bare ``title`` is per table ---

# (column, source name, class or None)
WAREHOUSE_TITLE = [
    ("title", "identifies.csv", None),  # trait: a job title, values decide
    ("title", "prod_web.users.parquet", None),
    ("title", "pages.csv", "url"),  # page title
    ("title", "prod_web.pages_000.csv", "url"),
    ("title", "export.csv", None),  # table unknown: not a url
    ("title", "", None),
    ("context_page_title", "identifies.csv", "url"),  # the page the identify call came from
    ("url", "pages.csv", "url"),
    ("url", "export.csv", "url"),
    ("email", "identifies.csv", "email"),
    ("email", "export.csv", "email"),
    ("first_name", "users.csv", "person_name"),
    ("address_postal_code", "identifies.csv", "postal_address"),
    ("path", "identifies.csv", None),  # no bare page fields in a traits table
]


@pytest.mark.parametrize(("column", "source", "cls"), WAREHOUSE_TITLE)
def test_warehouse_bare_column_class_depends_on_the_table(column: str, source: str, cls: str | None) -> None:
    match = _BY_ID["segment/warehouse"].fit([column, "user_id", "received_at"], source)
    assert match.field_classes.get(column, frozenset()) == (frozenset({cls}) if cls else frozenset())


@pytest.mark.parametrize(
    ("name", "has_url"),
    [("segment/identifies_anonymous.csv", False), ("segment/pages.csv", True)],
)
def test_warehouse_title_through_the_scan(name: str, has_url: bool) -> None:
    classes = {c["class"] for c in _columns(FIXTURES / name)["title"]["classes"]}
    assert ("url" in classes) is has_url
