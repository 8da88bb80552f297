"""``percent_decoded``: emails and names written percent-encoded in URLs are decoded before
detection, whatever slice of a batch a column is (the fast byte search must not miss a value)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from breachscope.scan.column import percent_decoded

VALUES = ["plain", "rina%40example.co.id", None, "100%", "a%2540b.example", "x"]


@pytest.mark.parametrize(("start", "length"), [(0, 6), (1, 1), (2, 4), (3, 3), (0, 1), (5, 1), (4, 2)])
def test_every_slice_decodes_exactly_its_encoded_values(start: int, length: int) -> None:
    arr = pa.array(VALUES, pa.string()).slice(start, length)
    expected = {
        "rina%40example.co.id": "rina@example.co.id",
        "a%2540b.example": "a@b.example",  # decoded twice at most
    }
    assert percent_decoded(arr).to_pylist() == [expected.get(v, v) for v in VALUES[start : start + length]]


def test_null_and_empty_columns() -> None:
    assert percent_decoded(pa.array([None, None], pa.string())).to_pylist() == [None, None]
    assert percent_decoded(pa.array([], pa.string())).to_pylist() == []
