"""Opening a case database: URL resolution, SQLite settings, migrations, sessions.

The URL comes from the argument, else ``BREACHSCOPE_DB``, else ``sqlite:///breachscope.db`` in
the working folder. PostgreSQL URLs use psycopg 3 (``postgresql+psycopg://...``). Opening a case
always runs ``alembic upgrade heads``, so a new file is ready to use and an old one is brought
up to date.

SQLite is set up so two processes (a scan in one terminal, a ``case log`` in another) can write
safely: WAL journal, a 30 s busy timeout, foreign keys on, and secure_delete so that deleted
rows are overwritten in the file (purge relies on it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from breachscope.errors import BreachscopeError

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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # The pysqlite driver opens implicit transactions; PRAGMAs must run outside them.
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA secure_delete = ON")
    # 64 MiB page cache (default 2 MiB): bulk inserts into the hash indexes touch random pages.
    cur.execute("PRAGMA cache_size = -65536")
    cur.execute("PRAGMA temp_store = MEMORY")
    cur.close()


def create_case_engine(url: str | None = None) -> Engine:
    """An engine for the case URL, with the SQLite settings above; does not migrate."""
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
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _sqlite_pragmas)
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


def open_case_db(url: str | None = None) -> Engine:
    """Open (creating if needed) the case database and bring its schema up to date."""
    engine = create_case_engine(url)
    try:
        upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        raise BreachscopeError(
            f"cannot open the case database {engine.url.render_as_string(hide_password=True)}: {exc.orig}",
            "check --db / BREACHSCOPE_DB, that the folder is writable or the server is reachable",
        ) from exc
    return engine


@contextmanager
def case_database(url: str | None = None) -> Iterator[Engine]:
    """The case database for a ``with`` block: opened (and migrated) by :func:`open_case_db`,
    disposed when the block ends, on error too. Every command that opens a case uses this."""
    engine = open_case_db(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = sessionmaker(bind=engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
