"""Shared fixtures. Stage-specific fixtures live in the conftest.py of each test folder.

Every test that takes ``db_url`` (or ``engine``) runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from breachscope.case.db import open_case_db
from breachscope.cli import cli
from breachscope.clock import FixedClock
from tests.case_helpers import fresh_pg_database


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of the throwaway PostgreSQL server started by ``scripts/pg-test-server``.

    Outside CI the PostgreSQL tests are skipped when no server is installed; in CI (CI=true)
    a missing server is a failure, because CI must test both databases.
    """
    url = os.environ.get("BREACHSCOPE_TEST_PG_URL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI=true but no PostgreSQL server: .ci/run must install postgresql")
        pytest.skip("no PostgreSQL server (install Debian's postgresql; make test starts it)")
    return url


@pytest.fixture(scope="session", autouse=True)
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Key files of PostgreSQL test cases go to a temporary folder, never to ~/.config."""
    folder = tmp_path_factory.mktemp("keys")
    old = os.environ.get("BREACHSCOPE_KEY_DIR")
    os.environ["BREACHSCOPE_KEY_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("BREACHSCOPE_KEY_DIR", None)
    else:
        os.environ["BREACHSCOPE_KEY_DIR"] = old


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 11, 27, 9, 0, tzinfo=UTC))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'case.db'}"
    else:
        with fresh_pg_database(request.getfixturevalue("pg_url")) as url:
            yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_case_db(db_url, create=True)
    yield eng
    eng.dispose()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str]]:
    """``run("case", "new", "x")`` -> (exit code, output) of the CLI on a fresh SQLite case in tmp_path."""
    monkeypatch.setenv("BREACHSCOPE_DB", f"sqlite:///{tmp_path / 'case.db'}")
    monkeypatch.setenv("BREACHSCOPE_AUTHOR", "tester")

    def invoke(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    return invoke
