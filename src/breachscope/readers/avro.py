"""Avro object container files (Heap Connect's S3 export): streamed one block at a time.

The header (magic ``Obj\\x01``, schema, codec, 16-byte sync marker) is parsed by fastavro. The
blocks (record count, byte size, data, sync marker) are framed here, so a damaged file is read
as far as it can be: a block whose framing is broken is reported and the reader skips to the
next sync marker; a block whose records do not decode keeps the records before the damage; a
file that ends inside a block keeps every record before that block. A compressed block is
inflated here, once, with its output bounded by the decompression guard (:class:`Limits`): a
block that would inflate past it stops the file with a ``bomb`` issue, and snappy and zstandard
headers that declare too large a size are refused before anything is inflated. Each block's
records are then decoded by fastavro (as a "null"-codec block), grouped into batches of
``batch_rows`` records and flattened like JSON (records and maps become dotted columns, arrays
stay list columns). Logical types become text: timestamps and dates ISO 8601, decimals and
UUIDs their exact string form. A value its logical type cannot hold (a timestamp past year 9999)
keeps its record's values raw (``bad_value``); it no longer loses the rest of its block.
"""

from __future__ import annotations

import bz2
import io
import json
import lzma
import sys
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

import pyarrow as pa

from breachscope.errors import InputError
from breachscope.readers.archive import Input
from breachscope.readers.base import Source
from breachscope.readers.depth import json_depth, value_depth
from breachscope.readers.stream import BombError, BudgetError, Limits, MiB
from breachscope.readers.table import ReadContext, Reader, records_to_batch, safe_error

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

MAGIC = b"Obj\x01"
SYNC_SIZE = 16
MAX_BLOCK_BYTES = 256 * MiB  # a block declaring more is treated as damaged framing
SCAN_BYTES = 1 * MiB  # read size while looking for the next sync marker
CODECS = ("null", "deflate", "bzip2", "xz", "snappy", "zstandard")  # the Avro specification's
SNAPPY_MAX_RATIO = 22  # raw snappy's best case: a 3-byte copy op writes 64 bytes


class _Damaged(Exception):
    """The framing of one block is broken (reported; the reader looks for the next block)."""


class _Tape:
    """The decompressed stream, with bytes that can be pushed back and a record of what was read."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner
        self._back = b""
        self._eof = False  # the inner stream ended: never read it again (a gzip error would repeat)
        self.taken: list[bytes] | None = None
        self.pos = 0  # bytes consumed, counting pushed-back bytes again

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            raise ValueError("unbounded read")
        if self._back:
            data, self._back = self._back[:n], self._back[n:]
            if len(data) < n:
                data += self._more(n - len(data))
        else:
            data = self._more(n)
        self.pos += len(data)
        if self.taken is not None:
            self.taken.append(data)
        return data

    def _more(self, n: int) -> bytes:
        if self._eof:
            return b""
        data = self._inner.read(n)
        self._eof = len(data) < n  # buffered and file streams return short reads only at the end
        return data

    def tell(self) -> int:
        return self.pos

    def push_back(self, data: bytes) -> None:
        self._back = data + self._back
        self.pos -= len(data)

    def exactly(self, n: int) -> bytes:
        data = self.read(n)
        while len(data) < n:
            more = self.read(n - len(data))
            if not more:
                raise EOFError(f"wanted {n} bytes, found {len(data)}")
            data += more
        return data


def _read_long(tape: _Tape) -> int | None:
    """A zig-zag varint, or None at a clean end of file."""
    shift = result = 0
    for i in range(10):
        b = tape.read(1)
        if not b:
            if i == 0:
                return None
            raise EOFError("the file ends inside a block header")
        result |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            return (result >> 1) ^ -(result & 1)
        shift += 7
    raise _Damaged("a block header number is longer than 10 bytes")


def _long(n: int) -> bytes:
    """An Avro zig-zag varint."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _null_header(schema: str, sync: bytes) -> bytes:
    """A container header for ``schema`` with the "null" codec: blocks inflated here are decoded
    by fastavro from plain bytes, so nothing is decompressed twice or without a bound."""
    out = [MAGIC, _long(2)]
    for key, value in ((b"avro.codec", b"null"), (b"avro.schema", schema.encode())):
        out += [_long(len(key)), key, _long(len(value)), value]
    out += [_long(0), sync]
    return b"".join(out)


class _BadData(Exception):
    """A block's compressed data does not decompress (reported; the reader goes on)."""


class _Declared(Exception):
    """A block's header declares a decompressed size past the limit (nothing was inflated)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _snappy(data: bytes, limit: int) -> bytearray:
    """Avro snappy: raw snappy + CRC32. The declared size is checked before anything is inflated,
    and the output buffer is exactly that size, so a lying header cannot make it bigger."""
    body = memoryview(data)[:-4]
    declared = shift = 0
    for i in range(5):  # the raw format's uncompressed length: an unsigned varint, at most 2**32-1
        if i >= len(body):
            raise _BadData("the snappy length header is cut short")
        declared |= (body[i] & 0x7F) << shift
        shift += 7
        if not body[i] & 0x80:
            break
    else:
        raise _BadData("the snappy length header is longer than 5 bytes")
    if declared > len(body) * SNAPPY_MAX_RATIO + 64:
        raise _BadData(f"the snappy header declares {declared} bytes, more than {len(body)} bytes can hold")
    if declared > limit:
        raise _Declared(declared)
    import cramjam  # imported when an Avro file needs it: not at every CLI start (issue 13)

    out = bytearray(declared)
    try:
        n = cramjam.snappy.decompress_raw_into(body, out)
    except cramjam.DecompressionError as exc:
        raise _BadData(str(exc)) from exc
    if n != declared:  # the library checks this too; a lying header must never pass
        raise _BadData(f"the snappy header declares {declared} bytes, the data holds {n}")
    return out


def _zstandard(data: bytes, limit: int) -> bytes:
    """Zstandard frames inflated with a bounded output; a declared content size is checked first."""
    try:
        declared = zstd.get_frame_info(data).decompressed_size
    except zstd.ZstdError as exc:
        raise _BadData("not a Zstandard frame") from exc
    if declared is not None and declared > limit:
        raise _Declared(declared)
    pieces: list[bytes] = []
    total = 0
    rest = data
    while rest:  # one frame at a time (a writer may concatenate frames)
        d = zstd.ZstdDecompressor()
        try:
            piece = d.decompress(rest, limit + 1 - total)
        except zstd.ZstdError as exc:
            raise _BadData(str(exc)) from exc
        pieces.append(piece)
        total += len(piece)
        if total > limit:
            break
        if not d.eof:
            break  # cut short: what was inflated is decoded, the records past it are reported
        rest = d.unused_data
    return b"".join(pieces)


def _inflate(codec: str, data: bytes, limits: Limits, name: str) -> bytes | bytearray:
    """One block's data decompressed, never past the ratio guard's limit for it (BombError)."""
    limit = max(limits.ratio_after_bytes, int(len(data) * limits.max_ratio))
    if limits.max_member_bytes is not None:
        limit = min(limit, limits.max_member_bytes)
    declared: int | None = None
    out: bytes | bytearray
    try:
        if codec == "snappy":
            out = _snappy(data, limit)
        elif codec == "zstandard":
            out = _zstandard(data, limit)
        elif codec == "deflate":
            out = zlib.decompressobj(-15).decompress(data, limit + 1)  # a cut stream: what it holds
        else:
            d: bz2.BZ2Decompressor | lzma.LZMADecompressor
            d = bz2.BZ2Decompressor() if codec == "bzip2" else lzma.LZMADecompressor()
            out = d.decompress(data, limit + 1)
    except _Declared as over:
        declared = over.size
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
        raise _BadData(str(exc)) from exc
    if declared is None and len(out) <= limit:
        return out
    what = "inflates" if declared is None else f"declares {declared} decompressed bytes"
    raise BombError(
        f"{name}: an Avro {codec} block of {len(data)} compressed bytes {what}, past the limit "
        f"of {limit} bytes set by the decompression guard (ratio {limits.max_ratio:.0f}:1); "
        "reading stopped",
        "if the file is genuine, re-encode it without compression and scan the result",
    )


def _plain(value: Any) -> Any:
    """Logical-type values as text; records, maps and arrays walked."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def _without_logical_types(schema: Any) -> Any:
    """``schema`` with every ``logicalType`` removed (values decode as their base types)."""
    if isinstance(schema, dict):
        return {k: _without_logical_types(v) for k, v in schema.items() if k != "logicalType"}
    if isinstance(schema, list):
        return [_without_logical_types(v) for v in schema]
    return schema


def _columns(schema: Any, prefix: str = "") -> list[str]:
    """Dotted column names of a record schema (for the empty batch of a file without records)."""
    if isinstance(schema, list):
        records = [s for s in schema if isinstance(s, dict) and s.get("type") == "record"]
        return _columns(records[0], prefix) if len(records) == 1 else [prefix.rstrip(".") or "value"]
    if isinstance(schema, dict) and schema.get("type") == "record":
        out: list[str] = []
        for f in schema.get("fields", []):
            out.extend(_columns(f["type"], f"{prefix}{f['name']}."))
        return out
    return [prefix.rstrip(".") or "value"]


class _File:
    """One Avro container file being read: header facts and the block loop."""

    def __init__(self, inp: Input, src: Source, ctx: ReadContext, stream: IO[bytes]) -> None:
        self.inp = inp
        self.src = src
        self.ctx = ctx
        self.tape = _Tape(stream)
        self.records = 0  # records delivered so far
        self.block = 0  # blocks met so far
        self.shape = _Shape({}, ctx.limits.max_depth)
        self.schema: str | None = None  # with logical types: the schema, and without them
        self.plain_schema: str | None = None  # (see _one_by_one)

    def header(self) -> tuple[bytes, str, str]:
        """Header bytes, codec and schema (JSON); InputError if this is not a readable Avro file."""
        tape = self.tape
        head = tape.read(len(MAGIC))
        if head != MAGIC:
            raise InputError(
                "not an Avro object container file (it does not start with 'Obj\\x01')",
                "pass --format with the file's real format",
            )
        tape.push_back(head)
        _check_schema_depth(tape, self.ctx.limits)
        tape.taken = []
        import fastavro  # imported when an Avro file is read: not at every CLI start (issue 13)

        try:
            reader = fastavro.block_reader(tape)  # type: ignore[arg-type]
        except Exception as exc:
            raise InputError(f"the Avro header is damaged ({safe_error(exc)})") from exc
        header = b"".join(tape.taken)
        tape.taken = None
        codec = reader.codec
        if codec not in CODECS:
            raise InputError(f"Avro codec {codec!r} is not supported", f"supported: {', '.join(CODECS)}")
        return header, codec, reader.metadata.get("avro.schema", "")

    def batches(self) -> Iterator[pa.RecordBatch]:
        first = self.tape.read(1)
        if not first:
            self.ctx.log.add("empty", "the file holds no records")
            return
        self.tape.push_back(first)
        header, codec, schema = self.header()
        self.shape = _Shape(json.loads(schema), self.ctx.limits.max_depth)
        if self.shape.zero_items:
            raise BudgetError(
                "too_many_items",
                "the schema has arrays whose items take no bytes (e.g. array<null>), so a few bytes can "
                "declare billions of items; the file was not read",
            )
        logical = "logicalType" in schema
        if logical:  # and the schema a record falls back to when a value does not fit its type
            self.schema, self.plain_schema = schema, json.dumps(_without_logical_types(json.loads(schema)))
        pending: list[Any] = []
        for records in self._blocks(header, codec, schema):
            for record in records:
                pending.append(_plain(record) if logical else record)
                if len(pending) >= self.ctx.batch_rows:
                    yield _batch(pending)
                    pending = []
        if pending:
            yield _batch(pending)
        elif self.records == 0:
            if not self.src.issues:
                self.ctx.log.add("empty", "the file holds no records")
            names = _columns(json.loads(schema))
            yield pa.RecordBatch.from_pylist([], schema=pa.schema([(n, pa.string()) for n in names]))

    def _blocks(self, header: bytes, codec: str, schema: str) -> Iterator[Iterator[Any]]:
        sync = header[-SYNC_SIZE:]
        null_header = _null_header(schema, sync)
        tape = self.tape
        while True:
            start = tape.pos
            tape.taken = []
            try:
                count = _read_long(tape)
                if count is None:
                    return
                self.block += 1
                size = _read_long(tape)
                if count < 0 or size is None or size < 0 or size > MAX_BLOCK_BYTES:
                    raise _Damaged(f"the block header declares {count} records in {size} bytes")
                data = tape.exactly(size)
                if tape.exactly(SYNC_SIZE) != sync:
                    raise _Damaged("the block does not end with the file's sync marker")
            except EOFError:
                self.ctx.log.add(
                    "truncated",
                    f"the file ends inside Avro block {self.block}; the {self.records} records "
                    "before it were read, that block's records are lost",
                    record=self.records + 1,
                )
                return
            except _Damaged as exc:
                raw = b"".join(tape.taken)
                tape.taken = None
                tape.push_back(raw[1:])
                skipped = self._resync(sync)
                where = f"Avro block {self.block} at byte {start}"
                if skipped is None:
                    self.ctx.log.add(
                        "corrupt_block",
                        f"{where} is damaged ({exc}) and no later block marker was found; "
                        f"reading stopped after {self.records} records, the rest of the file is lost",
                        record=self.records + 1,
                    )
                    return
                self.ctx.log.add(
                    "corrupt_block",
                    f"{where} is damaged ({exc}); {skipped + 1} bytes skipped to the next block, "
                    "the records in them are lost",
                    record=self.records + 1,
                )
                continue
            raw = b"".join(tape.taken)
            tape.taken = None
            if codec == "null":
                if self._plausible(count, size):
                    yield self._decode(header + raw, count, data)
                continue
            try:
                inflated = _inflate(codec, data, self.ctx.limits, self.src.name)
            except _BadData as exc:
                self.ctx.log.add(
                    "corrupt_block",
                    f"Avro block {self.block} (records {self.records + 1}-{self.records + count}) does "
                    f"not decompress ({codec}: {safe_error(exc)}); its {count} records were not read",
                    record=self.records + 1,
                )
                continue
            if not self._plausible(count, len(inflated)):
                continue
            frame = (null_header, _long(count), _long(len(inflated)), inflated, sync)
            yield self._decode(b"".join(frame), count, inflated)

    def _plausible(self, count: int, size: int) -> bool:
        """A block may declare at most one record per byte, plus ``Limits.max_items_slack``
        (records of a schema of nulls take no bytes); past that its records are not read."""
        slack = self.ctx.limits.max_items_slack
        if count <= size + slack:
            return True
        self.ctx.log.add(
            "too_many_items",
            f"Avro block {self.block} declares {count:,} records in {size:,} bytes, more than "
            f"{size + slack:,} (Limits.max_items_slack); its records were not read",
            record=self.records + 1,
        )
        return False

    def _resync(self, sync: bytes) -> int | None:
        """Reads up to and including the next sync marker; the bytes skipped, or None at the end."""
        base = 0  # bytes dropped from the front of the window
        window = b""
        while True:
            data = self.tape.read(SCAN_BYTES)
            if not data:
                return None
            window += data
            at = window.find(sync)
            if at >= 0:
                self.tape.push_back(window[at + SYNC_SIZE :])
                return base + at
            cut = max(0, len(window) - (SYNC_SIZE - 1))
            base += cut
            window = window[cut:]

    def _decode(self, one_block_file: bytes, count: int, data: bytes | bytearray) -> Iterator[Any]:
        """The records of one block (``data``: its records' bytes); damage inside it keeps the
        records before it. A value that does not fit its logical type hands the rest of the block
        to :meth:`_one_by_one`."""
        first = self.records + 1
        done = 0
        errors = "strict"
        limit = self.ctx.limits.max_depth
        # A recursive or very deep schema is decoded by fastavro's pure-Python reader: the
        # compiled one recurses on the C stack and crashes (SIGSEGV) on data 200,000 levels deep.
        import fastavro
        from fastavro import _read_py  # the pure-Python decoder: RecursionError, not a crash

        block_reader = _read_py.block_reader if self.shape.deep else fastavro.block_reader
        while True:
            try:
                (block,) = block_reader(io.BytesIO(one_block_file), handle_unicode_errors=errors)
                for i, record in enumerate(block):
                    if i < done:
                        continue
                    done += 1
                    self.records += 1
                    if self.shape.deep and value_depth(record, limit) > limit:
                        self._too_deep(f"record {self.records} is nested deeper than {limit} levels")
                        continue
                    yield record
                return
            except RecursionError:
                self._too_deep(
                    f"record {self.records + 1} is nested too deep to decode; "
                    f"{count - done} records of Avro block {self.block} were not read"
                )
                return
            except Exception as exc:
                if isinstance(exc, UnicodeDecodeError) and errors == "strict":
                    errors = "replace"
                    self._invalid_utf8()
                    continue
                if self.plain_schema is not None:
                    yield from self._one_by_one(data, done, count, errors)
                    return
                self._damaged(first, count, done, exc)
                return

    def _one_by_one(self, data: bytes | bytearray, start: int, count: int, errors: str) -> Iterator[Any]:
        """The block's records from record ``start`` (0-based) on, decoded one at a time.

        A value its logical type cannot hold (a timestamp past year 9999, a UUID that is not
        one) made fastavro raise, which lost the rest of the block. Here such a record is decoded
        again under the schema without logical types (its values raw: numbers, bytes) and
        reported (``bad_value``); the records after it keep their logical types. A record that
        does not decode either way is damage, as in :meth:`_decode`.
        """
        import fastavro
        from fastavro import _read_py

        read = _read_py.schemaless_reader if self.shape.deep else fastavro.schemaless_reader
        assert self.schema is not None and self.plain_schema is not None
        logical = fastavro.parse_schema(json.loads(self.schema))
        plain = fastavro.parse_schema(json.loads(self.plain_schema))
        first = self.records + 1 - start
        limit = self.ctx.limits.max_depth
        fo = io.BytesIO(data)
        for i in range(count):
            at = fo.tell()
            try:
                if i < start:  # delivered already: skipped (its values are not converted)
                    read(fo, plain, None, handle_unicode_errors="replace")
                    continue
                try:
                    record = read(fo, logical, None, handle_unicode_errors=errors)
                except RecursionError:
                    raise
                except UnicodeDecodeError:
                    errors = "replace"
                    self._invalid_utf8()
                    fo.seek(at)
                    record = read(fo, logical, None, handle_unicode_errors=errors)
            except RecursionError:
                self._too_deep(
                    f"record {self.records + 1} is nested too deep to decode; "
                    f"{count - i} records of Avro block {self.block} were not read"
                )
                return
            except Exception as exc:
                fo.seek(at)
                try:
                    record = read(fo, plain, None, handle_unicode_errors=errors)
                except Exception:
                    self._damaged(first, count, i, exc)
                    return
                self.ctx.log.add(
                    "bad_value",
                    f"a value in record {self.records + 1} does not fit its Avro logical type "
                    f"({type(exc).__name__}); the record's values are kept raw (numbers, bytes)",
                    record=self.records + 1,
                )
            self.records += 1
            if self.shape.deep and value_depth(record, limit) > limit:
                self._too_deep(f"record {self.records} is nested deeper than {limit} levels")
                continue
            yield record

    def _invalid_utf8(self) -> None:
        self.ctx.log.add(
            "invalid_utf8",
            f"a string in record {self.records + 1} is not valid UTF-8; invalid bytes in it "
            "and in later records of its block were replaced by U+FFFD",
            record=self.records + 1,
        )

    def _damaged(self, first: int, count: int, done: int, exc: Exception) -> None:
        self.ctx.log.add(
            "corrupt_block",
            f"Avro block {self.block} (records {first}-{first + count - 1}) is damaged at record "
            f"{self.records + 1} ({type(exc).__name__}: {safe_error(exc)}); "
            f"{count - done} records of this block were not read",
            record=self.records + 1,
        )

    def _too_deep(self, what: str) -> None:
        self.ctx.log.add("too_deep", f"{what} (Limits.max_depth); skipped", record=self.records + 1)


class _Shape:
    """What a schema allows: nesting deeper than the budget (or recursive types), and arrays
    whose items take no bytes (their declared counts cannot be bounded by the data)."""

    def __init__(self, schema: Any, limit: int) -> None:
        self.named: dict[str, Any] = {}
        self.open: set[str] = set()
        self.recursive = False
        self.zero_items = False
        self.depth = self._walk(schema, 0)
        self.deep = self.recursive or self.depth > limit

    def _walk(self, t: Any, depth: int) -> int:
        if isinstance(t, list):
            return max((self._walk(u, depth) for u in t), default=depth)
        if isinstance(t, str):
            if t in self.open:
                self.recursive = True
                return depth
            named = self.named.get(t)
            return self._walk(named, depth) if named is not None and t not in self.open else depth
        if not isinstance(t, dict):
            return depth
        kind = t.get("type")
        if kind in ("record", "error", "enum", "fixed") and isinstance(t.get("name"), str):
            self.named[t["name"]] = t
        if kind in ("record", "error"):
            name = str(t.get("name"))
            self.open.add(name)
            deepest = max(
                (self._walk(f.get("type"), depth + 1) for f in t.get("fields", [])), default=depth + 1
            )
            self.open.discard(name)
            return deepest
        if kind == "array":
            if self._min_size(t.get("items")) == 0:
                self.zero_items = True
            return self._walk(t.get("items"), depth + 1)
        if kind == "map":
            return self._walk(t.get("values"), depth + 1)
        if isinstance(kind, dict | list):
            return self._walk(kind, depth)
        return depth

    def _min_size(self, t: Any, seen: frozenset[str] = frozenset()) -> int:
        """Fewest bytes one value of type ``t`` takes (0 for null, a record of nulls, fixed(0))."""
        if isinstance(t, str):
            if t == "null":
                return 0
            if t in seen:
                return 1
            named = self.named.get(t)
            return self._min_size(named, seen | {t}) if named is not None else 1
        if isinstance(t, dict):
            kind = t.get("type")
            if kind in ("record", "error"):
                seen = seen | {t.get("name", "")}
                return sum(self._min_size(f.get("type"), seen) for f in t.get("fields", []))
            if kind == "fixed":
                return int(t.get("size", 1) or 0)
            if isinstance(kind, dict | list | str) and kind not in _SIZED:
                return self._min_size(kind, seen)
        return 1  # numbers, strings, enums, arrays, maps, unions: at least one byte


_SIZED = frozenset({"boolean", "int", "long", "float", "double", "bytes", "string", "enum", "array", "map"})


def _check_schema_depth(tape: _Tape, limits: Limits) -> None:
    """Reads the header's metadata by hand and refuses a schema nested too deep for fastavro's
    compiled schema parser (which recurses on the C stack); every byte is pushed back."""
    tape.taken = []
    schema = b""
    try:
        tape.exactly(len(MAGIC))
        while True:
            count = _read_long(tape)
            if not count:
                break
            if count < 0:
                _read_long(tape)  # the block's byte size
                count = -count
            for _ in range(count):
                key = tape.exactly(_checked_len(_read_long(tape)))
                value = tape.exactly(_checked_len(_read_long(tape)))
                if key == b"avro.schema":
                    schema = value
    except (EOFError, _Damaged):
        pass  # fastavro reports the damaged header
    finally:
        taken, tape.taken = tape.taken or [], None
        tape.push_back(b"".join(taken))
    budget = 4 * limits.max_depth + 8  # a record level takes about three JSON brackets
    if schema and json_depth(schema) > budget:
        raise BudgetError(
            "too_deep",
            f"the Avro schema is nested deeper than {budget} brackets (Limits.max_depth); "
            "the file was not read",
        )


def _checked_len(n: int | None) -> int:
    if n is None or n < 0 or n > MAX_BLOCK_BYTES:
        raise _Damaged(f"a header string declares {n} bytes")
    return n


def _batch(records: list[Any]) -> pa.RecordBatch:
    if all(isinstance(r, dict) for r in records):
        return records_to_batch(records)
    return records_to_batch([r if isinstance(r, dict) else {"value": r} for r in records])


def _batches(inp: Input, src: Source, ctx: ReadContext) -> Iterator[pa.RecordBatch]:
    with inp.open(ctx.on_bytes, ctx.stream_errors) as stream:
        yield from _File(inp, src, ctx, stream).batches()


READER = Reader(formats=("avro",), extensions=(".avro",), batches=_batches)
