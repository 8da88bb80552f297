"""Parquet strings that are not UTF-8: each invalid sequence becomes U+FFFD and its record is
reported ``invalid_utf8`` (as the CSV, JSON and Avro readers do); every other value is read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from breachscope.readers import ReadIssue, open_sources

N = 3_000
KEY = "sk-proj-" + "A" * 40
BAD_ROWS = (5, 1_777)  # 0-based; the second lies in the second batch of 1,000 rows


def _raw(i: int) -> bytes | None:
    """Row i's bytes: a key every 100th row, a null every 97th, an invalid byte in BAD_ROWS."""
    if i % 97 == 1:
        return None
    text = (KEY if i % 100 == 0 else ["hello", "world", "été"][i % 3]).encode()
    return text + b"\xff" if i in BAD_ROWS else text


def _expected(i: int) -> str | None:
    raw = _raw(i)
    return None if raw is None else raw.decode("utf-8", errors="replace")


def _strings(kind: pa.DataType) -> pa.Array:
    binary = pa.large_binary() if kind == pa.large_string() else pa.binary()
    return pa.array([_raw(i) for i in range(N)], binary).view(kind)


def _column(shape: str) -> tuple[pa.Array, Callable[[Any], Any]]:
    """A column holding the rows in ``shape``, and how to get row i's string back from it."""
    if shape == "string":
        return _strings(pa.string()), lambda v: v
    if shape == "large_string":
        return _strings(pa.large_string()), lambda v: v
    if shape.startswith("dictionary"):  # the file's Arrow schema says dictionary<string> (a pandas category)
        encoded = _strings(pa.string()).dictionary_encode()
        index = {"dictionary": pa.int32(), "dictionary_int8": pa.int8(), "dictionary_int64": pa.int64()}[
            shape
        ]
        return pa.DictionaryArray.from_arrays(encoded.indices.cast(index), encoded.dictionary), lambda v: v
    if shape == "struct":
        column = pa.StructArray.from_arrays([_strings(pa.string())], names=["note"])
        return column, lambda v: v
    if shape == "list":
        offsets = pa.array(range(N + 1), pa.int32())
        return pa.ListArray.from_arrays(offsets, _strings(pa.string())), lambda v: v[0]
    if shape == "map":
        offsets = pa.array(range(N + 1), pa.int32())
        column = pa.MapArray.from_arrays(offsets, pa.array(["note"] * N), _strings(pa.string()))
        return column, lambda v: v[0][1]
    raise AssertionError(shape)


def _leak(tmp_path: Path, shape: str) -> Path:
    column, _ = _column(shape)
    table = pa.table({"email": [f"p{i}@example.com" for i in range(N)], "notes": column})
    path = tmp_path / f"{shape}.parquet"
    pq.write_table(table, path, row_group_size=1_000)
    return path


def _read(path: Path, dictionaries: bool) -> tuple[dict[str, list[Any]], list[ReadIssue]]:
    (src,) = open_sources(path, batch_rows=1_000, dictionaries=dictionaries)
    columns: dict[str, list[Any]] = {}
    for chunk in src.chunks():
        for name, column in zip(chunk.batch.schema.names, chunk.batch.columns, strict=True):
            if isinstance(column, pa.DictionaryArray):
                column = column.dictionary_decode()
            columns.setdefault(name, []).extend(column.to_pylist())
    return columns, src.issues


SHAPES = [
    "string",
    "large_string",
    "dictionary",
    "dictionary_int8",
    "dictionary_int64",
    "struct",
    "list",
    "map",
]


@pytest.mark.parametrize("dictionaries", [False, True], ids=["plain", "dictionaries"])
@pytest.mark.parametrize("shape", SHAPES)
def test_invalid_bytes_are_replaced_and_reported_by_record(
    tmp_path: Path, shape: str, dictionaries: bool
) -> None:
    _, value_of = _column(shape)
    columns, issues = _read(_leak(tmp_path, shape), dictionaries)
    (notes,) = [c for n, c in columns.items() if n.startswith("notes")]
    got = [None if v is None else value_of(v) for v in notes]
    assert got == [_expected(i) for i in range(N)]
    assert sum(v == KEY for v in got) == N // 100  # every key is read, before and after the bad rows
    assert columns["email"] == [f"p{i}@example.com" for i in range(N)]
    assert [(i.kind, i.record) for i in issues] == [("invalid_utf8", r + 1) for r in BAD_ROWS]
    assert all("replaced by U+FFFD" in i.message and not i.unread for i in issues)


@pytest.mark.parametrize("dictionaries", [False, True], ids=["plain", "dictionaries"])
def test_a_dictionary_encoded_column_with_one_bad_value(tmp_path: Path, dictionaries: bool) -> None:
    """Three distinct values in 3,000 rows: with ``dictionaries`` the column is read as the
    file's dictionary pages, and the bad entry is repaired in the dictionary, each row that
    uses it reported."""
    raw = [b"hello\xff" if i % 1_000 == 7 else (KEY.encode() if i % 2 else b"hello") for i in range(N)]
    table = pa.table({"notes": pa.array(raw, pa.binary()).view(pa.string())})
    path = tmp_path / "dict.parquet"
    pq.write_table(table, path, row_group_size=1_000)
    columns, issues = _read(path, dictionaries)
    assert columns["notes"] == [v.decode("utf-8", errors="replace") for v in raw]
    assert [(i.kind, i.record) for i in issues] == [("invalid_utf8", r + 1) for r in (7, 1_007, 2_007)]


def test_binary_columns_are_left_as_bytes(tmp_path: Path) -> None:
    raw = [b"\xff\xfe", b"ok", None, b"\xc3"]
    path = tmp_path / "binary.parquet"
    pq.write_table(pa.table({"blob": pa.array(raw, pa.binary())}), path)
    columns, issues = _read(path, dictionaries=True)
    assert columns["blob"] == raw
    assert issues == []


def test_a_value_starting_inside_a_character_is_caught(tmp_path: Path) -> None:
    """Two values that together are valid UTF-8 ("é" split across them) are each invalid."""
    raw = [b"\xc3", b"\xa9", "été".encode()]
    path = tmp_path / "split.parquet"
    pq.write_table(pa.table({"notes": pa.array(raw, pa.binary()).view(pa.string())}), path)
    columns, issues = _read(path, dictionaries=False)
    assert columns["notes"] == ["\ufffd", "\ufffd", "été"]
    assert [(i.kind, i.record) for i in issues] == [("invalid_utf8", 1), ("invalid_utf8", 2)]


def test_issues_are_capped_as_for_every_reader(tmp_path: Path) -> None:
    raw = [b"x\xff"] * 1_200
    path = tmp_path / "many.parquet"
    pq.write_table(pa.table({"notes": pa.array(raw, pa.binary()).view(pa.string())}), path)
    columns, issues = _read(path, dictionaries=False)
    assert columns["notes"] == ["x\ufffd"] * 1_200
    assert len(issues) == 1_001 and all(i.kind == "invalid_utf8" and not i.unread for i in issues)
    assert "1200 issues of this kind in total" in issues[-1].message


@pytest.mark.parametrize("index", [pa.int8(), pa.int32(), pa.int64()])
def test_a_stored_dictionary_column_keeps_its_type(tmp_path: Path, index: pa.DataType) -> None:
    column = pa.DictionaryArray.from_arrays(pa.array([0, 1, None, 1], index), pa.array(["Jakarta", "London"]))
    path = tmp_path / "category.parquet"
    pq.write_table(pa.table({"city": column}), path)
    for dictionaries in (False, True):
        (src,) = open_sources(path, dictionaries=dictionaries)
        (chunk,) = src.chunks()
        assert chunk.batch.schema.field("city").type == pa.dictionary(index, pa.string())
        assert chunk.batch.column(0).to_pylist() == ["Jakarta", "London", None, "London"]
        assert src.issues == []
