"""Hostile vendor exports through the real readers, vendor transforms and scan engine.

Odd GA4 ``event_params`` value types and null lists, Segment batch envelopes mixing call types
(and empty ones), JSON-text ``properties`` that are not valid JSON or change type between rows:
never a traceback, never a value silently left unscanned.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from breachscope.exposures.people import person_fields
from breachscope.hashing import new_key
from breachscope.readers import open_sources
from breachscope.scan import scan_files

EMAIL = "pat.example@example.org"
KEY = "ghp_" + "R2d2C3poK9xQ7mLw4Vb8Nz1Ty6Ua3Hs5Je0P"  # fictional, GitHub token shape


def _scan(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    source = scan_files([path]).to_dict()["sources"][0]
    return source, {c["name"]: c for c in source["columns"]}


def _classes(column: dict[str, Any]) -> set[str]:
    return {c["class"] for c in column["classes"]}


def _where(columns: dict[str, dict[str, Any]], cls: str) -> set[str]:
    return {name for name, col in columns.items() if cls in _classes(col)}


def _ga4_row(params: object, **extra: object) -> dict[str, object]:
    return {
        "event_date": "20251109",
        "event_timestamp": 1762646400000000,
        "event_name": "page_view",
        "user_pseudo_id": "1146540.1921992520",
        "event_params": params,
        "geo": {"city": "Springfield", "country": "United States"},
        **extra,
    }


def test_ga4_odd_event_params(tmp_path: Path) -> None:
    rows = [
        _ga4_row(
            [{"key": "page_location", "value": {"string_value": f"https://www.example.com/?e={EMAIL}"}}]
        ),
        _ga4_row(None),
        _ga4_row([]),
        _ga4_row(
            [{"key": "ga_session_id", "value": {"int_value": "1762646400"}}]
        ),  # BigQuery JSON: int as text
        _ga4_row([{"key": "ratio", "value": {"double_value": 0.5, "float_value": None}}]),
        _ga4_row(
            [
                {"key": "contact", "value": {"string_value": EMAIL}},
                {"key": "contact", "value": {"string_value": "x"}},
            ]
        ),
        _ga4_row([{"key": None, "value": {"string_value": KEY}}]),
    ]
    path = tmp_path / "events_20251109.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    source, columns = _scan(path)
    assert source["vendor"]["layout"] == "bigquery_events"
    assert "event_params.contact" in _where(columns, "email")
    assert "event_params.(no key)" in _where(columns, "secret")  # a record without a key is scanned
    assert "url" in _classes(columns["event_params.page_location"])
    assert not [i for i in source["issues"] if i["kind"] == "vendor_transform"]


def test_segment_batch_mixing_call_types(tmp_path: Path) -> None:
    envelopes = [
        {
            "batch": [
                {
                    "type": "identify",
                    "userId": "u1",
                    "traits": {"email": EMAIL, "address": {"city": "Springfield"}},
                },
                {"type": "track", "userId": "u1", "event": "Signed Up", "properties": {"token": KEY}},
                {"type": "page", "anonymousId": "a1", "properties": {"url": "https://www.example.com/"}},
                {"type": "alias", "userId": "u1", "previousId": "a1"},
                {"type": "group", "userId": "u1", "groupId": "g1", "traits": {"name": "Example Inc"}},
            ],
            "context": {"ip": "192.0.2.1"},
            "sentAt": "2025-11-09T00:00:00Z",
        },
        {"batch": [], "context": {"ip": "192.0.2.77"}, "sentAt": "2025-11-09T00:00:01Z"},
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in envelopes) + "\n")
    source, columns = _scan(path)
    assert (source["vendor"]["vendor"], source["vendor"]["layout"]) == ("segment", "batch")
    assert source["rows"] == 6  # five calls and the empty envelope
    assert "traits.email" in _where(columns, "email")
    assert "properties.token" in _where(columns, "secret")
    assert "context.ip" in _where(columns, "ip_address")
    assert columns["context.ip"]["non_null"] == 6  # the envelope context fills every call


@pytest.mark.parametrize(
    "bad",
    [
        "{not json " + EMAIL,  # invalid JSON: the row stays raw and is still scanned
        json.dumps(["a list", EMAIL]),  # JSON that is not an object
        EMAIL,  # plain text
    ],
)
def test_posthog_parquet_properties_that_are_not_json_objects(tmp_path: Path, bad: str) -> None:
    table = pa.table(
        {
            "uuid": ["e1", "e2", "e3"],
            "event": ["$pageview"] * 3,
            "distinct_id": ["d1", "d2", "d3"],
            "person_id": ["p1", "p2", "p3"],
            "elements_chain": ["", "", ""],
            "timestamp": ["2025-11-09T00:00:00Z"] * 3,
            "properties": [json.dumps({"$ip": "192.0.2.1", "plan": 1}), bad, json.dumps({"plan": "pro"})],
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    source, columns = _scan(path)
    assert source["vendor"]["vendor"] == "posthog"
    assert "properties.$ip" in _where(columns, "ip_address")  # parsed despite the bad row
    assert "properties" in _where(columns, "email")  # the bad row's text is scanned, not dropped
    assert columns["properties.plan"]["non_null"] == 2  # 1 then "pro": a type change is no failure


def test_people_pass_over_hostile_segment_batch(tmp_path: Path) -> None:
    calls = [
        {"type": "identify", "userId": "u1", "traits": {"email": EMAIL}},
        {"type": "track", "userId": "u2"},
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps({"batch": calls, "sentAt": "t"}) + "\n" + json.dumps({"batch": None}) + "\n")
    summary = person_fields(open_sources(path), key=new_key())
    assert summary.people == 2
    assert summary.rows == 3 and summary.rows_without_key == 1
    assert summary.field_people["traits.email"] == 1


def test_ga4_traffic_source_name_is_a_campaign_not_a_person(tmp_path: Path) -> None:
    ts = {"name": "Spring Sale", "medium": "cpc", "source": "google"}
    rows = [_ga4_row([], traffic_source=ts) for _ in range(20)]
    path = tmp_path / "events_20251109.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    _, columns = _scan(path)
    assert _classes(columns["traffic_source.name"]) == {"url"}


def test_segment_library_name_is_not_a_person_name(tmp_path: Path) -> None:
    calls = [
        {
            "type": "track",
            "userId": f"u{i}",
            "event": "Signed Up",
            "context": {"library": {"name": "analytics.js"}},
        }
        for i in range(20)
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps({"batch": calls, "sentAt": "2025-11-09T00:00:00Z"}) + "\n")
    _, columns = _scan(path)
    assert "person_name" not in _classes(columns["context.library.name"])
