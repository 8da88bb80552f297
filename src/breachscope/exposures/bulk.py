"""Bulk storage of exposure tables (from :class:`breachscope.exposures.plan.Extractor`).

SQLite, an attach in one transaction: the tables are written straight from Arrow into private
scratch files by the ADBC SQLite driver (:class:`ScratchFiles`), and each file is copied into
the case by one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` of the session's own connection
(:func:`store_scratch`): no Python object per value. SQLite otherwise (the server's batch-by-batch
attach): one ``executemany`` of the same ``INSERT`` per batch. For a big load into a small case
the secondary indexes are built after it (:func:`deferred_indexes`).
PostgreSQL: ``COPY`` (CSV written by Arrow) into a per-connection staging table, then one
``INSERT ... SELECT`` of the new people. Either way
the few people already known to the case (same person key) are then merged like
:func:`api.store_exposures` does: classes and fields united, otherwise the value stored first wins.
"""

from __future__ import annotations

import errno
import itertools
import json
import math
import os
import resource
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import adbc_driver_manager as adbc_errors
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.orm import Session

from breachscope.case.api import merge_into
from breachscope.case.bulk import dbapi, detach_databases, scratch_writer
from breachscope.case.models import Dataset, DatasetPerson, Exposure
from breachscope.case.sealed import SEALED_COLUMNS, Sealer

STAGE = "bs_exposure_stage"
#: Stored columns of an exposure table, in :class:`api.ExposureRecord` order. The display name
#: the extractor reads is not stored: no stage reads it (notices use the directory's name).
COLUMNS: tuple[str, ...] = (
    "person_key_hash",
    "person_key_kind",
    "distinct_id_hash",
    "user_id_hash",
    "email_hash",
    "email_loose_hash",
    "email_skeleton_hash",
    "org_id_hash",
    "exposed_classes",
    "exposed_fields",
    "country_code",
    "region_code",
    "jurisdiction",
    "jurisdiction_source",
    "email",
    "city",
    "region",
    "country",
)
_JSON = ("exposed_classes", "exposed_fields")
#: SQLite page cache (KiB) of the connection that bulk-inserts exposures (see _insert_sqlite).
SQLITE_CACHE_KIB = 256 * 1024
#: The same for :func:`store_scratch`: enough for the unique person-key index of a million
#: people (about 60 MiB); more only adds table pages the load never reads again (1M-row
#: attach: peak RSS 916-990 MiB with 256 MiB, 741-745 MiB with this, no slower).
SCRATCH_CACHE_KIB = 96 * 1024
#: SQLite: a load of at least this many records into a case holding no more exposures than that
#: builds the table's secondary indexes after the load (see :func:`deferred_indexes`).
DEFER_INDEXES_MIN = 100_000


#: Secondary indexes a big load keeps up to date instead of building them after it: the new
#: dataset's id is the highest and row ids grow, so its entries are appended at the index's end
#: (the load's time it costs overlaps the extraction; a build after it would not).
KEPT_LIVE = frozenset({"ix_exposures_dataset_id"})


@contextmanager
def deferred_indexes(
    session: Session, expected_rows: int, minimum: int = DEFER_INDEXES_MIN
) -> Iterator[None]:
    """Around a big load on SQLite: drop the ``exposures`` table's secondary indexes (dataset,
    email hash) and build them again after it, in the same transaction.

    Building an index once over sorted keys is cheaper than keeping it up to date through a
    million random inserts (the unique person-key index, which the load's own lookups use,
    stays). Only for a load of at least ``minimum`` records into a case holding
    no more exposures than that (rebuilding a big case's indexes for a small file costs more),
    and only inside a transaction: on an error the rollback restores the indexes with
    everything else. Readers of the case (WAL) keep seeing the last committed state."""
    conn = session.connection()
    raw: Any = conn.connection.driver_connection
    if conn.dialect.name != "sqlite" or expected_rows < minimum or not raw.in_transaction:
        yield
        return
    held = conn.execute(text("SELECT coalesce(max(id), 0) FROM exposures")).scalar_one()
    if held > expected_rows:
        yield
        return
    indexes = sorted(
        (ix for ix in Exposure.metadata.tables[Exposure.__tablename__].indexes if ix.name not in KEPT_LIVE),
        key=lambda ix: str(ix.name),
    )
    for ix in indexes:
        ix.drop(conn)
    yield
    session.flush()
    for ix in indexes:
        ix.create(conn)


def _stage(conn: Connection) -> None:
    cols = ", ".join(f"{c} {'JSON' if c in _JSON else 'TEXT'}" for c in COLUMNS)
    cols = f"row_no BIGINT, {cols}"
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ({cols})")
    conn.exec_driver_sql(f"DELETE FROM {STAGE}")


def _load(conn: Connection, table: pa.Table) -> None:
    """``COPY`` the table into the staging table as CSV written by Arrow (no Python object per
    value). Every valid value is quoted, so only NULL is an unquoted empty field and no value
    can read as the end-of-data marker."""
    names = ("row_no", *COLUMNS)
    raw: Any = conn.connection.driver_connection
    options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
    with raw.cursor().copy(f"COPY {STAGE} ({', '.join(names)}) FROM STDIN (FORMAT csv)") as copy:
        for part in _slices(table, 16_384):
            sink = pa.BufferOutputStream()
            pacsv.write_csv(part.select(names), sink, options)
            copy.write(memoryview(sink.getvalue()))


def _slices(table: pa.Table, rows: int = 8192) -> Iterator[pa.Table]:
    """Parts of a table, so that only a few thousand rows are Python objects at a time."""
    for start in range(0, table.num_rows, rows):
        yield table.slice(start, rows)


def store_exposure_table(
    session: Session,
    incident_id: int,
    dataset_id: int,
    table: pa.Table,
    known_out: set[str] | None = None,
    sealer: Sealer | None = None,
) -> int:
    """Store an exposure table (one row per person, as :meth:`Extractor.table` returns it).

    Returns the number of rows processed (a person in several batches counts once per batch).
    The person keys that were already stored (and so merged) are added to ``known_out``. The
    caller checks the incident is open and updates the dataset's count
    (:func:`count_dataset_exposures`) once at the end.
    """
    if table.num_rows == 0:
        return 0
    table = sealed_table(table, sealer)
    session.flush()
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        known = _insert_sqlite(conn, incident_id, dataset_id, table)
    else:
        known = _insert_staged(conn, incident_id, dataset_id, table)
    if known:
        _merge_known(session, incident_id, table, known, dataset_id)
        if known_out is not None:
            known_out.update(known)
    return int(table.num_rows)


def sealed_table(table: pa.Table, sealer: Sealer | None) -> pa.Table:
    """The table with its notice values sealed when the incident encrypts them (``case new
    --encrypt``); unchanged otherwise."""
    if sealer is None:
        return table
    for name in SEALED_COLUMNS:
        index = table.schema.get_field_index(name)
        sealed = pa.array(sealer.seal_all(name, table.column(name).to_pylist()), pa.string())
        table = table.set_column(index, name, sealed)
    return table


#: Scratch files one attach writes at most: SQLite attaches at most 10 databases to a
#: connection (its default limit), and a file read in a transaction stays attached to its end.
SCRATCH_FILES = 8
_SCRATCH_TABLE = "people"
_ALIAS = "bs_people_"  # the attached name of each scratch file starts with it
_SCRATCH_SCHEMA = pa.schema([(c, pa.string()) for c in COLUMNS])


class ScratchFiles:
    """SQLite, an attach in one transaction: exposure tables written by the ADBC SQLite driver
    straight from Arrow into private scratch files in ``folder``, a few batches per file.

    :meth:`write` (the extraction's worker thread) returns a file once it holds its share of
    the expected batches; :meth:`close` returns the last one. The caller copies each file into
    the case with :func:`store_scratch` and detaches them all (:func:`detach_scratch`) after the
    session ends. A file is written whole before it is read: once the case's connection has
    read it, SQLite keeps it locked until the transaction ends. The ADBC driver links its own
    copy of SQLite, so it only ever opens these scratch files, never the case file (two SQLite
    libraries on one file would drop each other's locks)."""

    def __init__(self, folder: Path, expected_rows: int, batch_rows: int, files: int = SCRATCH_FILES) -> None:
        self.folder = folder
        batches = max(1, math.ceil(expected_rows / max(1, batch_rows)))
        self.per_file = max(1, math.ceil(batches / files))
        self.files = files
        self.written: list[Path] = []
        self._conn: Any = None
        self._path: Path | None = None
        self._batches = 0

    def write(self, table: pa.Table) -> Path | None:
        """Append ``table`` (already sealed, see :func:`sealed_table`) to the current file; the
        file when it is now full (the last allowed file takes every remaining batch)."""
        if table.num_rows == 0:
            return None
        try:
            return self._write(table)
        except adbc_errors.Error as exc:
            raise _write_error(exc, self._path or self.folder) from exc

    def _write(self, table: pa.Table) -> Path | None:
        if self._conn is None:
            self._path = self.folder / f"scratch-{len(self.written)}.db"
            self._conn = scratch_writer(self._path)
        with self._conn.cursor() as cur:
            mode = "append" if self._batches else "create"
            cur.adbc_ingest(_SCRATCH_TABLE, table.select(COLUMNS).cast(_SCRATCH_SCHEMA), mode=mode)
        self._batches += 1
        if self._batches >= self.per_file and len(self.written) < self.files - 1:
            return self._finish()
        return None

    def close(self) -> Path | None:
        """The last file (None when every written file was already returned)."""
        return self._finish() if self._conn is not None else None

    def _finish(self) -> Path:
        self._conn.close()
        path = self._path
        assert path is not None
        self.written.append(path)
        self._conn, self._path, self._batches = None, None, 0
        return path

    def __enter__(self) -> ScratchFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        """Close a file still being written (after a failure; its owner removes the folder)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _write_error(exc: Exception, path: Path) -> OSError:
    """An error of the ADBC driver writing a scratch file as an ``OSError``. SQLite's driver says
    only "disk I/O error" when there was no room, so the file's size is compared with the
    process's file size limit and the folder's free space: no room reads as EFBIG or ENOSPC
    (``breachscope.errors.no_room``), anything else as EIO with the driver's words."""
    size = path.stat().st_size if path.is_file() else 0
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and size + _ROOM_MARGIN >= limit:
        return OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(path))
    if shutil.disk_usage(path.parent if path.is_file() else path).free < _ROOM_MARGIN:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return OSError(
        errno.EIO, f"could not write a scratch file: {' '.join(str(exc).split())[:200]}", str(path)
    )


#: Closer than this to the file size limit, or with less free space, a failed write had no room.
_ROOM_MARGIN = 1 << 20


def store_scratch(
    session: Session,
    incident_id: int,
    dataset_id: int,
    path: Path,
    known_out: set[str] | None = None,
) -> int:
    """Copy the people of one :class:`ScratchFiles` file into the case (SQLite, in the session's
    transaction), in the file's row order; people the case already holds (from an earlier file
    or batch) are merged as :func:`store_exposure_table` does. Returns the rows processed."""
    session.flush()
    raw = dbapi(session)
    alias = f"{_ALIAS}{path.stem.replace('-', '_')}"
    raw.execute(f"PRAGMA cache_size = -{SCRATCH_CACHE_KIB}")
    raw.execute("ATTACH DATABASE ? AS " + alias, (str(path),))
    before = raw.execute("SELECT coalesce(max(id), 0) FROM exposures").fetchone()[0]
    total = raw.execute(f"SELECT count(*) FROM {alias}.{_SCRATCH_TABLE}").fetchone()[0]
    cols = ", ".join(COLUMNS)
    cur = raw.execute(
        f"INSERT INTO exposures (incident_id, dataset_id, {cols}) "
        f"SELECT ?, ?, {cols} FROM {alias}.{_SCRATCH_TABLE} WHERE true ORDER BY rowid "
        "ON CONFLICT (incident_id, person_key_hash) DO NOTHING",
        (incident_id, dataset_id),
    )
    if cur.rowcount == total:
        return int(total)
    # Some people were known: every row of this file whose person was stored before it, or
    # earlier in it, is merged into the stored row, in the file's order (classes and fields
    # united, otherwise the first value wins: merging is associative, so the later rows of a
    # person are folded first and merged once).
    raw.execute(f"CREATE INDEX {alias}.ix_people_key ON {_SCRATCH_TABLE} (person_key_hash)")
    rows = raw.execute(
        f"SELECT {', '.join(f'x.{c}' for c in COLUMNS)} FROM {alias}.{_SCRATCH_TABLE} x JOIN exposures e "
        "ON e.incident_id = ? AND e.person_key_hash = x.person_key_hash "
        f"WHERE e.id <= ? OR x.rowid > (SELECT min(y.rowid) FROM {alias}.{_SCRATCH_TABLE} y "
        "WHERE y.person_key_hash = x.person_key_hash) ORDER BY x.rowid",
        (incident_id, before),
    )
    folded: dict[str, dict[str, Any]] = {}
    for values in rows:
        record = dict(zip(COLUMNS, values, strict=True))
        for name in _JSON:
            record[name] = json.loads(record[name])
        held = folded.get(record["person_key_hash"])
        if held is None:
            folded[record["person_key_hash"]] = record
        else:
            merge_into(held, record)
    _merge_records(session, incident_id, folded, dataset_id)
    if known_out is not None:
        known_out.update(folded)
    return int(total)


def detach_scratch(raw: Any) -> None:
    """Detach every scratch file :func:`store_scratch` attached to a DBAPI connection (after its
    transaction ended)."""
    detach_databases(raw, _ALIAS)


def count_people_of_file(
    session: Session, incident_id: int, dataset_id: int, first_seen_here: int, merged: set[str]
) -> int:
    """People of one attached file now in the case: those first seen in it, plus those it merged
    into from earlier files (keys in ``merged`` not first seen in this dataset)."""
    earlier = 0
    keys = sorted(merged)
    for start in range(0, len(keys), 5000):
        part = keys[start : start + 5000]
        stmt = select(func.count()).where(
            Exposure.incident_id == incident_id,
            Exposure.person_key_hash.in_(part),
            Exposure.dataset_id != dataset_id,
        )
        earlier += session.scalar(stmt) or 0
    return first_seen_here + earlier


def _insert_sqlite(conn: Connection, incident_id: int, dataset_id: int, table: pa.Table) -> list[str]:
    """One ``executemany`` of ``INSERT ... ON CONFLICT DO NOTHING``; only when some rows were
    skipped are the people already known looked up (among rows older than this insert)."""
    # The unique (incident, person key hash) and email-hash indexes take keys in random order:
    # with SQLite's default 2 MiB page cache every insert into a large case reads and writes
    # index pages through the OS (1M people: most of the attach time). A bigger cache for this
    # connection keeps the indexes in memory; SQLite allocates it only as pages are used.
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    before = conn.execute(text("SELECT coalesce(max(id), 0) FROM exposures")).scalar_one()
    cols = ", ".join(COLUMNS)
    marks = ", ".join("?" for _ in range(len(COLUMNS) + 2))
    inserted = 0
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for part in _slices(table):
            rows = zip(
                itertools.repeat(incident_id),
                itertools.repeat(dataset_id),
                *(part.column(c).to_pylist() for c in COLUMNS),
            )
            cur.executemany(
                f"INSERT INTO exposures (incident_id, dataset_id, {cols}) VALUES ({marks}) "
                "ON CONFLICT (incident_id, person_key_hash) DO NOTHING",
                rows,
            )
            inserted += cur.rowcount
    finally:
        cur.close()
    if inserted == table.num_rows:
        return []
    keys = table.column("person_key_hash").to_pylist()
    known: list[str] = []
    for start in range(0, len(keys), 5000):
        stmt = select(Exposure.person_key_hash).where(
            Exposure.incident_id == incident_id,
            Exposure.id <= before,
            Exposure.person_key_hash.in_(keys[start : start + 5000]),
        )
        known.extend(conn.execute(stmt).scalars())
    return known


def _insert_staged(conn: Connection, incident_id: int, dataset_id: int, table: pa.Table) -> list[str]:
    """PostgreSQL: ``COPY`` into a temporary table, then one ``INSERT ... SELECT`` of new people."""
    _stage(conn)
    _load(conn, table)
    known = [
        r[0]
        for r in conn.execute(
            text(
                f"SELECT s.person_key_hash FROM {STAGE} s JOIN exposures e "
                "ON e.incident_id = :i AND e.person_key_hash = s.person_key_hash"
            ),
            {"i": incident_id},
        )
    ]
    cols = ", ".join(COLUMNS)
    conn.execute(
        text(
            f"INSERT INTO exposures (incident_id, dataset_id, {cols}) "
            f"SELECT :i, :d, {cols} FROM {STAGE} s WHERE NOT EXISTS "
            "(SELECT 1 FROM exposures e WHERE e.incident_id = :i AND e.person_key_hash = s.person_key_hash) "
            "ORDER BY s.row_no"
        ),
        {"i": incident_id, "d": dataset_id},
    )
    conn.exec_driver_sql(f"DELETE FROM {STAGE}")
    return known


def _merge_known(
    session: Session, incident_id: int, table: pa.Table, known: list[str], dataset_id: int | None = None
) -> None:
    new = {
        r["person_key_hash"]: {
            **{c: r[c] for c in COLUMNS},
            **{c: json.loads(r[c]) for c in _JSON},
        }
        for r in table.filter(pa.compute.is_in(table["person_key_hash"], pa.array(known))).to_pylist()
    }
    _merge_records(session, incident_id, new, dataset_id)


def _merge_records(
    session: Session, incident_id: int, new: Mapping[str, dict[str, Any]], dataset_id: int | None
) -> None:
    """Merge records (one per person key, lists parsed) into the people the case holds."""
    known = list(new)
    for start in range(0, len(known), 2000):
        part = known[start : start + 2000]
        stmt = select(Exposure).where(Exposure.incident_id == incident_id, Exposure.person_key_hash.in_(part))
        for existing in session.scalars(stmt):
            merged = {name: getattr(existing, name) for name in COLUMNS}
            before = set(existing.exposed_classes or [])
            merge_into(merged, new[existing.person_key_hash])
            if dataset_id is not None and existing.dataset_id != dataset_id:
                # an earlier dataset's person found again: follow-up notices reach them
                _seen_again(
                    session, incident_id, dataset_id, existing.id, set(merged["exposed_classes"]) - before
                )
            for name, value in merged.items():
                if getattr(existing, name) != value:
                    setattr(existing, name, value)
    session.flush()


def _seen_again(
    session: Session, incident_id: int, dataset_id: int, exposure_id: int, added: set[str]
) -> None:
    row = session.scalar(
        select(DatasetPerson).where(
            DatasetPerson.dataset_id == dataset_id, DatasetPerson.exposure_id == exposure_id
        )
    )
    if row is None:
        session.add(
            DatasetPerson(
                incident_id=incident_id,
                dataset_id=dataset_id,
                exposure_id=exposure_id,
                new_classes=sorted(added),
            )
        )
    elif added - set(row.new_classes):
        row.new_classes = sorted(set(row.new_classes) | added)


def count_dataset_exposures(session: Session, dataset_id: int) -> int:
    """Set and return the number of people first seen in the dataset."""
    count = session.scalar(select(func.count()).where(Exposure.dataset_id == dataset_id)) or 0
    session.execute(update(Dataset).where(Dataset.id == dataset_id).values(exposures=count))
    return count
