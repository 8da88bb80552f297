"""CSV and TSV: sniffed delimiter and encoding, every column read as a string, streamed.

pyarrow's streaming CSV reader does the parsing; this module decides its options from a head
sample. All columns are strings (leading zeros of IDs and 16-digit card numbers survive), empty
cells are nulls, quoted fields may span lines. Ragged rows are skipped and reported with their
line number; invalid bytes are replaced and reported (see :class:`Utf8Stream`). A row larger
than the parser's block makes the reader restart with a bigger block and skip what it already
delivered.

A plain UTF-8 file on disk is first read the fast way: pyarrow reads the file itself and checks
every value's UTF-8 (no Python in the read loop, which held the GIL for a third of a scan's
time). The bytes it parses are the same, so the batches are too. The first invalid byte or
ragged row, which only the checked read above reports exactly (line numbers, U+FFFD), hands the
rest of the file, from the first record not yet delivered, to that read.
"""

from __future__ import annotations

import codecs
import csv as pycsv
import io
import re
import sys
import time
from collections.abc import Iterator
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from breachscope.readers.archive import HEAD_BYTES, Input
from breachscope.readers.base import BytesCallback, Source
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


class _Checked(Exception):
    """The fast read met what only the checked read reports exactly: invalid UTF-8 or a ragged
    row. ``reported``: the file bytes it already gave to the progress callback."""

    def __init__(self, reported: int) -> None:
        super().__init__("hand over to the checked read")
        self.reported = reported


def _fast(inp: Input, encoding: str, head: bytes, names: list[str], keep: list[str]) -> bool:
    """A plain file on disk, declared UTF-8 (or ASCII), every column kept, a valid UTF-8 head
    (the header is in it): pyarrow may read it directly, checking UTF-8 itself."""
    if inp.member is not None or inp.layers or encoding not in ("utf-8", "ascii") or keep != names:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, False)  # a cut last char waits
    except UnicodeDecodeError:
        return False
    return True


def _skipping(n: int, on_bytes: BytesCallback | None) -> BytesCallback | None:
    """``on_bytes`` less the first ``n`` bytes (already reported by the fast read)."""
    if on_bytes is None:
        return None
    left = [n]

    def report(count: int) -> None:
        taken = min(count, left[0])
        left[0] -= taken
        if count > taken:
            on_bytes(count - taken)

    return report


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
    fast = _fast(inp, encoding, head, names, keep)
    on_bytes = ctx.on_bytes
    while True:
        try:
            if fast:
                yield from _read_fast(inp, ctx, names, header_lines, delimiter, block, delivered, on_bytes)
            else:
                yield from _read(
                    inp, ctx, (names, keep), header_lines, delimiter, encoding, block, delivered, on_bytes
                )
            return
        except _Checked as handover:
            fast = False
            delivered = ctx.delivered
            on_bytes = _skipping(handover.reported, ctx.on_bytes)
            continue
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
            on_bytes = ctx.on_bytes if delivered == 0 else None  # as the first read did


def _shape(value: str) -> str:
    """A value's coarse shape: runs of digits, of letters and of spaces each made one character
    (``u5@example.com`` and ``u12@example.org`` are both ``a9@a.a``)."""
    return _LETTERS.sub("a", _DIGITS.sub("9", _SPACES.sub(" ", value.strip())))


def _record_start(shapes: set[str], delimiter: str) -> str | None:
    """RE2 for "a line starts with a first field of one of these shapes, then the delimiter"
    (quotes and spaces around the field allowed): a superset of the lines
    :func:`_merged_records` counts, so that multi-line notes cost one vectorised pass instead of
    Python per value. None when the shapes are too many to make one pattern of."""
    if not shapes or len(shapes) > _MAX_SHAPES or any('"' in shape for shape in shapes):
        return None  # (a quote inside a first field is written doubled: no simple pattern)
    # RE2's \s, \w and \d are ASCII: letters are any character but ASCII non-letters, spaces
    # any Unicode space, so that the pattern matches wherever Python's classes do
    space = r"[\s\pZ\x{0B}\x{1C}-\x{1F}\x{85}]"
    pieces = {"9": "[0-9]+", "a": r"[^\x00-\x40\x5B-\x60\x7B-\x7F]+", " ": space + "+"}
    alternatives = sorted({"".join(pieces.get(c, re.escape(c)) for c in shape) for shape in shapes})
    field = "(?:" + "|".join(alternatives) + ")"
    return f'(?m)^{space}*"?{space}*{field}{space}*"?{space}*' + re.escape(delimiter)


#: At most this many shapes of first-column values make :func:`_record_start`'s pattern.
_MAX_SHAPES = 64
_DIGITS = re.compile(r"[0-9]+")
_LETTERS = re.compile(r"[^\W\d_]+")
_SPACES = re.compile(r"\s+")
#: How many values of the first column give the shapes a swallowed record's first field is
#: compared with.
_SHAPE_SAMPLE = 1000


def _merged_records(batch: pa.RecordBatch, names: list[str], delimiter: str, ctx: ReadContext) -> None:
    """Report last-column values that hold whole records: a quote opened in the last field and
    closed only at a later line's end (or never) makes pyarrow read the lines between as that
    one value, with the right number of fields, so nothing else notices. A line inside the value
    looks like a record when it has exactly a row's number of fields and its first field has
    the shape of the first column's values (``7`` among ids, ``u7@example.com`` among emails);
    multi-line text (a note, an address, with commas or not) does not. The value's text is
    scanned; the records in it are not read as records, so their people are not counted: each
    is reported as a record unread. Runs before ``ctx.delivered`` counts the batch; costs two
    substring searches of one column when no value spans lines."""
    if batch.num_rows == 0 or batch.num_columns != len(names) or len(names) < 2:
        return  # the last column was not read (Limits.max_columns), or nothing to compare
    values = batch.column(len(names) - 1)
    if not pa.types.is_string(values.type):
        return
    spans = pc.or_(pc.match_substring(values, "\n"), pc.match_substring(values, "\r"))
    if not pc.any(spans).as_py():
        return
    first = batch.column(0)
    shapes = {
        _shape(v) for v in pc.drop_null(first).slice(0, _SHAPE_SAMPLE).to_pylist() if isinstance(v, str)
    }
    starts = _record_start(shapes, delimiter)
    if starts is not None:  # only values where a line starts like a record go to Python
        try:
            like = pc.match_substring_regex(values, starts)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a shape RE2 refuses: no filter
            like = None
        if like is not None:
            spans = pc.and_(spans, pc.or_(like, pc.match_substring(values, "\r")))
    for i in pc.indices_nonzero(pc.fill_null(spans, False)).to_pylist():
        text = values[i].as_py()
        lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
        looks = 0
        for fields in pycsv.reader(lines[1:], delimiter=delimiter):
            if len(fields) == len(names) and _shape(fields[0]) in shapes:
                looks += 1
        if looks:
            record = ctx.delivered + i + 1
            ctx.log.add(
                "merged_records",
                f"record {record}'s last field {names[-1]!r} runs over {len(lines)} lines, {looks} of "
                "which look like records (a quote left open?): their text was scanned as part of "
                "this one value, not as records, so the people in them are not counted",
                record=record,
                records_unread=looks,
            )


def _read(
    inp: Input,
    ctx: ReadContext,
    columns: tuple[list[str], list[str]],
    header_lines: int,
    delimiter: str,
    encoding: str,
    block: int,
    skip: int,
    on_bytes: BytesCallback | None,
) -> Iterator[pa.RecordBatch]:
    on_bad = invalid_utf8(ctx.log)
    names, keep = columns

    def on_ragged(row: pacsv.InvalidRow) -> str:
        # pyarrow numbers rows from 1 with each header line counted: that is the physical line
        # when no earlier quoted field spans lines; the record number is always exact.
        number = row.number
        # A quote left open runs the row on over the lines (records) after it, up to the next
        # quote or the end of the file: say how much was skipped, not "1 record".
        lines = row.text.count("\n") + 1 if row.text else 1
        size = len(row.text.encode("utf-8", "surrogatepass")) if lines > 1 else None
        spans = (
            f"; it spans {lines} lines ({size:,} bytes, a quote left open?), none examined" if size else ""
        )
        ctx.log.add(
            "ragged_row",
            f"expected {row.expected_columns} fields, found {row.actual_columns}; row skipped{spans}",
            line=number,
            record=None if number is None else number - header_lines,
            bytes_unread=size,
        )
        return "skip"

    raw = ArrowFeed(Utf8Stream(inp.open(on_bytes, ctx.stream_errors), encoding, on_bad))
    held = sys.getrefcount(raw)  # arrow's hold on the feed comes on top (see the finally below)
    # Arrow's own buffer between the feed and the reader (two blocks: a read as big as the
    # buffer would bypass it): arrow copies what the feed reads into its memory, so no
    # read-ahead result holds a Python object's bytes, whose release needs the GIL (an arrow
    # thread dropping one during the interpreter's exit aborted the process: "terminate
    # called without an active exception").
    source = pa.input_stream(pa.PythonFile(raw, mode="r"), buffer_size=2 * block)
    reader = pacsv.open_csv(
        source,
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
            _merged_records(batch, names, delimiter, ctx)
            ctx.delivered += batch.num_rows
            yield batch
    except Exception:
        if raw.error is not None:  # arrow only saw end-of-file; the cause is ours
            raise raw.take_error() from None
        raise
    finally:
        _stop(reader, raw)
        del reader, source
        # Arrow's threads let go of the feed a moment later (their last read-ahead ends): wait
        # for it, so that the interpreter never exits while an arrow thread still needs the GIL
        deadline = time.monotonic() + RELEASE_WAIT_S
        while sys.getrefcount(raw) > held and time.monotonic() < deadline:
            time.sleep(0.001)
    if raw.error is not None:  # raised here, on the consumer's thread, never inside arrow
        raise raw.take_error()
    if not yielded and skip == 0:  # a header without rows still tells which columns exist
        yield pa.RecordBatch.from_pylist([], schema=pa.schema([(n, pa.string()) for n in keep]))


def _read_fast(
    inp: Input,
    ctx: ReadContext,
    names: list[str],
    header_lines: int,
    delimiter: str,
    block: int,
    skip: int,
    on_bytes: BytesCallback | None,
) -> Iterator[pa.RecordBatch]:
    """pyarrow reads the plain file itself and checks each value's UTF-8 (see the module
    docstring). Anything it cannot read exactly (an invalid byte, a ragged row: there is no row
    handler here, so pyarrow raises) raises :class:`_Checked` before the batch that holds it is
    yielded; a row longer than the block raises as in :func:`_read`."""
    source = pa.OSFile(str(inp.path))
    reported = 0

    def advance(to: int) -> None:
        nonlocal reported
        if on_bytes is not None and to > reported:
            on_bytes(to - reported)
            reported = to

    reader: pacsv.CSVStreamingReader | None = None
    yielded = False
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=block, column_names=names, skip_rows=header_lines
            ),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                null_values=[""],
                check_utf8=True,
            ),
        )
        for batch in reader:
            yielded = True
            advance(source.tell())  # pyarrow reads ahead: the bar may lead by a block
            if skip:
                if batch.num_rows <= skip:
                    skip -= batch.num_rows
                    continue
                batch = batch.slice(skip)
                skip = 0
            _merged_records(batch, names, delimiter, ctx)
            ctx.delivered += batch.num_rows
            yield batch
    except Exception as exc:
        if isinstance(exc, pa.ArrowInvalid) and "straddling" in str(exc):
            raise  # a row longer than the block: the caller re-reads with a bigger one
        # invalid UTF-8, a ragged row, anything else: the checked read reads on and reports it
        raise _Checked(reported) from None
    finally:
        if reader is not None:
            reader.close()
        source.close()
    advance(max(reported, inp.size_bytes))
    if not yielded and skip == 0:  # a header without rows still tells which columns exist
        yield pa.RecordBatch.from_pylist([], schema=pa.schema([(n, pa.string()) for n in names]))


#: How long a reader waits for arrow's threads to let go of its feed (normally at once).
RELEASE_WAIT_S = 5.0


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
