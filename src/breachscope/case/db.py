"""Opening a case database: URL resolution, SQLite settings, migrations, sessions.

The URL comes from the argument, else ``BREACHSCOPE_DB``, else ``sqlite:///breachscope.db`` in
the working folder. PostgreSQL URLs use psycopg 3 (``postgresql+psycopg://...``). Opening a case
always runs ``alembic upgrade heads``, so an old case is brought up to date. Only ``create=True``
(``case new``, or ``--create``) makes a new database; otherwise a missing one is an error that
names the file or server tried. A new SQLite file is 0600 in 0700 folders.

SQLite is set up so two processes (a scan in one terminal, a ``case log`` in another) can write
safely: WAL journal, a 30 s busy timeout, foreign keys on, and secure_delete so that deleted
rows are overwritten in the file (purge relies on it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from breachscope.case import wipe
from breachscope.case.rekey import move_plain_keys
from breachscope.case.session import session_scope as session_scope
from breachscope.errors import BreachscopeError
from breachscope.files import private_dir, private_file

ENV_VAR = "BREACHSCOPE_DB"
DEFAULT_URL = "sqlite:///breachscope.db"
MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_MS = 30_000


def resolve_url(url: str | None = None) -> str:
    """The case database URL: the argument, else ``$BREACHSCOPE_DB``, else ``breachscope.db``."""
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def alembic_config(connection: Any | None = None) -> Config:
    """An Alembic config built in code; ``script_location`` is inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _sqlite_pragmas(dbapi_conn: Any, _record: Any, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    # The pysqlite driver opens implicit transactions; PRAGMAs must run outside them.
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA secure_delete = ON")
    # 64 MiB page cache (default 2 MiB): bulk inserts into the hash indexes touch random pages.
    cur.execute("PRAGMA cache_size = -65536")
    cur.execute("PRAGMA temp_store = MEMORY")
    cur.close()


def sqlite_path(url: str | None) -> Path | None:
    """The file of a SQLite case URL (``None`` for PostgreSQL or an in-memory database)."""
    return wipe.sqlite_file(resolve_url(url))


def _create_hint(shown: str) -> str:
    return (
        f'create it with: breachscope case new "Vendor leak" --db {shown} '
        "(or check --db / $BREACHSCOPE_DB and the working folder)"
    )


def _prepare_sqlite_file(path: Path, *, create: bool, shown: str) -> None:
    """Refuse a missing file unless ``create``; a new file and its folders are made 0600 / 0700."""
    if not path.exists():
        if not create:
            raise BreachscopeError(f"no case database at {path.resolve()} ({shown})", _create_hint(shown))
        private_dir(path.parent)
        private_file(path)  # SQLite gives its -wal and -shm files the mode of the database file
        return
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:  # a case written by an older version may be world-readable
            if part.exists() and part.stat().st_mode & 0o077:
                part.chmod(0o600)
        except OSError:
            pass  # not the owner: leave it; the file is still usable


def create_case_engine(
    url: str | None = None, *, create: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> Engine:
    """An engine for the case URL, with the SQLite settings above; does not migrate.

    A SQLite file that does not exist is an error naming the path, unless ``create``.
    ``busy_timeout_ms``: how long a SQLite write waits for another writer's lock.
    """
    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError as exc:
        raise BreachscopeError(
            f"not a database URL: {resolved!r}",
            "use sqlite:///path/to/case.db or postgresql+psycopg://user@host/dbname",
        ) from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            path = sqlite_path(resolved)
            if path is not None:
                _prepare_sqlite_file(path, create=create, shown=resolved)
            engine = create_engine(parsed, connect_args={"timeout": busy_timeout_ms / 1000})
            event.listen(engine, "connect", partial(_sqlite_pragmas, busy_timeout_ms=busy_timeout_ms))
            return engine
        if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
        return create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError, ArgumentError, OSError) as exc:
        raise BreachscopeError(
            f"cannot use the case database {parsed.render_as_string(hide_password=True)}: {exc}",
            "use sqlite:///path/to/case.db or postgresql+psycopg://user@host/dbname",
        ) from exc


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Run the migrations up to ``heads`` (every stage's branch)."""
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)


def _has_schema(engine: Engine) -> bool:
    return bool(inspect(engine).has_table("alembic_version"))


def open_case_db(
    url: str | None = None, *, create: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> Engine:
    """Open the case database and bring its schema up to date.

    Only with ``create`` is a missing database made: a new SQLite file (0600, in 0700 folders)
    or the schema in an empty PostgreSQL database. Without it, a missing file or an empty
    PostgreSQL database is an error naming what was tried, so a mistyped ``--db`` never
    silently starts an empty case. A key kept in the database by an older version is moved out
    (see :mod:`breachscope.case.keys`).
    """
    engine = create_case_engine(url, create=create, busy_timeout_ms=busy_timeout_ms)
    try:
        in_memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
        # An in-memory database is always new and vanishes with the process: nothing to mistype.
        if not create and not in_memory and not _has_schema(engine):
            shown = engine.url.render_as_string(hide_password=True)
            engine.dispose()
            raise BreachscopeError(f"{shown} holds no breachscope case", _create_hint(shown))
        upgrade(engine)
        move_plain_keys(engine)  # an older case kept its key inside: move it out, once
    except OperationalError as exc:
        engine.dispose()
        raise BreachscopeError(
            f"cannot open the case database {engine.url.render_as_string(hide_password=True)}: {exc.orig}",
            "check --db / BREACHSCOPE_DB, that the folder is writable or the server is reachable",
        ) from exc
    return engine


@contextmanager
def case_database(url: str | None = None, *, create: bool = False) -> Iterator[Engine]:
    """The case database for a ``with`` block: opened (and migrated) by :func:`open_case_db`
    (``create`` as there), disposed when the block ends, on error too. Every command that opens a
    case uses this."""
    engine = open_case_db(url, create=create)
    try:
        yield engine
    finally:
        engine.dispose()
