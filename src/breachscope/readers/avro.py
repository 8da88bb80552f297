"""Avro object container files (Heap Connect's S3 export): streamed one block at a time.

The header (magic ``Obj\\x01``, schema, codec, 16-byte sync marker) is parsed by fastavro. The
blocks (record count, byte size, data, sync marker) are framed here, so a damaged file is read
as far as it can be: a block whose framing is broken is reported and the reader skips to the
next sync marker; a block whose records do not decode keeps the records before the damage; a
file that ends inside a block keeps every record before that block. Each block's records are
decoded by fastavro, then grouped into batches of ``batch_rows`` records and flattened like
JSON (records and maps become dotted columns, arrays stay list columns). Logical types become
text: timestamps and dates ISO 8601, decimals and UUIDs their exact string form.
"""

from __future__ import annotations

import bz2
import io
import json
import lzma
import zlib
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

import fastavro
import pyarrow as pa
from fastavro.read import BLOCK_READERS

from breachscope.errors import InputError
from breachscope.readers.archive import Input
from breachscope.readers.base import Source
from breachscope.readers.stream import BombError, Limits, MiB
from breachscope.readers.table import ReadContext, Reader, records_to_batch, safe_error

MAGIC = b"Obj\x01"
SYNC_SIZE = 16
MAX_BLOCK_BYTES = 256 * MiB  # a block declaring more is treated as damaged framing
SCAN_BYTES = 1 * MiB  # read size while looking for the next sync marker


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


def _check_ratio(codec: str, data: bytes, limits: Limits, name: str) -> None:
    """Stops a decompression bomb inside one compressed block (fastavro inflates whole blocks)."""
    limit = max(limits.ratio_after_bytes, int(len(data) * limits.max_ratio))
    if codec == "deflate":
        z = zlib.decompressobj(-15)
        z.decompress(data, limit)
        over = bool(z.unconsumed_tail)
    elif codec in ("bzip2", "xz"):
        d: bz2.BZ2Decompressor | lzma.LZMADecompressor
        d = bz2.BZ2Decompressor() if codec == "bzip2" else lzma.LZMADecompressor()
        try:
            out = d.decompress(data, limit)
        except (OSError, EOFError, lzma.LZMAError):
            return  # fastavro reports the damage
        over = len(out) >= limit and not d.eof and not d.needs_input
    else:
        return
    if over:
        raise BombError(
            f"{name}: an Avro block of {len(data)} compressed bytes inflates past {limit} bytes "
            f"(ratio above {limits.max_ratio:.0f}:1); reading stopped",
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
        tape.taken = []
        try:
            reader = fastavro.block_reader(tape)  # type: ignore[arg-type]
        except Exception as exc:
            raise InputError(f"the Avro header is damaged ({safe_error(exc)})") from exc
        header = b"".join(tape.taken)
        tape.taken = None
        codec = reader.codec
        if codec not in BLOCK_READERS:
            raise InputError(f"Avro codec {codec!r} is not supported")
        return header, codec, reader.metadata.get("avro.schema", "")

    def batches(self) -> Iterator[pa.RecordBatch]:
        first = self.tape.read(1)
        if not first:
            self.ctx.log.add("empty", "the file holds no records")
            return
        self.tape.push_back(first)
        header, codec, schema = self.header()
        logical = "logicalType" in schema
        pending: list[Any] = []
        for records in self._blocks(header, codec):
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

    def _blocks(self, header: bytes, codec: str) -> Iterator[Iterator[Any]]:
        sync = header[-SYNC_SIZE:]
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
            _check_ratio(codec, data, self.ctx.limits, self.src.name)
            yield self._decode(header + raw, count)

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

    def _decode(self, one_block_file: bytes, count: int) -> Iterator[Any]:
        """The records of one block; damage inside it keeps the records before it."""
        first = self.records + 1
        done = 0
        errors = "strict"
        while True:
            try:
                (block,) = fastavro.block_reader(io.BytesIO(one_block_file), handle_unicode_errors=errors)
                for i, record in enumerate(block):
                    if i < done:
                        continue
                    done += 1
                    self.records += 1
                    yield record
                return
            except Exception as exc:
                if isinstance(exc, UnicodeDecodeError) and errors == "strict":
                    errors = "replace"
                    self.ctx.log.add(
                        "invalid_utf8",
                        f"a string in record {self.records + 1} is not valid UTF-8; invalid bytes in it "
                        "and in later records of its block were replaced by U+FFFD",
                        record=self.records + 1,
                    )
                    continue
                self.ctx.log.add(
                    "corrupt_block",
                    f"Avro block {self.block} (records {first}-{first + count - 1}) is damaged at record "
                    f"{self.records + 1} ({type(exc).__name__}: {safe_error(exc)}); "
                    f"{count - done} records of this block were not read",
                    record=self.records + 1,
                )
                return


def _batch(records: list[Any]) -> pa.RecordBatch:
    if all(isinstance(r, dict) for r in records):
        return records_to_batch(records)
    return records_to_batch([r if isinstance(r, dict) else {"value": r} for r in records])


def _batches(inp: Input, src: Source, ctx: ReadContext) -> Iterator[pa.RecordBatch]:
    with inp.open(ctx.on_bytes, ctx.stream_errors) as stream:
        yield from _File(inp, src, ctx, stream).batches()


READER = Reader(formats=("avro",), extensions=(".avro",), batches=_batches)
