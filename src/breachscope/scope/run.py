"""``scope``: match a case's leaked people to the directory and store who is affected.

Reads the exposures' keyed hashes from the case, loads the directory into DuckDB, matches and
rolls up there (see :mod:`breachscope.scope.matching`), then writes back to the case only what
later stages need: the accounts concerned (affected users, admins of affected orgs, accounts in
review items), the matches, each person's jurisdiction, and a summary. Re-running replaces the
previous scope of the incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.minimise import Minimised
from breachscope.case.models import Account, AffectedOrg, Match, ScopeRun
from breachscope.clock import Clock, SystemClock
from breachscope.errors import BreachscopeError
from breachscope.files import scratch_dir
from breachscope.identity.jurisdiction import DIRECTORY_COUNTRY, resolve_country
from breachscope.progress import NullProgress, Progress
from breachscope.scope import matching, store
from breachscope.scope.directory import DEFAULT_ADMIN_ROLES, DirectorySource, load_directory
from breachscope.scope.recipients import check_jurisdictions, checks_sentence, count_jurisdictions

#: What scope reads of each leaked person: the keyed hashes it matches on, and what it needs to
#: roll up, place and minimise the person without reading the exposures again.
_CASE_LEAK: tuple[tuple[str, str, str], ...] = (
    *((name, "id" if name == "exposure_id" else name, kind) for name, kind in matching.LEAK_COLUMNS),
    ("exposed_classes", "CAST(exposed_classes AS TEXT)", "VARCHAR"),
    ("country_code", "country_code", "VARCHAR"),
    ("jurisdiction", "jurisdiction", "VARCHAR"),
    ("jurisdiction_source", "jurisdiction_source", "VARCHAR"),
    ("directory_jurisdiction", "directory_jurisdiction", "VARCHAR"),
    ("has_email", "CASE WHEN email IS NULL THEN 0 ELSE 1 END", "INTEGER"),
    (
        "has_location",
        "CASE WHEN city IS NULL AND region IS NULL AND country IS NULL THEN 0 ELSE 1 END",
        "INTEGER",
    ),
    ("has_name", "CASE WHEN display_name IS NULL THEN 0 ELSE 1 END", "INTEGER"),
)
#: One update per exposure whose stored values change: the directory's jurisdiction, the main
#: jurisdiction it may fill, and the drops of :mod:`breachscope.case.minimise`.
_EXPOSURE_UPDATE = (
    "jurisdiction = {new_jurisdiction}, jurisdiction_source = {new_source}, "
    "directory_jurisdiction = {new_directory}, "
    "display_name = CASE WHEN {drop_name} = 1 THEN NULL ELSE display_name END, "
    "email = CASE WHEN {drop_email} = 1 THEN NULL ELSE email END, "
    "city = CASE WHEN {drop_location} = 1 THEN NULL ELSE city END, "
    "region = CASE WHEN {drop_location} = 1 THEN NULL ELSE region END, "
    "country = CASE WHEN {drop_location} = 1 THEN NULL ELSE country END"
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


def _load_leak(
    con: duckdb.DuckDBPyConnection, session: Session, incident_id: int, tmp: Path, progress: Progress
) -> int:
    """DuckDB tables ``leak`` (the matching input) and ``leak_info`` (the rest, by exposure id)."""
    total = api.count_exposures(session, incident_id)
    progress.start("Loading leaked people", total=total)
    sql = (
        f"SELECT {', '.join(f'{expr} AS {name}' for name, expr, _ in _CASE_LEAK)} FROM exposures "
        f"WHERE {api.settled_sql(session, incident_id)}"
    )
    matching.create_leak_table(con)
    hashes = {n for n, _ in matching.LEAK_COLUMNS if n != "exposure_id"}
    info = _CASE_LEAK[len(matching.LEAK_COLUMNS) :]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE leak_all AS SELECT *, "
        + ", ".join(f"CAST(NULL AS {t}) AS {n}" for n, _, t in info)
        + " FROM leak LIMIT 0"
    )
    insert = (
        "INSERT INTO leak_all SELECT "
        + ", ".join(f"hex_k({n})" if n in hashes else n for n, _, _ in _CASE_LEAK)
        + " FROM {rows}"
    )
    store.read_table(con, session, sql, [(n, t) for n, _, t in _CASE_LEAK], insert, tmp)
    progress.advance(total)
    con.execute(f"INSERT INTO leak SELECT {', '.join(n for n, _ in matching.LEAK_COLUMNS)} FROM leak_all")
    names = ", ".join(n for n, _, _ in info)
    con.execute(f"CREATE OR REPLACE TEMP TABLE leak_info AS SELECT exposure_id AS id, {names} FROM leak_all")
    con.execute("DROP TABLE leak_all")
    progress.finish()
    return total


def _country_codes(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``country_codes``: each directory country of the accounts concerned, resolved once."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT country FROM affected_accounts WHERE country IS NOT NULL"
        ).fetchall()
    ]
    codes = pa.table(
        {
            "country": pa.array(names, pa.string()),
            "code": pa.array([resolve_country(n) for n in names], pa.string()),
        }
    )
    con.register("country_codes_arrow", codes)
    con.execute("CREATE OR REPLACE TEMP TABLE country_codes AS SELECT * FROM country_codes_arrow")
    con.unregister("country_codes_arrow")


def _exposure_final(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``exposure_final``: each leaked person's stored values after this scope.

    Jurisdictions: every matched person also lives where the directory says (whatever the leak
    says), and people whose leaked record had no usable location get it as their main
    jurisdiction (a previous scope's directory jurisdiction is replaced). Drops: as
    :mod:`breachscope.case.minimise` says, from whether the person is notifiable (a non-ambiguous
    match to an account) or under review (an ambiguous or look-alike match).
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE exposure_final AS
        WITH per AS (
            SELECT exposure_id AS id,
                   bool_or(user_id IS NOT NULL AND NOT ambiguous) AS notifiable,
                   bool_or(ambiguous OR key = 'email_lookalike') AS review
            FROM result GROUP BY exposure_id
        ), dirc AS (
            SELECT r.exposure_id AS id, any_value(c.code) AS code
            FROM result r JOIN dir_raw d USING (user_id) JOIN country_codes c ON c.country = d.country
            WHERE NOT r.ambiguous AND c.code IS NOT NULL
            GROUP BY r.exposure_id
        ), base AS (
            SELECT l.*, d.code AS dcode,
                   coalesce(p.notifiable, false) AS notifiable, coalesce(p.review, false) AS review,
                   CASE WHEN l.jurisdiction_source = '{DIRECTORY_COUNTRY}' THEN NULL
                        ELSE l.jurisdiction END AS j0,
                   CASE WHEN l.jurisdiction_source = '{DIRECTORY_COUNTRY}' THEN NULL
                        ELSE l.jurisdiction_source END AS s0
            FROM leak_info l LEFT JOIN per p USING (id) LEFT JOIN dirc d USING (id)
        )
        SELECT id, country_code, notifiable, review, has_email, has_location, has_name,
               jurisdiction AS old_jurisdiction, jurisdiction_source AS old_source,
               directory_jurisdiction AS old_directory,
               coalesce(j0, dcode) AS new_jurisdiction,
               CASE WHEN j0 IS NULL AND dcode IS NOT NULL THEN '{DIRECTORY_COUNTRY}'
                    ELSE s0 END AS new_source,
               dcode AS new_directory,
               has_name AS drop_name,
               CASE WHEN has_email = 1 AND NOT review THEN 1 ELSE 0 END AS drop_email,
               CASE WHEN has_location = 1 AND NOT notifiable AND NOT review THEN 1 ELSE 0 END AS drop_location
        FROM base
        """
    )


def _minimised(con: duckdb.DuckDBPyConnection) -> Minimised:
    row = con.execute(
        """
        SELECT count(*) FILTER (WHERE has_name = 1),
               count(*) FILTER (WHERE notifiable AND NOT review AND has_email = 1),
               count(*) FILTER (WHERE NOT notifiable AND NOT review AND (has_email = 1 OR has_location = 1)),
               count(*) FILTER (WHERE review AND NOT notifiable)
        FROM exposure_final
        """
    ).fetchone()
    assert row is not None
    return Minimised(*(int(v) for v in row))


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, Any, int]]:
    return [(a, b, int(n)) for a, b, n in con.execute(sql).fetchall()]


def _org_rollup_sql(incident_id: int) -> str:
    """The affected-organization roll-up (see :mod:`breachscope.scope.rollup`) as ``affected_orgs`` rows."""
    return f"""
        WITH names AS (
            SELECT org_id, max(org_name) AS org_name, count(*) FILTER (WHERE is_admin) AS admins
            FROM affected_accounts WHERE org_id IS NOT NULL GROUP BY org_id
        ), sets AS (
            SELECT DISTINCT r.org_id, l.exposed_classes
            FROM result r JOIN leak_info l ON l.id = r.exposure_id
            WHERE NOT r.ambiguous AND r.org_id IS NOT NULL
        ), classes AS (
            SELECT org_id, list_sort(list(DISTINCT c)) AS classes
            FROM sets, unnest(CAST(coalesce(exposed_classes, '[]') AS JSON)::VARCHAR[]) t(c)
            GROUP BY org_id
        )
        SELECT {int(incident_id)} AS incident_id, o.org_id, n.org_name, o.leaked_people,
               o.affected_users, o.org_only AS org_only_people, coalesce(n.admins, 0) AS admins,
               CAST(to_json(coalesce(c.classes, [])) AS VARCHAR) AS exposed_classes
        FROM affected_orgs o LEFT JOIN names n USING (org_id) LEFT JOIN classes c USING (org_id)
        ORDER BY o.org_id
    """


def _clear(session: Session, incident_id: int) -> int:
    """Delete the incident's previous scope (matches, accounts, roll-up); returns the first free
    account id (assigned in DuckDB, under a write lock, so that matches can name their account
    without a Python map of millions of user ids)."""
    session.execute(delete(Match).where(Match.incident_id == incident_id))
    session.execute(delete(AffectedOrg).where(AffectedOrg.incident_id == incident_id))
    session.execute(delete(Account).where(Account.incident_id == incident_id))
    if store.is_postgres(session):  # SQLite already holds its write lock after the deletes above
        session.execute(text("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE"))
    return int(session.scalar(select(func.coalesce(func.max(Account.id), 0))) or 0) + 1


def _store(
    con: duckdb.DuckDBPyConnection, session: Session, incident_id: int, tmp: Path, progress: Progress
) -> tuple[Any, Path] | None:
    """Replace the incident's accounts, matches and org roll-up with this run's; update the
    exposures whose jurisdictions change or whose values are dropped. Returns the scratch
    database to detach once the session is done (see :func:`store.attach_scratch`)."""
    attached = store.attach_scratch(session, tmp)  # before the first write
    scratch = attached[1] if attached else None
    first = _clear(session, incident_id)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE account_ids AS SELECT user_id, "
        f"{first - 1} + row_number() OVER (ORDER BY user_id) AS account_id FROM affected_accounts"
    )
    progress.start("Storing accounts")
    store.write_table(
        con,
        session,
        "accounts",
        f"""SELECT i.account_id AS id, {int(incident_id)} AS incident_id, a.user_id, a.email, a.name,
                  a.org_id, a.org_name, a.role, a.language, a.country, c.code AS country_code, a.created,
                  CAST(a.is_admin AS INTEGER) AS is_admin, CAST(a.affected AS INTEGER) AS affected
           FROM affected_accounts a JOIN account_ids i USING (user_id)
           LEFT JOIN country_codes c ON c.country = a.country
           ORDER BY i.account_id""",
        tmp,
        progress,
        scratch,
    )
    if store.is_postgres(session):
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('accounts', 'id'), (SELECT max(id) FROM accounts))")
        )
    progress.start("Storing matches")
    store.write_table(
        con,
        session,
        "matches",
        f"""SELECT {int(incident_id)} AS incident_id, r.exposure_id, i.account_id, r.org_id, r.key,
                  r.strength, CAST(r.ambiguous AS INTEGER) AS ambiguous
           FROM result r LEFT JOIN account_ids i USING (user_id) ORDER BY r.exposure_id""",
        tmp,
        progress,
        scratch,
    )
    store.write_table(con, session, "affected_orgs", _org_rollup_sql(incident_id), tmp, progress, scratch)
    progress.start("Resolving jurisdictions")
    store.update_exposures(
        con,
        session,
        """SELECT id, new_jurisdiction, new_source, new_directory, drop_name, drop_email, drop_location
           FROM exposure_final
           WHERE new_jurisdiction IS DISTINCT FROM old_jurisdiction OR new_source IS DISTINCT FROM old_source
              OR new_directory IS DISTINCT FROM old_directory
              OR drop_name = 1 OR drop_email = 1 OR drop_location = 1
           ORDER BY id""",
        _EXPOSURE_UPDATE,
        tmp,
        progress,
        scratch,
    )
    progress.finish()
    return attached


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
    attached: list[tuple[Any, Path] | None] = []  # the scratch database, detached after commit
    with scratch_dir("breachscope-scope-") as tmp:
        try:
            with session_scope(engine) as session:
                return _run(
                    session, incident_id, directory, settings, progress, clock, author, Path(tmp), attached
                )
        finally:
            for scratch in attached:
                store.detach_scratch(scratch)


def _run(
    session: Session,
    incident_id: int,
    directory: DirectorySource,
    settings: ScopeSettings,
    progress: Progress,
    clock: Clock,
    author: str,
    tmp: Path,
    attached: list[tuple[Any, Path] | None],
) -> dict[str, Any]:
    key = api.case_key(session, incident_id)
    if api.count_exposures(session, incident_id) == 0:
        raise BreachscopeError(
            f"incident {incident_id} has no leaked people to scope yet",
            f"attach the leaked file first: breachscope case attach {incident_id} FILE",
        )
    con = connect_duckdb(settings, tmp)
    try:
        _load_leak(con, session, incident_id, tmp, progress)
        load_directory(con, directory, progress=progress)
        progress.start("Matching")
        matching.prepare_directory(con, key, settings.admin_roles)
        matching.match(con)
        matching.rollup(con)
        counts = matching.summary_counts(con)
        keys = matching.key_counts(con)
        _country_codes(con)
        _exposure_final(con)
        for done in ("leak", "dir", "dir_raw"):  # memory for the writes
            con.execute(f"DROP TABLE {done}")
        minimised = _minimised(con)
        juris = count_jurisdictions(
            _rows(con, "SELECT new_jurisdiction, new_directory, count(*) FROM exposure_final GROUP BY ALL")
        )
        checks = check_jurisdictions(
            _rows(con, "SELECT country_code, new_directory, count(*) FROM exposure_final GROUP BY ALL")
        )
        progress.finish()
        attached.append(_store(con, session, incident_id, tmp, progress))
    finally:
        con.close()
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
