"""Memory is bounded by the batch size: big inputs come out as many bounded chunks."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from breachscope.readers import open_sources

N = 50_000


def _write(tmp_path: Path, fmt: str) -> Path:
    ids = [f"{i:016d}" for i in range(N)]
    if fmt == "csv":
        path = tmp_path / "big.csv"
        path.write_text("id,n\n" + "".join(f"{x},{i}\n" for i, x in enumerate(ids)), encoding="utf-8")
    elif fmt == "csv.gz":
        path = tmp_path / "big.csv.gz"
        path.write_bytes(
            gzip.compress(("id,n\n" + "".join(f"{x},{i}\n" for i, x in enumerate(ids))).encode())
        )
    elif fmt == "jsonl":
        path = tmp_path / "big.jsonl"
        path.write_text("".join(f'{{"id":"{x}","n":{i}}}\n' for i, x in enumerate(ids)), encoding="utf-8")
    else:
        path = tmp_path / "big.parquet"
        pq.write_table(pa.table({"id": ids, "n": list(range(N))}), path, row_group_size=7_000)
    return path


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "jsonl", "parquet"])
def test_many_bounded_chunks_with_exact_offsets(tmp_path: Path, fmt: str) -> None:
    path = _write(tmp_path, fmt)
    (src,) = open_sources(path, batch_rows=4_096)
    expected = 0
    ids: list[str] = []
    for chunk in src.chunks():
        assert chunk.offset == expected
        assert 0 < chunk.batch.num_rows <= 4_096
        expected += chunk.batch.num_rows
        ids.extend(chunk.batch.column("id").to_pylist())
    assert expected == N
    assert ids == [f"{i:016d}" for i in range(N)]  # order kept, leading zeros kept


def test_chunks_can_be_read_twice(tmp_path: Path) -> None:
    (src,) = open_sources(_write(tmp_path, "csv"), batch_rows=10_000)
    first = sum(c.batch.num_rows for c in src.chunks())
    second = sum(c.batch.num_rows for c in src.chunks())
    assert first == second == N


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_rows_read_before_reading_stops_are_still_delivered(tmp_path: Path, fmt: str) -> None:
    """Rows read before a bomb (or any error) stops a file are scanned, not dropped with the
    half-filled batch they were waiting in (they used to be: 0 of 200,000 rows delivered).
    Rows in the same read block as the trip point (the JSON reader's block) are never parsed;
    the issue's record number says where reading stopped."""
    from breachscope.readers import Limits

    n = 200_000
    if fmt == "csv":
        head = "email\n" + "".join(f"user{i}@example.org\n" for i in range(n))
    else:
        head = "".join(f'{{"email": "user{i}@example.org"}}\n' for i in range(n))
    path = tmp_path / f"leak.{fmt}.gz"
    # n real records, then 64 MiB of one byte: reading stops (bomb guard, or a giant row)
    path.write_bytes(gzip.compress(head.encode() + b" " * (64 * 2**20), compresslevel=6))
    limits = Limits(max_ratio=50, ratio_after_bytes=2**20)
    [src] = open_sources(path, batch_rows=1_000_000, limits=limits)
    rows = sum(chunk.batch.num_rows for chunk in src.chunks())
    assert n <= rows <= n + 1  # CSV: the blank run may end up as one (giant, reported) row
    assert {i.kind for i in src.issues} & {"bomb", "read_error"}


@pytest.mark.parametrize(
    ("columns", "rows", "cells", "expected"),
    [
        (16, 65_536, None, 65_536),
        (16, 65_536, 4_194_304, 262_144),
        (20, 65_536, 4_194_304, 209_715),
        (64, 65_536, 4_194_304, 65_536),
        (1_000, 65_536, 4_194_304, 65_536),  # a wide table never goes below batch_rows
        (1, 1_000, 4_194_304, 4_000),  # at most 4x batch_rows
    ],
)
def test_rows_for_a_value_budget(columns: int, rows: int, cells: int | None, expected: int) -> None:
    from breachscope.readers.table import rows_for

    assert rows_for(columns, rows, cells) == expected


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_a_value_budget_sizes_batches_by_column_count(tmp_path: Path, fmt: str) -> None:
    narrow = pa.table({"a": [str(i) for i in range(10_000)], "b": ["x"] * 10_000})
    path = tmp_path / f"t.{fmt}"
    if fmt == "parquet":
        pq.write_table(narrow, path)
    elif fmt == "csv":
        path.write_text("a,b\n" + "".join(f"{i},x\n" for i in range(10_000)))
    else:
        path.write_text("".join(f'{{"a": "{i}", "b": "x"}}\n' for i in range(10_000)))
    [plain] = open_sources(path, batch_rows=1_000)
    [budget] = open_sources(path, batch_rows=1_000, batch_cells=6_000)  # 2 columns -> 3,000 rows
    assert {c.batch.num_rows for c in plain.chunks()} == {1_000}
    sizes = [c.batch.num_rows for c in budget.chunks()]
    assert sizes[:-1] == [3_000] * 3 and sum(sizes) == 10_000


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ({"a": ["x"] * 1_000}, [1_000] + [1_000] * 8),  # narrow first: 3,000-row batches
        ({}, [0] + [1_000] * 8),  # an empty, column-less first batch
    ],
)
def test_a_value_budget_follows_a_table_that_widens(first: dict[str, list[str]], expected: list[int]) -> None:
    """Each schema's batches are sized by its own column count: a JSONL export whose first
    records are narrow used to keep the narrow batch size (4x the rows) for 20-column records."""
    from breachscope.readers.table import rebatch

    head = pa.RecordBatch.from_pydict(first) if first else pa.RecordBatch.from_pylist([])
    wide = pa.RecordBatch.from_pydict({f"c{i}": ["y"] * 1_000 for i in range(20)})
    out = list(rebatch(iter([head] + [wide] * 8), 1_000, cells=6_000))
    assert [b.num_rows for b in out] == expected
    assert all(b.num_rows * b.num_columns <= 20_000 for b in out)  # 1,000 rows x 20 columns


def test_with_a_value_budget_the_first_batch_is_not_grown() -> None:
    """A scan starts on the first batch while the rest is read: small reader batches give a
    first batch of ``rows`` rows, then batches grown to the value budget; a reader whose own
    batches are already bigger (Parquet's row groups) is not cut."""
    from breachscope.readers.table import rebatch

    small = pa.RecordBatch.from_pydict({"a": ["x"] * 250, "b": ["y"] * 250})
    assert [b.num_rows for b in rebatch(iter([small] * 40), 1_000, cells=6_000)] == [1_000] + [3_000] * 3
    assert [b.num_rows for b in rebatch(iter([small] * 40), 1_000)] == [1_000] * 10
    big = pa.RecordBatch.from_pydict({"a": ["x"] * 3_000, "b": ["y"] * 3_000})
    assert [b.num_rows for b in rebatch(iter([big] * 3), 1_000, cells=6_000)] == [3_000] * 3
