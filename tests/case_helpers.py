"""Helpers for tests of code that uses a case database (ours and other stages').

- :func:`fresh_pg_database`: an empty PostgreSQL database per test (or a copy of a template).
- :func:`copy_sqlite_case`: a copy of a case built once per session, for a test to change.
- :class:`CaseTemplates`: a migrated, empty case made once per session (per xdist worker) and
  copied for each test that opens a new case, instead of running every migration again.
- :func:`make_case`: an incident whose exposures come from hand-written Mixpanel-style rows.
- :func:`write_directory`: a directory CSV from hand-written account rows.
"""

from __future__ import annotations

import csv
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.clock import Clock
from breachscope.exposures.extractor import extract_batch
from breachscope.exposures.plan import ExtractPlan
from breachscope.files import private_file
from breachscope.scope.directory import FIELDS


@contextmanager
def fresh_pg_database(
    server_url: str, prefix: str = "bs_test", *, template: str | None = None
) -> Iterator[str]:
    """Create an empty PostgreSQL database on the server at ``server_url`` (a copy of the database
    named ``template`` if given); drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            copy = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def copy_sqlite_case(src: Path, dst: Path) -> str:
    """Copy the closed SQLite case ``src`` (with its key file, if any) to ``dst``, 0600 like a
    case the case API creates; the copy's URL."""
    for suffix in ("", "-wal", "-shm", ".key"):
        if suffix == "" or Path(f"{src}{suffix}").exists():  # a closed case has no -wal/-shm
            private_file(Path(f"{dst}{suffix}"))  # the copy keeps this file's mode
            shutil.copyfile(f"{src}{suffix}", f"{dst}{suffix}")
    return f"sqlite:///{dst}"


class CaseTemplates:
    """An empty case with every migration applied, made on first use and copied per test.

    ``open_case_db(url, create=True)`` on a copy finds the schema at ``heads`` and migrates
    nothing; the copy is what the migrations would have made (they are deterministic: schema plus
    the audit chain's head row), and no key exists until an incident asks for one. A test of the
    migrations themselves or of case creation uses an empty database (``db_url`` without
    ``engine``, or the CLI's ``case new``) and still runs them.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: Path | None = None
        self._pg: dict[str, str] = {}  # server URL -> template database name

    def sqlite_file(self) -> Path:
        if self._sqlite is None:
            path = self.folder / "template.db"
            open_case_db(f"sqlite:///{path}", create=True).dispose()
            self._sqlite = path
        return self._sqlite

    def sqlite(self, path: Path) -> str:
        """The URL of a new migrated SQLite case at ``path`` (0600, like one the case API creates)."""
        return copy_sqlite_case(self.sqlite_file(), path)

    def pg_template(self, server_url: str) -> str:
        """The name of a migrated template database on the server (no connection left open to it)."""
        name = self._pg.get(server_url)
        if name is None:
            name = f"bs_template_{uuid.uuid4().hex[:12]}"
            _on_server(server_url, f'CREATE DATABASE "{name}"')
            url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
            open_case_db(url, create=True).dispose()
            self._pg[server_url] = name
        return name

    @contextmanager
    def postgresql(self, server_url: str) -> Iterator[str]:
        """A new migrated PostgreSQL case (a copy of the template), dropped afterwards."""
        with fresh_pg_database(server_url, template=self.pg_template(server_url)) as url:
            yield url

    def close(self) -> None:
        for server_url, name in self._pg.items():
            _on_server(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._pg.clear()


LEAK_COLUMNS = (
    "$distinct_id",
    "$email",
    "$name",
    "$city",
    "$region",
    "mp_country_code",
    "org_id",
    "user_id",
)
DIRECTORY_COLUMNS = FIELDS  # the directory's canonical fields


def leak_table(rows: Sequence[dict[str, Any]]) -> pa.RecordBatch:
    cols = {c: [r.get(c) for r in rows] for c in LEAK_COLUMNS}
    return pa.RecordBatch.from_pydict({c: pa.array(v, pa.string()) for c, v in cols.items()})


def write_directory(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=DIRECTORY_COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in DIRECTORY_COLUMNS})
    return path


def make_case(engine: Engine, clock: Clock, leaked: Sequence[dict[str, Any]]) -> int:
    """An incident with one dataset whose exposures come from ``leaked`` rows."""
    batch = leak_table(leaked)
    with session_scope(engine) as s:
        iid = api.create_incident(s, "test", vendor="Mixpanel", clock=clock).id
        ds = api.attach_dataset(
            s, iid, file_name="people.csv", sha256="a" * 64, size_bytes=1, format="csv", scan={}, clock=clock
        )
        key = api.case_key(s, iid)
        plan = ExtractPlan.build(batch.schema.names)
        api.store_exposures(s, iid, ds.id, extract_batch(key, plan, batch, row_key_prefix="t"))
    return iid


def _on_server(server_url: str, sql: str) -> None:
    """Run one statement (CREATE or DROP DATABASE) outside a transaction on a PostgreSQL server."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    finally:
        admin.dispose()
