"""Property-based fuzzing of the readers (hypothesis): random and mutated files never crash a
read, and every problem is a documented read issue.

The default suite runs a short bounded pass; ``make fuzz`` runs the same properties with many
more examples (``BREACHSCOPE_FUZZ_EXAMPLES``) and then the atheris harness
(``fuzz/readers_atheris.py``) when atheris is installed. See docs/readers.md, "Fuzzing".
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import os
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.readers.fuzz_target import NAMES, PLANTED, read_all
from tests.readers.readers_helpers import encode

EXAMPLES = int(os.environ.get("BREACHSCOPE_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    # the default suite's short pass is the same every run (no flaky CI); `make fuzz` explores
    derandomize="BREACHSCOPE_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
ROWS = [{"email": f"p{i}@example.com", "note": f"{PLANTED} {i}", "n": str(i)} for i in range(30)]
SEEDS = {fmt: encode(ROWS, fmt) for fmt in ("csv", "tsv", "json", "jsonl", "avro", "xlsx", "parquet")}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid file of some format, then flipped, cut, spliced or bracket-stuffed bytes."""
    fmt = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[fmt])
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "brackets"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(max_size=64))
        elif op == "repeat":
            data[at:at] = bytes(data[at : at + 16]) * draw(st.integers(1, 200))
        else:
            depth = draw(st.integers(1, 3000))
            data[at:at] = draw(st.sampled_from([b"[", b'{"a":', b"{"])) * depth
    wrap = draw(st.sampled_from(["none", "gz", "bz2", "zip"]))
    return fmt, _wrap(bytes(data), f"data.{fmt}", wrap)


def _wrap(data: bytes, name: str, how: str) -> bytes:
    if how == "gz":
        return gzip.compress(data)
    if how == "bz2":
        return bz2.compress(data)
    if how == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name, data)
        return buf.getvalue()
    return data


@FUZZ
@given(
    st.binary(max_size=4096),
    st.sampled_from(NAMES),
    st.sampled_from(["auto", "csv", "jsonl", "json", "avro"]),
)
def test_random_bytes_never_crash_a_read(data: bytes, name: str, fmt: str) -> None:
    read_all(data, name, fmt)


@FUZZ
@given(mutated())
def test_mutated_files_never_crash_a_read(case: tuple[str, bytes]) -> None:
    fmt, data = case
    read_all(data, f"data.{fmt}")
    read_all(data, "data")  # the same bytes without a telling name


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=40,
)


@FUZZ
@given(st.lists(JSON_VALUE, min_size=1, max_size=20), st.integers(0, 400))
def test_any_json_lines_are_read_or_reported(values: list[object], depth: int) -> None:
    """Every line is either read or named by an issue; a deep line never costs its neighbours."""
    lines = [json.dumps(v) for v in values]
    lines.insert(len(lines) // 2, '{"a":' * depth + "1" + "}" * depth)
    kinds = read_all("\n".join(lines).encode(), "data.jsonl")
    if depth > 16:
        assert "too_deep" in kinds
