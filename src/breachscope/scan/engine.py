"""The reduce side: stream every source's batches through ``scan_batch`` and merge partials.

Side effects live here and only here: reading files (through the readers), the optional
progress reporter, the vendor hook, and hashing each input file for the report.
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from breachscope import vendors
from breachscope.detectors import DETECTORS
from breachscope.detectors.base import Detector
from breachscope.errors import InputError
from breachscope.hashing import FileDigest, new_key
from breachscope.progress import NullProgress, Progress
from breachscope.readers import open_sources
from breachscope.readers.base import Chunk, ReadIssue, Source
from breachscope.readers.stream import Limits
from breachscope.readers.table import rows_for
from breachscope.scan.batch import submit_batch
from breachscope.scan.context import ScanContext
from breachscope.scan.partial import Partial
from breachscope.scan.report import ScanReport, SourceResult, build_report
from breachscope.scan.vendor_stream import VendorBatches
from breachscope.vendors.base import VendorMatch

#: Rows per batch the readers produce when the caller sets none.
READ_ROWS = 65_536
#: Values (rows x columns) per scanned batch when the caller sets no batch size (at most 4x
#: READ_ROWS rows): 16 columns -> 262,144 rows (a 10M-row CSV scans in about 760 MiB), 64 or
#: more columns -> 65,536 rows.
SCAN_CELLS = 4_194_304
#: Batches whose columns are scanned at once: the next batch's columns fill the workers while
#: the slowest column of the previous one finishes (memory: about this many batches more).
IN_FLIGHT = 2


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _disk_path(source: Source) -> Path | None:
    """The file on disk behind a source named by path (``leak.zip!a.csv`` -> ``leak.zip``)."""
    name = source.name.split("!", 1)[0]
    if name.endswith("]") and "[" in name:
        name = name[: name.rindex("[")]
    p = Path(name)
    return p if p.is_file() else None


class _Prefetch:
    """Reads ahead in a background thread so reading and scanning overlap (bounded queue)."""

    _DONE = object()

    def __init__(self, chunks: Iterator[Chunk], depth: int = 2) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(chunks,), daemon=True)
        self._thread.start()

    def _run(self, chunks: Iterator[Chunk]) -> None:
        try:
            for chunk in chunks:
                if self._stop.is_set():
                    return
                self._queue.put(chunk)
        except BaseException as exc:  # handed to the consumer, raised there
            self._queue.put(exc)
        self._queue.put(self._DONE)

    def __iter__(self) -> Iterator[Chunk]:
        try:
            while True:
                item = self._queue.get()
                if item is self._DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, Chunk)
                yield item
        finally:
            self._stop.set()
            while self._thread.is_alive():  # unblock a reader waiting on a full queue
                try:
                    self._queue.get(timeout=0.05)
                except queue.Empty:
                    pass


def scan_rows(columns: int) -> int:
    """Rows per scanned batch when the caller sets none: about :data:`SCAN_CELLS` values, so a
    narrow file is scanned in bigger batches (each column's regex passes pay a fixed start-up
    cost per batch) and a wide one in smaller ones; memory stays bounded by the cell budget.
    ``scan_files`` asks the readers for batches of this size directly (no extra copy)."""
    return rows_for(columns, READ_ROWS, SCAN_CELLS)


def rechunk(chunks: Iterator[Chunk], batch_rows: int | None) -> Iterator[Chunk]:
    """Group small reader batches into batches of about ``batch_rows`` rows (same schema only);
    ``None``: :func:`scan_rows` of each batch's own column count (a source whose first batch
    is narrow or empty keeps to the value budget when it widens), and the reader's first batch,
    which it keeps small, is scanned as it comes."""
    pending: list[Chunk] = []
    rows = 0
    first = True
    for chunk in chunks:
        target = scan_rows(chunk.batch.num_columns) if batch_rows is None else batch_rows
        if pending and (
            chunk.batch.schema != pending[0].batch.schema or chunk.offset != pending[0].offset + rows
        ):
            yield _combine(pending)
            pending, rows = [], 0
        pending.append(chunk)
        rows += chunk.batch.num_rows
        if rows >= target or (first and batch_rows is None):  # the reader's first batch at once
            yield _combine(pending)
            pending, rows = [], 0
        first = False
    if pending:
        yield _combine(pending)


def _combine(chunks: list[Chunk]) -> Chunk:
    if len(chunks) == 1:
        return chunks[0]
    table = pa.Table.from_batches([c.batch for c in chunks]).combine_chunks()
    batches = table.to_batches()
    batch = (
        batches[0]
        if len(batches) == 1
        else chunks[0].batch.slice(0, 0)
        if not batches
        else table.to_batches()[0]
    )
    return Chunk(chunks[0].offset, batch)


def scan_source(
    source: Source,
    *,
    key: bytes,
    vendor: str | None = None,
    detectors: Sequence[Detector] = DETECTORS,
    progress: Progress | None = None,
    batch_rows: int | None = None,
    vendor_match: VendorMatch | None = None,
    pool: Executor | None = None,
    max_findings: int = 5,
    file_hash: FileDigest | None = None,
) -> SourceResult:
    """Scan one source; read problems become issues, never exceptions."""
    progress = progress or NullProgress()
    file_hash = file_hash or FileDigest(_disk_path(source))
    partial = Partial()
    ctx: ScanContext | None = None
    match = vendor_match
    issues: list[ReadIssue] = []
    pending: deque[Callable[[], Partial]] = deque()  # batches whose columns are being scanned
    read = [0]  # bytes the reader reported (to size what an interrupted read left unread)

    def on_bytes(n: int) -> None:
        read[0] += n
        progress.advance(n)

    stream = VendorBatches(
        source.name,
        rechunk(iter(_Prefetch(source.chunks(on_bytes))), batch_rows),
        vendor=vendor,
        match=vendor_match,
    )
    try:
        for chunk in stream:
            if ctx is None:
                match = stream.match
                ctx = ScanContext.create(
                    key,
                    source=source.name,
                    detectors=detectors,
                    field_classes=match.field_classes if match else None,
                    placeholders=match.placeholders if match else frozenset(),
                    placeholders_for=match.placeholders_for if match and match.field_placeholders else None,
                    bookkeeping=match.bookkeeping if match else frozenset(),
                    max_findings=max_findings,
                )
            pending.append(submit_batch(chunk.batch, chunk.offset, ctx, pool=pool))
            if len(pending) >= IN_FLIGHT:
                partial = partial.merge(pending.popleft()())
    except InputError:
        raise
    except Exception as exc:  # a batch that cannot be scanned stops this source only
        issues.append(ReadIssue(source.name, "read_error", f"reading stopped: {type(exc).__name__}: {exc}"))
    finally:
        while pending:  # batches read before an error are still counted (and waited for)
            partial = partial.merge(pending.popleft()())
    match = stream.match
    issues = stream.issues + issues
    return SourceResult(
        name=source.name,
        format=source.format,
        compression=source.compression,
        size_bytes=source.size_bytes,
        sha256=file_hash.result(),
        partial=partial,
        vendor=match,
        issues=list(source.issues) + issues,
        # the plan's schema classes: the vendor's, less what the plan rules out (pipeline
        # bookkeeping columns, names and ids of things)
        schema_classes=(
            {c: plan.schema_classes for c, plan in ctx._plans.items() if plan.schema_classes} if ctx else {}
        ),
        hinted={name: plan.hinted_classes for name, plan in (ctx._plans.items() if ctx else [])},
        bytes_read=read[0],
    )


def scan_sources(
    sources: Sequence[Source],
    *,
    format: str = "auto",
    vendor: str | None = None,
    key: bytes | None = None,
    progress: Progress | None = None,
    batch_rows: int | None = None,
    detectors: Sequence[Detector] = DETECTORS,
    vendor_match: VendorMatch | None = None,
    max_findings: int = 5,
    disk_paths: Mapping[str, Path] | None = None,
    digests: Mapping[Path, FileDigest] | None = None,
) -> ScanReport:
    """Scan already-opened sources (``format`` is accepted for symmetry and ignored).

    ``vendor_match`` skips recognition and applies this layout to every source;
    ``max_findings`` is how many first findings are kept per column and data class;
    ``disk_paths`` maps a source name to the file it came from (for its SHA-256);
    ``digests`` are SHA-256 computations of those files the caller already started.
    """
    del format
    vendors.check_forced(vendor)  # a vendor, "vendor/layout" or "generic"; else InputError
    started = _now()
    key = key if key is not None else new_key()
    progress = progress or NullProgress()
    results = []
    total = sum(s.size_bytes or 0 for s in sources) or None
    progress.start("scanning", total=total)
    workers = max(1, min(4, os.cpu_count() or 1))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scan") if workers > 1 else None
    hashes: dict[Path, FileDigest] = dict(digests or {})
    try:
        for source in sources:
            path = (disk_paths or {}).get(source.name) or _disk_path(source)
            if path is not None and path not in hashes:
                hashes[path] = FileDigest(path)
            results.append(
                scan_source(
                    source,
                    key=key,
                    vendor=vendor,
                    detectors=detectors,
                    progress=progress,
                    batch_rows=batch_rows,
                    vendor_match=vendor_match,
                    pool=pool,
                    max_findings=max_findings,
                    file_hash=hashes.get(path) if path is not None else FileDigest(None),
                )
            )
    finally:
        progress.finish()
        if pool is not None:
            pool.shutdown()
    return build_report(
        results, detectors=tuple(detectors), started_at=started, finished_at=_now(), max_findings=max_findings
    )


def scan_files(
    paths: Sequence[str | Path],
    *,
    format: str = "auto",
    vendor: str | None = None,
    key: bytes | None = None,
    progress: Progress | None = None,
    batch_rows: int | None = None,
    max_findings: int = 5,
    limits: Limits | None = None,
    digests: Mapping[Path, FileDigest] | None = None,
) -> ScanReport:
    """Open every path with the readers and scan all of their sources.

    ``limits`` are the reader budgets of the whole run (docs/readers.md, "Budgets");
    ``digests``: :class:`~breachscope.hashing.FileDigest` of paths, already started (the CLI
    starts them before it imports this stage, so hashing overlaps the start-up).
    """
    limits = limits or Limits()
    if not paths:
        raise InputError("no files to scan", "pass at least one file: breachscope scan leak.csv")
    sources: list[Source] = []
    disk_paths: dict[str, Path] = {}
    for path in paths:
        # dictionaries: low-cardinality Parquet columns are scanned from their dictionary pages
        opened = (
            open_sources(path, format, batch_rows=batch_rows, limits=limits, dictionaries=True)
            if batch_rows
            else open_sources(
                path, format, batch_rows=READ_ROWS, batch_cells=SCAN_CELLS, limits=limits, dictionaries=True
            )
        )
        sources.extend(opened)
        disk_paths.update({s.name: Path(path) for s in opened})
    try:
        return scan_sources(
            sources,
            vendor=vendor,
            key=key,
            progress=progress,
            batch_rows=batch_rows,
            max_findings=max_findings,
            disk_paths=disk_paths,
            digests={Path(p): d for p, d in (digests or {}).items()},
        )
    finally:
        for src in sources:
            src.close()  # a special file's spool is deleted now, not at exit
