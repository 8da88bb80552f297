"""Property-based round trips: any text values survive CSV and JSONL reading unchanged."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.readers.readers_helpers import read_rows

# Surrogates cannot be encoded; NUL and lone CR are out of scope for the CSV dialect test.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=40)
TABLE = st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TABLE, st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL]))
def test_csv_round_trip(rows: list[tuple[str, str]], quoting: int) -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, quoting=quoting)
    writer.writerow(["a", "b"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_bytes(buf.getvalue().encode("utf-8"))
        got, sources = read_rows(path, batch_rows=7)
    # An unquoted empty cell is a null; a quoted one ("") is an empty string.
    empty = "" if quoting == csv.QUOTE_ALL else None
    assert [(r["a"], r["b"]) for r in got] == [(a or empty, b or empty) for a, b in rows]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TABLE)
def test_jsonl_round_trip(rows: list[tuple[str, str]]) -> None:
    text = "".join(json.dumps({"a": a, "nested": {"b": b}}, ensure_ascii=False) + "\n" for a, b in rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.jsonl"
        path.write_text(text, encoding="utf-8")
        got, sources = read_rows(path, batch_rows=7)
    assert [(r["a"], r["nested.b"]) for r in got] == rows
    assert [i.kind for s in sources for i in s.issues] == []
