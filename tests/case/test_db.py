from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from breachscope.case.db import DEFAULT_URL, ENV_VAR, open_case_db, resolve_url
from breachscope.errors import BreachscopeError

CASE_TABLES = {
    "incident_facts",
    "named_keys",
    "incidents",
    "timeline_events",
    "datasets",
    "exposures",
    "accounts",
    "matches",
    "scope_runs",
    "audit_log",
}


def test_migrations_from_empty_create_every_table(db_url: str) -> None:
    engine = open_case_db(db_url, create=True)
    try:
        tables = set(inspect(engine).get_table_names())
        assert CASE_TABLES <= tables
        with engine.connect() as conn:
            versions = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
        assert "0001" in versions or versions  # at least the case head (others branch off it)
    finally:
        engine.dispose()


def test_reopening_is_idempotent(db_url: str) -> None:
    open_case_db(db_url, create=True).dispose()
    engine = open_case_db(db_url, create=True)
    try:
        assert CASE_TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = open_case_db(f"sqlite:///{tmp_path / 'x.db'}", create=True)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


@pytest.mark.parametrize(
    ("arg", "env", "expected"),
    [
        ("sqlite:///a.db", "sqlite:///b.db", "sqlite:///a.db"),
        (None, "sqlite:///b.db", "sqlite:///b.db"),
        (None, None, DEFAULT_URL),
    ],
)
def test_resolve_url(
    monkeypatch: pytest.MonkeyPatch, arg: str | None, env: str | None, expected: str
) -> None:
    if env is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENV_VAR, env)
    assert resolve_url(arg) == expected


def test_bad_url_is_a_user_error() -> None:
    with pytest.raises(BreachscopeError, match="not a database URL"):
        open_case_db("not a url")


def test_migrations_match_the_models(db_url: str) -> None:
    """No drift between ``case/models.py`` and the migrations (for the case's own tables)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from breachscope.case.base import Base

    engine = open_case_db(db_url, create=True)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, Base.metadata)
        assert [d for d in diff if _table_of(d) in CASE_TABLES] == []
    finally:
        engine.dispose()


def _table_of(diff: object) -> str | None:
    """The table an autogenerate diff entry is about (entries are tuples, or lists of tuples)."""
    item = diff[0] if isinstance(diff, list) else diff
    assert isinstance(item, tuple)
    for part in item[1:]:
        if hasattr(part, "table") and hasattr(part.table, "name"):
            return str(part.table.name)
        if hasattr(part, "name") and hasattr(part, "columns"):
            return str(part.name)
    return str(item[2]) if len(item) > 2 and isinstance(item[2], str) else None


def test_a_missing_database_is_never_created_silently(db_url: str, tmp_path: Path) -> None:
    """Only ``create=True`` (``case new``) makes a database; otherwise the error names what was tried."""
    with pytest.raises(BreachscopeError, match="no breachscope case|no case database") as info:
        open_case_db(db_url)
    assert "breachscope case new" in (info.value.hint or "")
    if db_url.startswith("sqlite"):
        assert not (tmp_path / "case.db").exists()
    open_case_db(db_url, create=True).dispose()
    open_case_db(db_url).dispose()  # now it exists


def test_a_mistyped_path_creates_no_folders(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typo' / 'deeper' / 'case.db'}"
    with pytest.raises(BreachscopeError, match=f"no case database at {tmp_path / 'typo'}"):
        open_case_db(url)
    assert list(tmp_path.iterdir()) == []
