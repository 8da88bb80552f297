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
    ("values", "expected"),
    [
        # a malformed row stays raw in the original column; the good rows are parsed
        (['{"a": 1}', "{broken"], {"properties": [None, "{broken"], "properties.a": ["1", None]}),
        # a type that changes between rows (Arrow refuses): parsed row by row, values as text
        (['{"a": 1}', '{"a": "x"}'], {"properties.a": ["1", "x"]}),
        # JSON that is not an object, and plain text: kept for those rows only
        (['{"a": 1}', "[1, 2]"], {"properties": [None, "[1, 2]"], "properties.a": [1, None]}),
        (['{"a": 1}', "not json"], {"properties": [None, "not json"], "properties.a": [1, None]}),
        (['"a string"', "7"], {"properties": ['"a string"', "7"]}),
        # nothing to expand
        (["{}", "{}"], {"properties": ["{}", "{}"]}),
        ([None, "  "], {"properties": [None, "  "]}),
        # a dotted key and a nested object giving the same path: both kept
        (['{"a.b": 1, "a": {"b": 2}}'], {"properties.a.b": [1], "properties.a.b#2": [2]}),
        # lists mixing types (Arrow refuses): the list kept as JSON text
        (['{"l": [1, {"x": 2}]}', '{"l": []}'], {"properties.l": ['[1, {"x": 2}]', "[]"]}),
        # a key repeated in one object (Arrow refuses): every value kept, not the last one only
        (
            ['{"a": "k1", "a": "k2"}', '{"a": "k3"}'],
            {"properties.a": ["k1", "k3"], "properties.a#2": ["k2", None]},
        ),
        # a lone surrogate escape (Arrow refuses, and could not hold it): U+FFFD, the batch still parsed
        (
            ['{"a": "x\\ud800y", "b": "k1"}', '{"\\udc00": ["\\ud800"], "b": "k2"}'],
            {
                "properties.a": ["x\ufffdy", None],
                "properties.b": ["k1", "k2"],
                "properties.\ufffd": [None, '["\ufffd"]'],
            },
        ),
    ],
)
def test_json_text_loses_nothing(values: list[str | None], expected: dict[str, list[object]]) -> None:
    batch = pa.record_batch({"properties": pa.array(values, pa.string())})
    assert json_columns(["properties"])(batch).to_pydict() == expected


def test_json_columns_never_drop_a_clashing_name() -> None:
    batch = pa.record_batch({"properties": ['{"a": 1}'], "properties.a": ["already here"]})
    out = json_columns(["properties"])(batch).to_pydict()
    assert out == {"properties.a#2": [1], "properties.a": ["already here"]}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # a key repeated within one row: every occurrence kept
        (
            [[_kv("a", s="x1"), _kv("a", s="x2")], [_kv("a", s="y")]],
            {"event_params.a": ["x1", "y"], "event_params.a#2": ["x2", None]},
        ),
        # a record without a key
        ([[{"key": None, "value": {"string_value": "v"}}]], {"event_params.(no key)": ["v"]}),
        # only odd value types (int, double, all null)
        (
            [[_kv("n", i=5), _kv("d", d=2.5), _kv("z")]],
            {"event_params.n": ["5"], "event_params.d": ["2.5"], "event_params.z": [None]},
        ),
        # null lists and empty lists alone: nothing to expand, the column goes
        ([None, []], {}),
    ],
)
def test_key_value_hostile_records(rows: list[object], expected: dict[str, list[object]]) -> None:
    batch = pa.record_batch({"event_params": pa.array(rows, _PARAMS)})
    assert key_value_columns(["event_params"])(batch).to_pydict() == expected


def test_key_value_plain_value_and_partial_value_struct() -> None:
    plain = pa.array([[{"key": "a", "value": "text"}], [{"key": "a", "value": None}]])
    assert key_value_columns(["p"])(pa.record_batch({"p": plain})).to_pydict() == {"p.a": ["text", None]}
    partial = pa.array([[{"key": "a", "value": {"int_value": 3, "set_timestamp_micros": 9}}]])
    assert key_value_columns(["p"])(pa.record_batch({"p": partial})).to_pydict() == {"p.a": ["3"]}


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


def test_segment_mixed_calls_and_empty_envelopes_lose_nothing() -> None:
    calls = pa.array(
        [
            [
                {
                    "type": "identify",
                    "userId": "u1",
                    "traits": {"email": "a@example.com"},
                    "context": {"ip": None},
                },
                {"type": "track", "userId": "u1", "event": "Signed Up", "context": {"ip": "192.0.2.9"}},
                {"type": "alias", "userId": "u1", "previousId": "anon-1", "context": {"ip": None}},
            ],
            [],
            None,
        ]
    )
    batch = pa.record_batch(
        {"batch": calls, "context.ip": ["192.0.2.1", "192.0.2.2", None], "sentAt": ["t1", "t2", "t3"]}
    )
    out = explode_batch(batch).to_pydict()
    assert out["type"] == ["identify", "track", "alias", None, None]
    # the call's own value wins; the envelope's fills the call's nulls (Segment merges context)
    assert out["context.ip"] == ["192.0.2.1", "192.0.2.9", "192.0.2.1", "192.0.2.2", None]
    assert out["traits.email"] == ["a@example.com", None, None, None, None]
    assert out["previousId"] == [None, None, "anon-1", None, None]
    assert out["sentAt"] == ["t1", "t1", "t1", "t2", "t3"]


def test_segment_envelope_field_of_another_type_is_kept_aside() -> None:
    calls = pa.array([[{"type": "track", "userId": "u1", "n": 1}]])
    out = explode_batch(pa.record_batch({"batch": calls, "n": ["text"]})).to_pydict()
    assert out["n"] == [1]
    assert out["envelope.n"] == ["text"]


@pytest.mark.parametrize("distinct", [3, 200])  # the mask path and the sort path (> 64 keys)
def test_key_value_columns_many_keys_match_the_rows(distinct: int) -> None:
    rows = [[_kv(f"k{(i * 7 + j) % distinct}", s=f"v{i}.{j}") for j in range(5)] for i in range(300)]
    rows[5] = [*rows[5], _kv("k0", s="again"), {"key": None, "value": {"string_value": "nokey"}}]
    out = key_value_columns(["event_params"])(pa.record_batch({"event_params": pa.array(rows, _PARAMS)}))
    got = out.to_pydict()
    for i, row in enumerate(rows):
        seen: dict[str, int] = {}
        for item in row:
            key = item["key"] if item["key"] is not None else "(no key)"  # type: ignore[index]
            n = seen[key] = seen.get(key, 0) + 1
            name = f"event_params.{key}" + (f"#{n}" if n > 1 else "")
            assert got[name][i] == item["value"]["string_value"]  # type: ignore[index]
    assert sum(v is not None for col in got.values() for v in col) == sum(len(r) for r in rows)


MANY = 150_000


@pytest.mark.timeout(60)  # a budget, not a speed target: before, one such row took minutes of CPU
@pytest.mark.parametrize(
    "keys",
    [["a"] * MANY, [f"k{i}" for i in range(MANY)]],
    ids=["one key repeated", "distinct keys"],
)
def test_one_rows_many_keys_are_handled_in_linear_work(keys: list[str]) -> None:
    """Each repeat's new name was searched from #2 again, and each leaf's name was checked
    against a fresh copy of the row's names so far: both quadratic. Past MAX_JSON_KEYS the row
    stays raw text (scanned as such), the other rows become columns as before."""
    big = "{" + ", ".join(f'"{k}": "v{i}"' for i, k in enumerate(keys)) + "}"
    rows = [big, '{"b": 1}', '{"b": "x"}']  # b's type changes: Arrow refuses, rows parsed one by one
    batch = pa.record_batch({"properties": pa.array(rows, pa.string())})
    assert json_columns(["properties"])(batch).to_pydict() == {
        "properties": [big, None, None],
        "properties.b": [None, "1", "x"],
    }
