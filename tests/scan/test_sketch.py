"""The distinct-count sketch's hash is the documented function of each value's bytes, whatever
the array's layout (lengths 0 to 40 bytes, multi-byte characters, sliced arrays, nulls)."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from breachscope.scan import sketch

_GOLD, _M1, _M2 = 0x9E3779B97F4A7C15, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53
_MOD = 2**64


def _reference(value: str) -> int:
    """The hash as the module docstring defines it, one value at a time."""
    data = value.encode()
    h = len(data) * _GOLD % _MOD
    for block in (data[:16].ljust(16, b"\0"), data[-16:].rjust(16, b"\0")):
        for at in (0, 8):
            h = (h * _M1 + int.from_bytes(block[at : at + 8], "little")) % _MOD
    for m in (_M1, _M2):
        h ^= h >> 33
        h = h * m % _MOD
    return h ^ (h >> 33)


_rnd = random.Random(7)
_VALUES = ["".join(_rnd.choice("ab9@.-é漢😀\0") for _ in range(n % 41)) for n in range(400)]


@pytest.mark.parametrize(
    "values",
    [
        pa.array(_VALUES),
        pa.array(_VALUES).slice(37, 200),
        pa.array(["x" * 40, "y" * 16, "z" * 17] * 3),  # every value 16 bytes or longer
        pa.array(["", "a", None, "bb" * 30]).drop_null(),
        pa.array(_VALUES, pa.large_string()),
        pa.array([f"user-{i:024x}" for i in range(300)]).slice(7, 250),  # all of one length
        pa.array([f"{i:014d}é" for i in range(50)] + ["x" * 16]),  # 16 bytes each, some multi-byte
    ],
    ids=["mixed", "sliced", "long-only", "empty-and-short", "large-string", "fixed-width", "fixed-16"],
)
def test_hash_is_the_documented_function(values: pa.Array) -> None:
    assert sketch.hash64(values).tolist() == [_reference(v) for v in values.to_pylist()]


def test_sketch_keeps_the_k_smallest_distinct_hashes() -> None:
    values = pa.array([f"user-{i}@example.com" for i in range(5_000)] * 2)
    expected = sorted({_reference(v) for v in values.to_pylist()})[: sketch.K]
    assert sketch.sketch(values) == tuple(expected)
    assert sketch.sketch(pa.array(["a", "a", None, "b"])) == tuple(sorted({_reference("a"), _reference("b")}))
