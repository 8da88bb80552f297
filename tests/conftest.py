"""Shared fixtures. Stage-specific fixtures live in the conftest.py of each test folder."""

from __future__ import annotations

import os

import pytest


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
