"""Scope's bulk moves between DuckDB and the case: the rules they apply agree with the stored ones."""

from __future__ import annotations

from pathlib import Path

import duckdb
from sqlalchemy import Engine, select, text

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.minimise import minimise
from breachscope.case.models import AffectedOrg
from breachscope.clock import FixedClock
from breachscope.progress import NullProgress
from breachscope.scope import store
from breachscope.scope.directory import DirectorySource
from breachscope.scope.rollup import store_org_rollup
from breachscope.scope.run import run_scope
from tests.case.test_minimise import DIRECTORY as MINIMISE_DIRECTORY
from tests.case.test_minimise import LEAKED as MINIMISE_LEAKED
from tests.case_helpers import make_case, write_directory
from tests.scope.test_rollup import DIRECTORY, LEAKED


def test_scope_leaves_nothing_for_minimise_to_drop(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    """Scope drops values in the same pass as it writes jurisdictions; the stored rule
    (case/minimise.py) run afterwards finds nothing more to drop."""
    iid = make_case(engine, clock, MINIMISE_LEAKED)
    directory = write_directory(tmp_path / "d.csv", MINIMISE_DIRECTORY)
    run_scope(engine, iid, DirectorySource(str(directory)), clock=clock)
    with session_scope(engine) as s:
        again = minimise(s, iid)
    assert (again.names, again.notifiable_emails, again.unmatched) == (0, 0, 0)
    assert again.kept_for_review == 1  # the look-alike, kept by both


def _rollup(engine: Engine, iid: int) -> list[tuple[object, ...]]:
    with session_scope(engine) as s:
        rows = s.scalars(
            select(AffectedOrg).where(AffectedOrg.incident_id == iid).order_by(AffectedOrg.org_id)
        )
        return [
            (
                o.org_id,
                o.org_name,
                o.leaked_people,
                o.affected_users,
                o.org_only_people,
                o.admins,
                o.exposed_classes,
            )
            for o in rows
        ]


def test_the_stored_rollup_is_the_one_the_case_computes(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    iid = make_case(engine, clock, LEAKED)
    run_scope(engine, iid, DirectorySource(str(write_directory(tmp_path / "d.csv", DIRECTORY))), clock=clock)
    stored = _rollup(engine, iid)
    with session_scope(engine) as s:
        store_org_rollup(s, iid)  # the same roll-up, computed from the stored matches
    assert stored == _rollup(engine, iid)
    assert [o[0] for o in stored] == ["A", "B"] and "email" in stored[0][6]  # type: ignore[operator]


def _written(tmp_path: Path, clock: FixedClock, *, scratch: bool) -> list[tuple[object, ...]]:
    engine = open_case_db(f"sqlite:///{tmp_path / ('scratch' if scratch else 'rows')}.db", create=True)
    with session_scope(engine) as s:
        iid = api.create_incident(s, "x", clock=clock).id
    con = duckdb.connect()
    sql = (
        f"SELECT {iid} AS incident_id, 'org-' || i AS org_id, CASE WHEN i % 3 = 0 THEN NULL ELSE 'Org ' || i "
        "END AS org_name, i AS leaked_people, i % 2 AS affected_users, 0 AS org_only_people, 1 AS admins, "
        "'[\"email\"]' AS exposed_classes FROM range(1, 2500) t(i)"
    )
    with session_scope(engine) as s:
        api.create_incident(s, "y", clock=clock)
        s.flush()  # a write is already open
        attached = store.attach_scratch(s, tmp_path) if scratch else None  # else: executemany
        folder = attached[1] if attached else None
        store.write_table(con, s, "affected_orgs", sql, tmp_path, NullProgress(), folder)
    store.detach_scratch(attached)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text("SELECT * FROM affected_orgs ORDER BY id"))]
        index = conn.execute(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'ix_affected_orgs_incident_name'")
        ).scalar()
    engine.dispose()
    assert index == 1  # dropped for the load into an empty table, built again
    return rows


def test_both_sqlite_write_paths_store_the_same_rows(tmp_path: Path, clock: FixedClock) -> None:
    through_scratch = _written(tmp_path, clock, scratch=True)
    row_by_row = _written(tmp_path, clock, scratch=False)
    assert through_scratch == row_by_row
    assert len(row_by_row) == 2499 and row_by_row[2][3:] == (None, 3, 1, 0, 1, '["email"]')
