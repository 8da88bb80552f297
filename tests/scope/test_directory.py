"""Directory import: files and database URLs, column mapping, de-duplication, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine, text

from breachscope.errors import InputError
from breachscope.scope.directory import DirectorySource, load_directory, parse_mapping
from tests.case_helpers import fresh_pg_database

ROWS = [
    ("7", "Ana@Example.com", "Ana", "t1", "admin"),
    ("8", "ben@example.com", "Ben", "t1", "member"),
    ("8", "ben.dup@example.com", "Ben again", "t1", "member"),  # duplicate id: kept once
    (None, "orphan@example.com", "No Id", "t2", "member"),  # no id: the email stands in
    (None, None, "Nobody", "t2", "member"),  # neither: skipped
]
MAPPING = {"user_id": "uid", "email": "mail", "name": "full_name", "org_id": "tenant", "role": "kind"}


def _load(src: DirectorySource) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    n = load_directory(con, src)
    rows = con.execute("SELECT user_id, org_id, role FROM dir_raw ORDER BY user_id").fetchall()
    assert n == len(rows)
    return rows


EXPECTED = [("7", "t1", "admin"), ("8", "t1", "member"), ("orphan@example.com", "t2", "member")]


def test_csv(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    lines = ["uid,mail,full_name,tenant,kind"] + [",".join(v or "" for v in r) for r in ROWS]
    path.write_text("\n".join(lines) + "\n")
    assert _load(DirectorySource(str(path), MAPPING)) == EXPECTED


def test_parquet_with_integer_ids(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    cols = list(zip(*ROWS, strict=True))
    table = pa.table(
        {
            "uid": pa.array([int(v) if v else None for v in cols[0]], pa.int64()),
            "mail": list(cols[1]),
            "full_name": list(cols[2]),
            "tenant": list(cols[3]),
            "kind": list(cols[4]),
        }
    )
    pq.write_table(table, path)
    assert _load(DirectorySource(str(path), MAPPING)) == EXPECTED


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def account_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL holding an ``app_users`` table with the company's own column names."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
        ctx = None
    else:
        ctx = fresh_pg_database(request.getfixturevalue("pg_url"), prefix="bs_dir")
        url = ctx.__enter__()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE app_users (uid TEXT, mail TEXT, full_name TEXT, tenant TEXT, kind TEXT)")
        )
        for r in ROWS:
            conn.execute(
                text("INSERT INTO app_users VALUES (:a, :b, :c, :d, :e)"),
                dict(zip("abcde", r, strict=True)),
            )
    engine.dispose()
    try:
        yield url
    finally:
        if ctx is not None:
            ctx.__exit__(None, None, None)


def test_database_table(account_db: str) -> None:
    assert _load(DirectorySource(account_db, MAPPING, table="app_users")) == EXPECTED
    plain = account_db.replace("postgresql+psycopg://", "postgresql://")  # no driver named
    assert _load(DirectorySource(plain, MAPPING, table="app_users")) == EXPECTED


def test_database_query(account_db: str) -> None:
    src = DirectorySource(
        account_db,
        {"user_id": "id", "email": "mail"},
        query="SELECT uid AS id, mail, tenant AS org_id, kind AS role FROM app_users WHERE tenant = 't1'",
    )
    assert _load(src) == [("7", "t1", "admin"), ("8", "t1", "member")]


def test_database_url_is_described_without_password() -> None:
    src = DirectorySource("postgresql+psycopg://app:s3cret@db.example/app", table="users")
    assert "s3cret" not in src.describe() and "users" in src.describe()


@pytest.mark.parametrize(
    ("src", "message"),
    [
        (DirectorySource("sqlite:///:memory:"), "needs --table or --query"),
        (DirectorySource("sqlite:///:memory:", table="missing"), "cannot read the directory"),
        (DirectorySource("postgresql+psycopg://u@127.0.0.1:1/x", table="t"), "cannot read the directory"),
        (DirectorySource("nosuchdb://x/y", table="t"), "cannot use directory URL"),
        (DirectorySource("/no/such/file.csv"), "not found"),
    ],
)
def test_errors(src: DirectorySource, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _load(src)


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "d.xml"
    path.write_text("<x/>")
    with pytest.raises(InputError, match="cannot read a directory"):
        _load(DirectorySource(str(path)))


def test_missing_id_and_email_columns(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="needs a user id or an email"):
        _load(DirectorySource(str(path)))


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (("email=mail",), {"email": "mail"}),
        (("email=mail,org_id=tenant", "role=kind"), {"email": "mail", "org_id": "tenant", "role": "kind"}),
        ((" email = Mail Address ",), {"email": "Mail Address"}),
    ],
)
def test_parse_mapping(items: tuple[str, ...], expected: dict[str, str]) -> None:
    assert parse_mapping(items) == expected
