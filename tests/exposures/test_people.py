"""The per-person question: which fields and classes each distinct person key exposes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from breachscope.errors import InputError
from breachscope.exposures.people import person_fields
from breachscope.exposures.person_key import choose_person_key
from breachscope.hashing import keyed_hash
from breachscope.readers import open_sources

FIXTURES = Path(__file__).resolve().parent.parent / "vendors" / "fixtures"
KEY = bytes(range(32))


def _summary(name: str, **kw):  # type: ignore[no-untyped-def]
    return person_fields(open_sources(FIXTURES / name), key=KEY, **kw)


def test_engage_profiles_per_person(tmp_path: Path) -> None:
    out = tmp_path / "people.csv"
    s = _summary("mixpanel/engage_page.json", out=out)
    assert s.people == 2 and s.rows == 2 and s.rows_without_key == 0
    assert s.key_columns == {"engage_page.json": "$distinct_id"}
    assert s.field_people["$properties.$email"] == 2
    assert s.field_people["$properties.$phone"] == 1
    # "$direct" is a placeholder: the second profile exposes no referrer
    assert s.field_people["$properties.$initial_referrer"] == 1
    assert s.class_people == {
        "coarse_location": 2,
        "device": 2,
        "email": 2,
        "internal_id": 2,  # the person key itself is leaked, as case attach stores it
        "person_name": 2,
        "timestamp": 2,
        "phone": 1,
        "url": 1,
    }
    rows = {r["person"]: r for r in csv.DictReader(out.open())}
    assert set(rows) == {keyed_hash(KEY, "distinct_id:u-1001"), keyed_hash(KEY, "distinct_id:u-1002")}
    first = rows[keyed_hash(KEY, "distinct_id:u-1001")]
    assert "$properties.$phone" in first["fields"].split(";")
    assert "phone" in first["classes"].split(";")
    assert "u-1001" not in out.read_text()  # never the raw key


def test_distribution_of_field_sets() -> None:
    s = _summary("segment/batch.json")
    assert sum(c.people for c in s.combinations) == s.people == 4
    assert s.distinct_combinations == 4
    identified = next(c for c in s.combinations if "traits.email" in c.fields)
    assert {"email", "ip_address", "person_name", "user_agent"} <= set(identified.classes)
    assert s.rows_without_key == 0  # the page call of an anonymous visitor: keyed by anonymousId
    assert s.key_kinds == {"user_id": 3, "anonymous_id": 1}


def test_events_merge_rows_of_one_person(tmp_path: Path) -> None:
    out = tmp_path / "people.json"
    s = _summary("mixpanel/events.jsonl", out=out)
    assert s.people == 3 and s.rows == 4  # u-1001 has two events
    people = json.loads(out.read_text())
    assert len(people) == 3 and all(
        set(p) == {"person", "key_kind", "n_fields", "fields", "classes"} for p in people
    )
    u1 = next(p for p in people if p["person"] == keyed_hash(KEY, "distinct_id:u-1001"))
    assert "properties.utm_source" in u1["fields"]  # from the first event only
    # no class from the scan, but named as an org id: an identifier, exactly as case attach stores it
    assert "properties.org_id" in u1["fields"] and "internal_id" in u1["classes"]


def test_column_classes_and_chosen_key(tmp_path: Path) -> None:
    classes = {"contact": {"email"}, "full_name": {"person_name"}, "city": {"coarse_location"}}
    out = tmp_path / "p.jsonl"
    s = person_fields(open_sources(FIXTURES / "generic/unknown.csv"), classes, key=KEY, out=out)
    assert s.key_columns == {"unknown.csv": "contact"}
    assert s.people == 2
    assert s.field_people == {"contact": 2, "full_name": 2, "city": 2}  # the key is exposed too
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert {x["person"] for x in lines} == {
        keyed_hash(KEY, "email:alex@example.com"),
        keyed_hash(KEY, "email:blake@example.com"),
    }


def test_no_person_key_is_a_note_not_a_crash() -> None:
    s = _summary("generic/unknown.csv")
    assert s.people == 0 and s.key_columns == {"unknown.csv": None} and s.notes


@pytest.mark.parametrize(
    ("classes", "columns", "expected"),
    [
        ({"a": {"internal_id"}, "b": {"email"}}, ["a", "b"], "b"),
        ({"event_id": {"internal_id"}, "user_id": {"internal_id"}}, ["event_id", "user_id"], "user_id"),
        ({"event_id": {"internal_id"}}, ["event_id"], "event_id"),
        ({"city": {"coarse_location"}}, ["city"], None),
    ],
)
def test_choose_person_key(classes: dict[str, set[str]], columns: list[str], expected: str | None) -> None:
    assert choose_person_key(classes, columns) == expected


def test_forced_vendor_and_user_errors(tmp_path: Path) -> None:
    s = _summary("ga4/events_20251109.jsonl", vendor="ga4", memory_limit="64MB", temp_dir=tmp_path)
    assert s.people == 2 and "event_params.page_location" in s.fields
    with pytest.raises(InputError):
        _summary("ga4/events_20251109.jsonl", out=tmp_path / "x.xlsx")
    with pytest.raises(InputError):
        person_fields([], key=b"short")
