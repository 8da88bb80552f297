"""Bulk writes of many rows at once, for the stages that store millions (scope's accounts and
matches, the org roll-up).

SQLite: the driver's ``executemany`` with plain tuples (SQLAlchemy's per-row parameter
processing cost more than SQLite's own work); other databases: one Core bulk insert
(``insertmanyvalues`` on PostgreSQL). Values are bound as SQLAlchemy would bind them (JSON
as text, booleans as 0/1). Column defaults of the model are *not* applied: give every column.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi as adbc_sqlite
from sqlalchemy import JSON, Boolean, Table, insert
from sqlalchemy.orm import Session

from breachscope.files import private_file


def dbapi(session: Session) -> Any:
    """The DBAPI connection under the session's current transaction."""
    return session.connection().connection.driver_connection


def scratch_writer(path: Path) -> Any:
    """An ADBC SQLite connection (autocommit) to a private scratch file: made 0600 before the
    driver fills it (it would create it 0644 less the umask), no journal, no fsync (the file is
    removed with its folder and never holds the only copy). Arrow goes in with ``adbc_ingest``,
    no Python object per value; the case's own connection then ATTACHes the file and copies it
    with ``INSERT ... SELECT``. The ADBC driver links its own SQLite, so it only ever opens
    such files, never the case file (two SQLite libraries on one file drop each other's locks)."""
    private_file(path)
    conn = adbc_sqlite.connect(str(path), autocommit=True)
    with conn.cursor() as cur:
        cur.execute("PRAGMA journal_mode = OFF")
        cur.execute("PRAGMA synchronous = OFF")
    return conn


def detach_databases(raw: Any, prefix: str) -> None:
    """Detach the databases whose name starts with ``prefix`` from a SQLite DBAPI connection
    (after its transaction ended: SQLite keeps a database read in a transaction attached)."""
    try:
        names = [str(row[1]) for row in raw.execute("PRAGMA database_list").fetchall()]
        for name in names:
            if name.startswith(prefix):
                raw.execute(f"DETACH DATABASE {name}")
    except sqlite3.Error:  # the connection was closed after a failure: nothing left attached
        pass


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys): SQLite through the driver's ``executemany``
    (no per-row SQLAlchemy parameter processing), other databases through a Core bulk insert."""
    if not rows:
        return
    if session.get_bind().dialect.name != "sqlite":
        session.connection().execute(insert(table), rows)
        return
    names = list(rows[0])
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    types = {c.name: c.type for c in table.columns}
    columns = []  # column by column: one comprehension per column, not a call per value
    for n in names:
        convert = _to_sqlite(types[n])
        values = [r[n] for r in rows]
        columns.append(values if convert is None else [convert(v) for v in values])
    cur = dbapi(session).cursor()
    try:
        cur.executemany(sql, list(zip(*columns, strict=True)))
    finally:
        cur.close()


def _to_sqlite(kind: Any) -> Any:
    """How SQLAlchemy would bind a value of this column type on SQLite (JSON as text, booleans
    as 0/1); None: the value goes as it is."""
    if isinstance(kind, JSON):
        null = None if kind.none_as_null else "null"  # SQLAlchemy stores None as JSON null
        return lambda v: null if v is None else json.dumps(v)
    if isinstance(kind, Boolean):
        return lambda v: None if v is None else int(bool(v))
    return None
