"""JSON documents: a top-level array of records, or an object holding one list of records.

The document is never loaded whole. A small incremental scanner walks the top level over a
sliding text buffer and decodes one record at a time with ``json.JSONDecoder.raw_decode``.
For a top-level object (a Mixpanel engage page ``{"page": 0, "results": [...]}``), the records
are the elements of the first list found under one of :data:`RECORD_KEYS`; the key is stored in
``Source.record_path``, and any other top-level list of objects is read as records too, after
those (``more_records``). Any other object is one record. A record that does not decode is
skipped up to the next one (``malformed_json``; :meth:`_Scanner.skip_record`), so one broken
record no longer ends the read. Records are grouped into batches of
``batch_rows`` and flattened like JSONL.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from breachscope.readers.archive import Input
from breachscope.readers.base import Source
from breachscope.readers.depth import value_depth
from breachscope.readers.sniff import detect_encoding
from breachscope.readers.stream import MiB, Utf8Stream
from breachscope.readers.table import (
    IssueLog,
    KeptKeys,
    ReadContext,
    Reader,
    invalid_utf8,
    json_int,
    records_to_batch,
    repeated_keys,
    surrogates_replaced,
)

RECORD_KEYS = (
    "results",
    "data",
    "records",
    "events",
    "items",
    "rows",
    "users",
    "people",
    "profiles",
    "entries",
)
MAX_VALUE_CHARS = 256 * MiB  # default: one record larger than this is reported (line_too_long)
_NON_WS = re.compile(r"[^ \t\r\n]")
#: A JSON string (skipped whole) or one bracket or comma: enough to find where a broken array
#: element ends.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],]')


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class Malformed(Exception):
    def __init__(self, message: str, line: int, kind: str = "malformed_json") -> None:
        super().__init__(message)
        self.line = line
        self.kind = kind


class _Scanner:
    """Top-level tokens over a buffer that refills from a UTF-8 byte stream."""

    def __init__(self, stream: _Readable, chunk: int = 4 * MiB, max_value: int = MAX_VALUE_CHARS) -> None:
        self._stream = stream
        self._chunk = chunk
        self._max_value = max_value
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._lines_before = 0  # newlines in text already dropped from the buffer
        #: a key repeated in an object keeps every value (json's default keeps only the last)
        self.keys = KeptKeys()
        self._decoder = json.JSONDecoder(parse_int=json_int, object_pairs_hook=self.keys)

    def _fill(self, at_least: int = 0) -> bool:
        """Reads more text; a value that spans reads doubles the read size, so re-parsing it from
        its start costs a constant factor, not a quadratic one."""
        if self.eof:
            return False
        data = self._stream.read(max(self._chunk, at_least))
        if not data:
            self.eof = True
            return False
        self._lines_before += self.buf.count("\n", 0, self.pos)
        self.buf = self.buf[self.pos :] + data.decode("utf-8", errors="replace")
        self.pos = 0
        return True

    def line(self) -> int:
        return self._lines_before + self.buf.count("\n", 0, self.pos) + 1

    def peek(self) -> str:
        """The next non-whitespace character ('' at the end), without consuming it."""
        while True:
            found = _NON_WS.search(self.buf, self.pos)
            if found is not None:
                self.pos = found.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self._fill():
                return ""

    def take(self, expected: str) -> None:
        ch = self.peek()
        if ch not in expected:
            found = repr(ch) if ch else "end of file"
            raise Malformed(f"expected one of {expected!r}, found {found}", self.line())
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise Malformed("a value is nested too deep to decode", self.line(), "too_deep") from None
            except json.JSONDecodeError as exc:
                near_end = exc.pos >= len(self.buf) - 1 or exc.msg.startswith("Unterminated string")
                pending = len(self.buf) - self.pos
                if near_end and pending >= self._max_value:
                    raise Malformed(
                        f"a record is longer than {self._max_value} characters (Limits.max_line_bytes)",
                        self.line(),
                        "line_too_long",
                    ) from None
                if near_end and self._fill(pending):
                    continue
                raise Malformed(f"invalid JSON ({exc.msg})", self.line()) from None
            if end == len(self.buf) and not isinstance(value, dict | list | str) and self._fill():
                continue  # a number may continue in the next chunk
            self.pos = end
            return value

    def skip_record(self) -> tuple[int, int] | None:
        """After an array element that does not decode (``pos`` at its start): moves past it to
        the next element that decodes and returns (that element's line, the elements skipped),
        or returns None (``pos`` unchanged) when none is found within ``max_value`` characters.

        An element ends at the first ``,`` (or the array's ``]``) outside brackets and strings.
        """
        start = self.pos
        while True:
            depth, skipped = 0, 1
            for m in _TOKEN.finditer(self.buf, start):
                ch = m.group()[0]
                if ch in "{[":
                    depth += 1
                elif ch in "}]":
                    depth -= 1
                    if depth < 0:  # the array ends: the broken element was its last
                        self.pos = m.start()
                        return self.line(), skipped
                elif ch == "," and depth == 0:
                    after = _NON_WS.search(self.buf, m.end())
                    if after is None:
                        break  # read more to see what follows
                    try:
                        self._decoder.raw_decode(self.buf, after.start())
                    except (ValueError, RecursionError):
                        skipped += 1  # broken too
                        continue
                    self.keys.repeated = 0  # repeats counted in the broken element
                    self.pos = after.start()
                    return self.line(), skipped
            pending = len(self.buf) - start
            if pending >= self._max_value:
                return None
            before = self.pos
            if not self._fill(pending):
                return None
            start -= before


def _records(sc: _Scanner, src: Source, log: IssueLog | None = None) -> Iterator[Any]:
    first = sc.peek()
    if first == "[":
        yield from _array(sc)
        return
    if first != "{":
        raise Malformed("the document is neither a JSON array nor an object", sc.line())
    sc.take("{")
    pairs: list[tuple[str, Any]] = []  # the top level's other keys and values, in order
    found = False
    while sc.peek() != "}":
        if pairs or found:
            sc.take(",")
        key = sc.value()
        if not isinstance(key, str):
            raise Malformed("object key is not a string", sc.line())
        sc.take(":")
        if not found and key in RECORD_KEYS and sc.peek() == "[":
            found = True
            src.record_path = key
            yield from _array(sc)
        else:
            pairs.append((key, sc.value()))
    sc.take("}")
    if found:
        # another list of records beside the first ({"data": [...], "users": [...]}, or the
        # record key twice) was dropped unscanned: its records are read too, after the first's
        for _, value in pairs:
            if _is_records(value):
                if log is not None:
                    log.add(
                        "more_records",
                        f"the document holds another list of {len(value)} records beside "
                        f"{src.record_path!r}; read as records too, after those",
                    )
                yield from value
        return
    meta = sc.keys(pairs)  # a repeated key keeps every value (reported with the record)
    lists = [k for k, v in meta.items() if _is_records(v)]
    if len(lists) == 1:
        src.record_path = lists[0]
        yield from meta[lists[0]]
    else:
        yield meta


def _documents(sc: _Scanner, src: Source, log: IssueLog) -> Iterator[Any]:
    """The records of the document, then of any document after it (files joined with ``cat``):
    the text after the first document's end was never looked at, and the scan said complete.
    Other text after it is malformed (the rest of the file is then reported unread)."""
    yield from _records(sc, src, log)
    while (ch := sc.peek()) != "":
        if ch not in "[{":
            raise Malformed("text after the end of the JSON document", sc.line())
        log.add(
            "more_records",
            "the file holds another JSON document after the first (files joined?); its records are read too",
            line=sc.line(),
        )
        yield from _records(sc, src, log)


def _is_records(value: Any) -> bool:
    """A non-empty list of JSON objects."""
    return isinstance(value, list) and bool(value) and all(isinstance(x, dict) for x in value)


@dataclass(frozen=True)
class Skipped:
    """Array elements that did not decode (``count``, the first at ``line``), skipped up to the
    next one (at line ``resumed``)."""

    reason: str
    line: int
    resumed: int
    count: int


def _array(sc: _Scanner) -> Iterator[Any]:
    sc.take("[")
    if sc.peek() == "]":
        sc.pos += 1
        return
    while True:
        try:
            value = sc.value()
        except Malformed as exc:
            if exc.kind != "malformed_json":
                raise
            found = sc.skip_record()
            if found is None:
                raise
            yield Skipped(str(exc), exc.line, *found)
            if sc.peek() == "]":
                sc.pos += 1
                return
            continue
        yield value
        sc.take(",]")
        if sc.buf[sc.pos - 1] == "]":
            return


def peek_record_path(head: bytes) -> str | None:
    """The key holding the records, from the first bytes of a document (None if unknown)."""
    probe = Source("probe", "json", None, lambda cb: iter(()))
    try:
        for _ in _records(_Scanner(io.BytesIO(head)), probe):
            break
    except Malformed:
        pass
    return probe.record_path


def _batches(inp: Input, src: Source, ctx: ReadContext) -> Iterator[pa.RecordBatch]:
    head = inp.head()
    if not head.strip():
        ctx.log.add("empty", "the file holds no records")
        return
    on_bad = invalid_utf8(ctx.log)

    with Utf8Stream(inp.open(ctx.on_bytes, ctx.stream_errors), detect_encoding(head), on_bad) as text:
        longest = ctx.limits.max_line_bytes
        sc = _Scanner(text, chunk=min(4 * MiB, longest), max_value=longest)
        pending: list[dict[str, Any]] = []
        numbers: list[int] = []  # each pending record's number
        number = 0
        limit = ctx.limits.max_depth
        try:
            for record in _documents(sc, src, ctx.log):
                number += 1
                if isinstance(record, Skipped):  # one broken record no longer ends the read
                    for _ in range(record.count):  # one issue per record skipped
                        ctx.log.add(
                            "malformed_json",
                            f"record is not valid JSON ({record.reason}); skipped, reading went on "
                            f"with the next record at line {record.resumed}",
                            line=record.line,
                            record=number,
                        )
                        number += 1
                    number -= 1
                    continue
                repeated_keys(ctx.log, sc.keys, record=number)
                if value_depth(record, limit) > limit:
                    ctx.log.add(
                        "too_deep",
                        f"record is nested deeper than {limit} levels (Limits.max_depth); skipped",
                        record=number,
                    )
                    continue
                if not isinstance(record, dict):
                    ctx.log.add("not_a_record", f"element is a JSON {type(record).__name__}", record=number)
                    record = {"value": record}
                pending.append(record)
                numbers.append(number)
                if len(pending) >= ctx.batch_rows:
                    yield records_to_batch(pending, surrogates_replaced(ctx.log, None, numbers))
                    pending, numbers = [], []
        except Malformed as exc:
            ctx.log.add(
                exc.kind,
                f"{exc}; reading stopped after {number} records, the rest of the file was not read",
                line=exc.line,
                record=number + 1,
            )
        if pending:
            yield records_to_batch(pending, surrogates_replaced(ctx.log, None, numbers))


READER = Reader(formats=("json",), extensions=(".json",), batches=_batches)
