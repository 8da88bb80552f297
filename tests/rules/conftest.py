"""Fixtures for the assess stage: facts builders and a case database on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from breachscope.rules.loader import load_rules
from breachscope.rules.schema import RuleSet
from tests.case_helpers import fresh_pg_database


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture(params=["sqlite-memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty case database: in-memory SQLite, a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite-memory":
        yield "sqlite://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'case.db'}"
    else:
        with fresh_pg_database(request.getfixturevalue("pg_url")) as url:
            yield url
