"""The shapes every reader produces: sources of Arrow record batches plus read issues.

A reader turns one file (or one archive member) into a :class:`Source`. A source streams
:class:`Chunk` objects: an Arrow ``RecordBatch`` whose columns are flattened to dotted paths
(``properties.$email``), plus the 0-based record offset of its first row so findings can name
the record. Problems with individual records never stop a read: they are appended to
``Source.issues`` with a location, and the read goes on.

Which issues mean **unread content** (the scan then says "incomplete", never "clean"; see
docs/scan.md): an issue whose kind is in :data:`SKIPPED_RECORD_KINDS` left one record (or, for a
"N issues of this kind in total" summary, the records beyond those listed) unexamined; an issue
whose kind is in :data:`UNREAD_KINDS` left a table, an archive member or the rest of a source
unexamined. A reader that knows how much it skipped says so with ``records_unread`` /
``bytes_unread``; any issue with either above zero counts as unread content whatever its kind.
A new reader guard that skips content (a budget hit, a depth limit ...) either uses one of these
kinds or sets ``records_unread``/``bytes_unread``; otherwise its issue is informational.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

#: Called with a number of bytes read from disk (compressed bytes for compressed input).
BytesCallback = Callable[[int], None]


#: Issue kinds that each mean one record was skipped (not examined).
SKIPPED_RECORD_KINDS = frozenset({"ragged_row", "malformed_json", "too_deep", "line_too_long"})
#: Issue kinds that mean a whole table, an archive member or a part of a source was not examined:
#: the data could not be read, or a budget of :class:`~breachscope.readers.Limits` was hit. A scan
#: with any of these, or with skipped records, is incomplete; it is never "clean".
UNREAD_KINDS = frozenset(
    {
        "bomb",
        "unreadable",
        "corrupt_compression",
        "corrupt_member",
        "encrypted_member",
        "nested_archive",
        "unknown_format",
        "read_error",
        "truncated",
        "column_not_scanned",
        "corrupt_block",
        "overlapping_members",
        "too_many_members",
        "too_many_sheets",
        "too_many_strings",
        "too_many_columns",
        "too_many_cells",
        "too_many_items",
        "formula_not_cached",
        "special_file_budget",  # a FIFO/device read only up to a budget (``scan --allow-special-files``)
        "budget",  # a guard that skipped content without a kind of its own
    }
)


@dataclass(frozen=True)
class ReadIssue:
    """One problem met while reading: a malformed record, a skipped member, a guard tripped."""

    source: str
    kind: str  # e.g. "malformed_json", "ragged_row", "invalid_utf8", "unsafe_member", "bomb"
    message: str
    line: int | None = None  # 1-based physical line, where the format has lines
    record: int | None = None  # 1-based record number, where known
    #: Records this issue left unexamined, when the reader knows (e.g. a damaged Avro block's count).
    records_unread: int | None = None
    #: Bytes this issue left unexamined, when the reader knows.
    bytes_unread: int | None = None

    @property
    def unread(self) -> bool:
        """True if some content was not examined because of this issue (the scan is incomplete)."""
        return (
            self.kind in SKIPPED_RECORD_KINDS
            or self.kind in UNREAD_KINDS
            or bool(self.records_unread)
            or bool(self.bytes_unread)
        )


@dataclass(frozen=True)
class Chunk:
    offset: int  # 0-based index of the batch's first record within its source
    batch: pa.RecordBatch


@dataclass
class Source:
    """One scannable table: a file, or one member of an archive (``leak.zip!data/a.csv``)."""

    name: str
    format: str  # csv, tsv, json, jsonl, parquet, xlsx, avro
    size_bytes: int | None
    open_chunks: Callable[[BytesCallback | None], Iterator[Chunk]]
    issues: list[ReadIssue] = field(default_factory=list)
    compression: str | None = None  # gzip, bz2, xz, zip
    record_path: str | None = None  # JSON documents: the key whose list holds the records
    #: frees what reading needed (a special file's private spool); see :meth:`close`
    on_close: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def close(self) -> None:
        """Deletes what the source kept for reading (a special file's spool); no more chunks after."""
        if self.on_close is not None:
            self.on_close()

    def chunks(self, on_bytes: BytesCallback | None = None) -> Iterator[Chunk]:
        return self.open_chunks(on_bytes)
