"""``scope``: match a case's leaked people to the directory and store who is affected.

Reads the exposures' keyed hashes from the case, loads the directory into DuckDB, matches and
rolls up there (see :mod:`breachscope.scope.matching`), then writes back to the case only what
later stages need: the accounts concerned (affected users, admins of affected orgs, accounts in
review items), the matches, each person's jurisdiction, and a summary. Re-running replaces the
previous scope of the incident.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import duckdb
import pyarrow as pa
from sqlalchemy import Engine, Table, bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session

from breachscope.case import api
from breachscope.case.bulk import dbapi, insert_rows
from breachscope.case.db import session_scope
from breachscope.case.minimise import minimise
from breachscope.case.models import Account, Exposure, Match, ScopeRun
from breachscope.clock import Clock, SystemClock
from breachscope.errors import BreachscopeError
from breachscope.identity.jurisdiction import DIRECTORY_COUNTRY, resolve_country
from breachscope.progress import NullProgress, Progress
from breachscope.scope import matching
from breachscope.scope.directory import DEFAULT_ADMIN_ROLES, DirectorySource, load_directory
from breachscope.scope.recipients import checks_sentence, jurisdiction_checks, jurisdiction_counts
from breachscope.scope.rollup import store_org_rollup

_BATCH = 20_000
_EXPOSURES = cast(Table, Exposure.__table__)
_SET_JURISDICTION = (
    update(_EXPOSURES)
    .where(_EXPOSURES.c.id == bindparam("b_id"), _EXPOSURES.c.jurisdiction.is_(None))
    .values(jurisdiction=bindparam("b_code"), jurisdiction_source=bindparam("b_source"))
)
_SET_DIRECTORY = (
    update(_EXPOSURES)
    .where(_EXPOSURES.c.id == bindparam("b_id"))
    .values(directory_jurisdiction=bindparam("b_code"))
)


@dataclass(frozen=True)
class ScopeSettings:
    admin_roles: tuple[str, ...] = DEFAULT_ADMIN_ROLES
    memory_limit: str = "1GB"  # DuckDB spills to temp_directory beyond this
    threads: int = 2
    temp_directory: Path | None = None


def connect_duckdb(settings: ScopeSettings, tmp: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = '{settings.memory_limit}'")
    con.execute(f"SET threads = {int(settings.threads)}")
    con.execute(f"SET temp_directory = '{str(settings.temp_directory or tmp).replace(chr(39), '')}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # our own progress goes to stderr
    return con


def _load_leak(con: duckdb.DuckDBPyConnection, session: Session, incident_id: int, progress: Progress) -> int:
    matching.create_leak_table(con)
    names = [name for name, _ in matching.LEAK_COLUMNS]
    cols = ", ".join(["id", *names[1:]])
    total = api.count_exposures(session, incident_id)
    progress.start("Loading leaked people", total=total)
    # the driver's cursor, not ORM rows: a million Row objects cost more than the matching
    cur = dbapi(session).cursor()
    try:
        cur.execute(f"SELECT {cols} FROM exposures WHERE incident_id = {int(incident_id)}")
        while rows := cur.fetchmany(_BATCH):
            arrays = [pa.array(list(values)) for values in zip(*rows, strict=True)]
            batch = pa.Table.from_arrays(arrays, names=names)
            con.register("leak_batch", batch)
            matching.insert_leak(con, "leak_batch")
            con.unregister("leak_batch")
            progress.advance(len(rows))
    finally:
        cur.close()
    progress.finish()
    return total


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> Iterator[list[dict[str, Any]]]:
    reader = con.sql(sql).to_arrow_reader(_BATCH)
    assert reader is not None
    for batch in reader:
        yield batch.to_pylist()


def _store(con: duckdb.DuckDBPyConnection, session: Session, incident_id: int, progress: Progress) -> None:
    """Replace the incident's accounts and matches with this run's; fill directory jurisdictions.

    Account ids are assigned in DuckDB (after the current maximum, under a write lock), so that
    matches can name their account without a Python map of millions of user ids.
    """
    session.execute(delete(Match).where(Match.incident_id == incident_id))
    session.execute(delete(Account).where(Account.incident_id == incident_id))
    session.execute(
        update(Exposure)
        .where(Exposure.incident_id == incident_id, Exposure.jurisdiction_source == DIRECTORY_COUNTRY)
        .values(jurisdiction=None, jurisdiction_source=None)
    )
    session.execute(  # only rows that hold one: SQLite rewrites every row an UPDATE names
        update(Exposure)
        .where(Exposure.incident_id == incident_id, Exposure.directory_jurisdiction.is_not(None))
        .values(directory_jurisdiction=None)
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # SQLite already holds its write lock after the deletes above
        session.execute(text("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE"))
    base = int(session.scalar(select(func.coalesce(func.max(Account.id), 0))) or 0)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE account_ids AS "
        f"SELECT user_id, {base} + row_number() OVER () AS account_id FROM affected_accounts"
    )
    progress.start("Storing accounts")
    accounts = cast(Table, Account.__table__)
    for rows in _fetch(
        con, "SELECT a.*, i.account_id AS id FROM affected_accounts a JOIN account_ids i USING (user_id)"
    ):
        for row in rows:
            row["incident_id"] = incident_id
            row["country_code"] = resolve_country(row["country"])
        insert_rows(session, accounts, rows)
        progress.advance(len(rows))
    if postgres:
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('accounts', 'id'), (SELECT max(id) FROM accounts))")
        )
    progress.start("Storing matches")
    sql = (
        f"SELECT {incident_id} AS incident_id, r.exposure_id, i.account_id, r.org_id, r.key, r.strength, "
        "r.ambiguous FROM result r LEFT JOIN account_ids i USING (user_id) ORDER BY r.exposure_id"
    )
    for rows in _fetch(con, sql):
        insert_rows(session, cast(Table, Match.__table__), rows)
        progress.advance(len(rows))
    # Every matched person also lives where the directory says (whatever the leak says), and
    # people whose leaked record had no usable location get it as their main jurisdiction.
    progress.start("Resolving jurisdictions")
    sql = (
        "SELECT r.exposure_id AS id, d.country FROM result r JOIN dir_raw d USING (user_id) "
        "WHERE NOT r.ambiguous AND d.country IS NOT NULL"
    )
    for rows in _fetch(con, sql):
        updates = [
            {"b_id": r["id"], "b_code": code, "b_source": DIRECTORY_COUNTRY}
            for r in rows
            if (code := resolve_country(r["country"])) is not None
        ]
        if updates and session.get_bind().dialect.name == "sqlite":  # the driver's executemany
            pairs = [(u["b_code"], u["b_id"]) for u in updates]
            cur = dbapi(session).cursor()
            try:
                cur.executemany("UPDATE exposures SET directory_jurisdiction = ? WHERE id = ?", pairs)
                cur.executemany(
                    "UPDATE exposures SET jurisdiction = ?, jurisdiction_source = ? "
                    "WHERE id = ? AND jurisdiction IS NULL",
                    [(code, DIRECTORY_COUNTRY, i) for code, i in pairs],
                )
            finally:
                cur.close()
        elif updates:
            session.connection().execute(_SET_DIRECTORY, updates)
            session.connection().execute(_SET_JURISDICTION, updates)
        progress.advance(len(rows))
    progress.finish()


def run_scope(
    engine: Engine,
    incident_id: int,
    directory: DirectorySource,
    *,
    settings: ScopeSettings | None = None,
    progress: Progress | None = None,
    clock: Clock | None = None,
    author: str = api.DEFAULT_AUTHOR,
) -> dict[str, Any]:
    """Match, roll up and store; returns the summary that is also stored in ``scope_runs``."""
    settings = settings or ScopeSettings()
    progress = progress or NullProgress()
    clock = clock or SystemClock()
    with tempfile.TemporaryDirectory(prefix="breachscope-scope-") as tmp, session_scope(engine) as session:
        key = api.case_key(session, incident_id)
        if api.count_exposures(session, incident_id) == 0:
            raise BreachscopeError(
                f"incident {incident_id} has no leaked people to scope yet",
                f"attach the leaked file first: breachscope case attach {incident_id} FILE",
            )
        con = connect_duckdb(settings, Path(tmp))
        try:
            _load_leak(con, session, incident_id, progress)
            load_directory(con, directory, progress=progress)
            progress.start("Matching")
            matching.prepare_directory(con, key, settings.admin_roles)
            matching.match(con)
            matching.rollup(con)
            counts = matching.summary_counts(con)
            keys = matching.key_counts(con)
            progress.finish()
            _store(con, session, incident_id, progress)
        finally:
            con.close()
        session.flush()
        store_org_rollup(session, incident_id)
        minimised = minimise(session, incident_id)  # drop what no notice to a notifiable person needs
        juris = jurisdiction_counts(session, incident_id)
        checks = jurisdiction_checks(session, incident_id)
        summary: dict[str, Any] = {
            **counts,
            "matched_by_key": keys,
            "jurisdictions": juris,
            "jurisdiction_checks": checks,
            "directory": directory.describe(),
            "admin_roles": list(settings.admin_roles),
        }
        described = directory.describe()
        session.add(ScopeRun(incident_id=incident_id, at=clock.now(), directory=described, summary=summary))
        api.add_timeline_event(
            session,
            incident_id,
            f"Scope: {counts['affected_users']:,} affected users in {counts['affected_orgs']:,} orgs, "
            f"{counts['admins']:,} admins, {counts['unmatched_people']:,} unmatched leaked people"
            + checks_sentence(checks),
            author=author,
            kind="scope",
            clock=clock,
        )
        api.add_timeline_event(
            session, incident_id, minimised.message(), author=author, kind="minimise", clock=clock
        )
    return summary
