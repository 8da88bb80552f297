"""The report documents: JSON schema validity, Markdown/terminal safety with hostile values."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pyarrow as pa
import pytest

from breachscope.scan import scan_sources
from breachscope.scan.markdown import md_escape, safe_text
from tests.scan.scan_helpers import GITHUB, KEY, OPENAI_PROJECT, clean_table, source

SCHEMA = json.loads(resources.files("breachscope.scan").joinpath("report.schema.json").read_text())

HOSTILE = [
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example","x")',
    "\x1b[2J\x1b]0;pwned\x07",
    "| a | b |",
    "`rm -rf /`",
    "line\nbreak\rcarriage",
    "\u202eevil.exe",
    "![img](http://evil.example/x.png)",
]


@pytest.fixture(scope="module")
def hostile_report():  # type: ignore[no-untyped-def]
    n = len(HOSTILE)
    table = pa.table(
        {
            "<b>name</b>|`x`\x1b[31m": HOSTILE,
            "notes": [f"{h} key {OPENAI_PROJECT} {h}" for h in HOSTILE],
            "email": [f"{h}@example.com" for h in HOSTILE],
            "token": [GITHUB] * n,
        }
    )
    return scan_sources([source(table, name="evil|<name>.csv")], key=KEY)


def test_real_report_validates_against_the_schema(hostile_report) -> None:  # type: ignore[no-untyped-def]
    jsonschema.validate(hostile_report.to_dict(), SCHEMA)
    jsonschema.validate(scan_sources([source(clean_table(500))], key=KEY).to_dict(), SCHEMA)


def test_schema_rejects_a_broken_document(hostile_report) -> None:  # type: ignore[no-untyped-def]
    doc = hostile_report.to_dict()
    doc["classes"]["secret"]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)


def test_no_raw_value_in_any_output(hostile_report) -> None:  # type: ignore[no-untyped-def]
    outputs = [json.dumps(hostile_report.to_dict(), ensure_ascii=False), hostile_report.to_markdown()]
    for text in outputs:
        assert OPENAI_PROJECT not in text and GITHUB not in text
        assert OPENAI_PROJECT[:12] not in text


def test_markdown_is_inert(hostile_report) -> None:  # type: ignore[no-untyped-def]
    md = hostile_report.to_markdown()
    assert "\x1b" not in md and "\x07" not in md and "\r" not in md and "\u202e" not in md
    assert "<b>" not in md and "<script>" not in md and "<name>" not in md
    assert "evil\\|&lt;name&gt;.csv" in md
    for table in md.split("\n\n"):
        rows = [r for r in table.splitlines() if r.startswith("|")]
        if rows:  # every row of a table has as many unescaped cells as its header
            widths = {r.replace("\\|", "").count("|") for r in rows}
            assert len(widths) == 1, rows


@pytest.mark.parametrize(
    ("raw", "forbidden"),
    [
        ("a|b", "a|b"),
        ("<img src=x>", "<img"),
        ("`code`", "`code`"),
        ("\x1b[31mred", "\x1b"),
        ("[link](http://x)", "[link](http"),
        ("*bold*", "*bold*"),
    ],
)
def test_md_escape(raw: str, forbidden: str) -> None:
    assert forbidden not in md_escape(raw)


def test_safe_text_is_one_line_and_bounded() -> None:
    out = safe_text("a\nb\tc" + "x" * 500, limit=50)
    assert "\n" not in out and "\t" not in out and len(out) == 50


def test_present_and_column_classes_agree_with_the_document(hostile_report) -> None:  # type: ignore[no-untyped-def]
    doc = hostile_report.to_dict()
    present = {k for k, v in doc["classes"].items() if v["status"] == "present"}
    assert present == hostile_report.present_classes()
    assert {"secret", "email"} <= present
    assert hostile_report.column_classes()[("evil|<name>.csv", "token")] >= {"secret"}
    col = next(c for c in doc["sources"][0]["columns"] if c["name"] == "token")
    assert next(c for c in col["classes"] if c["class"] == "secret")["sources"] == ["hint", "value"]
