"""One bad value never hides the others: every good record around it is still read.

Each case puts a single hostile value in the middle of ten good records (an email and an
API-key-shaped string each) and asserts that all ten good records, and the bad record's other
values, reach the scan, and which issue (if any) says what was repaired.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.readers.readers_helpers import kinds, read_rows

KEYS = [f"sk-proj-{'Zx81kPq2LmN7vB4cR9tYw3Hj6Ks5Dg0Fa2Qe8'}{i:02d}" for i in range(10)]
BAD_KEY = KEYS[0][:-2] + "99"


def _jsonl_lines(bad: str) -> list[str]:
    good = [{"id": i, "email": f"u{i}@example.com", "note": "text", "api_key": k} for i, k in enumerate(KEYS)]
    lines = [json.dumps(r) for r in good]
    lines.insert(5, bad)
    return lines


#: (case id, the bad record as JSON text (it also holds BAD_KEY), issue kinds expected)
JSON_CASES = [
    ("lone surrogate", '{"id": 99, "note": "\\ud800 x", "api_key": "%s"}', ["invalid_utf8"]),
    ("lone surrogate key", '{"id": 99, "\\udc00": "x", "api_key": "%s"}', ["invalid_utf8"]),
    ("5000-digit integer", '{"id": 99, "note": ' + "9" * 5000 + ', "api_key": "%s"}', []),
    ("-5000-digit integer", '{"id": 99, "note": -' + "9" * 5000 + ', "api_key": "%s"}', []),
]


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize(("bad", "expected"), [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES])
def test_one_bad_json_value_keeps_every_record(
    tmp_path: Path, fmt: str, bad: str, expected: list[str]
) -> None:
    lines = _jsonl_lines(bad % BAD_KEY)
    path = tmp_path / f"leak.{fmt}"
    text = "\n".join(lines) + "\n" if fmt == "jsonl" else "[\n" + ",\n".join(lines) + "\n]\n"
    path.write_bytes(text.encode("utf-8"))
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS[:5] + [BAD_KEY] + KEYS[5:]
    assert kinds(sources) == expected
    issue = sources[0].issues[0] if expected else None
    if issue is not None:  # located at the bad record
        assert (issue.line, issue.record) == ((6, None) if fmt == "jsonl" else (None, 6))
    bad_row = rows[5]
    text_of_row = "".join(f"{k}{v}" for k, v in bad_row.items())
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text_of_row)
    if "9" * 5000 in bad:  # the digits are kept, as text
        assert bad_row["note"].lstrip("-") == "9" * 5000
