"""Format, delimiter and encoding guesses; workbooks with several sheets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from breachscope.readers import open_sources
from breachscope.readers.sniff import detect_encoding, format_from_content, format_from_name, sniff_delimiter
from tests.readers.readers_helpers import read_rows


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a\tb\tc\n1\t2,5\t3\n", "\t"),
        ("a;b;c\n1;2,5;3\n", ";"),
        ("a|b|c\n1|2|3\n", "|"),
        ('name,note\n"Doe; Jane","x|y"\n', ","),
        ("single\nvalue\n", ","),
    ],
)
def test_sniff_delimiter(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", "csv"),
        ("a.CSV.gz", "csv"),
        ("a.tsv.bz2", "tsv"),
        ("a.ndjson.xz", "jsonl"),
        ("export/part-0001.json.gz", "json"),
        ("x.parquet", "parquet"),
        ("x.xlsx", "xlsx"),
        ("x.bin", None),
    ],
)
def test_format_from_name(name: str, fmt: str | None) -> None:
    assert format_from_name(name) == fmt


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"PAR1\x15\x04", "parquet"),
        (b'[{"a": 1}]', "json"),
        (b'{"a": 1}\n{"a": 2}\n', "jsonl"),
        (b'{"page": 0, "results": []}', "json"),
        (b"a,b\n1,2\n", "csv"),
        (b"a\tb\n1\t2\n", "tsv"),
        (bytes(range(256)) * 4, None),
    ],
)
def test_format_from_content(head: bytes, fmt: str | None) -> None:
    assert format_from_content(head) == fmt


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"plain ascii", "utf-8"),
        ("José Müller".encode(), "utf-8"),
        ("José Müller, François, Ærø, café crème".encode("cp1252"), "cp1252"),
        ("\ufeffbom".encode("utf-8-sig"), "utf-8"),
        ("utf16 text".encode("utf-16"), "utf-16"),
    ],
)
def test_detect_encoding(data: bytes, encoding: str) -> None:
    assert detect_encoding(data) == encoding


def test_workbook_sheets_are_sources(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "users"
    ws.append(["email", "card"])
    ws.append(["a@example.com", 4111111111111111])
    ws.append(["b@example.com", None, "extra"])
    other = wb.create_sheet("orgs")
    other.append(["org_id"])
    other.append(["org-1"])
    sink = io.BytesIO()
    wb.save(sink)
    path = tmp_path / "book.xlsx"
    path.write_bytes(sink.getvalue())
    sources = open_sources(path)
    assert [s.name for s in sources] == ["book.xlsx[users]", "book.xlsx[orgs]"]
    rows, sources = read_rows(path)
    assert rows[0] == {"email": "a@example.com", "card": "4111111111111111", "extra_3": None}  # no .0
    assert rows[1]["extra_3"] == "extra"
    assert rows[2] == {"org_id": "org-1"}
    assert [i.kind for i in sources[0].issues] == ["extra_cells"]  # kept and scanned: not a skipped record
