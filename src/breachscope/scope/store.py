"""Moving scope's sets between the case database and DuckDB, in bulk.

Scope reads every leaked person of an incident once and writes back accounts, matches, the org
roll-up and one update per changed exposure. Row by row through the ORM that cost more than the
matching itself, so the sets move whole:

- **SQLite**: the driver's cursor; rows come out of DuckDB as plain tuples and go in through
  ``executemany`` (no per-row SQLAlchemy work), in the scope's one transaction;
- **PostgreSQL**: ``COPY``: DuckDB writes a CSV file into scope's private temporary folder and
  psycopg streams it to the server (and the leak comes back the same way).

Everything runs inside the caller's session, so a failed scope leaves the case as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy.orm import Session

from breachscope.case.bulk import dbapi, detach_databases, scratch_writer
from breachscope.progress import Progress

_BATCH = 50_000
_BLOCK = 1 << 20


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def read_table(
    con: duckdb.DuckDBPyConnection,
    session: Session,
    sql: str,
    columns: Sequence[tuple[str, str]],
    insert: str,
    tmp: Path,
) -> None:
    """Run ``sql`` on the case database and feed its rows to the DuckDB statement ``insert``,
    whose ``{rows}`` names them as a relation with ``columns`` (name, DuckDB type; text columns
    read ``''`` as NULL).

    SQLite is read through the session's own connection. Not through the ADBC driver, although
    that was about three times cheaper in CPU: ADBC links its own copy of SQLite, and when a
    second copy closes a file that the first holds open, POSIX drops the first copy's locks on
    it (https://www.sqlite.org/howtocorrupt.html, section 2.2.1), so another process (the team
    server) could write the case at the same time."""
    typed = ", ".join(
        f"CAST(NULLIF({n}, '') AS {t}) AS {n}" if t == "VARCHAR" else f"CAST({n} AS {t}) AS {n}"
        for n, t in columns
    )
    if is_postgres(session):
        path = tmp / "case_rows.csv"
        with (
            path.open("wb") as out,
            dbapi(session).cursor().copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy,
        ):
            for block in copy:
                out.write(block)
        types = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n, _ in columns) + "}"
        relation = (
            f"(SELECT {typed} FROM read_csv('{path}', header = false, columns = {types}, "
            "allow_quoted_nulls = false, auto_detect = false))"
        )
        con.execute(insert.format(rows=relation))
        path.unlink()
        return
    # Each row comes out of SQLite as one JSON array (json_array, in C): one Python string per
    # row instead of one object per value, and DuckDB splits it again (about 3.1 instead of 5.5
    # CPU-s for 1M leaked people). JSON strings are escaped, so any text comes back unchanged.
    row_sql = "SELECT json_array(" + ", ".join(n for n, _ in columns) + f") FROM ({sql})"
    split = ", ".join(
        f"CAST(NULLIF(r[{i}], '') AS {t}) AS {n}" if t == "VARCHAR" else f"CAST(r[{i}] AS {t}) AS {n}"
        for i, (n, t) in enumerate(columns, start=1)
    )
    relation = f"""(SELECT {split} FROM (SELECT from_json(j, '["VARCHAR"]') AS r FROM case_batch))"""
    cur = dbapi(session).cursor()
    try:
        cur.execute(row_sql)
        while rows := cur.fetchmany(_BATCH):
            batch = pa.table({"j": pa.array([row[0] for row in rows], pa.string())})
            con.register("case_batch", batch)
            con.execute(insert.format(rows=relation))
            con.unregister("case_batch")
    finally:
        cur.close()


def write_table(
    con: duckdb.DuckDBPyConnection,
    session: Session,
    table: str,
    sql: str,
    tmp: Path,
    progress: Progress,
    scratch: Path | None = None,
) -> None:
    """Insert the rows of the DuckDB query ``sql`` into the case table ``table`` (its output
    column names are the table's column names); through ``scratch`` when given (see
    :func:`attach_scratch`)."""
    names = [d[0] for d in con.execute(f"SELECT * FROM ({sql}) LIMIT 0").description]
    if is_postgres(session):
        path = tmp / f"{table}.csv"
        copied = con.execute(f"COPY ({sql}) TO '{path}' (FORMAT csv, HEADER false)").fetchone()
        with (
            path.open("rb") as src,
            dbapi(session)
            .cursor()
            .copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT csv)") as copy,
        ):
            while block := src.read(_BLOCK):
                copy.write(block)
        path.unlink()
        progress.advance(int(copied[0]) if copied else 0)
        return
    columns = ", ".join(names)
    cur = dbapi(session).cursor()
    try:
        # Into an empty table (one incident per case, the usual), secondary indexes are built
        # after the load: one sort each instead of a million random inserts.
        empty = cur.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None
        indexes = _sqlite_indexes(cur, table) if empty else []
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        if scratch is not None:
            progress.advance(_ingest(con, sql, scratch, table))
            cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM scratch_{table}.{table}")
        else:
            insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' for _ in names)})"
            result = con.execute(sql)
            while rows := result.fetchmany(_BATCH):
                cur.executemany(insert, rows)
                progress.advance(len(rows))
        for _, create in indexes:
            cur.execute(create)
    finally:
        cur.close()


def _sqlite_indexes(cur: Any, table: str) -> list[tuple[str, str]]:
    """The explicitly created indexes of a SQLite table: (name, CREATE statement)."""
    rows = cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table,),
    ).fetchall()
    return [(str(name), str(sql)) for name, sql in rows]


def update_exposures(
    con: duckdb.DuckDBPyConnection,
    session: Session,
    sql: str,
    assignments: str,
    tmp: Path,
    progress: Progress,
    scratch: Path | None = None,
) -> None:
    """Update exposures by id from the rows of the DuckDB query ``sql`` (its first column is
    ``id``). ``assignments`` is the SQL ``SET`` list, naming the query's other columns in braces:
    ``"email = CASE WHEN {drop_email} = 1 THEN NULL ELSE email END"``."""
    names = [d[0] for d in con.execute(f"SELECT * FROM ({sql}) LIMIT 0").description]
    if is_postgres(session):
        kinds = {"BIGINT": "bigint", "INTEGER": "integer"}
        types = [
            kinds.get(str(d[1]), "text") for d in con.execute(f"SELECT * FROM ({sql}) LIMIT 0").description
        ]
        cur = dbapi(session).cursor()
        columns = ", ".join(f"{n} {t}" for n, t in zip(names, types, strict=True))
        cur.execute(f"CREATE TEMP TABLE scope_changes ({columns})")
        write_table(con, session, "scope_changes", sql, tmp, progress)
        pairs = assignments.format(**{n: f"c.{n}" for n in names})
        cur.execute(f"UPDATE exposures SET {pairs} FROM scope_changes c WHERE exposures.id = c.id")
        cur.execute("DROP TABLE scope_changes")
        return
    if scratch is not None:
        progress.advance(_ingest(con, sql, scratch, "changes"))
        pairs = assignments.format(**{n: f"c.{n}" for n in names})
        dbapi(session).execute(
            f"UPDATE exposures SET {pairs} FROM scratch_changes.changes AS c WHERE exposures.id = c.id"
        )
        return
    # SQLite's numbered parameters (?2) let one value serve several columns
    numbered = assignments.format(**{n: f"?{i + 1}" for i, n in enumerate(names)})
    update = f"UPDATE exposures SET {numbered} WHERE id = ?1"
    result = con.execute(sql)
    cur = dbapi(session).cursor()
    try:
        while rows := result.fetchmany(_BATCH):
            cur.executemany(update, rows)
            progress.advance(len(rows))
    finally:
        cur.close()


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


#: The scratch tables :func:`attach_scratch` attaches, one file each (SQLite reads a file's
#: schema once per transaction, so each file is written whole before the scope reads it).
SCRATCH_TABLES = ("accounts", "matches", "affected_orgs", "changes")


def attach_scratch(session: Session, tmp: Path) -> tuple[Any, Path] | None:
    """SQLite: attach new scratch database files in ``tmp`` to the session's connection, before
    the session's first write; returns (the DBAPI connection, their folder), or ``None`` for
    PostgreSQL or when SQLite refuses to attach (the rows then go through ``executemany``).

    DuckDB's results are written into a scratch file by the ADBC SQLite driver straight from
    Arrow, then copied into the case tables by one ``INSERT ... SELECT`` (or ``UPDATE ... FROM``)
    inside the scope's transaction: no Python object per value. The files live in scope's
    private temporary folder and are removed with it; call :func:`detach_scratch` after the
    session has committed or rolled back."""
    if is_postgres(session):
        return None
    raw = dbapi(session)
    try:
        for name in SCRATCH_TABLES:
            raw.execute(f"ATTACH DATABASE ? AS scratch_{name}", (str(tmp / f"scratch-{name}.db"),))
    except sqlite3.OperationalError:  # e.g. too many attached databases: the executemany path
        detach_scratch((raw, tmp))
        return None
    return raw, tmp


def detach_scratch(attached: tuple[Any, Path] | None) -> None:
    if attached is not None:
        detach_databases(attached[0], "scratch_")


def _ingest(con: duckdb.DuckDBPyConnection, sql: str, folder: Path, table: str) -> int:
    """Write the rows of DuckDB's ``sql`` into the scratch file of ``table``; returns rows."""
    with scratch_writer(folder / f"scratch-{table}.db") as adbc, adbc.cursor() as cur:
        rows = cur.adbc_ingest(table, con.sql(sql).to_arrow_reader(_BATCH), mode="create")
    return int(rows)
