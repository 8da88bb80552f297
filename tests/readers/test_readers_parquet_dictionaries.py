"""Parquet with ``dictionaries``: low-cardinality string columns come as dictionary arrays,
with the same values, batches and offsets as the plain read."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from breachscope.readers import open_sources

N = 5_000


def _leak(tmp_path: Path, row_group_size: int = 700) -> Path:
    """Row groups of 700 rows, so every batch of 1,000 spans two dictionaries."""
    path = tmp_path / "people.parquet"
    table = pa.table(
        {
            "user_id": [f"user-{i:08d}x" for i in range(N)],
            "city": [None if i % 97 == 0 else ["Jakarta", "Bandung", "London"][i % 3] for i in range(N)],
            "n": list(range(N)),
            "os": ["Windows" if i < 3_000 else "Linux" for i in range(N)],  # a word per row group half
        }
    )
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def _chunks(path: Path, dictionaries: bool) -> list[tuple[int, pa.RecordBatch]]:
    (src,) = open_sources(path, batch_rows=1_000, dictionaries=dictionaries)
    return [(c.offset, c.batch) for c in src.chunks()]


def test_low_cardinality_columns_come_as_dictionaries_with_the_same_values(tmp_path: Path) -> None:
    path = _leak(tmp_path)
    plain = _chunks(path, dictionaries=False)
    encoded = _chunks(path, dictionaries=True)
    assert [(o, b.num_rows) for o, b in encoded] == [(o, b.num_rows) for o, b in plain]
    assert len(plain) == 5
    for (_, p), (_, e) in zip(plain, encoded, strict=True):
        assert e.schema.names == p.schema.names
        assert pa.types.is_dictionary(e.schema.field("city").type)
        assert pa.types.is_dictionary(e.schema.field("os").type)
        assert e.schema.field("user_id").type == pa.string()  # an id per row: read plainly
        assert e.schema.field("n").type == p.schema.field("n").type
        for name in p.schema.names:
            column = e.column(name)
            decoded = column.dictionary_decode() if isinstance(column, pa.DictionaryArray) else column
            assert decoded.equals(p.column(name)), name


def test_without_dictionaries_every_column_is_plain(tmp_path: Path) -> None:
    for _, batch in _chunks(_leak(tmp_path), dictionaries=False):
        assert not any(pa.types.is_dictionary(t) for t in batch.schema.types)


def test_a_nested_schema_is_read_plainly(tmp_path: Path) -> None:
    path = tmp_path / "nested.parquet"
    table = pa.table({"city": ["Jakarta", "London"] * 500, "props": [{"os": "Linux"}] * 1_000})
    pq.write_table(table, path, row_group_size=300)
    for _, batch in _chunks(path, dictionaries=True):
        assert not any(pa.types.is_dictionary(t) for t in batch.schema.types)


def _zigzag(n: int) -> bytes:
    """A Thrift compact-protocol i64 (zigzag varint)."""
    n, out = (n << 1) ^ (n >> 63), bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes([*out, n])


def _footer_says_rows(path: Path, real: int, claimed: int) -> None:
    """A hostile footer: FileMetaData.num_rows (field 3) says ``claimed`` rows, while its row
    groups hold ``real`` (the two numbers are stored apart and nothing ties them)."""
    data = bytearray(path.read_bytes())
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    old, new = b"\x16" + _zigzag(real), b"\x16" + _zigzag(claimed)
    assert len(old) == len(new)
    at = data.find(old, footer)
    assert at > 0 and data.find(old, at + 1) < 0
    data[at : at + len(old)] = new
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("claimed", [4_000, 6_000])
@pytest.mark.parametrize("columns", [["city", "os"], ["city", "user_id", "os"]])
def test_a_footer_that_miscounts_its_rows_reads_every_row_group(
    tmp_path: Path, claimed: int, columns: list[str]
) -> None:
    """The dictionary read follows the row groups, as the plain read does: a footer claiming
    fewer rows hides none (a NIK in the last row group is still read), and one claiming more
    is no read error of the dictionary read alone."""
    path = _leak(tmp_path)
    table = pq.read_table(path, columns=columns)
    nik = table.column("city").to_pylist()
    nik[4_500] = "3171040505848982"
    pq.write_table(table.set_column(0, "city", pa.array(nik, pa.string())), path, row_group_size=700)
    _footer_says_rows(path, N, claimed)
    assert pq.ParquetFile(path).metadata.num_rows == claimed
    plain, encoded = _chunks(path, dictionaries=False), _chunks(path, dictionaries=True)
    assert sum(b.num_rows for _, b in plain) == N
    assert [(o, b.num_rows) for o, b in encoded] == [(o, b.num_rows) for o, b in plain]
    for (_, p), (_, e) in zip(plain, encoded, strict=True):
        for name in p.schema.names:
            column = e.column(name)
            decoded = column.dictionary_decode() if isinstance(column, pa.DictionaryArray) else column
            assert decoded.equals(p.column(name)), name
    (src,) = open_sources(path, batch_rows=1_000, dictionaries=True)
    list(src.chunks())
    assert [i.kind for i in src.issues] == []


def _read(path: Path, dictionaries: bool) -> tuple[list[tuple[int, pa.RecordBatch]], list[tuple[str, str]]]:
    (src,) = open_sources(path, batch_rows=1_000, dictionaries=dictionaries)
    chunks = [(c.offset, c.batch) for c in src.chunks()]
    return chunks, [(i.kind, i.message) for i in src.issues]


@pytest.mark.parametrize("stored_as_dictionary", [False, True])
@pytest.mark.parametrize("row_group", [0, 3, 6])
def test_dictionary_indices_out_of_range_stop_the_read_as_the_plain_read_does(
    tmp_path: Path, row_group: int, stored_as_dictionary: bool
) -> None:
    """A hostile file whose dictionary indices point past the dictionary (its last page's
    packed indices overwritten): pyarrow checks them when it decodes the values, not when it
    gives the dictionary as it is. The dictionary read stops at the same record with the same
    read_error, and never hands out an array whose indices point outside its dictionary.
    ``stored_as_dictionary``: the file's Arrow schema itself says dictionary (pandas
    categoricals), so even the plain read gives dictionary arrays."""
    path = tmp_path / "people.parquet"
    city = pa.array([["Jakarta", "Bandung", "London", "Paris", "Rome"][i % 5] for i in range(20_000)])
    table = pa.table({"city": city.dictionary_encode() if stored_as_dictionary else city, "n": range(20_000)})
    pq.write_table(table, path, row_group_size=3_000, compression="NONE", write_statistics=False)
    column = pq.ParquetFile(path).metadata.row_group(row_group).column(0)
    data = bytearray(path.read_bytes())
    end = column.dictionary_page_offset + column.total_compressed_size
    data[end - 60 : end - 2] = b"\xff" * 58
    path.write_bytes(bytes(data))
    plain, plain_issues = _read(path, dictionaries=False)
    encoded, issues = _read(path, dictionaries=True)
    assert len(plain_issues) == 1 and "ArrowInvalid: Index not in dictionary bounds" in plain_issues[0][1]
    assert issues == plain_issues
    assert [(o, b.num_rows) for o, b in encoded] == [(o, b.num_rows) for o, b in plain]
    for _, batch in encoded:
        batch.validate(full=True)
