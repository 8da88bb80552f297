"""The registry and a recorded check on both databases (SQLite and PostgreSQL, via ``db_url``)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from breachscope.canary.service import check_and_record, issue_canaries
from breachscope.canary.store import CanaryCheck
from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.clock import FixedClock
from tests.canary.conftest import DOMAIN, read_export, write_leak


@pytest.fixture
def both(db_url: str) -> Iterator[Engine]:
    eng = open_case_db(db_url, create=True)
    yield eng
    eng.dispose()


def test_two_vendors_recorded(both: Engine, tmp_path: Path, clock: FixedClock) -> None:
    planted = []
    for n, vendor in enumerate(("Mixpanel", "Segment")):
        out = tmp_path / f"{n}.csv"
        issue_canaries(both, vendor, count=2, domain=DOMAIN, layout="generic", out=out, clock=clock,
                       rng=random.Random(n))  # fmt: skip
        planted.append(read_export(out)[0])
    with session_scope(both) as s:
        incident = api.create_incident(s, "leak", clock=clock).id
    leak = write_leak(tmp_path / "leak.csv", planted)
    result = check_and_record(both, [leak], incident_id=incident, clock=clock)
    assert result.verdict == "several"
    with session_scope(both) as s:
        check = s.scalars(select(CanaryCheck)).one()
        assert check.verdict == "several" and [v["vendor"] for v in check.vendors] == ["Mixpanel", "Segment"]


def test_migrations_match_the_models(both: Engine) -> None:
    """No drift between canary/store.py and migration 0064."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from breachscope.canary import store
    from breachscope.case.base import Base

    tables = {t.name for t in Base.metadata.sorted_tables if t.name.startswith("canary_")}
    assert tables == {store.CanaryBatch.__tablename__, "canary_values", "canary_checks", "canary_hits"}
    with both.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if any(t in str(d) for t in tables)] == []
