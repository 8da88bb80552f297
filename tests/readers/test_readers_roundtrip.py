"""Every format x every compression reads back exactly what was written."""

from __future__ import annotations

from pathlib import Path

import pytest

from breachscope.readers import FORMATS, READERS, open_sources
from breachscope.readers.sniff import FORMAT_EXT
from tests.readers.readers_helpers import COMPRESSIONS, compress, encode, read_rows

ROWS = [
    {"nik": "0012345678901234", "card": "4111111111111111", "name": "Siti Nurhaliza", "city": "Jakarta"},
    {"nik": "3174094101900001", "card": "5555555555554444", "name": "José Müller", "city": "São Paulo"},
    {"nik": "0000000000000007", "card": "0", "name": "田中 太郎", "city": "Tokyo"},
]
EXT = {
    "csv": "csv",
    "tsv": "tsv",
    "json": "json",
    "jsonl": "jsonl",
    "parquet": "parquet",
    "xlsx": "xlsx",
    "avro": "avro",
}


def test_registry_covers_every_format() -> None:
    assert sorted(f for r in READERS for f in r.formats) == sorted(FORMATS)


def test_extensions_by_name_agree_with_the_reader_registry() -> None:
    """Every extension the name sniffer knows is one a reader declares, for one of its formats."""
    declared = {ext: r.formats for r in READERS for ext in r.extensions}
    assert set(FORMAT_EXT) == set(declared)
    for ext, fmt in FORMAT_EXT.items():
        assert fmt in declared[ext], ext


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(tmp_path: Path, fmt: str, compression: str) -> None:
    path = compress(encode(ROWS, fmt), f"people.{EXT[fmt]}", compression, tmp_path)
    rows, sources = read_rows(path)
    assert len(sources) == 1
    src = sources[0]
    assert src.format == fmt
    assert src.issues == []
    assert rows == ROWS  # strings stay strings: leading zeros and 16-digit numbers survive
    if compression == "none":
        assert src.compression is None and src.size_bytes == path.stat().st_size
    else:
        assert src.compression is not None
    if compression.startswith("zip"):
        assert src.name.startswith("leak.zip!export/people.")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_format_sniffed_without_extension(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "export.dat"
    path.write_bytes(encode(ROWS, fmt))
    rows, sources = read_rows(path)
    assert sources[0].format == fmt
    assert rows == ROWS


def test_forced_format_wins_over_extension(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(encode(ROWS, "jsonl"))
    rows, sources = read_rows(path, format="jsonl")
    assert sources[0].format == "jsonl" and rows == ROWS


def test_on_bytes_adds_up_to_the_file_size(tmp_path: Path) -> None:
    path = compress(encode(ROWS * 500, "csv"), "people.csv", "gz", tmp_path)
    seen: list[int] = []
    for src in open_sources(path, batch_rows=100):
        for _ in src.chunks(seen.append):
            pass
    assert sum(seen) == path.stat().st_size
    assert len(seen) >= 1


def test_every_zip_member_is_its_own_source(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.csv", encode(ROWS, "csv"))
        z.writestr("b/b.jsonl", encode(ROWS[:2], "jsonl"))
        z.writestr("c.parquet", encode(ROWS[:1], "parquet"))
        z.writestr("dir/", b"")
    sources = open_sources(path)
    assert [(s.name, s.format) for s in sources] == [
        ("many.zip!a.csv", "csv"),
        ("many.zip!b/b.jsonl", "jsonl"),
        ("many.zip!c.parquet", "parquet"),
    ]
    assert [sum(c.batch.num_rows for c in s.chunks()) for s in sources] == [3, 2, 1]


def test_tsv_with_semicolon_and_pipe_delimiters(tmp_path: Path) -> None:
    for delim in (";", "|", "\t"):
        path = tmp_path / f"d{ord(delim)}.txt"
        path.write_text(delim.join(["a", "b"]) + "\n" + delim.join(["1", "x,y"]) + "\n", encoding="utf-8")
        rows, _ = read_rows(path)
        assert rows == [{"a": "1", "b": "x,y"}], delim


def test_zip_of_many_compressed_members(tmp_path: Path) -> None:
    """An Amplitude-style export: thousands of hourly ``*.json.gz`` files in one zip."""
    import gzip
    import zipfile

    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as z:
        for hour in range(2000):
            z.writestr(
                f"123/2025-11-{hour // 24 + 1:02d}_{hour % 24}.json.gz", gzip.compress(b'{"h": %d}\n' % hour)
            )
    sources = open_sources(path)
    assert len(sources) == 2000
    assert {s.compression for s in sources} == {"zip+gzip"}
    assert sorted(r["h"] for s in sources for c in s.chunks() for r in c.batch.to_pylist()) == list(
        range(2000)
    )
