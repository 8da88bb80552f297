"""One value never changes how the others in its column are read.

A JSON column is read with one type per block: one fractional value, or one integer past int64,
makes every value of the column a float64. Whole numbers must still read as their digits.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from breachscope.readers import open_sources
from breachscope.scan import scan_sources
from tests.scan.scan_helpers import KEY, source

CARD = 4111111111111111

#: (case id, the one odd value among ten card numbers written as JSON numbers)
ODD = [
    ("a fraction", 0.5),
    ("an integer past int64", 12345678901234567890123),
    ("an exponent", 1e300),
    ("a negative whole float", -2.0),
]


@pytest.mark.parametrize("odd", [c[1] for c in ODD], ids=[c[0] for c in ODD])
def test_card_numbers_in_a_json_column_made_float_by_one_value(tmp_path: Path, odd: object) -> None:
    path = tmp_path / "leak.jsonl"
    records = [{"id": f"u{i}", "card": CARD} for i in range(10)]
    records.insert(5, {"id": "odd", "card": odd})
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    report = scan_sources(open_sources(path), key=KEY).to_dict()
    (card,) = [c for c in report["sources"][0]["columns"] if c["name"] == "card"]
    assert [(c["class"], c["matches"]) for c in card["classes"]] == [("payment_card", 10)]
    assert report["classes"]["payment_card"]["status"] == "present"


def test_whole_floats_read_as_digits_only_where_exact() -> None:
    values = [float(CARD), 1.5, 2.0**53, 2.0**53 + 2, 1e300, float("nan"), None, -0.0, 12.0]
    table = pa.table({"card": pa.array(values, pa.float64())})
    report = scan_sources([source(table)], key=KEY).to_dict()
    (card,) = report["sources"][0]["columns"]
    assert [(c["class"], c["matches"]) for c in card["classes"]] == [("payment_card", 1)]
