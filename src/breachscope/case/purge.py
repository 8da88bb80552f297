"""Purge: delete a case's person-derived data, destroy its hash key, keep the proof that it happened.

Tables that hold person-derived data declare ``__table_args__ = {"info": {"purge": "delete"}}``
(see :data:`breachscope.case.models.PURGE_DELETE`) and an ``incident_id`` column; purge deletes
their rows for the incident, whichever stage owns them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session

from breachscope.case.api import add_timeline_event, get_incident, list_datasets
from breachscope.case.base import Base
from breachscope.case.db import session_scope
from breachscope.case.models import AuditRecord
from breachscope.clock import Clock, SystemClock


def _reduce_scan(scan: dict[str, Any] | None) -> dict[str, Any] | None:
    """What survives a purge of a scan report: which classes were present or absent, nothing else."""
    if scan is None:
        return None
    classes = scan.get("classes")
    kept: dict[str, Any] = {}
    if isinstance(classes, dict):
        for cid, info in classes.items():
            status = info.get("status") if isinstance(info, dict) else None
            kept[str(cid)] = {"status": status}
    return {"schema": scan.get("schema"), "classes": kept, "purged": True}


def purge_tables() -> list[Any]:
    """Tables whose rows for an incident are deleted by purge, children first."""
    _load_stage_models()
    tables = [t for t in Base.metadata.sorted_tables if t.info.get("purge") == "delete"]
    return list(reversed(tables))


def _load_stage_models() -> None:
    """Import other stages' models (if present) so their purge-marked tables are known."""
    import importlib

    for name in ("breachscope.rules.store", "breachscope.notify.outbox"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def purge(
    engine: Engine,
    incident_id: int,
    *,
    actor: str = "breachscope",
    clock: Clock | None = None,
    reason: str = "",
) -> dict[str, int]:
    """Delete a case's exposures, matches, accounts and other person-derived rows; destroy its key.

    Keeps the incident, its dates and timeline, dataset file hashes, class-level scan results
    and an audit record of the purge. On SQLite the file is then checkpointed and vacuumed, so
    the deleted values are no longer anywhere in it. Returns rows deleted per table.
    """
    now = (clock or SystemClock()).now()
    deleted: dict[str, int] = {}
    with session_scope(engine) as session:
        incident = get_incident(session, incident_id)
        for table in purge_tables():
            if "incident_id" in table.c:
                result = session.execute(delete(table).where(table.c.incident_id == incident_id))
                deleted[table.name] = int(getattr(result, "rowcount", 0) or 0)
        for ds in list_datasets(session, incident_id):
            ds.scan_json = _reduce_scan(ds.scan_json)
        incident.hash_key = None
        incident.status = "purged"
        incident.purged_at = now
        session.add(
            AuditRecord(
                incident_id=incident_id,
                at=now,
                actor=actor,
                action="purge",
                detail={"deleted": deleted, "reason": reason},
            )
        )
        add_timeline_event(
            session,
            incident_id,
            "Case purged: exposures, matches and person-derived data deleted; hash key destroyed",
            author=actor,
            kind="purge",
            at=now,
        )
    compact(engine, [t.name for t in purge_tables()])
    return deleted


def compact(engine: Engine, tables: Sequence[str] = ()) -> None:
    """Make deleted rows physically go away.

    SQLite (``secure_delete`` on): checkpoint the WAL into the file and VACUUM it, so no deleted
    value is left in either. PostgreSQL: VACUUM the given tables, so dead row versions are
    reclaimed (a DBA wanting the bytes rewritten at once runs ``VACUUM FULL``; see docs/case.md).
    """
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "sqlite":
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            conn.execute(text("VACUUM"))
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        elif engine.dialect.name == "postgresql":
            for name in tables:
                conn.execute(text(f'VACUUM "{name}"'))


def audit_log(session: Session, incident_id: int | None = None) -> Sequence[AuditRecord]:
    stmt = select(AuditRecord).order_by(AuditRecord.id)
    if incident_id is not None:
        stmt = stmt.where(AuditRecord.incident_id == incident_id)
    return list(session.scalars(stmt))
