"""JSON and JSONL specifics: flattening, list columns, record keys, varying schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from breachscope.readers import open_sources
from tests.readers.readers_helpers import read_rows

EVENT = {
    "event": "Sign Up",
    "properties": {"$email": "a@example.com", "geo": {"$city": "Jakarta", "$region": "Jakarta"}, "time": 1},
    "tags": ["a", "b"],
    "event_params": [{"key": "page", "value": {"string_value": "/home"}}],
}


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_nested_objects_flatten_to_dotted_paths(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"e.{fmt}"
    text = json.dumps(EVENT) + "\n" if fmt == "jsonl" else json.dumps([EVENT])
    path.write_text(text, encoding="utf-8")
    sources = open_sources(path)
    (chunk,) = list(sources[0].chunks())
    schema = chunk.batch.schema
    assert schema.names == [
        "event",
        "properties.$email",
        "properties.geo.$city",
        "properties.geo.$region",
        "properties.time",
        "tags",
        "event_params",
    ]
    assert pa.types.is_list(schema.field("tags").type)
    assert pa.types.is_list(schema.field("event_params").type)  # lists of structs stay lists
    row = chunk.batch.to_pylist()[0]
    assert row["properties.$email"] == "a@example.com" and row["tags"] == ["a", "b"]


@pytest.mark.parametrize(
    ("doc", "key", "expected"),
    [
        (
            {"page": 0, "results": [{"$distinct_id": "d1"}, {"$distinct_id": "d2"}], "status": "ok"},
            "results",
            2,
        ),
        ({"data": [{"x": 1}]}, "data", 1),
        ({"meta": {"n": 1}, "events": [{"x": 1}, {"x": 2}, {"x": 3}]}, "events", 3),
        ({"whatever": [{"x": 1}, {"x": 2}]}, "whatever", 2),  # the only list of records
        ({"name": "single", "nested": {"a": 1}}, None, 1),  # an object is one record
        ([{"x": 1}], None, 1),
        ([], None, 0),
    ],
)
def test_record_location(tmp_path: Path, doc: object, key: str | None, expected: int) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    rows, sources = read_rows(path)
    assert len(rows) == expected
    assert sources[0].record_path == key


def test_mixpanel_engage_page_flattens_properties(tmp_path: Path) -> None:
    page = {
        "page": 0,
        "page_size": 1000,
        "results": [
            {"$distinct_id": "u1", "$properties": {"$email": "u1@example.com", "$city": "Bandung"}},
            {"$distinct_id": "u2", "$properties": {"$email": "u2@example.org", "$name": "Dewi"}},
        ],
        "session_id": "s",
        "status": "ok",
        "total": 2,
    }
    path = tmp_path / "engage.json"
    path.write_text(json.dumps(page, indent=2), encoding="utf-8")
    rows, sources = read_rows(path)
    assert sources[0].record_path == "results"
    assert [r["$properties.$email"] for r in rows] == ["u1@example.com", "u2@example.org"]
    assert rows[1]["$properties.$name"] == "Dewi" and rows[0]["$properties.$name"] is None


def test_jsonl_schema_may_change_between_batches(tmp_path: Path) -> None:
    path = tmp_path / "drift.jsonl"
    lines = [{"a": i} for i in range(5)] + [{"b": "x", "a": "text now"}]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    rows, _ = read_rows(path)
    assert [r.get("a") for r in rows][-1] == "text now"
    assert rows[-1]["b"] == "x"


def test_pretty_printed_array_streams_in_batches(tmp_path: Path) -> None:
    records = [{"i": i, "v": {"s": f"value {i}"}} for i in range(2500)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(records, indent=4), encoding="utf-8")
    sources = open_sources(path, batch_rows=1000)
    chunks = list(sources[0].chunks())
    assert [c.offset for c in chunks] == [0, 1000, 2000]
    assert [c.batch.num_rows for c in chunks] == [1000, 1000, 500]
    assert chunks[-1].batch.to_pylist()[-1] == {"i": 2499, "v.s": "value 2499"}
