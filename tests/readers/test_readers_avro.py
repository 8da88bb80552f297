"""Avro object container files: values, flattening, logical types, damage, archives, batching."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import lzma
import sys
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import cramjam
import fastavro
import pytest

from breachscope.errors import InputError
from breachscope.readers import Limits, open_sources
from breachscope.readers.sniff import format_from_content, format_from_name
from tests.readers.readers_helpers import kinds, read_rows

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd


def _avro(schema: dict[str, Any], records: list[dict[str, Any]], **kw: Any) -> bytes:
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), records, **kw)
    return buf.getvalue()


def _record(fields: list[tuple[str, Any]], name: str = "r") -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": [{"name": n, "type": t} for n, t in fields]}


UTC = dt.UTC
# (case, schema fields, records in, rows out)
CASES: list[tuple[str, list[tuple[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]] = [
    (
        "flat",
        [("id", "long"), ("email", "string"), ("score", "double"), ("ok", "boolean")],
        [{"id": 1, "email": "ana@example.com", "score": 1.5, "ok": True}],
        [{"id": 1, "email": "ana@example.com", "score": 1.5, "ok": True}],
    ),
    (
        "nested records",
        [("user", _record([("email", "string"), ("geo", _record([("city", "string")], "g"))], "u"))],
        [{"user": {"email": "a@example.com", "geo": {"city": "Medan"}}}],
        [{"user.email": "a@example.com", "user.geo.city": "Medan"}],
    ),
    (
        "maps",
        [("properties", {"type": "map", "values": "string"})],
        [{"properties": {"email": "a@example.com"}}, {"properties": {"phone": "+62 811"}}],
        [
            {"properties.email": "a@example.com", "properties.phone": None},
            {"properties.email": None, "properties.phone": "+62 811"},
        ],
    ),
    (
        "arrays",
        [("tags", {"type": "array", "items": "string"}), ("n", {"type": "array", "items": "long"})],
        [{"tags": ["a", "b"], "n": [1, 2]}, {"tags": [], "n": []}],
        [{"tags": ["a", "b"], "n": [1, 2]}, {"tags": [], "n": []}],
    ),
    (
        "arrays of records",
        [("items", {"type": "array", "items": _record([("k", "string"), ("v", "string")], "kv")})],
        [{"items": [{"k": "email", "v": "a@example.com"}]}],
        [{"items": [{"k": "email", "v": "a@example.com"}]}],
    ),
    (
        "nulls and unions",
        [("email", ["null", "string"]), ("geo", ["null", _record([("city", "string")], "g")])],
        [{"email": None, "geo": None}, {"email": "b@example.com", "geo": {"city": "Bandung"}}],
        [{"email": None, "geo.city": None}, {"email": "b@example.com", "geo.city": "Bandung"}],
    ),
    (
        "enum, bytes and fixed",
        [
            ("plan", {"type": "enum", "name": "plan", "symbols": ["free", "pro"]}),
            ("raw", "bytes"),
            ("f", {"type": "fixed", "name": "f4", "size": 4}),
        ],
        [{"plan": "pro", "raw": b"\x00\xff", "f": b"abcd"}],
        [{"plan": "pro", "raw": b"\x00\xff", "f": b"abcd"}],
    ),
    (
        "logical types",
        [
            ("ts", {"type": "long", "logicalType": "timestamp-millis"}),
            ("tus", {"type": "long", "logicalType": "timestamp-micros"}),
            ("day", {"type": "int", "logicalType": "date"}),
            ("amount", {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}),
            ("uid", {"type": "string", "logicalType": "uuid"}),
            ("m", {"type": "map", "values": {"type": "int", "logicalType": "date"}}),
        ],
        [
            {
                "ts": dt.datetime(2025, 11, 9, 8, 30, 0, 123000, tzinfo=UTC),
                "tus": dt.datetime(2025, 11, 9, 8, 30, 0, 123456, tzinfo=UTC),
                "day": dt.date(2025, 11, 9),
                "amount": Decimal("1234567890.12"),
                "uid": UUID("12345678-1234-5678-1234-567812345678"),
                "m": {"joined": dt.date(2024, 1, 2)},
            }
        ],
        [
            {
                "ts": "2025-11-09T08:30:00.123000+00:00",
                "tus": "2025-11-09T08:30:00.123456+00:00",
                "day": "2025-11-09",
                "amount": "1234567890.12",
                "uid": "12345678-1234-5678-1234-567812345678",
                "m.joined": "2024-01-02",
            }
        ],
    ),
]


@pytest.mark.parametrize(("case", "fields", "records", "expected"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("codec", ["null", "deflate", "bzip2", "xz", "snappy", "zstandard"])
def test_values_are_flattened_like_json(
    tmp_path: Path,
    case: str,
    fields: list[tuple[str, Any]],
    records: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    codec: str,
) -> None:
    path = tmp_path / "export.avro"
    path.write_bytes(_avro(_record(fields), records, codec=codec))
    rows, sources = read_rows(path)
    assert rows == expected
    assert [s.format for s in sources] == ["avro"]
    assert kinds(sources) == []


def _people(n: int) -> bytes:
    schema = _record([("id", "long"), ("email", "string"), ("city", ["null", "string"])])
    records = [
        {"id": i, "email": f"user{i}@example.com", "city": None if i % 3 else "Medan"} for i in range(n)
    ]
    return _avro(schema, records, codec="null", sync_interval=500)


@pytest.mark.parametrize("batch_rows", [1, 7, 64, 1000, 100_000])
def test_batch_boundaries_give_the_same_rows(tmp_path: Path, batch_rows: int) -> None:
    path = tmp_path / "people.avro"
    path.write_bytes(_people(3000))
    (src,) = open_sources(path, batch_rows=batch_rows)
    expected = 0
    ids: list[int] = []
    for chunk in src.chunks():
        assert chunk.offset == expected
        assert 0 < chunk.batch.num_rows <= batch_rows
        expected += chunk.batch.num_rows
        ids.extend(chunk.batch.column("id").to_pylist())
    assert ids == list(range(3000))
    assert src.issues == []


def test_byte_progress_adds_up_to_the_file_size(tmp_path: Path) -> None:
    path = tmp_path / "people.avro"
    path.write_bytes(_people(2000))
    (src,) = open_sources(path, batch_rows=100)
    seen: list[int] = []
    rows = sum(c.batch.num_rows for c in src.chunks(on_bytes=seen.append))
    assert rows == 2000
    assert len(seen) > 10 and sum(seen) == path.stat().st_size


@pytest.mark.parametrize("compression", ["gz", "zip", "zip+gz"])
def test_inside_archives(tmp_path: Path, compression: str) -> None:
    data = _people(500)
    if compression == "gz":
        path = tmp_path / "users.avro.gz"
        path.write_bytes(gzip.compress(data))
    else:
        path = tmp_path / "leak.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            if compression == "zip":
                z.writestr("heap/users/part-0.avro", data)
            else:
                z.writestr("heap/users/part-0.avro.gz", gzip.compress(data))
    rows, sources = read_rows(path, batch_rows=128)
    assert [r["id"] for r in rows] == list(range(500))
    assert [(s.format, s.compression) for s in sources] == [
        ("avro", {"gz": "gzip", "zip": "zip", "zip+gz": "zip+gzip"}[compression])
    ]
    assert kinds(sources) == []


def test_format_from_name_and_content(tmp_path: Path) -> None:
    assert format_from_name("part-00000.avro") == "avro"
    assert format_from_name("part-00000.avro.gz") == "avro"
    assert format_from_content(_people(1)) == "avro"
    unnamed = tmp_path / "part-00000"  # Heap's S3 files carry no extension
    unnamed.write_bytes(_people(10))
    rows, sources = read_rows(unnamed)
    assert len(rows) == 10 and sources[0].format == "avro"
    forced = tmp_path / "dump.bin"
    forced.write_bytes(_people(10))
    rows, sources = read_rows(forced, format="avro")
    assert len(rows) == 10 and sources[0].format == "avro"


@pytest.mark.parametrize("content", [b"", "header"], ids=["zero bytes", "header only"])
def test_empty_file(tmp_path: Path, content: bytes | str) -> None:
    schema = _record([("user_id", "long"), ("identity", ["null", "string"])])
    path = tmp_path / "users.avro"
    path.write_bytes(_avro(schema, []) if content == "header" else b"")
    (src,) = open_sources(path)
    batches = [c.batch for c in src.chunks()]
    assert sum(b.num_rows for b in batches) == 0
    assert kinds([src]) == ["empty"]
    if content == "header":  # the columns are still known (vendor recognition needs them)
        assert batches[0].schema.names == ["user_id", "identity"]


def _blocks(data: bytes, sync: bytes) -> list[int]:
    """Byte offsets just after each sync marker (the first is the end of the header)."""
    out, at = [], data.find(sync)
    while at >= 0:
        out.append(at + len(sync))
        at = data.find(sync, at + 1)
    return out


def test_corrupt_block_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    data = _people(3000)
    ends = _blocks(data, data[-16:])  # every block, like the header, ends with the sync marker
    assert len(ends) > 10
    bad = bytearray(data)
    start = ends[4]  # the fifth data block: its framing is overwritten
    bad[start : start + 8] = b"\xff" * 8
    path = tmp_path / "people.avro"
    path.write_bytes(bytes(bad))
    rows, sources = read_rows(path, batch_rows=250)
    issues = sources[0].issues
    assert [i.kind for i in issues] == ["corrupt_block"]
    lost = 3000 - len(rows)
    assert 0 < lost < 300  # one block's records, no more
    ids = [r["id"] for r in rows]
    assert ids == sorted(ids) and ids[-1] == 2999
    first_lost = next(i for i, v in enumerate(ids) if v != i)
    assert issues[0].record == first_lost + 1
    assert "skipped to the next block" in issues[0].message


def test_damage_inside_a_block_keeps_the_records_before_it(tmp_path: Path) -> None:
    schema = _record([("id", "long"), ("email", "string")])
    records = [{"id": i, "email": f"user{i}@example.com"} for i in range(100)]
    data = bytearray(_avro(schema, records, codec="null"))  # one block
    at = data.find(b"user50@example.com")
    data[at - 1] = 0x7F  # the string's length becomes -64: the record cannot be decoded
    path = tmp_path / "one_block.avro"
    path.write_bytes(bytes(data))
    rows, sources = read_rows(path)
    assert [r["id"] for r in rows] == list(range(50))
    (issue,) = sources[0].issues
    assert issue.kind == "corrupt_block" and issue.record == 51
    assert "50 records of this block were not read" in issue.message


def test_truncated_file_keeps_whole_blocks(tmp_path: Path) -> None:
    data = _people(3000)
    path = tmp_path / "people.avro"
    path.write_bytes(data[: len(data) // 2])
    rows, sources = read_rows(path, batch_rows=1000)
    assert 0 < len(rows) < 3000
    assert [r["id"] for r in rows] == list(range(len(rows)))
    (issue,) = sources[0].issues
    assert issue.kind == "truncated" and issue.record == len(rows) + 1


def test_truncated_gzip_reports_both_layers_and_keeps_records(tmp_path: Path) -> None:
    packed = gzip.compress(_people(150_000))  # past the 1 MiB head that sniffing decompresses
    path = tmp_path / "people.avro.gz"
    path.write_bytes(packed[: len(packed) // 2])
    rows, sources = read_rows(path)
    assert 0 < len(rows) < 150_000
    assert [r["id"] for r in rows] == list(range(len(rows)))
    assert kinds(sources) == ["truncated", "truncated"]  # the Avro block, then the gzip stream


def test_invalid_utf8_is_replaced_and_reported(tmp_path: Path) -> None:
    schema = _record([("id", "long"), ("name", "string")])
    records = [{"id": i, "name": "Jose" if i != 3 else "Jos\u00e9"} for i in range(6)]
    data = bytearray(_avro(schema, records))
    at = data.find("Jos\u00e9".encode())
    data[at + 3 : at + 5] = b"\xff\xfe"
    path = tmp_path / "bad_utf8.avro"
    path.write_bytes(bytes(data))
    rows, sources = read_rows(path)
    assert [r["id"] for r in rows] == list(range(6))
    assert rows[3]["name"] == "Jos\ufffd\ufffd"
    (issue,) = sources[0].issues
    assert (issue.kind, issue.record) == ("invalid_utf8", 4)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 40, "not an Avro object container file"),
        (b"Obj\x01" + b"\xff" * 200, "header is damaged"),
    ],
    ids=["not avro", "damaged header"],
)
def test_bad_header_is_one_clear_issue(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "export.avro"
    path.write_bytes(content)
    rows, sources = read_rows(path)
    assert rows == []
    (issue,) = sources[0].issues
    assert issue.kind == "unreadable" and message in issue.message


def test_not_avro_inside_zip_does_not_hide_other_members(tmp_path: Path) -> None:
    path = tmp_path / "leak.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.avro", b"this is, not avro\n1,2\n")  # text content wins: read as CSV
        z.writestr("b.avro", bytes(range(256)) * 40)
        z.writestr("c.avro", _people(20))
    rows, sources = read_rows(path)
    assert [s.format for s in sources] == ["csv", "avro", "avro"]
    assert kinds(sources) == ["unreadable"]
    assert sum(1 for r in rows if "email" in r) == 20


def test_deflate_bomb_block_is_stopped(tmp_path: Path) -> None:
    schema = _record([("blob", "string")])
    data = _avro(schema, [{"blob": "a" * (8 << 20)}], codec="deflate")
    path = tmp_path / "bomb.avro"
    path.write_bytes(data)
    limits = Limits(max_ratio=50, ratio_after_bytes=1 << 20)
    rows, sources = read_rows(path, limits=limits)
    assert rows == []
    assert kinds(sources) == ["bomb"]


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def _zigzag(n: int) -> bytes:
    return _varint((n << 1) ^ (n >> 63))


def _snappy(raw: bytes) -> bytes:
    """An Avro snappy block: raw snappy, then the CRC32 of the uncompressed data."""
    return bytes(cramjam.snappy.compress_raw(raw)) + zlib.crc32(raw).to_bytes(4, "big")


def _zstd_streamed(raw: bytes) -> bytes:
    """A zstd frame that does not declare its content size (written in pieces)."""
    c = zstd.ZstdCompressor()
    return b"".join([c.compress(raw[i : i + (1 << 20)]) for i in range(0, len(raw), 1 << 20)] + [c.flush()])


def _deflate(raw: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(raw) + c.flush()


# (case, codec in the header, how a block's data is compressed)
PACK: list[tuple[str, str, Callable[[bytes], bytes]]] = [
    ("deflate", "deflate", _deflate),
    ("bzip2", "bzip2", bz2.compress),
    ("xz", "xz", lzma.compress),
    ("snappy", "snappy", _snappy),
    ("zstandard, size declared", "zstandard", zstd.compress),
    ("zstandard, size not declared", "zstandard", _zstd_streamed),
    ("zstandard, two frames", "zstandard", lambda raw: zstd.compress(raw[:7]) + zstd.compress(raw[7:])),
]
BLOB = _record([("id", "long"), ("blob", "string")])


def _payload(records: list[dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    parsed = fastavro.parse_schema(BLOB)
    for r in records:
        fastavro.schemaless_writer(buf, parsed, r)
    return buf.getvalue()


def _container(codec: str, blocks: list[tuple[int, bytes]]) -> bytes:
    """An Avro file with hand-made blocks: (record count, block data as stored)."""
    header = _avro(BLOB, [], codec=codec)
    sync = header[-16:]
    return header + b"".join(_zigzag(n) + _zigzag(len(data)) + data + sync for n, data in blocks)


def _three(start: int) -> list[dict[str, Any]]:
    return [{"id": i, "blob": f"user{i}@example.com"} for i in range(start, start + 3)]


@pytest.mark.parametrize(("case", "codec", "pack"), PACK, ids=[c[0] for c in PACK])
def test_hand_made_blocks_read_exactly(
    tmp_path: Path, case: str, codec: str, pack: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "blocks.avro"
    path.write_bytes(_container(codec, [(3, pack(_payload(_three(i)))) for i in (0, 3, 6)]))
    rows, sources = read_rows(path, batch_rows=4)
    assert rows == _three(0) + _three(3) + _three(6)
    assert kinds(sources) == []


@pytest.mark.parametrize("codec", ["deflate", "bzip2", "xz", "snappy", "zstandard"])
def test_many_blocks_read_like_fastavro(tmp_path: Path, codec: str) -> None:
    schema = _record([("id", "long"), ("email", "string"), ("city", ["null", "string"])])
    records = [
        {"id": i, "email": f"user{i}@example.com", "city": None if i % 3 else "Medan"} for i in range(5000)
    ]
    data = _avro(schema, records, codec=codec, sync_interval=2000)
    assert len(_blocks(data, data[-16:])) > 20
    path = tmp_path / "people.avro"
    path.write_bytes(data)
    rows, sources = read_rows(path, batch_rows=1000)
    assert rows == list(fastavro.reader(io.BytesIO(data))) == records
    assert kinds(sources) == []


@pytest.mark.parametrize(("case", "codec", "pack"), PACK[:-1], ids=[c[0] for c in PACK[:-1]])
def test_bomb_block_stops_reading_within_the_limit(
    tmp_path: Path, case: str, codec: str, pack: Callable[[bytes], bytes]
) -> None:
    bomb = pack(_payload([{"id": 3, "blob": "a" * (32 << 20)}]))  # snappy's best is ~21:1
    path = tmp_path / "bomb.avro"
    path.write_bytes(
        _container(codec, [(3, pack(_payload(_three(0)))), (1, bomb), (3, pack(_payload(_three(4))))])
    )
    del bomb
    limits = Limits(max_ratio=5, ratio_after_bytes=1 << 20)
    tracemalloc.start()
    try:
        rows, sources = read_rows(path, limits=limits, batch_rows=3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rows == _three(0)  # the batch before the bomb was delivered, nothing after it
    (issue,) = sources[0].issues
    assert issue.kind == "bomb" and issue.record == 4
    assert f"Avro {codec} block" in issue.message and "reading stopped" in issue.message
    # the block would inflate to 32 MiB; the guard stops the output near 1-2 MiB (xz's own
    # decoder state is 8 MiB here)
    assert peak < 16 << 20


def _snappy_declaring(size: bytes) -> Callable[[bytes], bytes]:
    """Snappy whose length header is replaced by ``size`` (a raw varint)."""

    def pack(raw: bytes) -> bytes:
        body = bytes(cramjam.snappy.compress_raw(raw))
        at = 0
        while body[at] & 0x80:
            at += 1
        return size + body[at + 1 :] + zlib.crc32(raw).to_bytes(4, "big")

    return pack


LONG_TEXT = _payload(_three(3))
# (case, codec, damaged block data, words in the message)
DAMAGED: list[tuple[str, str, bytes, str]] = [
    ("snappy declares more", "snappy", _snappy_declaring(_varint(len(LONG_TEXT) + 9))(LONG_TEXT), "snappy: "),
    ("snappy declares less", "snappy", _snappy_declaring(_varint(len(LONG_TEXT) - 9))(LONG_TEXT), "snappy: "),
    ("snappy declares 4 GiB", "snappy", _snappy_declaring(_varint(2**32 - 1))(LONG_TEXT), "bytes can hold"),
    ("snappy varint never ends", "snappy", _snappy_declaring(b"\xff" * 6)(LONG_TEXT), "longer than 5 bytes"),
    ("snappy cut short", "snappy", b"\x80\x01", "cut short"),
    ("zstandard garbage", "zstandard", b"not zstd at all, just text", "not a Zstandard frame"),
    ("zstandard damaged frame", "zstandard", zstd.compress(LONG_TEXT)[:6] + b"\xff" * 40, "zstandard: "),
    ("deflate garbage", "deflate", b"\xff" * 40, "deflate: "),
    ("bzip2 garbage", "bzip2", b"BZh9" + b"\xff" * 40, "bzip2: "),
    ("xz garbage", "xz", b"\xfd7zXZ\x00" + b"\xff" * 40, "xz: "),
]


@pytest.mark.parametrize(("case", "codec", "bad", "words"), DAMAGED, ids=[c[0] for c in DAMAGED])
def test_block_that_does_not_decompress_is_reported_and_skipped(
    tmp_path: Path, case: str, codec: str, bad: bytes, words: str
) -> None:
    pack = {c: p for _, c, p in PACK[:5]}[codec]
    path = tmp_path / "damaged.avro"
    path.write_bytes(
        _container(codec, [(3, pack(_payload(_three(0)))), (3, bad), (3, pack(_payload(_three(6))))])
    )
    rows, sources = read_rows(path)
    assert rows == _three(0) + _three(6)
    (issue,) = sources[0].issues
    assert issue.kind == "corrupt_block" and issue.record == 4
    assert "Avro block 2 (records 4-6) does not decompress" in issue.message and words in issue.message


def test_unknown_codec_is_one_clear_issue(tmp_path: Path) -> None:
    data = _avro(BLOB, _three(0), codec="deflate")
    path = tmp_path / "lz4.avro"
    path.write_bytes(data.replace(b"\x0edeflate", b"\x06lz4", 1))
    rows, sources = read_rows(path)
    assert rows == []
    (issue,) = sources[0].issues
    assert issue.kind == "unreadable" and "codec 'lz4' is not supported" in issue.message


def test_unknown_format_still_names_avro_in_the_hint(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="avro"):
        open_sources(tmp_path / "x.csv", format="orc")
