"""Fixtures of the team-server tests: one real server per module and database kind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from breachscope.clock import FixedClock
from tests.case_helpers import fresh_pg_database
from tests.web.server import TeamServer, team_server


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def team(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    """A served case (SQLite, then PostgreSQL) with one user per role and two incidents."""
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('team')) / 'case.db'}"
        with team_server(url, clock) as server:
            yield server
    else:
        with fresh_pg_database(request.getfixturevalue("pg_url")) as url, team_server(url, clock) as server:
            yield server
