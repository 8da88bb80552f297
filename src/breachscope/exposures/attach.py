"""``case attach``: hash a leaked file, scan it, store the report and the people it exposes.

The file is read twice, both times streamed: once by the scan engine (whose report is stored
whole in the dataset row, so reports never rescan) and once here to extract exposures, using the
scan's column classes (falling back to the vendor layout's documented field classes). The raw
file is not needed by any later stage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from breachscope.canary import check as canary_check
from breachscope.canary import exclude as canary_exclude
from breachscope.canary import registry as canary_registry
from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.models import Dataset, DatasetPerson, Exposure
from breachscope.clock import Clock
from breachscope.errors import InputError
from breachscope.exposures.bulk import (
    ScratchFiles,
    count_dataset_exposures,
    count_people_of_file,
    deferred_indexes,
    detach_scratch,
    sealed_table,
    store_exposure_table,
    store_scratch,
)
from breachscope.exposures.extractor import Extractor
from breachscope.exposures.person_key import KeyChain, key_chain
from breachscope.exposures.plan import ExtractPlan, split_scan_classes
from breachscope.files import scratch_dir
from breachscope.hashing import FileDigest
from breachscope.progress import NullProgress, Progress
from breachscope.readers import open_sources
from breachscope.scan.engine import scan_files
from breachscope.scan.vendor_stream import VendorBatches
from breachscope.vendors import check_forced

ScanResult = tuple[dict[str, Any] | None, Mapping[tuple[str, str], frozenset[str]]]
#: (path, case key, progress) -> (report dict, {(source, column): classes}). Default: the scan engine.
Scanner = Callable[[Path, bytes, Progress], ScanResult]


@dataclass(frozen=True)
class AttachResult:
    dataset_id: int
    file_name: str
    sha256: str
    size_bytes: int
    records: int
    exposures: int  # distinct people of this file stored in the case (new + merged into earlier ones)
    new_people: int  # of those, people the case did not know yet (others were merged)
    vendor: str | None
    layout: str | None
    issues: int
    complete: bool = True  # the scan read every record (else see unread_records / unread_bytes)
    unread_records: int = 0
    unread_bytes: int | None = 0
    #: The canary check's sentence (as in the timeline); None when no canary was ever issued.
    canary: str | None = None
    #: Canary records found and left out of the people (of ``records``); None: no check ran.
    canary_records: int | None = None


def file_digest(path: Path, progress: Progress | None = None) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, streamed."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
            size += len(block)
            if progress is not None:
                progress.advance(len(block))
    return h.hexdigest(), size


def scan_with_engine(
    path: Path, key: bytes, progress: Progress, vendor: str | None = None, sha256: str | None = None
) -> ScanResult:
    """Run the scan engine; its findings are keyed-hashed under the case key (purge unlinks them).
    ``sha256``: the file's digest, already computed (the scan does not hash it again)."""
    digests = {path: FileDigest.known(sha256)} if sha256 else None
    report = scan_files([path], key=key, progress=progress, vendor=vendor, digests=digests)
    return report.to_dict(), report.column_classes()


def _engine(vendor: str | None, sha256: str) -> Scanner:
    return lambda path, key, progress: scan_with_engine(path, key, progress, vendor, sha256)


@contextmanager
def _scratch_detached(conn: Connection) -> Iterator[None]:
    """Detach the scratch files an attach copied through ``conn`` when the block ends: after the
    session on it has committed or rolled back, before the connection goes back to the pool,
    where another thread may take it."""
    try:
        yield
    finally:
        if conn.dialect.name == "sqlite":
            detach_scratch(conn.connection.driver_connection)


def _vendor_of(report: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """Vendor and layout named in a scan report's first source, if any."""
    if not report:
        return None, None
    for src in report.get("sources") or []:
        if not isinstance(src, dict):
            continue
        vendor = src.get("vendor")
        if isinstance(vendor, dict):
            return _str(vendor.get("vendor") or vendor.get("name")), _str(vendor.get("layout"))
        if vendor:
            return _str(vendor), _str(src.get("layout"))
    return None, None


def _str(value: object) -> str | None:
    return str(value)[:100] if value else None


def forget_partial_dataset(
    session: Session,
    incident_id: int,
    dataset_id: int,
    name: str,
    *,
    author: str,
    clock: Clock | None,
    why: str = "failed",
) -> tuple[int, int]:
    """Remove a dataset whose attach failed (or, ``why``, was cut short) after committing some
    batches: the people first seen in it, its follow-up rows, the dataset; a timeline event says so.
    A person first seen in it whom another attach found again meanwhile (merged into its row) is
    kept, first seen in that other dataset (the earliest, if several). Returns (people removed,
    people kept that way)."""
    kept = _hand_over(session, dataset_id)
    session.execute(delete(DatasetPerson).where(DatasetPerson.dataset_id == dataset_id))
    removed = getattr(
        session.execute(delete(Exposure).where(Exposure.dataset_id == dataset_id)), "rowcount", 0
    )
    session.execute(delete(Dataset).where(Dataset.id == dataset_id))
    said = f"Attach of {name} {why}; dataset {dataset_id} and the people first seen in it were removed"
    if kept:
        said += f", but for {kept:,} whom another file found again meanwhile (now first seen there)"
    api.add_timeline_event(session, incident_id, said, author=author, clock=clock)
    return int(removed or 0), kept


def _hand_over(session: Session, dataset_id: int) -> int:
    """People first seen in ``dataset_id`` that other datasets found again: first seen in the
    earliest of those now (their follow-up row there goes, the datasets' counts follow).
    Returns how many."""
    again = (
        select(func.min(DatasetPerson.dataset_id))
        .where(DatasetPerson.exposure_id == Exposure.id, DatasetPerson.dataset_id != dataset_id)
        .scalar_subquery()
    )
    mine = (Exposure.dataset_id == dataset_id, again.is_not(None))
    others = sorted(int(d) for d in session.scalars(select(again).where(*mine).distinct()))
    if not others:
        return 0
    kept = getattr(
        session.execute(
            update(Exposure)
            .where(*mine)
            .values(dataset_id=again)
            .execution_options(synchronize_session=False)
        ),
        "rowcount",
        0,
    )
    first_seen = (
        select(Exposure.id)
        .where(Exposure.id == DatasetPerson.exposure_id, Exposure.dataset_id == DatasetPerson.dataset_id)
        .exists()
    )
    session.execute(delete(DatasetPerson).where(DatasetPerson.dataset_id.in_(others), first_seen))
    count = select(func.count()).where(Exposure.dataset_id == Dataset.id).scalar_subquery()
    session.execute(update(Dataset).where(Dataset.id.in_(others)).values(exposures=count))
    return int(kept or 0)


#: How many times a failed batch-by-batch attach tries to remove its partial dataset (each try
#: waits up to the database's busy timeout for the write lock).
CLEANUP_TRIES = 20


@contextmanager
def _undo_partial(
    session: Session, incident_id: int, dataset_id: int, name: str, author: str, clock: Clock | None
) -> Iterator[None]:
    """An attach committing batch by batch that fails takes its partial dataset out again.

    The usual failure is another writer keeping SQLite's write lock past the busy timeout; it
    may still hold it when the cleanup starts, so the cleanup waits the busy timeout again, up
    to :data:`CLEANUP_TRIES` times, rather than leave committed batches behind."""
    try:
        yield
    except BaseException:
        for attempt in range(CLEANUP_TRIES):
            session.rollback()
            try:
                forget_partial_dataset(session, incident_id, dataset_id, name, author=author, clock=clock)
                session.commit()
                break
            except OperationalError:  # the lock is still held: wait for it once more
                if attempt == CLEANUP_TRIES - 1:
                    session.rollback()
                    raise
        raise


def attach_file(
    engine: Engine,
    incident_id: int,
    path: str | Path,
    *,
    author: str = api.DEFAULT_AUTHOR,
    clock: Clock | None = None,
    progress: Progress | None = None,
    scanner: Scanner | None = None,
    batch_rows: int = 65_536,
    vendor: str | None = None,
    commit_every_batch: bool = False,
    job_id: int | None = None,
) -> AttachResult:
    """Attach one leaked file to the incident: digest, scan report, exposures.

    ``vendor`` forces an export layout (a vendor, ``vendor/layout`` or ``generic``), as
    ``scan --vendor`` does, for the scan and the extraction alike.

    ``commit_every_batch`` (the team server on SQLite): the people are committed batch by batch,
    so the database's one write lock is held for a batch at a time and other writers (a
    note, a decision, a sign-in) wait a batch's time, not the whole attach. Until the end the
    dataset is ``attaching`` (no stage reads it or the people first seen in it; ``job_id``, the
    server job running the attach, is recorded on it so that the job runner removes it if the
    process dies mid-way: ``breachscope.exposures.unfinished``); an attach that fails removes its
    dataset and the people first seen in it (people of earlier datasets it merged into keep the
    united classes); the exposures' indexes are kept up to date through the load instead of
    being built after it (slower for a big file). Without it the whole attach is one
    transaction (all or nothing)."""
    vendor_arg = vendor
    check_forced(vendor_arg)
    progress = progress or NullProgress()
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file", "check the path")
    with session_scope(engine) as s:  # fail early on a bad or purged incident
        case_key = api.case_key(s, incident_id)
    progress.start(f"Hashing {p.name}", total=p.stat().st_size)
    sha, size = file_digest(p, progress)
    with session_scope(engine) as s:  # the same file twice would count its people twice
        api.refuse_duplicate(s, incident_id, sha)
    progress.start(f"Scanning {p.name}")
    report, scanned = (scanner or _engine(vendor_arg, sha))(p, case_key, progress)
    sources = open_sources(p, batch_rows=batch_rows)
    vendor, layout = _vendor_of(report)
    if report is not None:
        scanned, per_row = split_scan_classes(report)
    else:
        per_row = {}
    records = 0
    merged: set[str] = set()
    with session_scope(engine) as s:
        sealer = api.value_sealer(s, incident_id)
        registry = canary_registry.load(s)  # None: no canary issued in this database, nothing to check
    matcher = canary_check.new_matcher(engine, registry) if registry is not None else None
    canaries: canary_exclude.CanaryRows | None = None
    read_complete = True
    unread: list[str] = []
    # SQLite, one transaction: the people go through private scratch files (ScratchFiles)
    one_pass = engine.dialect.name == "sqlite" and not commit_every_batch
    with (
        scratch_dir("breachscope-attach-") as tmp,
        engine.connect() as held,  # the scratch files are detached before it is back in the pool
        _scratch_detached(held),
        session_scope(held) as s,
    ):
        key = api.case_key(s, incident_id)
        fmt = sources[0].format if sources else ""
        ds = api.attach_dataset(
            s,
            incident_id,
            file_name=p.name,
            sha256=sha,
            size_bytes=size,
            format=fmt,
            scan=report,
            vendor=vendor,
            layout=layout,
            author=author,
            clock=clock,
            announce=not commit_every_batch,  # batch by batch: "attached" once its last batch is in
        )
        ds.attach_job_id = job_id
        if commit_every_batch:
            ds.attaching = True  # until the last batch is stored: no stage reads it, nor its people
            s.commit()
        progress.start(f"Extracting people from {p.name}", total=size)
        api.require_open(s, incident_id)

        expected = sum(
            int(x.get("rows") or 0) for x in (report or {}).get("sources") or [] if isinstance(x, dict)
        )
        scratch = ScratchFiles(Path(tmp), expected, batch_rows) if one_pass else None

        def extract(plan: ExtractPlan, batch: pa.RecordBatch, **kw: Any) -> pa.Table:
            """The worker thread: one batch's people (sealed for the scratch files)."""
            table = extractor.table(plan, batch, **kw)
            return sealed_table(table, sealer) if scratch is not None else table

        def store(table: pa.Table) -> None:
            if scratch is None:
                store_exposure_table(s, incident_id, ds.id, table, merged, sealer)
            elif (full := scratch.write(table)) is not None:
                store_scratch(s, incident_id, ds.id, full, merged)
            if commit_every_batch:
                s.commit()  # the write lock is free between batches

        if matcher is not None:  # canary records are blanked before extraction: never an exposure
            canaries = canary_exclude.CanaryRows(matcher, lambda hashes: canary_registry.lookup(s, hashes))
        # committing batch by batch, indexes cannot be dropped for the load (a commit would
        # leave the case without them): only the one-transaction attach defers them
        undo = (
            _undo_partial(s, incident_id, ds.id, p.name, author, clock)
            if commit_every_batch
            else nullcontext()
        )
        with (
            undo,
            deferred_indexes(s, 0 if commit_every_batch else expected),
            Extractor(key) as extractor,
            scratch if scratch is not None else nullcontext(),
            ThreadPoolExecutor(1, "extract") as pool,
        ):
            # Extraction (DuckDB, which releases the GIL) of the next batch runs in the worker
            # thread while this thread stores the previous one (writes it to a scratch file,
            # copies a full file into the case): batches are still stored one after the other,
            # in file order. (Two extraction threads were measured: no faster on two cores,
            # and over 1 GiB.)
            pending: Future[pa.Table] | None = None
            for src in sources:
                stream = VendorBatches(src.name, src.chunks(progress.advance), vendor=vendor_arg)
                plan: ExtractPlan | None = None
                chain = KeyChain()
                for chunk in stream:
                    if plan is None:
                        if stream.match is not None and vendor is None:
                            vendor, layout = stream.match.vendor, stream.match.layout
                        names = chunk.batch.schema.names
                        plan = ExtractPlan.for_source(
                            src.name, names, scanned=scanned, row_checks=per_row, match=stream.match
                        )
                        chain = key_chain(names, plan.roles, plan.column_classes, stream.match)
                    records += chunk.batch.num_rows
                    batch = chunk.batch
                    if canaries is not None:  # every text value against the canary registry
                        # (runs while the worker still extracts the previous batch)
                        batch = canaries.blank(batch, src.name if src.name != p.name else "")
                    done = pending.result() if pending is not None else None
                    pending = pool.submit(
                        extract,
                        plan,
                        batch,
                        row_key_prefix=f"{sha}:{src.name}",
                        offset=chunk.offset,
                        chain=chain,
                    )
                    if done is not None:
                        store(done)
                src.issues.extend(stream.issues)
                for issue in src.issues:
                    if issue.unread:
                        read_complete = False
                        unread.append(f"{src.name}: {issue.kind}")
            if pending is not None:
                store(pending.result())
            if scratch is not None and (last := scratch.close()) is not None:
                store_scratch(s, incident_id, ds.id, last, merged)
        new_people = count_dataset_exposures(s, ds.id)
        stored = count_people_of_file(s, incident_id, ds.id, new_people, merged)
        s.flush()
        s.refresh(ds)
        ds.attaching = False
        ds.records = records
        ds.vendor, ds.layout = vendor, layout
        if canaries is not None:
            ds.canary_records = canaries.records
            ds.canary_vendors = dict(sorted(canaries.by_vendor.items()))
        s.flush()
        if commit_every_batch:
            api.announce_dataset(s, ds, author=author, clock=clock)
        issues = sum(len(x.issues) for x in sources)
        if matcher is not None and canaries is not None:
            with matcher:
                found = canary_check.result_of(
                    matcher,
                    canaries.resolved,
                    [p.name],
                    complete=read_complete,
                    unread=sorted(set(unread))[:20],
                    excluded=canaries.records,
                    excluded_by_vendor=dict(canaries.by_vendor),
                )
            canary_check.record(
                s,
                incident_id,
                found,
                source="dataset",
                what=p.name,
                dataset_id=ds.id,
                author=author,
                clock=clock,
            )
            canary_summary: str | None = found.summary(p.name)
        else:
            canary_summary = None
        result = AttachResult(
            ds.id,
            p.name,
            sha,
            size,
            records,
            stored,
            ds.exposures,
            vendor,
            layout,
            issues,
            complete=ds.is_complete,
            unread_records=ds.unread_records,
            unread_bytes=ds.unread_bytes,
            canary=canary_summary,
            canary_records=ds.canary_records,
        )
    progress.finish()
    return result
