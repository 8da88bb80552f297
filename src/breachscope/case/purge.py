"""Purge: delete a case's person-derived data, destroy its key, and check that the values are gone.

Tables that hold person-derived data declare ``__table_args__ = {"info": {"purge": "delete"}}``
(see :data:`breachscope.case.models.PURGE_DELETE`) and an ``incident_id`` column; purge deletes
their rows for the incident, whichever stage writes them. Such tables are declared in the case
package (``case/models.py``, ``case/outbox.py`` ...): the case is storage and knows no stage, so
purge never loads a stage's models by name (a test checks that importing every stage adds no
purge-marked table).

Purge takes the database exclusively first (SQLite: no other connection may have the file
open; PostgreSQL: ``ACCESS EXCLUSIVE`` locks on the purged tables, with a lock timeout), so a
reader's snapshot cannot keep deleted rows alive; if it cannot, it fails before changing
anything, naming the cause. It then rewrites the storage (SQLite ``VACUUM`` with
``secure_delete``; PostgreSQL ``VACUUM FULL``) and, on SQLite, reads the bytes of the database
file and its ``-wal``, ``-shm`` and ``-journal`` files to check that none of the values it
deleted is still there (:class:`PurgeResult` says what was checked). Purging a purged incident
again repeats the rewrite and the check.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, LargeBinary, String, Text, delete, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from breachscope.case import approvals, drafts, models, outbox
from breachscope.case import audit as audit_chain
from breachscope.case.api import add_timeline_event, get_incident, list_datasets
from breachscope.case.base import Base
from breachscope.case.db import session_scope
from breachscope.case.models import AuditRecord, Incident
from breachscope.case.wipe import MIN_NEEDLE, case_files, compact, database_file, exclusive, find_in_files
from breachscope.clock import Clock, SystemClock
from breachscope.errors import BreachscopeError

#: The case modules that declare purge-marked tables (all of them: a table of person-derived
#: data is declared in the case, whichever stage writes it).
DECLARING_MODULES = (models, outbox, drafts)

#: Columns that hold vocabulary (kinds, codes, roles), not values about a person.
_VOCABULARY_SUFFIXES = ("_hash", "_kind", "_code", "_source", "_state", "_status")


def _reduce_scan(scan: dict[str, Any] | None) -> dict[str, Any] | None:
    """What survives a purge of a scan report: each class's state (present / absent / not_checked)
    and whether the read was complete, nothing else."""
    if scan is None:
        return None
    classes = scan.get("classes")
    kept: dict[str, Any] = {}
    if isinstance(classes, dict):
        for cid, info in classes.items():
            status = info.get("status") if isinstance(info, dict) else None
            kept[str(cid)] = {"status": status}
    out: dict[str, Any] = {"schema": scan.get("schema"), "classes": kept, "purged": True}
    if "complete" in scan:
        out["complete"] = bool(scan["complete"])
    return out


def purge_tables() -> list[Any]:
    """Tables whose rows for an incident are deleted by purge, children first.

    Every table that holds person-derived data is declared in the case package (storage only),
    so the case's own models are the whole list: no stage is imported to find one."""
    tables = [t for t in Base.metadata.sorted_tables if t.info.get("purge") == "delete"]
    return list(reversed(tables))


@dataclass
class PurgeResult:
    """What purge deleted and what it verified afterwards."""

    incident_id: int
    deleted: dict[str, int] = field(default_factory=dict)
    #: Distinct stored values of the deleted rows searched for in the files (at least 6 bytes).
    values_checked: int = 0
    #: Distinct values too short to search for without chance matches (country codes, "Oslo").
    values_short: int = 0
    #: Bytes read per file (database, -wal, -shm, -journal); empty on PostgreSQL.
    files: dict[str, int] = field(default_factory=dict)
    #: Values still found, per file; the purge is not verified while this is not empty.
    left: dict[str, int] = field(default_factory=dict)
    #: Values found in the files that other rows still store (another incident, the timeline).
    stored_elsewhere: int = 0
    server: bool = False  # PostgreSQL: the files are on the server

    @property
    def verified(self) -> bool:
        return not self.server and not self.left

    def to_dict(self) -> dict[str, Any]:
        return {
            "deleted": self.deleted,
            "values_checked": self.values_checked,
            "values_short": self.values_short,
            "files": self.files,
            "left": self.left,
            "stored_elsewhere": self.stored_elsewhere,
            "verified": self.verified,
            "server": self.server,
        }

    def summary(self) -> str:
        """One sentence on what was checked (no value is ever named)."""
        if self.server:
            return (
                "tables rewritten with VACUUM FULL; the server's files, WAL archive, replicas and backups "
                "cannot be read from here, so the bytes were not checked"
            )
        files = ", ".join(f"{name} ({size:,} bytes)" for name, size in self.files.items())
        head = f"searched {files} for the {self.values_checked:,} distinct values the deleted rows held"
        if self.left:
            where = ", ".join(f"{n:,} in {name}" for name, n in self.left.items())
            return f"{head}: NOT VERIFIED, still found: {where}"
        tail = f": none found ({self.values_short:,} values under {MIN_NEEDLE} bytes not searched"
        if self.stored_elsewhere:
            tail += f"; {self.stored_elsewhere:,} also stored by other rows, which were kept"
        return head + tail + ")"


def _value_columns(table: Any) -> list[Any]:
    out = []
    for col in table.columns:
        if not isinstance(col.type, String | Text | LargeBinary):
            continue
        if col.name.endswith(_VOCABULARY_SUFFIXES) or col.name in {"key", "role", "language", "kind"}:
            continue
        out.append(col)
    return out


def _needles(session: Session, incident_id: int) -> tuple[list[bytes], int]:
    """Distinct values (UTF-8) of the rows purge deletes, and how many are too short to search."""
    values: set[bytes] = set()
    for table in purge_tables():
        cols = _value_columns(table)
        if "incident_id" not in table.c or not cols:
            continue
        stmt = select(*cols).where(table.c.incident_id == incident_id)
        for row in session.execute(stmt.execution_options(yield_per=10_000)):
            for v in row:
                if isinstance(v, str) and v:
                    values.add(v.encode("utf-8", "surrogatepass"))
                elif isinstance(v, bytes | memoryview) and v:
                    values.add(bytes(v))
    incident = session.get(Incident, incident_id)
    for blob in (incident.wrapped_key, incident.hash_key) if incident else ():
        if blob:
            values.add(bytes(blob))
    long = sorted(v for v in values if len(v) >= MIN_NEEDLE)
    return long, len(values) - len(long)


def _delete(
    session: Session, incident_id: int, *, actor: str, now: Any, reason: str, approval_id: int | None = None
) -> tuple[dict[str, int], int]:
    deleted: dict[str, int] = {}
    incident = get_incident(session, incident_id)
    for table in purge_tables():
        if "incident_id" in table.c:
            result = session.execute(delete(table).where(table.c.incident_id == incident_id))
            deleted[table.name] = int(getattr(result, "rowcount", 0) or 0)
    for ds in list_datasets(session, incident_id, attaching=True):
        ds.scan_json = _reduce_scan(ds.scan_json)
    was_purged = incident.status == "purged"
    incident.hash_key = None
    incident.wrapped_key = None
    incident.status = "purged"
    incident.purged_at = incident.purged_at if was_purged and incident.purged_at else now
    audit = AuditRecord(
        incident_id=incident_id,
        at=now,
        actor=actor,
        action="purge",
        detail={"deleted": deleted, "reason": reason, "again": was_purged},
    )
    session.add(audit)
    if approval_id is not None:
        approvals.consume(session, approval_id, actor=actor, now=now)
    # The chain keeps its entries; their free-text details go with the person data (case/audit.py).
    redacted = audit_chain.redact_incident(session, incident_id, at=now)
    audit_chain.append(
        session, actor=actor, action=audit_chain.PURGE_ACTION, object_type="incident", object_id=incident_id,
        incident_id=incident_id, at=now,
        details={"deleted": deleted, "reason": reason, "again": was_purged, "audit_details_removed": redacted,
                 "approval": approval_id},
    )  # fmt: skip
    if not was_purged:
        add_timeline_event(
            session,
            incident_id,
            "Case purged: exposures, matches and person-derived data deleted; hash key destroyed",
            author=actor,
            kind="purge",
            at=now,
        )
    session.flush()
    return deleted, audit.id


def _lock_postgresql(session: Session, tables: Sequence[str], wait_s: float) -> None:
    session.execute(text(f"SET LOCAL lock_timeout = '{int(wait_s * 1000)}ms'"))
    names = ", ".join(f'"{n}"' for n in tables)
    session.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))


def _in_use(shown: str, wait_s: float, exc: Exception) -> BreachscopeError:
    return BreachscopeError(
        f"the case database {shown} is in use by another connection (a transaction holds the tables "
        f"purge must rewrite; waited {wait_s:g} s): {getattr(exc, 'orig', exc)}. Nothing was changed",
        "end the other sessions (breachscope commands, the web server, psql) and run purge again",
    )


def purge(
    engine: Engine,
    incident_id: int,
    *,
    actor: str = "breachscope",
    clock: Clock | None = None,
    reason: str = "",
    wait_s: float = 10.0,
) -> PurgeResult:
    """Delete a case's exposures, matches, accounts and other person-derived rows; destroy its key.

    Keeps the incident, its dates and timeline, dataset file hashes, class-level scan results
    and an audit record of the purge (with what was verified). Takes the database exclusively
    (waiting up to ``wait_s`` for other connections to go away, else a :class:`BreachscopeError`
    before anything changed), rewrites the storage and, on SQLite, checks the files' bytes.
    """
    now = (clock or SystemClock()).now()
    approval_id = _four_eyes(engine, incident_id, actor=actor, now=now, reason=reason)
    tables = [t.name for t in purge_tables()]
    result = PurgeResult(incident_id)
    if engine.dialect.name == "sqlite" and database_file(engine) is not None:
        with exclusive(engine, wait_s) as conn:
            audit_id, needles = _purge_rows(
                conn, result, incident_id, actor=actor, now=now, reason=reason, approval_id=approval_id
            )
            compact(engine, conn=conn)
        _verify_sqlite(engine, result, needles)  # after the lock is released and the journal deleted
    else:
        shown = engine.url.render_as_string(hide_password=True)
        with engine.connect() as conn:
            try:
                audit_id, _ = _purge_rows(
                    conn, result, incident_id, actor=actor, now=now, reason=reason, lock=(tables, wait_s),
                    approval_id=approval_id,
                )  # fmt: skip
            except OperationalError as exc:
                raise _in_use(shown, wait_s, exc) from None
            if conn.dialect.name == "postgresql":
                try:
                    compact(engine, [*tables, "incidents", "datasets"], conn=conn, wait_s=wait_s)
                except OperationalError as exc:
                    raise BreachscopeError(
                        f"incident {incident_id}: rows deleted, but {shown} could not be rewritten "
                        f"(VACUUM FULL) because another connection uses it: {exc.orig}",
                        "run the purge again when the other sessions have ended",
                    ) from None
        result.server = conn.dialect.name == "postgresql"
    _record_verification(engine, audit_id, result, actor=actor, now=now)
    return result


def _purge_rows(
    conn: Connection,
    result: PurgeResult,
    incident_id: int,
    *,
    actor: str,
    now: Any,
    reason: str,
    lock: tuple[list[str], float] | None = None,
    approval_id: int | None = None,
) -> tuple[int, list[bytes]]:
    """Collect the values to check for, delete, commit; returns the audit record id and the values."""
    with Session(bind=conn, expire_on_commit=False) as session:
        if lock is not None and conn.dialect.name == "postgresql":
            _lock_postgresql(session, [*lock[0], "incidents", "datasets"], lock[1])
        needles, short = _needles(session, incident_id)
        result.values_checked, result.values_short = len(needles), short
        result.deleted, audit_id = _delete(
            session, incident_id, actor=actor, now=now, reason=reason, approval_id=approval_id
        )
        session.commit()
    return audit_id, needles


def _verify_sqlite(engine: Engine, result: PurgeResult, needles: list[bytes]) -> None:
    result.files = {p.name: p.stat().st_size for p in case_files(engine)}
    found = find_in_files(engine, needles) or {}
    if not found:
        return
    db = database_file(engine)
    assert db is not None
    elsewhere: set[int] = set()
    with closing(sqlite3.connect(db)) as con:
        for idx in sorted(set().union(*found.values())):
            if _still_stored(con, needles[idx]):
                elsewhere.add(idx)
    result.stored_elsewhere = len(elsewhere)
    result.left = {name: len(hits - elsewhere) for name, hits in found.items() if hits - elsewhere}


def _still_stored(con: sqlite3.Connection, value: bytes) -> bool:
    """Whether any kept row (or the schema) still stores ``value``: then finding it is expected."""
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    if con.execute("SELECT 1 FROM sqlite_master WHERE instr(CAST(sql AS BLOB), ?) > 0", (value,)).fetchone():
        return True
    for table in tables:
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
        for col in cols:
            q = f'SELECT 1 FROM "{table}" WHERE instr(CAST("{col}" AS BLOB), ?) > 0 LIMIT 1'
            if con.execute(q, (value,)).fetchone():
                return True
    return False


def _record_verification(engine: Engine, audit_id: int, result: PurgeResult, *, actor: str, now: Any) -> None:
    with session_scope(engine) as s:
        audit = s.get(AuditRecord, audit_id)
        if audit is not None:
            audit.detail = {**audit.detail, "verification": result.to_dict()}
        add_timeline_event(
            s, result.incident_id, f"Purge check: {result.summary()}", author=actor, kind="purge", at=now
        )
        audit_chain.append(
            s, actor=actor, action="incident.purge_check", object_type="incident",
            object_id=result.incident_id, incident_id=result.incident_id, details=result.to_dict(), at=now,
        )  # fmt: skip


def _four_eyes(engine: Engine, incident_id: int, *, actor: str, now: Any, reason: str) -> int | None:
    """With the case's policy asking for it, the id of an approved purge request (else a request
    is recorded and :class:`approvals.ApprovalNeeded` raised, before anything changed)."""
    with session_scope(engine) as s:
        get_incident(s, incident_id)
        if not approvals.get_policy(s).purge:
            return None
    return approvals.require(
        engine, approvals.PURGE, incident_id, {"incident_id": incident_id},
        actor=actor, now=now, what=f"purging incident {incident_id}", reason=reason,
    )  # fmt: skip


def require_approval(engine: Engine, incident_id: int, *, actor: str, now: Any, reason: str) -> int | None:
    """The four-eyes check :func:`purge` makes first, for a caller that answers before starting a
    purge (the server, before it queues the job): ``None`` when the policy needs no approval, the
    approved request's id, or :class:`approvals.ApprovalNeeded` (the request recorded)."""
    return _four_eyes(engine, incident_id, actor=actor, now=now, reason=reason)


def audit_log(session: Session, incident_id: int | None = None) -> Sequence[AuditRecord]:
    stmt = select(AuditRecord).order_by(AuditRecord.id)
    if incident_id is not None:
        stmt = stmt.where(AuditRecord.incident_id == incident_id)
    return list(session.scalars(stmt))
