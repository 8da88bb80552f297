"""Shared pieces of every reader: the Reader record, issue logging, flattening and batching."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from breachscope.readers.archive import Input
from breachscope.readers.base import BytesCallback, ReadIssue, Source
from breachscope.readers.stream import Limits
from breachscope.repair import free_name, replace_surrogates

#: Individual issues kept per kind and source; the rest are counted in one summary issue.
MAX_ISSUES_PER_KIND = 1000


def invalid_utf8(log: IssueLog) -> Callable[[int, int], None]:
    """``on_bad(line, count)`` for :class:`~breachscope.readers.stream.Utf8Stream`: one
    ``invalid_utf8`` issue per line whose invalid bytes were replaced."""

    def on_bad(line: int, count: int) -> None:
        log.add("invalid_utf8", f"{count} invalid byte sequence(s) replaced by U+FFFD", line=line)

    return on_bad


def surrogates_replaced(
    log: IssueLog, lines: list[int] | None, records: list[int] | None = None
) -> Callable[[int, int], None]:
    """``on_replaced(index, count)`` for :func:`records_to_batch`: one ``invalid_utf8`` issue per
    record (located by ``lines`` or ``records``, indexed like the batch) whose lone surrogates
    were replaced."""

    def on_replaced(index: int, count: int) -> None:
        log.add(
            "invalid_utf8",
            f"{count} lone surrogate escape(s) (\\ud800-\\udfff, no character) replaced by U+FFFD",
            line=None if lines is None else lines[index],
            record=None if records is None else records[index],
        )

    return on_replaced


def json_int(text: str) -> int | str:
    """``parse_int`` for the JSON decoders: an integer too long for ``int()`` (more digits than
    ``sys.get_int_max_str_digits()``) stays its text, so it cannot fail its record (JSONL) or
    stop the read of a whole document (JSON); its digits are scanned as a string."""
    try:
        return int(text)
    except ValueError:
        return text


class KeptKeys:
    """``object_pairs_hook`` for the JSON decoders: a key repeated in one object keeps every value,
    the repeats as ``key_2``, ``key_3`` ... (json's default keeps the last value only, and the
    values before it were never scanned). ``repeated`` counts the repeats until a reader reports
    them (``duplicate_key``) and sets it back to 0."""

    def __init__(self) -> None:
        self.repeated = 0

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) == len(pairs):
            return out
        self.repeated += len(pairs) - len(out)
        out = {}
        last: dict[str, int] = {}
        for key, value in pairs:
            out[free_name(key, out, last)] = value
        return out


def repeated_keys(log: IssueLog, keys: KeptKeys, line: int | None = None, record: int | None = None) -> None:
    """One ``duplicate_key`` issue for the repeats ``keys`` counted (none if it counted none)."""
    if keys.repeated:
        log.add(
            "duplicate_key",
            f"{keys.repeated} key(s) repeated within an object; every value kept, the repeats as key_2 ...",
            line=line,
            record=record,
        )
        keys.repeated = 0


@dataclass
class ReadContext:
    """What a reader needs besides its input: batch size, guards, byte callback, issue log."""

    batch_rows: int
    limits: Limits
    on_bytes: BytesCallback | None
    log: IssueLog
    #: With a value budget, narrow tables get bigger batches (see :func:`rows_for`).
    batch_cells: int | None = None
    #: A reader may give a low-cardinality string column as a dictionary array (the scan
    #: examines each distinct value once and counts through the indices); off by default,
    #: since most consumers want plain strings.
    dictionaries: bool = False
    stream_errors: list[str] = field(default_factory=list)  # a compressed stream ended early
    delivered: int = 0  # records delivered so far (a reader restarting after a retry skips them)


@dataclass(frozen=True)
class Reader:
    """One input format: its names, file extensions and a batch generator."""

    formats: tuple[str, ...]
    extensions: tuple[str, ...]
    batches: Callable[[Input, Source, ReadContext], Iterator[pa.RecordBatch]]
    needs_seek: bool = False


@dataclass
class IssueLog:
    """Appends issues to a source, keeping at most MAX_ISSUES_PER_KIND of each kind."""

    source: Source
    counts: dict[str, int] = field(default_factory=dict)
    skip_lines_upto: int = 0  # re-reads after a retry must not repeat issues

    #: bytes left unread by the issues of each kind beyond the listed ones (None: some unknown)
    unlisted_bytes: dict[str, int | None] = field(default_factory=dict)
    #: records left unread by the issues of each kind beyond the listed ones
    unlisted_records: dict[str, int] = field(default_factory=dict)

    def add(
        self,
        kind: str,
        message: str,
        line: int | None = None,
        record: int | None = None,
        *,
        bytes_unread: int | None = None,
        records_unread: int | None = None,
    ) -> None:
        if line is not None and line <= self.skip_lines_upto:
            return
        n = self.counts.get(kind, 0) + 1
        self.counts[kind] = n
        if n <= MAX_ISSUES_PER_KIND:
            self.source.issues.append(
                ReadIssue(
                    self.source.name,
                    kind,
                    message,
                    line=line,
                    record=record,
                    bytes_unread=bytes_unread,
                    records_unread=records_unread,
                )
            )
            return
        known = self.unlisted_bytes.get(kind, 0)
        self.unlisted_bytes[kind] = None if known is None or bytes_unread is None else known + bytes_unread
        if records_unread:
            self.unlisted_records[kind] = self.unlisted_records.get(kind, 0) + records_unread

    def finish(self) -> None:
        for kind, n in self.counts.items():
            if n > MAX_ISSUES_PER_KIND:
                self.source.issues.append(
                    ReadIssue(
                        self.source.name,
                        kind,
                        f"{n} issues of this kind in total; only the first {MAX_ISSUES_PER_KIND} are listed",
                        bytes_unread=self.unlisted_bytes.get(kind),
                        records_unread=self.unlisted_records.get(kind),
                    )
                )
        self.counts.clear()
        self.unlisted_bytes.clear()
        self.unlisted_records.clear()

    def last_line(self) -> int:
        lines = [i.line for i in self.source.issues if i.line is not None]
        return max(lines, default=0)


def unique_names(names: list[str]) -> list[str]:
    """Empty names become ``column_N``; repeats get ``_2``, ``_3`` ... (1-based column N)."""
    out: list[str] = []
    seen: set[str] = set()
    last: dict[str, int] = {}  # linear work: a CSV header of 200,000 "a" took hours
    for i, raw in enumerate(names, start=1):
        name = free_name(raw if raw.strip() else f"column_{i}", seen, last)
        seen.add(name)
        out.append(name)
    return out


def flatten(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Struct columns become dotted columns (``properties.$email``), recursively; lists stay."""
    if not any(pa.types.is_struct(f.type) for f in batch.schema):
        if len(set(batch.schema.names)) == batch.num_columns:
            return batch
        return batch.rename_columns(unique_names(batch.schema.names))
    table = pa.Table.from_batches([batch])
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    names = table.schema.names
    if len(set(names)) != len(names):
        table = table.rename_columns(unique_names(names))
    batches = table.combine_chunks().to_batches()
    if not batches:
        return pa.RecordBatch.from_pylist([], schema=table.schema)
    return batches[0]


def decode_dictionaries(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with its dictionary columns (``ReadContext.dictionaries``) as plain arrays."""
    if not any(pa.types.is_dictionary(f.type) for f in batch.schema):
        return batch
    columns = [c.dictionary_decode() if isinstance(c, pa.DictionaryArray) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def split(batch: pa.RecordBatch, rows: int) -> Iterator[pa.RecordBatch]:
    if batch.num_rows <= rows:
        yield batch
        return
    for start in range(0, batch.num_rows, rows):
        yield batch.slice(start, rows)


def rows_for(columns: int, rows: int, cells: int | None) -> int:
    """Rows per batch: ``rows``; with a budget of ``cells`` values per batch, about that many
    values (never fewer than ``rows`` rows nor more than four times as many)."""
    if not cells:
        return rows
    return max(rows, min(4 * rows, cells // max(1, columns)))


def _copy_pool() -> pa.MemoryPool | None:
    """The pool the combined batches are copied into: jemalloc where pyarrow has it.

    A combined batch is tens of MiB, allocated and freed again for every batch; pyarrow's
    default pool (mimalloc) hands blocks that big back to the system each time, so every
    batch's copy paid fresh page faults (about half the copy's cost). jemalloc keeps them.
    """
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc (Windows, macOS wheels)
        return None


def rebatch(
    batches: Iterator[pa.RecordBatch], rows: int, cells: int | None = None
) -> Iterator[pa.RecordBatch]:
    """Batches of exactly ``rows`` rows (the last may be shorter; a schema change flushes early).

    Small batches are combined (one copy), large ones sliced (no copy). When ``batches``
    raises, the rows already read are yielded first, then the error goes on. With ``cells``,
    each schema's batches have :func:`rows_for` its column count rows (a table that widens
    later keeps to the value budget), except a first batch gathered from smaller ones: it has
    ``rows`` rows, so a scan's workers start on it while the rest is read (the CSV reader's
    1 MiB blocks took a quarter of a second to fill the first 262,144-row batch, with one core
    idle).
    """
    pending: list[pa.RecordBatch] = []
    count = 0
    pool = _copy_pool()
    started = False  # a batch was yielded

    def combined() -> pa.RecordBatch:
        if len(pending) == 1:
            return pending[0]
        whole = pa.concat_batches(pending, memory_pool=pool)  # one copy per column (no Table round trip)
        return whole if whole.num_rows else pending[0]

    try:
        for batch in batches:
            if pending and batch.schema != pending[0].schema:
                yield combined()
                pending, count, started = [], 0, True
            if batch.num_rows == 0 and (pending or count):
                continue
            pending.append(batch)
            count += batch.num_rows
            target = rows_for(batch.num_columns, rows, cells)  # pending all share this schema
            if not started and batch.num_rows < rows:
                target = rows  # the first batch is not grown: it is scanned while the rest is read
            if count >= target:
                started = True
                whole = combined()
                full = (whole.num_rows // target) * target
                yield from split(whole.slice(0, full), target)
                rest = whole.slice(full)
                pending, count = ([rest], rest.num_rows) if rest.num_rows else ([], 0)
    except Exception:
        # reading stopped (a bomb, damage): the records read before it are still scanned
        if pending:
            flushed, pending = combined(), []
            yield flushed
        raise
    if pending:
        yield combined()


def records_to_batch(
    records: list[dict[str, Any]], on_replaced: Callable[[int, int], None] | None = None
) -> pa.RecordBatch:
    """Python records to one flattened batch; tolerant of keys and types that vary by record.

    A string holding a lone surrogate (JSON's ``"\\ud800"`` escape decodes to one; Arrow cannot
    encode it) is repaired: each such code point becomes U+FFFD, and ``on_replaced(index,
    count)`` is told which record had how many. Without the repair the batch, and with it the
    rest of the source, was lost to a ``read_error``.
    """
    try:
        return _records_to_batch(records)
    except UnicodeEncodeError:
        repaired = []
        for index, record in enumerate(records):
            fixed, count = _without_surrogates(record)
            if count and on_replaced is not None:
                on_replaced(index, count)
            repaired.append(fixed)
        return _records_to_batch(repaired)


def _without_surrogates(value: Any) -> tuple[Any, int]:
    """``value`` with every lone surrogate in its strings (keys too) replaced by U+FFFD, and
    how many were replaced; keys that become equal keep both values (``key_2``)."""
    if isinstance(value, str):
        return replace_surrogates(value)
    if isinstance(value, list):
        items = [_without_surrogates(v) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        last: dict[str, int] = {}
        total = 0
        for key, item in value.items():
            name, n = _without_surrogates(key)
            fixed, m = _without_surrogates(item)
            total += n + m
            out[free_name(name, out, last)] = fixed
        return out, total
    return value, 0


def _records_to_batch(records: list[dict[str, Any]]) -> pa.RecordBatch:
    if not records:
        return pa.RecordBatch.from_pylist([])
    try:
        arr = pa.array(records)
        if pa.types.is_struct(arr.type) and arr.type.num_fields:
            return flatten(pa.RecordBatch.from_struct_array(arr))
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        pass
    flat = [_flat_strings(r) for r in records]
    keys: dict[str, None] = {}
    for r in flat:
        keys.update(dict.fromkeys(r))
    columns = {}
    for k in keys:
        values = [r.get(k) for r in flat]
        if any(isinstance(v, list) for v in values):
            values = [v if isinstance(v, list) or v is None else [v] for v in values]
        columns[k] = values
    names = unique_names(list(columns))
    return pa.RecordBatch.from_arrays([pa.array(v) for v in columns.values()], names=names)


def _flat_strings(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Last resort: dotted keys, every scalar as a string, lists as lists of strings."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat_strings(value, name + "."))
        elif isinstance(value, list):
            out[name] = [_scalar(v) for v in value]
        else:
            out[name] = _scalar(value)
    return out


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value) if isinstance(value, bool) else str(value)


#: What an error message may quote of the data: a quoted text, or a run of 24 or more
#: characters without a space (a key, a token, an id), masked by :func:`safe_error`.
_QUOTED = re.compile(r"""'[^']*'|"[^"]*"|\S{24,}""")


def safe_error(exc: BaseException) -> str:
    """An error message without row content: pyarrow quotes offending rows after a colon, and
    Python's own errors quote the value (``invalid literal for int() with base 10: 'sk-...'``),
    so only the first two parts are kept and what looks quoted from the data is masked."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    head = text.split(": ")
    short = ": ".join(head[:2]) if len(head) > 2 else text
    short = _QUOTED.sub("'...'", short)
    return (short[:160] + "...") if len(short) > 160 else short
