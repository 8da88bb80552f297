"""CSV and TSV: sniffed delimiter and encoding, every column read as a string, streamed.

pyarrow's streaming CSV reader does the parsing; this module decides its options from a head
sample. All columns are strings (leading zeros of IDs and 16-digit card numbers survive), empty
cells are nulls, quoted fields may span lines. Ragged rows are skipped and reported with their
line number; invalid bytes are replaced and reported (see :class:`Utf8Stream`). A row larger
than the parser's block makes the reader restart with a bigger block and skip what it already
delivered.
"""

from __future__ import annotations

import csv as pycsv
import io
from collections.abc import Iterator
from typing import IO

import pyarrow as pa
import pyarrow.csv as pacsv

from breachscope.readers.archive import HEAD_BYTES, Input
from breachscope.readers.base import Source
from breachscope.readers.sniff import detect_encoding, looks_binary, sniff_delimiter
from breachscope.readers.stream import ArrowFeed, BudgetError, MiB, Utf8Stream
from breachscope.readers.table import ReadContext, Reader, invalid_utf8, unique_names

pycsv.field_size_limit(1 << 30)


def _report_all(inp: Input, ctx: ReadContext) -> None:
    if ctx.on_bytes is not None and inp.size_bytes:
        ctx.on_bytes(inp.size_bytes)


def _head(stream: IO[bytes], max_line: int) -> bytes:
    """The first bytes of the file, at least its whole first line (a header may pass 1 MiB);
    a first line longer than ``max_line`` bytes is a budget hit."""
    head = stream.read(HEAD_BYTES)
    while len(head) >= HEAD_BYTES and b"\n" not in head:
        if len(head) > max_line:
            stream.close()
            raise BudgetError(
                "line_too_long",
                f"the header line is longer than {max_line} bytes (Limits.max_line_bytes); not read",
            )
        more = stream.read(len(head))
        if not more:
            break
        head += more
    return head


def _header(text: str, delimiter: str) -> tuple[list[str], int]:
    """The first record's field names and how many physical lines it spans."""
    reader = pycsv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        row = next(reader)
    except (StopIteration, pycsv.Error):
        return [], 0
    return row, reader.line_num


def _batches(inp: Input, src: Source, ctx: ReadContext) -> Iterator[pa.RecordBatch]:
    stream = inp.open(None)
    head = _head(stream, ctx.limits.max_line_bytes)
    if not head.strip():
        stream.close()
        ctx.log.add("empty", "the file holds no rows")
        _report_all(inp, ctx)
        return
    if looks_binary(head):
        ctx.log.add("binary_content", "the content looks binary, not text; read as text anyway")
    encoding = detect_encoding(head)
    if encoding not in ("utf-8", "ascii"):
        ctx.log.add("encoding", f"text encoding detected as {encoding}; transcoded to UTF-8")
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    delimiter = sniff_delimiter(text)
    if src.format == "tsv" and delimiter == ",":
        delimiter = "\t"
    names, header_lines = _header(text, delimiter)
    if not names:
        stream.close()
        ctx.log.add("empty", "no header row found")
        return
    names = unique_names(names)
    keep = names
    if len(names) > ctx.limits.max_columns:
        keep = names[: ctx.limits.max_columns]
        ctx.log.add(
            "too_many_columns",
            f"the header has {len(names)} columns; only the first {len(keep)} were read "
            f"(Limits.max_columns), the values of the other {len(names) - len(keep)} were not examined",
        )
    # Small parse blocks keep pyarrow's memory low (its footprint grows with the block size);
    # the driver combines the small batches into batches of ``batch_rows``.
    longest = max((len(x) for x in text.split("\n")), default=0)
    block = max(MiB, 4 * longest)
    stream.close()
    delivered = 0
    while True:
        try:
            yield from _read(inp, ctx, (names, keep), header_lines, delimiter, encoding, block, delivered)
            return
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc):
                raise
            if block >= ctx.limits.max_line_bytes:
                raise BudgetError(
                    "line_too_long",
                    f"a row is longer than {ctx.limits.max_line_bytes} bytes (Limits.max_line_bytes); "
                    f"reading stopped after {ctx.delivered} records, the rest of the file was not read",
                ) from None
            block = min(ctx.limits.max_line_bytes, block * 8)
            ctx.log.skip_lines_upto = ctx.log.last_line()
            ctx.log.add(
                "long_row", f"a row is larger than the read block; re-reading with {block // MiB} MiB"
            )
            delivered = ctx.delivered


def _read(
    inp: Input,
    ctx: ReadContext,
    columns: tuple[list[str], list[str]],
    header_lines: int,
    delimiter: str,
    encoding: str,
    block: int,
    skip: int,
) -> Iterator[pa.RecordBatch]:
    on_bad = invalid_utf8(ctx.log)
    names, keep = columns

    def on_ragged(row: pacsv.InvalidRow) -> str:
        # pyarrow numbers rows from 1 with each header line counted: that is the physical line
        # when no earlier quoted field spans lines; the record number is always exact.
        number = row.number
        ctx.log.add(
            "ragged_row",
            f"expected {row.expected_columns} fields, found {row.actual_columns}; row skipped",
            line=number,
            record=None if number is None else number - header_lines,
        )
        return "skip"

    raw = ArrowFeed(
        Utf8Stream(inp.open(ctx.on_bytes if skip == 0 else None, ctx.stream_errors), encoding, on_bad)
    )
    reader = pacsv.open_csv(
        pa.PythonFile(raw, mode="r"),
        read_options=pacsv.ReadOptions(
            use_threads=False, block_size=block, column_names=names, skip_rows=header_lines
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_ragged
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in keep},
            include_columns=keep,
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            null_values=[""],
            check_utf8=False,
        ),
    )
    yielded = False
    try:
        for batch in reader:
            yielded = True
            if skip:
                if batch.num_rows <= skip:
                    skip -= batch.num_rows
                    continue
                batch = batch.slice(skip)
                skip = 0
            ctx.delivered += batch.num_rows
            yield batch
    except Exception:
        if raw.error is not None:  # arrow only saw end-of-file; the cause is ours
            raise raw.error from None
        raise
    finally:
        _stop(reader, raw)
    if raw.error is not None:  # raised here, on the consumer's thread, never inside arrow
        raise raw.error
    if not yielded and skip == 0:  # a header without rows still tells which columns exist
        yield pa.RecordBatch.from_pylist([], schema=pa.schema([(n, pa.string()) for n in keep]))


def _stop(reader: pacsv.CSVStreamingReader, raw: ArrowFeed) -> None:
    """Stop arrow's read-ahead thread before letting go of the reader, however reading ended.

    The feed answers end-of-file from now on, and draining the reader waits until the read-ahead
    has seen it; an arrow reader dropped with a read still in flight can hang interpreter exit.
    """
    raw.stop()
    try:
        while True:
            reader.read_next_batch()
    except Exception:  # StopIteration at the end, or the error that stopped the read
        pass
    reader.close()
    raw.close()


READER = Reader(formats=("csv", "tsv"), extensions=(".csv", ".tsv", ".tab", ".txt"), batches=_batches)
