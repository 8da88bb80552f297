"""Columns given as dictionary arrays (Parquet's dictionary pages, ``dictionaries=True``) give
the same report as the same values given as plain strings."""

from __future__ import annotations

import itertools
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from breachscope.readers import open_sources
from breachscope.scan import scan_files, scan_sources
from tests.scan.scan_helpers import KEY, source


def _strip_times(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("started_at", "finished_at")}


def _cities(rows: int) -> list[str | None]:
    """Low-cardinality values with placeholders, nulls, percent-encoding and a NIK met late."""
    cities: list[str | None] = ["Jakarta", "Bandung", "London", None] * (rows // 4)
    cities[1_500] = "N/A"
    cities[1_501] = "(not set)"
    cities[2_200] = "rina%40example.co.id"
    cities[2_201] = "rina@example.co.id"
    cities[2_202] = "Jakarta%20Barat"
    cities[2_500] = "3171040505848982"
    cities[2_999] = "NULL"
    return cities


def test_dictionary_batches_sharing_one_dictionary_give_the_plain_report() -> None:
    """Every batch carries the whole dictionary, so most words are unused in most batches."""
    cities = _cities(4_000)
    plain = pa.table({"$city": pa.array(cities, pa.string()), "n": [str(i) for i in range(4_000)]})
    encoded = plain.set_column(0, "$city", pa.array(cities, pa.string()).dictionary_encode())
    want = scan_sources([source(plain.to_batches(max_chunksize=1_000))], key=KEY, batch_rows=1_000)
    got = scan_sources([source(encoded.to_batches(max_chunksize=1_000))], key=KEY, batch_rows=1_000)
    assert _strip_times(got.to_dict()) == _strip_times(want.to_dict())
    assert got.to_dict()["classes"]["government_id"]["findings"][0]["record"] == 2_501


@pytest.mark.parametrize(
    "words",
    [
        ["Jakarta", "London", "Bandung", "rina@example.co.id", "3171040505848982"],  # a NIK no value has
        ["Jakarta", "London", "Jakarta", "rina@example.co.id"],  # a word twice
    ],
)
def test_unused_and_repeated_dictionary_words_are_not_values(words: list[str]) -> None:
    """A hostile dictionary: words that no value refers to are not examined or counted."""
    indices = pa.array([i % 3 for i in range(3_000)] + [3], pa.int32())
    encoded = pa.table({"$city": pa.DictionaryArray.from_arrays(indices, pa.array(words, pa.string()))})
    plain = pa.table({"$city": encoded.column(0).chunk(0).dictionary_decode()})
    want = scan_sources([source(plain.to_batches(max_chunksize=1_000))], key=KEY, batch_rows=1_000)
    got = scan_sources([source(encoded.to_batches(max_chunksize=1_000))], key=KEY, batch_rows=1_000)
    assert _strip_times(got.to_dict()) == _strip_times(want.to_dict())
    assert got.to_dict()["classes"]["email"]["matches"] == 1
    assert got.to_dict()["sources"][0]["columns"][0]["distinct_approx"] == len(set(words[:4]))


def test_a_parquet_file_scans_the_same_with_and_without_dictionaries(tmp_path: Path) -> None:
    path = tmp_path / "people.parquet"
    cities = _cities(4_000)
    table = pa.table(
        {
            "$email": [f"user{i}@example.com" for i in range(4_000)],
            "$city": pa.array(cities, pa.string()),
            "$os": ["Windows" if i < 2_500 else "Linux" for i in range(4_000)],
        }
    )
    pq.write_table(table, path, row_group_size=700)
    (with_dictionaries,) = open_sources(path, batch_rows=1_000, dictionaries=True)
    assert any(pa.types.is_dictionary(t) for t in next(with_dictionaries.chunks()).batch.schema.types)
    got = scan_files([path], key=KEY, batch_rows=1_000)  # reads dictionaries
    plain = open_sources(path, batch_rows=1_000)
    want = scan_sources(plain, key=KEY, batch_rows=1_000, disk_paths={s.name: path for s in plain})
    assert _strip_times(got.to_dict()) == _strip_times(want.to_dict())
    assert got.to_dict()["classes"]["government_id"]["findings"][0]["record"] == 2_501


def test_a_dictionary_column_of_distinct_values_is_scanned_as_plain_strings() -> None:
    """The first batch's probe finds no repeats: later batches are decoded, not encoded."""
    emails = [f"user{i}@example.com" if i % 7 else None for i in range(3_000)]
    plain = pa.table({"$email": pa.array(emails, pa.string())})
    encoded = pa.table({"$email": pa.array(emails, pa.string()).dictionary_encode()})
    want = scan_sources([source(plain.to_batches(max_chunksize=1_000))], key=KEY, batch_rows=1_000)
    got = scan_sources([source(encoded.to_batches(max_chunksize=1_000))], key=KEY, batch_rows=1_000)
    assert _strip_times(got.to_dict()) == _strip_times(want.to_dict())
    assert got.to_dict()["classes"]["email"]["matches"] == 2_571


def _invalid_utf8_words() -> pa.Array:
    """A string array whose words are not all UTF-8 (a hostile writer does not validate)."""
    raw = [b"Jakarta", b"Band\xffung", b"London", b"\xc3"]
    offsets = pa.array([0, *itertools.accumulate(len(w) for w in raw)], pa.int32())
    return pa.Array.from_buffers(
        pa.string(), len(raw), [None, offsets.buffers()[1], pa.py_buffer(b"".join(raw))]
    )


def _hostile(name: str, rows: int) -> tuple[pa.Table, dict[str, object]]:
    """Leaked-file shapes the dictionary read must scan as the plain read does."""
    if name == "fallback":  # a column chunk whose dictionary overflowed: later pages plain
        values = ["Jakarta", "Bandung"] * (rows // 2) + [f"u{i}@ex.co" for i in range(rows // 5)]
        values += ["3171040505848982", None] * 50
        return pa.table({"city": values}), {"dictionary_pagesize_limit": 100, "data_page_size": 1_000}
    if name == "unused_words":  # the Arrow schema says dictionary; most words are never used
        words = pa.array([f"w{i:x}" for i in range(50_000)] + ["3171040505848982"])
        indices = pa.array([i % 3 if i != rows // 2 else 50_000 for i in range(rows)], pa.int32())
        return pa.table({"city": pa.DictionaryArray.from_arrays(indices, words)}), {}
    indices = pa.array([i % 4 for i in range(rows)], pa.int32())  # invalid UTF-8
    return pa.table(
        {"city": pa.DictionaryArray.from_arrays(indices, _invalid_utf8_words()).dictionary_decode()}
    ), {}


@pytest.mark.parametrize("name", ["fallback", "unused_words", "invalid_utf8"])
def test_hostile_parquet_scans_the_same_with_and_without_dictionaries(tmp_path: Path, name: str) -> None:
    table, options = _hostile(name, 20_000)
    path = tmp_path / f"{name}.parquet"
    pq.write_table(table, path, row_group_size=30_000, **options)  # type: ignore[arg-type]
    (encoded,) = open_sources(path, batch_rows=1_000, dictionaries=True)
    assert all(pa.types.is_dictionary(c.batch.schema.field("city").type) for c in encoded.chunks())
    got = scan_files([path], key=KEY, batch_rows=1_000)
    plain = open_sources(path, batch_rows=1_000)
    want = scan_sources(plain, key=KEY, batch_rows=1_000, disk_paths={s.name: path for s in plain})
    assert _strip_times(got.to_dict()) == _strip_times(want.to_dict())
    kinds = [i["kind"] for i in got.to_dict()["sources"][0]["issues"]]
    if name == "invalid_utf8":  # bad bytes replaced and their rows reported, as on the plain read
        assert set(kinds) == {"invalid_utf8"} and got.to_dict()["complete"] is True
    else:
        assert kinds == [] and got.to_dict()["classes"]["government_id"]["matches"] >= 1
