"""JSON Lines / NDJSON: one JSON object per line, read in blocks of whole lines.

Each block goes to pyarrow's JSON parser (fast path). A block it rejects (a broken line, a
field whose type changes between lines) is re-read line by line in Python: good lines are kept,
broken ones are reported with their line number. Nested objects are flattened to dotted
columns; arrays stay list columns. Blocks are parsed independently, so the schema (columns and
their types) may differ between batches of one file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from breachscope.readers.archive import Input
from breachscope.readers.base import Source
from breachscope.readers.depth import brackets, deep_lines
from breachscope.readers.sniff import detect_encoding
from breachscope.readers.stream import BudgetError, MiB, Utf8Stream
from breachscope.readers.table import (
    KeptKeys,
    ReadContext,
    Reader,
    invalid_utf8,
    json_int,
    records_to_batch,
    repeated_keys,
    surrogates_replaced,
)

BLOCK_BYTES = 16 * MiB  # lines read per block
_BOM = b"\xef\xbb\xbf"  # UTF-8's byte-order mark: json refuses a line that starts with it
PARSE_BLOCK = 2 * MiB  # pyarrow's parallel parse unit
SKIP_LINES_UPTO = 4  # a line over the budget is skipped up to this many budgets, then reading stops


def _lines(
    stream: IO[bytes] | Utf8Stream, block_bytes: int, max_line: int, ctx: ReadContext
) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole lines with the 1-based number of each block's first line.

    A line longer than ``max_line`` bytes is reported (``long_line``) and skipped up to its end,
    so memory stays bounded by the block and the line budget (``/dev/zero`` has no newline).
    """
    line = 1
    pending: list[bytes] = []  # pieces of a line that has not ended yet (joined once: linear)
    size = 0
    skipping = False
    while True:
        data = stream.read(block_bytes)
        if not data:
            if skipping:
                _long_line(ctx, line, size, max_line, ended=False)
            elif size and b"".join(pending).strip():
                yield line, b"".join(pending)
            return
        cut = data.rfind(b"\n")
        if cut < 0:
            size += len(data)
            if skipping and size > SKIP_LINES_UPTO * max_line:  # a stream that never ends a line
                raise BudgetError(
                    "line_too_long",
                    f"line {line} is longer than {SKIP_LINES_UPTO * max_line} bytes and has not ended; "
                    "reading stopped, the rest of the input was not read",
                )
            if not skipping:
                pending.append(data)
                if size > max_line:
                    skipping, pending = True, []
            continue
        if skipping:  # the long line ends in this piece: drop it, keep what follows
            first = data.find(b"\n")
            _long_line(ctx, line, size + first, max_line, ended=True)
            line += 1
            data, cut = data[first + 1 :], cut - first - 1
            skipping, pending, size = False, [], 0
            if cut < 0:
                pending, size = [data], len(data)
                continue
        pending.append(data[: cut + 1])
        block = b"".join(pending)
        rest = data[cut + 1 :]
        pending, size = ([rest], len(rest)) if rest else ([], 0)
        yield line, block
        line += block.count(b"\n")


def _long_line(ctx: ReadContext, line: int, size: int, max_line: int, ended: bool) -> None:
    where = "" if ended else " and the input ended inside it"
    ctx.log.add(
        "line_too_long",
        f"line is longer than {max_line} bytes (Limits.max_line_bytes; {size} bytes read{where}); skipped",
        line=line,
        bytes_unread=size,
    )


#: Nested description of fields forced to string: {name: pa.string() | {child: ...} | ("list", ...)}.
Overrides = dict[str, Any]


def _timestamp_fields(t: pa.DataType) -> Any:
    """What to force to string inside type ``t`` (pyarrow infers timestamps from ISO strings)."""
    if pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t):
        return pa.string()
    if pa.types.is_struct(t):
        inner = {f.name: _timestamp_fields(f.type) for f in t}
        inner = {k: v for k, v in inner.items() if v is not None}
        return inner or None
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = _timestamp_fields(t.value_type)
        return ("list", inner) if inner is not None else None
    return None


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k)) for k in {**a, **b}}
    if isinstance(a, tuple) and isinstance(b, tuple):
        return ("list", _merge(a[1], b[1]))
    return b


def _to_type(spec: Any) -> pa.DataType:
    if isinstance(spec, dict):
        return pa.struct([(k, _to_type(v)) for k, v in spec.items()])
    if isinstance(spec, tuple):
        return pa.list_(_to_type(spec[1]))
    return spec


def _parse(block: bytes, overrides: Overrides) -> pa.Table:
    size = PARSE_BLOCK
    schema = pa.schema([(k, _to_type(v)) for k, v in overrides.items()]) if overrides else None
    parse = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    while True:
        try:
            options = pajson.ReadOptions(use_threads=True, block_size=size)
            return pajson.read_json(pa.BufferReader(block), read_options=options, parse_options=parse)
        except pa.ArrowInvalid as exc:
            if "straddling" in str(exc) and size <= len(block):
                size = len(block) + 1  # a line longer than the parse block
                continue
            raise


#: A line whose first character is not ``{``: pyarrow 26 crashes (SIGSEGV) on a block of only
#: ``null``, so such blocks take the slow path.
_NOT_AN_OBJECT = re.compile(rb"^[ \t\r]*[^{ \t\r\n]", re.MULTILINE)


def _objects_only(block: bytes, bare: bytes) -> bool:
    """True if every non-blank line starts with ``{``: one count when every line does so at its
    first byte (newlines counted on the small bracket string), the regex only otherwise."""
    lines = bare.count(b"\n") + (not block.endswith(b"\n"))
    if block.count(b"\n{") + block.startswith(b"{") == lines:
        return True
    return _NOT_AN_OBJECT.search(block) is None


def _fast(block: bytes, overrides: Overrides) -> pa.Table | None:
    """pyarrow's parser over the block, or None if it refuses (the slow path takes over).

    Strings stay strings: fields pyarrow would turn into timestamps are re-read as strings,
    and remembered in ``overrides`` for the following blocks.
    """
    try:
        table = _parse(block, overrides)
        found = _timestamp_fields(pa.struct(list(table.schema)))
        if found:
            overrides.update(_merge(overrides, found))
            table = _parse(block, overrides)
        if any(_rounded(column) for column in table.columns):
            return None
        return table
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


_EXACT = float(2**53)  # every integer up to this magnitude is exact in a float64


def _rounded(values: pa.Array | pa.ChunkedArray) -> bool:
    """True if a float64 in ``values`` (nested ones too) is past 2^53, where pyarrow's parser
    rounds: a column of 19-digit ids became float64 once one value was fractional (or past
    int64), and every id lost its last digits (``1234567890123456789`` -> ``...800``). The
    line-by-line path keeps them exact (as text)."""
    t = values.type
    if pa.types.is_float64(t):
        top = pc.max(pc.abs(values)).as_py()
        return top is not None and top > _EXACT
    if isinstance(values, pa.ChunkedArray):
        return any(_rounded(chunk) for chunk in values.chunks)
    if pa.types.is_struct(t):
        return any(_rounded(values.field(i)) for i in range(t.num_fields))
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _rounded(values.flatten())
    return False


def parse_block(
    block: bytes, first_line: int, ctx: ReadContext, overrides: Overrides
) -> Iterator[pa.RecordBatch]:
    """One block of JSON lines to batches; slow, line-by-line path only when pyarrow refuses.

    Lines nested deeper than ``Limits.max_depth`` never reach a parser: they are blanked (line
    numbers stay) and reported as ``too_deep``.
    """
    limit = ctx.limits.max_depth
    if block.startswith(_BOM):  # a file saved with a byte-order mark: pyarrow refuses the block
        block = block[len(_BOM) :]
    bare = brackets(block)
    deep = deep_lines(block, limit, bare)
    if deep:
        lines = block.split(b"\n")
        for i in deep:
            lines[i] = b""
            ctx.log.add(
                "too_deep",
                f"line is nested deeper than {limit} levels (Limits.max_depth); skipped",
                line=first_line + i,
            )
        block = b"\n".join(lines)
        if not block.strip():
            return
    table = _fast(block, overrides) if _objects_only(block, bare) else None
    if table is not None:
        yield from table.combine_chunks().to_batches()
        return
    records: list[dict[str, Any]] = []
    record_lines: list[int] = []  # each record's line
    keys = KeptKeys()  # a repeated key keeps both values (pyarrow refuses such a line: it comes here)
    for offset, raw in enumerate(block.split(b"\n")):
        text = raw.strip()
        if text.startswith(_BOM):  # files joined with cat: each one's byte-order mark mid-file
            text = text[len(_BOM) :].strip()
        if not text:
            continue
        line = first_line + offset
        try:
            decoded = text.decode("utf-8")
        except UnicodeDecodeError:
            decoded = text.decode("utf-8", errors="replace")
            bad = decoded.count("\ufffd") - text.count("\ufffd".encode())
            invalid_utf8(ctx.log)(line, bad)
        try:
            keys.repeated = 0
            value = json.loads(decoded, parse_int=json_int, object_pairs_hook=keys)
        except ValueError as exc:
            reason = getattr(exc, "msg", "not JSON")
            ctx.log.add("malformed_json", f"line is not valid JSON ({reason}); skipped", line=line)
            continue
        repeated_keys(ctx.log, keys, line=line)
        if not isinstance(value, dict):
            ctx.log.add("not_a_record", f"line holds a JSON {type(value).__name__}, not an object", line=line)
            value = {"value": value}
        records.append(value)
        record_lines.append(line)
    if records:
        yield records_to_batch(records, surrogates_replaced(ctx.log, record_lines))


def _batches(inp: Input, src: Source, ctx: ReadContext) -> Iterator[pa.RecordBatch]:
    head = inp.head()
    if not head.strip():
        ctx.log.add("empty", "the file holds no records")
        return
    on_bad = invalid_utf8(ctx.log)

    encoding = detect_encoding(head)
    # UTF-8 (the JSON norm) is read as is: invalid bytes make pyarrow refuse the block, and the
    # slow path then replaces and reports them line by line. Other encodings are transcoded.
    stream = inp.open(ctx.on_bytes, ctx.stream_errors)
    text = stream if encoding == "utf-8" else Utf8Stream(stream, encoding, on_bad)
    overrides: Overrides = {}
    with text:
        for first_line, block in _lines(text, BLOCK_BYTES, ctx.limits.max_line_bytes, ctx):
            yield from parse_block(block, first_line, ctx, overrides)


READER = Reader(formats=("jsonl",), extensions=(".jsonl", ".ndjson", ".ldjson"), batches=_batches)
