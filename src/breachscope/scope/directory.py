"""Loading the company's account directory into DuckDB, with a column mapping.

A directory is a CSV/TSV file, a Parquet file, or a table or query in any database SQLAlchemy
can reach (``sqlite:///accounts.db``, ``postgresql+psycopg://...``). Its columns are mapped to
the canonical names below; the defaults are the names ``breachscope synth`` writes. Every value
is read as text; rows with neither a user id nor an email are skipped, and a user id that
appears more than once keeps one of its rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from breachscope.errors import InputError
from breachscope.progress import NullProgress, Progress

#: Canonical directory fields, in order.
FIELDS: tuple[str, ...] = (
    "user_id",
    "email",
    "name",
    "org_id",
    "org_name",
    "role",
    "language",
    "country",
    "created",
)
DEFAULT_ADMIN_ROLES: tuple[str, ...] = ("admin", "owner")
_SQL_BATCH = 50_000


@dataclass(frozen=True)
class DirectorySource:
    """Where the directory is and how its columns map onto :data:`FIELDS`."""

    location: str  # a file path or a SQLAlchemy URL
    mapping: Mapping[str, str] = field(default_factory=dict)  # canonical -> source column
    table: str | None = None  # for a database URL
    query: str | None = None  # for a database URL, instead of table

    @property
    def is_database(self) -> bool:
        return "://" in self.location

    def describe(self) -> str:
        """A description safe to store and print (passwords hidden)."""
        if not self.is_database:
            return self.location
        from sqlalchemy.engine import make_url

        try:
            shown = make_url(self.location).render_as_string(hide_password=True)
        except Exception:
            shown = "<database URL>"
        return f"{shown} ({'query' if self.query else 'table ' + str(self.table)})"


def parse_mapping(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``("email=mail", "org_id=tenant,role=kind")`` -> ``{"email": "mail", ...}``."""
    out: dict[str, str] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            name, sep, column = part.partition("=")
            name = name.strip()
            if not sep or not column.strip():
                raise InputError(f"bad --map entry {part!r}", "write it as FIELD=COLUMN, e.g. email=mail")
            if name not in FIELDS:
                raise InputError(f"unknown directory field {name!r}", f"fields: {', '.join(FIELDS)}")
            out[name] = column.strip()
    return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _file_relation(path: Path) -> str:
    name = path.name.lower()
    literal = "'" + str(path).replace("'", "''") + "'"
    if name.endswith((".parquet", ".pq")):
        return f"read_parquet({literal})"
    if name.endswith((".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz")):
        return f"read_csv({literal}, all_varchar = true, header = true)"
    raise InputError(
        f"cannot read a directory from {path.name}",
        "use a .csv, .tsv or .parquet file, or a database URL with --table/--query",
    )


def _load_database(con: duckdb.DuckDBPyConnection, src: DirectorySource, progress: Progress) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    if not (src.table or src.query):
        raise InputError("a database directory needs --table or --query", "e.g. --table accounts")
    sql = src.query or f"SELECT * FROM {_quote(str(src.table))}"
    try:
        url = make_url(src.location)
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")  # psycopg 3 is what breachscope ships
        engine = create_engine(url)
    except Exception as exc:
        raise InputError(f"cannot use directory URL: {exc}", "check the URL and its driver") from exc
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=_SQL_BATCH).execute(text(sql))
            columns = list(result.keys())
            schema = pa.schema([(c, pa.string()) for c in columns])
            con.execute(
                "CREATE OR REPLACE TEMP TABLE dir_source ("
                + ", ".join(f"{_quote(c)} VARCHAR" for c in columns)
                + ")"
            )
            for rows in result.partitions():
                cols = [[None if r[i] is None else str(r[i]) for r in rows] for i in range(len(columns))]
                batch = pa.Table.from_arrays([pa.array(c, pa.string()) for c in cols], schema=schema)
                con.register("dir_batch", batch)
                con.execute("INSERT INTO dir_source SELECT * FROM dir_batch")
                con.unregister("dir_batch")
                progress.advance(len(rows))
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise InputError(
            f"cannot read the directory {src.describe()}: {detail}",
            "check --table / --query and that the account can read it",
        ) from exc
    finally:
        engine.dispose()


def load_directory(
    con: duckdb.DuckDBPyConnection,
    src: DirectorySource,
    *,
    progress: Progress | None = None,
) -> int:
    """Create DuckDB table ``dir_raw`` (the canonical :data:`FIELDS`, all VARCHAR). Returns rows."""
    progress = progress or NullProgress()
    progress.start("Reading directory")
    if src.is_database:
        _load_database(con, src, progress)
        relation = "dir_source"
    else:
        path = Path(src.location)
        if not path.is_file():
            raise InputError(f"directory file not found: {path}", "pass a CSV/Parquet file or a database URL")
        relation = _file_relation(path)
    try:
        available = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    except duckdb.Error as exc:
        raise InputError(f"cannot read the directory {src.describe()}: {exc}", None) from exc
    mapping = {name: src.mapping.get(name, name) for name in FIELDS}
    explicit = set(src.mapping)
    missing = [f"{k}={v}" for k, v in mapping.items() if k in explicit and v not in available]
    if missing:
        raise InputError(
            f"directory has no column(s) {', '.join(missing)}",
            f"its columns are: {', '.join(available[:30])}",
        )
    if mapping["user_id"] not in available and mapping["email"] not in available:
        raise InputError(
            "the directory needs a user id or an email column",
            "map them with --map user_id=COLUMN,email=COLUMN",
        )
    select = ", ".join(
        (
            f"NULLIF(trim(CAST({_quote(col)} AS VARCHAR)), '') AS {name}"
            if col in available
            else f"CAST(NULL AS VARCHAR) AS {name}"
        )
        for name, col in mapping.items()
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE dir_raw AS
        SELECT coalesce(user_id, lower(email)) AS user_id, * EXCLUDE (user_id)
        FROM (SELECT {select} FROM {relation})
        WHERE user_id IS NOT NULL OR email IS NOT NULL
        """
    )
    # Directories normally have unique ids: check cheaply, de-duplicate only when needed.
    dup = con.execute(
        "SELECT count(*) FROM (SELECT user_id FROM dir_raw GROUP BY user_id HAVING count(*) > 1)"
    )
    found = dup.fetchone()
    if found and found[0]:
        con.execute("CREATE OR REPLACE TEMP TABLE dir_raw AS SELECT DISTINCT ON (user_id) * FROM dir_raw")
    if src.is_database:
        con.execute("DROP TABLE dir_source")
    rows = con.execute("SELECT count(*) FROM dir_raw").fetchone()
    progress.finish()
    return int(rows[0]) if rows else 0


def admin_roles_sql(roles: tuple[str, ...]) -> str:
    """A SQL list literal of case-folded admin role names."""
    return "(" + ", ".join("'" + r.casefold().replace("'", "''") + "'" for r in roles) + ")"


def describe_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[Any]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
