"""Batch transforms: GA4 key/value records to columns, JSON text to columns, Segment envelopes."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from breachscope.vendors.segment import explode_batch
from breachscope.vendors.transforms import chain, json_columns, key_value_columns

_VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
    ]
)
_PARAMS = pa.list_(pa.struct([("key", pa.string()), ("value", _VALUE)]))


def _kv(key: str, s: str | None = None, i: int | None = None, d: float | None = None) -> dict[str, object]:
    return {"key": key, "value": {"string_value": s, "int_value": i, "float_value": None, "double_value": d}}


def test_event_params_become_columns() -> None:
    params = pa.array(
        [
            [_kv("page_location", s="https://www.example.com/"), _kv("ga_session_id", i=17)],
            [],
            None,
            [_kv("engagement", d=1.5), _kv("page_location", s="https://www.example.com/b")],
        ],
        _PARAMS,
    )
    batch = pa.record_batch({"user_pseudo_id": ["a", "b", "c", "d"], "event_params": params})
    out = key_value_columns(["event_params", "user_properties"])(batch)
    assert out.schema.names == [
        "user_pseudo_id",
        "event_params.page_location",
        "event_params.ga_session_id",
        "event_params.engagement",
    ]
    assert out.column("event_params.page_location").to_pylist() == [
        "https://www.example.com/",
        None,
        None,
        "https://www.example.com/b",
    ]
    assert out.column("event_params.ga_session_id").to_pylist() == ["17", None, None, None]
    assert out.column("event_params.engagement").to_pylist() == [None, None, None, "1.5"]


@pytest.mark.parametrize(
    "column",
    [
        pa.array(["not", "a list"]),
        pa.array([[1, 2], [3]]),
        pa.array([[{"k": "x"}], []]),
    ],
)
def test_key_value_leaves_other_shapes_alone(column: pa.Array) -> None:
    batch = pa.record_batch({"event_params": column})
    assert key_value_columns(["event_params"])(batch).equals(batch)


def test_json_text_becomes_columns() -> None:
    batch = pa.record_batch(
        {
            "distinct_id": ["u1", "u2", "u3", "u4"],
            "properties": [
                '{"$city": "Springfield", "geo": {"lat": 1.5}}',
                None,
                "",
                '{"$city":\n"Rivertown"}',
            ],
        }
    )
    out = json_columns(["properties"])(batch)
    assert out.schema.names == ["distinct_id", "properties.$city", "properties.geo.lat"]
    assert out.column("properties.$city").to_pylist() == ["Springfield", None, None, "Rivertown"]
    assert out.column("properties.geo.lat").to_pylist() == [1.5, None, None, None]


@pytest.mark.parametrize(
    "values",
    [
        ['{"a": 1}', "{broken"],  # malformed JSON
        ['{"a": 1}', '{"a": "x"}'],  # a type that changes between rows
        ["{}", "{}"],  # nothing to expand
    ],
)
def test_json_text_that_cannot_be_parsed_is_kept(values: list[str]) -> None:
    batch = pa.record_batch({"properties": values})
    assert json_columns(["properties"])(batch).equals(batch)


def test_segment_envelopes_explode_to_calls() -> None:
    calls = pa.array(
        [
            [
                {"type": "identify", "userId": "u1", "context": {"ip": "192.0.2.1"}},
                {"type": "track", "userId": "u1", "context": {"ip": "192.0.2.1"}},
            ],
            [{"type": "page", "userId": "u2", "context": {"ip": None}}],
        ]
    )
    batch = pa.record_batch({"batch": calls, "sentAt": ["t1", "t2"], "context.library.name": ["js", "py"]})
    out = explode_batch(batch)
    assert out.num_rows == 3
    assert out.column("userId").to_pylist() == ["u1", "u1", "u2"]
    assert out.column("context.ip").to_pylist() == ["192.0.2.1", "192.0.2.1", None]
    assert out.column("sentAt").to_pylist() == ["t1", "t1", "t2"]
    assert out.column("context.library.name").to_pylist() == ["js", "js", "py"]


def test_chain_and_no_op() -> None:
    batch = pa.record_batch({"x": [1]})
    assert chain(explode_batch, json_columns(["p"]), key_value_columns(["q"]))(batch).equals(batch)


@given(
    st.lists(
        st.dictionaries(st.sampled_from(["a", "b", "page_location", "x.y"]), st.text(max_size=5), max_size=4),
        max_size=30,
    )
)
def test_key_value_columns_round_trip(rows: list[dict[str, str]]) -> None:
    params = pa.array([[_kv(k, s=v) for k, v in row.items()] for row in rows], _PARAMS)
    batch = pa.record_batch({"n": list(range(len(rows))), "event_params": params})
    out = key_value_columns(["event_params"])(batch)
    assert out.num_rows == len(rows)
    keys = {k for row in rows for k in row}
    assert set(out.schema.names) == {"n"} | {f"event_params.{k}" for k in keys}
    for k in keys:
        assert out.column(f"event_params.{k}").to_pylist() == [row.get(k) for row in rows]
