"""Hostile input: nothing crashes, nothing is silently lost, nothing is written to disk."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import zipfile
import zlib
from pathlib import Path

import pytest

from breachscope.errors import InputError
from breachscope.readers import Limits, open_sources
from tests.readers.naughty_strings import NAUGHTY
from tests.readers.readers_helpers import compress, kinds, read_rows

MiB = 1 << 20


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8")


def test_naughty_strings_survive_csv(tmp_path: Path) -> None:
    path = tmp_path / "naughty.csv"
    path.write_bytes(_csv([["id", "value"], *[[str(i), s] for i, s in enumerate(NAUGHTY)]]))
    rows, sources = read_rows(path, batch_rows=17)
    assert len(NAUGHTY) >= 100
    assert [r["value"] for r in rows] == [s if s != "" else None for s in NAUGHTY]
    assert [r["id"] for r in rows] == [str(i) for i in range(len(NAUGHTY))]
    assert kinds(sources) == []


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_naughty_strings_survive_json(tmp_path: Path, fmt: str) -> None:
    records = [{"id": i, "value": s, "nested": {"v": s}} for i, s in enumerate(NAUGHTY)]
    path = tmp_path / f"naughty.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    else:
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    rows, sources = read_rows(path, batch_rows=33)
    assert [r["value"] for r in rows] == list(NAUGHTY)
    assert [r["nested.v"] for r in rows] == list(NAUGHTY)
    assert kinds(sources) == []


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_ten_megabyte_field(tmp_path: Path, fmt: str) -> None:
    big = "x" * (10 * MiB) + "sk-needle"
    small = [{"id": str(i), "text": f"row {i}"} for i in range(3000)]
    rows_in = [*small, {"id": "big", "text": big}, *small[:5]]
    path = tmp_path / f"big.{fmt}"
    if fmt == "csv":
        path.write_bytes(_csv([["id", "text"], *[[r["id"], r["text"]] for r in rows_in]]))
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows_in), encoding="utf-8")
    rows, sources = read_rows(path, batch_rows=1000)
    assert len(rows) == len(rows_in)
    assert rows[3000]["text"] == big
    assert [r["id"] for r in rows] == [r["id"] for r in rows_in]
    assert "ragged_row" not in kinds(sources)


def test_invalid_utf8_is_replaced_and_reported_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"name,city\nJos\xc3\xa9,Bandung\nbad\xff\xfe,Medan\nok,Surabaya\nmore\xc3,x\n")
    rows, sources = read_rows(path)
    assert [r["name"] for r in rows] == ["José", "bad\ufffd\ufffd", "ok", "more\ufffd"]
    bad = [i for i in sources[0].issues if i.kind == "invalid_utf8"]
    assert [i.line for i in bad] == [3, 5]


def test_cp1252_file_is_transcoded(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    text = "name;city;note\nFrançois Lefèvre;Montréal;“smart quotes” – dash\nJürgen Groß;München;€ 50\n"
    path.write_bytes(text.encode("cp1252"))
    rows, sources = read_rows(path)
    assert rows == [
        {"name": "François Lefèvre", "city": "Montréal", "note": "“smart quotes” – dash"},
        {"name": "Jürgen Groß", "city": "München", "note": "€ 50"},
    ]
    assert kinds(sources) == ["encoding"]


def test_utf8_bom_and_utf16(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfemail,name\na@example.com,A\n")
    assert read_rows(bom)[0] == [{"email": "a@example.com", "name": "A"}]
    u16 = tmp_path / "u16.csv"
    u16.write_bytes("email\tname\nb@example.com\tBé\n".encode("utf-16"))
    rows, _ = read_rows(u16)
    assert rows == [{"email": "b@example.com", "name": "Bé"}]


def test_ragged_rows_are_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_bytes(b'a,b\n1,2\n3\n"multi\nline",5\n6,7,8\n9,10\n')
    rows, sources = read_rows(path)
    assert rows == [{"a": "1", "b": "2"}, {"a": "multi\nline", "b": "5"}, {"a": "9", "b": "10"}]
    ragged = [i for i in sources[0].issues if i.kind == "ragged_row"]
    assert [i.record for i in ragged] == [2, 4]  # data records, counting the skipped ones
    assert [i.line for i in ragged] == [3, 5]  # rows as pyarrow counts them (header = 1)
    assert all("6,7,8" not in i.message for i in ragged)  # no raw values in messages


def test_duplicate_and_empty_header_names(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_bytes(b"email,email,,name\na,b,c,d\n")
    rows, _ = read_rows(path)
    assert rows == [{"email": "a", "email_2": "b", "column_3": "c", "name": "d"}]


def test_broken_json_lines_reported_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = ['{"a": 1}', "{broken", '{"a": 2}', "", '{"a": "three", "b": [1, 2]}', "[1, 2]", '{"a": 4']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, sources = read_rows(path)
    assert [r["a"] for r in rows] == ["1", "2", "three", None]
    assert rows[3]["value"] == ["1", "2"]
    issues = [(i.kind, i.line) for i in sources[0].issues]
    assert issues == [("malformed_json", 2), ("not_a_record", 6), ("malformed_json", 7)]


def test_broken_json_document_stops_with_a_located_issue(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text('[\n{"a": 1},\n{"a": 2},\n{"a": oops}\n]', encoding="utf-8")
    rows, sources = read_rows(path)
    assert rows == [{"a": 1}, {"a": 2}]
    (issue,) = sources[0].issues
    assert issue.kind == "malformed_json" and issue.line == 4 and issue.record == 3


@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl", "empty.json", "empty.txt"])
def test_empty_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    rows, sources = read_rows(path)
    assert rows == []
    assert kinds(sources) == ["empty"]


def test_header_only_csv_keeps_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes(b"email,name\n")
    (src,) = open_sources(path)
    chunks = list(src.chunks())
    assert [c.batch.schema.names for c in chunks] == [["email", "name"]]
    assert chunks[0].batch.num_rows == 0


def test_binary_garbage_as_csv_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(os.urandom(200_000))
    rows, sources = read_rows(path)
    assert "binary_content" in kinds(sources)


def test_binary_garbage_without_a_name_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)) * 100)
    with pytest.raises(InputError, match="--format"):
        open_sources(path)


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="parquet"):
        open_sources(tmp_path / "x.csv", format="orc")
    with pytest.raises(InputError, match="no such file"):
        open_sources(tmp_path / "missing.csv")


def test_zip_traversal_members_are_scanned_in_memory_only(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    path = work / "evil.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("../../escaped.csv", b"k\nv1\n")
        z.writestr("/abs/path.csv", b"k\nv2\n")
        z.writestr("ok/fine.csv", b"k\nv3\n")
    before = {p for p in tmp_path.parent.rglob("*") if "escaped" in p.name or p.name == "path.csv"}
    cwd = os.getcwd()
    os.chdir(work)
    try:
        rows, sources = read_rows(path)
    finally:
        os.chdir(cwd)
    assert sorted(r["k"] for r in rows) == ["v1", "v2", "v3"]
    unsafe = {s.name for s in sources if any(i.kind == "unsafe_member" for i in s.issues)}
    assert unsafe == {"evil.zip!../../escaped.csv", "evil.zip!/abs/path.csv"}
    after = {p for p in tmp_path.parent.rglob("*") if "escaped" in p.name or p.name == "path.csv"}
    assert after == before
    assert sorted(p.name for p in work.iterdir()) == ["evil.zip"]


def _gzip_bomb(decompressed: int) -> bytes:
    """Concatenated gzip members of zeros: ~1000:1, built in milliseconds."""
    block = 16 * MiB
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = comp.compress(bytes(block)) + comp.flush()
    return member * (decompressed // block)


def test_gzip_bomb_is_stopped_quickly(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(b"".join([gzip.compress(b"a,b\n1,2\n"), _gzip_bomb(2048 * MiB)]))
    rows, sources = read_rows(path)
    bombs = [i for i in sources[0].issues if i.kind == "bomb"]
    assert len(bombs) == 1
    assert "decompression bomb" in bombs[0].message and "200:1" in bombs[0].message


def test_bomb_inside_zip_member(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("ok.csv", b"a\n1\n")
        z.writestr("zeros.jsonl", bytes(64 * MiB))
    _, sources = read_rows(path, limits=Limits(max_ratio=100, ratio_after_bytes=4 * MiB))
    assert kinds(sources[:1]) == []
    assert "bomb" in kinds(sources[1:])


def test_truncated_gzip_keeps_what_was_read_and_reports(tmp_path: Path) -> None:
    tokens = os.urandom(12 * 300_000).hex()
    lines = [["id", "token"], *[[str(i), tokens[i * 24 : i * 24 + 24]] for i in range(300_000)]]
    good = compress(_csv(lines), "t.csv", "gz", tmp_path)
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 2])
    rows, sources = read_rows(good, batch_rows=1000)
    assert 0 < len(rows) < 300_000
    assert [r["id"] for r in rows[:3]] == ["0", "1", "2"]
    assert "truncated" in kinds(sources)
    assert set(kinds(sources)) <= {"truncated", "ragged_row"}  # the last line may be cut


def test_tiny_broken_gzip_is_an_issue(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n1,2\n")[:12])
    rows, sources = read_rows(path)
    assert rows == [] and kinds(sources) == ["corrupt_compression"]
