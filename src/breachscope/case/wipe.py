"""Making deleted values physically go away, and checking that they did.

- :func:`exclusive` takes a SQLite case database for this process alone: it switches the file
  out of WAL mode (which SQLite allows only while no other connection has it open, even an idle
  one) and holds an exclusive lock until the block ends, so no reader can keep an old snapshot
  alive while rows are deleted and the file is rewritten. If another connection keeps the file
  open past ``wait_s``, it raises a clear error before anything was changed.
- :func:`compact`: SQLite checkpoints the WAL and VACUUMs (with ``secure_delete``); PostgreSQL
  runs ``VACUUM FULL`` on the named tables, which rewrites them into new files.
- :func:`find_in_files` reads the bytes of the SQLite database and its ``-wal``, ``-shm`` and
  ``-journal`` files and says which of the given values are still in them (vectorised: every
  6-byte window of the file is compared at once against the values' first 6 bytes, and only
  candidate positions are compared in full). ``None`` for PostgreSQL, whose files are on the
  server.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import URL, Connection, Engine, text
from sqlalchemy.engine import make_url

from breachscope.errors import BreachscopeError

#: Values shorter than this are not searched for: they occur by chance in any file.
MIN_NEEDLE = 6
_CHUNK = 1 << 22
SUFFIXES = ("", "-wal", "-shm", "-journal")


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL (``None`` for other databases, in-memory ones and SQLite URIs)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.database.startswith("file:"):
        return None  # a SQLite URI: left to SQLite
    return Path(parsed.database).expanduser()


def database_file(engine: Engine) -> Path | None:
    return sqlite_file(engine.url)


def case_files(engine: Engine) -> list[Path]:
    """The SQLite database file and those of its -wal, -shm and -journal that exist."""
    db = database_file(engine)
    if db is None:
        return []
    return [p for s in SUFFIXES if (p := db.with_name(db.name + s)).exists()]


@contextmanager
def exclusive(engine: Engine, wait_s: float = 10.0) -> Iterator[Connection]:
    """A connection that holds the SQLite file exclusively (see the module doc) until the block ends.

    The engine's pooled connections are closed first (they would count as other connections).
    """
    shown = str(database_file(engine) or engine.url)
    engine.dispose()
    conn = engine.connect()
    raw = conn.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                raw.execute("PRAGMA locking_mode = EXCLUSIVE")
                mode = raw.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            except sqlite3.OperationalError:
                mode = "busy"
            if mode == "delete":
                break
            if time.monotonic() >= deadline:
                raise BreachscopeError(
                    f"the case database {shown} is open in another connection (another breachscope "
                    f"command, the web server, a sqlite3 shell or a DB browser; perhaps in a read "
                    f"transaction); waited {wait_s:g} s. Nothing was changed",
                    "close the other programs using the file and run the command again",
                )
            time.sleep(0.2)
        raw.execute("BEGIN EXCLUSIVE")  # the lock stays held after COMMIT (locking_mode EXCLUSIVE)
        raw.execute("COMMIT")
        yield conn
    finally:
        try:
            conn.rollback()
        finally:
            conn.close()
            engine.dispose()  # really closes it: releases the lock and deletes the rollback journal


def compact(
    engine: Engine, tables: Sequence[str] = (), conn: Connection | None = None, wait_s: float | None = None
) -> None:
    """Make deleted rows physically go away (SQLite: checkpoint + VACUUM; PostgreSQL: VACUUM FULL
    of ``tables``, each waiting at most ``wait_s`` for its lock)."""
    if conn is not None:
        if conn.in_transaction():
            conn.commit()
        _compact(conn.execution_options(isolation_level="AUTOCOMMIT"), tables, wait_s)
        return
    with engine.connect() as c:
        _compact(c.execution_options(isolation_level="AUTOCOMMIT"), tables, wait_s)


def _compact(conn: Connection, tables: Sequence[str], wait_s: float | None) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        conn.execute(text("VACUUM"))
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    elif conn.dialect.name == "postgresql":
        if wait_s is not None:
            conn.execute(text(f"SET lock_timeout = '{int(wait_s * 1000)}ms'"))
        for name in tables:
            conn.execute(text(f'VACUUM FULL "{name}"'))
        if wait_s is not None:
            conn.execute(text("RESET lock_timeout"))


def find_in_files(engine: Engine, needles: Sequence[bytes]) -> dict[str, set[int]] | None:
    """Which ``needles`` (indices) each case file still holds; ``None`` when the files cannot be read."""
    if engine.dialect.name != "sqlite":
        return None
    out: dict[str, set[int]] = {}
    for path in case_files(engine):
        hits = search(path.read_bytes(), needles)
        if hits:
            out[path.name] = hits
    return out


def search(data: bytes, needles: Sequence[bytes]) -> set[int]:
    """Indices of the ``needles`` (of at least :data:`MIN_NEEDLE` bytes) that occur in ``data``."""
    by_prefix: dict[int, list[int]] = {}
    for i, needle in enumerate(needles):
        if len(needle) >= MIN_NEEDLE:
            by_prefix.setdefault(int.from_bytes(needle[:MIN_NEEDLE], "little"), []).append(i)
    found: set[int] = set()
    if not by_prefix or len(data) < MIN_NEEDLE:
        return found
    keys = np.array(sorted(by_prefix), dtype=np.uint64)
    arr = np.frombuffer(data, dtype=np.uint8)
    for start in range(0, len(arr), _CHUNK):
        seg = arr[start : start + _CHUNK + MIN_NEEDLE - 1].astype(np.uint64)
        n = len(seg) - MIN_NEEDLE + 1
        if n <= 0:
            break
        window = seg[:n].copy()
        for j in range(1, MIN_NEEDLE):
            window |= seg[j : j + n] << np.uint64(8 * j)
        pos = np.searchsorted(keys, window)
        pos[pos == len(keys)] = 0
        for hit in np.nonzero(keys[pos] == window)[0]:
            offset = start + int(hit)
            for i in by_prefix[int(window[hit])]:
                if i not in found and data.startswith(needles[i], offset):
                    found.add(i)
    return found
