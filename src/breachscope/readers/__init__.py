"""Readers: any leaked table file (or archive of them) as streamed, flattened Arrow batches.

    sources = open_sources("leak.zip")          # one Source per table (zip member, sheet)
    for src in sources:
        for chunk in src.chunks(on_bytes=bar.advance):
            scan(chunk.offset, chunk.batch)
        report(src.issues)

``open_sources`` raises :class:`~breachscope.errors.InputError` only when the path as a whole
cannot be used (missing, unreadable, unknown format). Everything else - a broken member, bad
rows, invalid bytes, a tripped bomb guard - becomes a :class:`ReadIssue` on the source, and
reading goes on. See docs/readers.md.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from breachscope.errors import InputError
from breachscope.readers import avro, delimited, json_doc, jsonl, parquet, xlsx
from breachscope.readers.archive import Input, list_inputs
from breachscope.readers.base import BytesCallback, Chunk, ReadIssue, Source
from breachscope.readers.sniff import format_from_content, format_from_name, looks_binary
from breachscope.readers.stream import BombError, BudgetError, Limits
from breachscope.readers.table import IssueLog, ReadContext, Reader, flatten, rebatch, safe_error

__all__ = [
    "FORMATS",
    "READERS",
    "Chunk",
    "Limits",
    "ReadIssue",
    "Reader",
    "Source",
    "open_sources",
]

#: One reader module per format; archive.py handles compression and zip for all of them.
READERS: tuple[Reader, ...] = (
    delimited.READER,
    json_doc.READER,
    jsonl.READER,
    parquet.READER,
    xlsx.READER,
    avro.READER,
)
#: Every format a reader handles, in registry order (``--format`` choices come from here).
FORMATS: tuple[str, ...] = tuple(fmt for r in READERS for fmt in r.formats)
_BY_FORMAT: dict[str, Reader] = {fmt: r for r in READERS for fmt in r.formats}
_UNREADABLE = "unknown"


def open_sources(
    path: str | Path,
    format: str = "auto",
    *,
    batch_rows: int = 65_536,
    limits: Limits | None = None,
    batch_cells: int | None = None,
    dictionaries: bool = False,
) -> list[Source]:
    """Every table in ``path`` as a :class:`Source`; ``format`` forces the table format.

    Batches have ``batch_rows`` rows; with ``batch_cells`` a narrow table's batches after the
    first grow to about that many values (at most 4x ``batch_rows`` rows; see
    ``table.rows_for`` and ``table.rebatch``). With ``dictionaries``, a reader may give a
    low-cardinality string column as a dictionary array (Parquet's dictionary pages, not
    decoded value by value; see ``ReadContext.dictionaries``).
    """
    limits = limits or Limits()
    if format != "auto" and format not in FORMATS:
        raise InputError(f"unknown format {format!r}", f"use one of: auto, {', '.join(FORMATS)}")
    if batch_rows < 1:
        raise InputError("batch_rows must be at least 1")
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file", "check the path")
    if p.is_dir():
        raise InputError(f"{p} is a directory", "pass the files inside it, e.g. dir/*.csv")
    sources: list[Source] = []
    for inp in list_inputs(p, limits):
        sources.extend(
            _sources_for(
                inp,
                format,
                batch_rows,
                limits,
                top_level=inp.member is None,
                cells=batch_cells,
                dictionaries=dictionaries,
            )
        )
    return sources


def _sources_for(
    inp: Input,
    forced: str,
    batch_rows: int,
    limits: Limits,
    top_level: bool,
    cells: int | None = None,
    dictionaries: bool = False,
) -> list[Source]:
    fmt = _detect(inp, forced, top_level)
    names = [inp.name]
    if fmt == "xlsx" and not inp.skip:
        try:
            sheets = xlsx.sheet_names(inp)
            if len(sheets) > limits.max_sheets:
                inp.issues.append(
                    ReadIssue(
                        inp.name,
                        "too_many_sheets",
                        f"the workbook has {len(sheets)} worksheets; only the first {limits.max_sheets} "
                        "were read (Limits.max_sheets)",
                    )
                )
                sheets = sheets[: limits.max_sheets]
            names = [f"{inp.name}[{s}]" for s in sheets] or names
        except BudgetError as exc:
            inp.issues.append(ReadIssue(inp.name, exc.kind, exc.message))
            inp.skip = True
        except Exception as exc:
            if top_level:
                raise InputError(f"{inp.name}: not a readable .xlsx workbook ({safe_error(exc)})") from exc
            inp.issues.append(
                ReadIssue(inp.name, "unreadable", f"not a readable workbook: {safe_error(exc)}")
            )
            inp.skip = True
    out = []
    share = inp.size_bytes // max(1, len(names))
    for name in names:
        src = Source(name, fmt, share, lambda cb: iter(()), list(inp.issues), inp.compression)
        src.open_chunks = _opener(inp, src, batch_rows, limits, cells, dictionaries)
        if inp.spool is not None:
            src.on_close = inp.spool.delete
        if fmt == "json" and not inp.skip:
            src.record_path = _peek_json(inp)
        out.append(src)
    return out


def _peek_json(inp: Input) -> str | None:
    try:
        return json_doc.peek_record_path(inp.head())
    except Exception:  # the read itself reports problems
        return None


def _detect(inp: Input, forced: str, top_level: bool) -> str:
    if inp.skip:
        return forced if forced != "auto" else (format_from_name(inp.inner_name) or _UNREADABLE)
    if forced != "auto":
        return forced
    by_name = format_from_name(inp.inner_name)
    try:
        head = inp.head(1 << 16)
    except BombError as exc:
        inp.issues.append(ReadIssue(inp.name, "bomb", exc.message))
        inp.skip = True
        return by_name or _UNREADABLE
    except (OSError, EOFError, InputError, ValueError, zipfile.BadZipFile, zlib.error, lzma.LZMAError) as exc:
        # a damaged member (bad CRC, broken deflate) is that member's issue, never a traceback
        if top_level and not inp.layers:
            raise InputError(f"{inp.name}: cannot read ({exc})") from exc
        inp.issues.append(ReadIssue(inp.name, "unreadable", f"cannot read: {safe_error(exc)}"))
        inp.skip = True
        return by_name or _UNREADABLE
    if not head.strip():
        return by_name or "csv"
    by_content = format_from_content(head)
    if by_name in ("csv", "tsv", "json", "jsonl") and by_content in ("csv", "tsv", "json", "jsonl"):
        if by_name == "json" and by_content == "jsonl":
            return "jsonl"
        if by_name in ("csv", "tsv") and looks_binary(head):
            return by_name  # the csv reader reports binary content
        return by_name if by_name not in ("csv", "tsv") or by_content in ("csv", "tsv") else by_content
    fmt = by_content or by_name
    if fmt is None:
        if top_level:
            raise InputError(
                f"{inp.name}: cannot tell the table format (the content looks binary)",
                f"pass --format with one of: {', '.join(FORMATS)}",
            )
        inp.issues.append(
            ReadIssue(
                inp.name,
                "unknown_format",
                "not a table format breachscope reads; skipped",
                bytes_unread=inp.info.file_size if inp.info is not None else None,
            )
        )
        inp.skip = True
        return _UNREADABLE
    return fmt


def _opener(inp: Input, src: Source, batch_rows: int, limits: Limits, cells: int | None, dictionaries: bool):  # type: ignore[no-untyped-def]
    def open_chunks(on_bytes: BytesCallback | None) -> Iterator[Chunk]:
        return _chunks(inp, src, batch_rows, limits, on_bytes, cells, dictionaries)

    return open_chunks


def _chunks(
    inp: Input,
    src: Source,
    batch_rows: int,
    limits: Limits,
    on_bytes: BytesCallback | None,
    cells: int | None = None,
    dictionaries: bool = False,
) -> Iterator[Chunk]:
    if inp.skip or src.format not in _BY_FORMAT:
        if on_bytes is not None and src.size_bytes:
            on_bytes(src.size_bytes)
        return
    reader = _BY_FORMAT[src.format]
    src.issues[:] = [i for i in src.issues if i.kind in _STATIC_KINDS]  # re-reads start clean
    ctx = ReadContext(
        batch_rows=batch_rows,
        limits=limits,
        on_bytes=on_bytes,
        log=IssueLog(src),
        batch_cells=cells,
        dictionaries=dictionaries,
    )
    offset = 0
    try:
        flat = _capped((flatten(b) for b in reader.batches(inp, src, ctx)), ctx)
        for piece in rebatch(flat, batch_rows, cells):
            yield Chunk(offset, piece)
            offset += piece.num_rows
    except BudgetError as exc:
        ctx.log.add(exc.kind, exc.message, record=offset + 1)
    except BombError as exc:
        ctx.log.add("bomb", exc.message, record=offset + 1)
    except InputError as exc:
        ctx.log.add("unreadable", exc.message, record=offset + 1)
    except Exception as exc:  # hostile input must never crash a scan
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, BombError):
            ctx.log.add("bomb", cause.message, record=offset + 1)
        else:
            ctx.log.add(
                "read_error",
                f"reading stopped after {offset} records: {type(exc).__name__}: {safe_error(exc)}",
                record=offset + 1,
            )
    finally:
        for error in ctx.stream_errors:
            ctx.log.add(
                "truncated",
                f"the compressed data is damaged or cut short ({error}); "
                f"the {offset} records before the damage were read",
                record=offset + 1,
            )
        ctx.log.finish()


def _capped(batches: Iterator[pa.RecordBatch], ctx: ReadContext) -> Iterator[pa.RecordBatch]:
    """Every format's flattened batches within ``Limits.max_columns`` (JSON objects with 100,000
    keys, Avro records, Parquet files); the first time a batch is cut, an issue says so.

    The columns kept are those holding the most values (in their order): keeping the first ones
    let one record with 20,000 keys, first in its block, push every other record's columns out
    of the batch (none of their values was examined).
    """
    limit = ctx.limits.max_columns
    reported = False
    for batch in batches:
        if batch.num_columns > limit:
            if not reported:
                ctx.log.add(
                    "too_many_columns",
                    f"a batch has {batch.num_columns:,} columns; only {limit:,} were read "
                    "(Limits.max_columns: those holding the most values), the values of the others "
                    "were not examined",
                )
                reported = True
            batch = batch.select(_fullest(batch, limit))
        yield batch


def _fullest(batch: pa.RecordBatch, limit: int) -> list[int]:
    """The indices of the ``limit`` columns with the most values, in the batch's order (ties:
    the earlier column)."""
    held = [batch.num_rows - column.null_count for column in batch.columns]
    ranked = sorted(range(batch.num_columns), key=lambda i: -held[i])  # stable: earlier first
    return sorted(ranked[:limit])


_STATIC_KINDS = frozenset(
    {
        "unsafe_member",
        "encrypted_member",
        "corrupt_member",
        "corrupt_compression",
        "nested_archive",
        "unknown_format",
        "unreadable",
        "suspicious_ratio",
        "overlapping_members",
        "too_many_members",
        "too_many_sheets",
        "too_many_strings",
        "special_file_budget",
    }
)
