"""Shared fixtures. Stage-specific fixtures live in the conftest.py of each test folder.

Every test that takes ``db_url`` (or ``engine``) runs on SQLite and on PostgreSQL.

The suite runs in parallel with pytest-xdist (``make unit``: ``pytest -n auto``, with
``--dist loadgroup`` from pyproject's addopts). What keeps it safe and cheap there:

- every PostgreSQL test gets its own database (:func:`tests.case_helpers.fresh_pg_database`,
  a random name on the one server that ``scripts/pg-test-server`` starts); servers listen on
  free ports (port 0); files go to ``tmp_path``;
- each worker has its own temporary folder (``TMPDIR``), so code that uses the system's
  temporary folder (spools, uploads, DuckDB spill) and tests that look into it see only their
  own worker's files;
- :func:`pytest_collection_modifyitems` puts the tests that share an expensive session
  fixture into one xdist group (:data:`SHARED_FIXTURES`), and the tests of a module that has a
  module-scoped fixture (or a session-scoped one defined in the module) into one group per
  module, so such a fixture is built once, not once per worker.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from breachscope.case.db import open_case_db
from breachscope.cli import cli
from breachscope.clock import FixedClock
from tests.case_helpers import CaseTemplates, fresh_pg_database

#: Session fixtures that take seconds to build (a browser, a served console case, the report's
#: pipeline-built case, the mail tests' template case, notify's scoped case): every test that
#: uses one runs on the same xdist worker (the group named here), so it is built once per run.
SHARED_FIXTURES = {
    "browser": "browser",
    "console": "browser",
    "console_case": "browser",
    "built_case": "report-case",
    "template_case": "mail-case",
    "mail_dns": "mail-case",
    "scoped_case": "notify-scoped-case",
}

_WORKER_TMP: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist, a temporary folder of the worker's own for everything using ``TMPDIR``."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        folder = tempfile.mkdtemp(prefix=f"breachscope-tests-{worker}-")
        # traversable like /tmp: a test server running as another user (Dovecot's mail user
        # "nobody" as root) reaches its own folder inside; nobody else can list this one
        os.chmod(folder, 0o711)
        _WORKER_TMP.append(folder)
        os.environ["TMPDIR"] = folder
        tempfile.tempdir = None  # gettempdir() reads TMPDIR again


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _WORKER_TMP:
        shutil.rmtree(folder, ignore_errors=True)


def _group(item: pytest.Item) -> str | None:
    names = getattr(item, "fixturenames", ())
    for name in names:
        if name in SHARED_FIXTURES:
            return SHARED_FIXTURES[name]
    # A module-scoped fixture, or a session-scoped one defined in the test module itself, is
    # shared by that module's tests only: keep the module on one worker.
    info = getattr(item, "_fixtureinfo", None)
    for defs in getattr(info, "name2fixturedefs", {}).values():
        last = defs[-1] if defs else None
        if last is None or last.scope == "function":
            continue
        if last.scope in ("module", "class") or str(last.baseid).endswith(".py"):
            return item.nodeid.split("::")[0]
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group tests sharing an expensive fixture on one worker (see the module docstring)."""
    for item in items:
        group = _group(item)
        if group is not None and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))


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


@pytest.fixture(scope="session")
def case_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseTemplates]:
    """Migrated empty cases (SQLite file, PostgreSQL template database), made once per session."""
    templates = CaseTemplates(tmp_path_factory.mktemp("case-templates"))
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL database.

    When the test also takes ``engine`` (which migrates it at once), the database starts as a
    copy of the migrated template instead (:class:`tests.case_helpers.CaseTemplates`): the same
    case, without running every migration for every test.
    """
    migrated = "engine" in request.fixturenames
    templates: CaseTemplates | None = request.getfixturevalue("case_templates") if migrated else None
    if request.param == "sqlite":
        path = tmp_path / "case.db"
        yield templates.sqlite(path) if templates else f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("pg_url")
        template = templates.pg_template(server) if templates else None
        with fresh_pg_database(server, template=template) as url:
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
