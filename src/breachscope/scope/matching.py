"""Matching leaked people to directory accounts in DuckDB: strongest key first, never guessing.

Inputs are two DuckDB tables: ``leak`` (one row per exposure: its id and the keyed hashes stored
in the case) and ``dir_raw`` (the directory, see :mod:`breachscope.scope.directory`). The
directory's identifiers are normalised and keyed-hashed in SQL with the case's HMAC key (the
same HMAC-SHA256 as :func:`breachscope.hashing.keyed_hash`), so raw leaked values are never
needed and no Python dict of millions of rows is ever built.

Keys, strongest first (:data:`STRENGTH`): the user id or the vendor's distinct id equal to the
directory's user id; the normalised email; the loose email (plus-tag, Gmail dots: labelled and
weaker); then the org id alone (the person is not identified, but their organization is). For
each leaked person only the candidates of the strongest key that matched are kept; if they name
more than one account the match is ``ambiguous`` and listed, not resolved. A leaked email whose
look-alike skeleton equals a directory email, with no other match, is recorded as an
``email_lookalike`` review item (always ambiguous, never used as a match).
"""

from __future__ import annotations

import duckdb

from breachscope.identity.sql import create_hash_macro, email_loose_sql, email_map, email_norm_sql
from breachscope.scope.directory import admin_roles_sql

STRENGTH: dict[str, int] = {
    "user_id": 4,
    "distinct_id": 4,
    "email": 3,
    "email_loose": 2,
    "org_id": 1,
    "email_lookalike": 0,
}

#: The leak side as stored in the case (hex keyed hashes); :func:`insert_leak` loads rows of this
#: shape into the ``leak`` table, where the hashes become 128-bit integers.
LEAK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("exposure_id", "BIGINT"),
    ("distinct_id_hash", "VARCHAR"),
    ("user_id_hash", "VARCHAR"),
    ("email_hash", "VARCHAR"),
    ("email_loose_hash", "VARCHAR"),
    ("email_skeleton_hash", "VARCHAR"),
    ("org_id_hash", "VARCHAR"),
)


def prepare_directory(con: duckdb.DuckDBPyConnection, key: bytes, admin_roles: tuple[str, ...]) -> None:
    """Table ``dir``: ``dir_raw`` plus keyed hashes of its user id, emails and org id."""
    create_hash_macro(con, key)
    email_map(con, "dir_raw")
    # One pass. The loose form and the skeleton usually equal the normal form; then its hash is reused.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE dir AS
        WITH norm AS (
            SELECT d.*, {email_norm_sql("d.email", "m.norm")} AS email_norm, m.skel AS email_skel
            FROM dir_raw d LEFT JOIN email_map m ON d.email = m.raw
        ), loose AS (
            SELECT *, {email_loose_sql("email_norm")} AS email_loose FROM norm
        ), hashed AS (
            SELECT *, bs_k(user_id) AS uid_h, bs_k(email_norm) AS email_h FROM loose
        ), orgs AS (
            SELECT org_id, bs_k(org_id) AS org_h FROM (SELECT DISTINCT org_id FROM dir_raw)
        )
        SELECT h.user_id, h.org_id, h.org_name, h.uid_h, h.email_h,
               CASE WHEN email_loose = email_norm THEN email_h ELSE bs_k(email_loose) END AS loose_h,
               CASE WHEN email_skel IS NULL OR email_skel = email_norm THEN email_h ELSE bs_k(email_skel) END
                   AS skel_h,
               o.org_h,
               lower(coalesce(role, '')) IN {admin_roles_sql(admin_roles)} AS is_admin
        FROM hashed h LEFT JOIN orgs o USING (org_id)
        """
    )
    con.execute("DROP TABLE email_map")


def create_leak_table(con: duckdb.DuckDBPyConnection) -> None:
    """An empty ``leak`` table: exposure id and its keyed hashes as 128-bit integers."""
    con.execute("CREATE OR REPLACE TEMP MACRO hex_k(h) AS TRY_CAST('0x' || h AS UHUGEINT)")
    cols = ", ".join(
        f"{name} {'BIGINT' if name == 'exposure_id' else 'UHUGEINT'}" for name, _ in LEAK_COLUMNS
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE leak ({cols})")


def insert_leak(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Append rows shaped like :data:`LEAK_COLUMNS` (hex hashes) from ``relation`` to ``leak``."""
    exprs = ", ".join(name if name == "exposure_id" else f"hex_k({name})" for name, _ in LEAK_COLUMNS)
    con.execute(f"INSERT INTO leak SELECT {exprs} FROM {relation}")


def match(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``result``: one row per (exposure, account or org) kept, with key, strength, ambiguous.

    Exposures with no row in ``result`` are unmatched.
    """
    s = STRENGTH
    # One join instead of one per key: both sides in long form (owner, kind, hash), non-null only.
    # Leak kinds: 1 user id, 2 distinct id, 3 email, 4 loose email; directory kinds: 1 user id,
    # 2 email, 3 loose email. A leaked loose email can equal a directory email only where that
    # email's loose form is itself (no +tag, no Gmail dots), so directory loose hashes are listed
    # only where they differ from the email's.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cand AS
        WITH leak_keys AS (
            SELECT exposure_id, 1::UTINYINT AS kind, user_id_hash AS h
                FROM leak WHERE user_id_hash IS NOT NULL
            UNION ALL
            SELECT exposure_id, 2, distinct_id_hash FROM leak WHERE distinct_id_hash IS NOT NULL
            UNION ALL
            SELECT exposure_id, 3, email_hash FROM leak WHERE email_hash IS NOT NULL
            UNION ALL
            SELECT exposure_id, 4, email_loose_hash FROM leak WHERE email_loose_hash IS NOT NULL
        ), dir_keys AS (
            SELECT user_id, 1::UTINYINT AS kind, uid_h AS h FROM dir WHERE uid_h IS NOT NULL
            UNION ALL
            SELECT user_id, 2, email_h FROM dir WHERE email_h IS NOT NULL
            UNION ALL
            SELECT user_id, 3, loose_h FROM dir WHERE loose_h IS NOT NULL AND loose_h <> email_h
        )
        SELECT l.exposure_id, d.user_id, l.kind AS key,
               CASE l.kind WHEN 1 THEN {s["user_id"]} WHEN 2 THEN {s["distinct_id"]}
                           WHEN 3 THEN {s["email"]} ELSE {s["email_loose"]} END AS strength
        FROM leak_keys l JOIN dir_keys d ON l.h = d.h
        WHERE (l.kind IN (1, 2) AND d.kind = 1)
           OR (l.kind = 3 AND d.kind = 2)
           OR (l.kind = 4 AND d.kind IN (2, 3))
        """
    )
    # Most people have exactly one candidate: decide those in one aggregate; the rest (several
    # keys or accounts) go through the detailed path: strongest key only, ambiguous if >1 account.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE chosen AS
        WITH agg AS (
            SELECT exposure_id, count(*) AS n, any_value(user_id) AS user_id, any_value(key) AS key,
                   any_value(strength) AS strength
            FROM cand GROUP BY exposure_id
        ), multi AS (
            SELECT c.* FROM cand c SEMI JOIN (SELECT exposure_id FROM agg WHERE n > 1) m USING (exposure_id)
        ), best AS (
            SELECT exposure_id, user_id, min(key) AS key, strength  -- user id (1) before distinct id (2)
            FROM multi
            GROUP BY exposure_id, user_id, strength
            QUALIFY strength = max(strength) OVER (PARTITION BY exposure_id)
        )
        SELECT exposure_id, user_id, key, strength, false AS ambiguous FROM agg WHERE n = 1
        UNION ALL
        SELECT *, count(*) OVER (PARTITION BY exposure_id) > 1 AS ambiguous FROM best
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE result AS
        SELECT c.exposure_id, c.user_id, d.org_id, d.org_name,
               ['user_id', 'distinct_id', 'email', 'email_loose'][c.key] AS key, c.strength, c.ambiguous
            FROM chosen c JOIN dir d USING (user_id)
        UNION ALL
        SELECT l.exposure_id, NULL, o.org_id, o.org_name, 'org_id', {s["org_id"]}, false
            FROM leak l
            JOIN (SELECT org_id, org_h, any_value(org_name) AS org_name FROM dir
                  WHERE org_h IS NOT NULL GROUP BY org_id, org_h) o
                ON l.org_id_hash = o.org_h
            ANTI JOIN chosen c ON c.exposure_id = l.exposure_id
        UNION ALL
        SELECT l.exposure_id, d.user_id, d.org_id, d.org_name, 'email_lookalike', {s["email_lookalike"]}, true
            FROM leak l JOIN dir d ON l.email_skeleton_hash = d.skel_h
            ANTI JOIN chosen c ON c.exposure_id = l.exposure_id
            WHERE l.email_hash IS DISTINCT FROM d.email_h
        """
    )
    con.execute("DROP TABLE cand")


def rollup(con: duckdb.DuckDBPyConnection) -> None:
    """Tables ``affected_orgs`` (org, counts) and ``affected_accounts`` (users, admins, review)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE affected_orgs AS
        SELECT org_id,
               any_value(org_name) AS org_name,
               count(*) AS leaked_people,  -- a non-ambiguous person has exactly one result row
               count(DISTINCT user_id) AS affected_users,
               count(*) FILTER (WHERE key = 'org_id') AS org_only
        FROM result
        WHERE NOT ambiguous AND org_id IS NOT NULL
        GROUP BY org_id
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE affected_accounts AS
        WITH marks AS (
            SELECT user_id, bool_or(NOT ambiguous) AS affected
            FROM result WHERE user_id IS NOT NULL GROUP BY user_id
        )
        SELECT d.user_id, r.email, r.name, d.org_id, d.org_name, r.role, r.language, r.country,
               r.created, d.is_admin AND o.org_id IS NOT NULL AS is_admin,
               coalesce(m.affected, false) AS affected
        FROM dir d
        JOIN dir_raw r USING (user_id)
        LEFT JOIN marks m USING (user_id)
        LEFT JOIN (SELECT org_id FROM affected_orgs) o ON d.is_admin AND d.org_id = o.org_id
        WHERE m.user_id IS NOT NULL OR o.org_id IS NOT NULL
        """
    )


def summary_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Headline numbers of a match, from the tables above (one pass over ``result``)."""
    row = con.execute(
        """
        WITH per AS (
            SELECT bool_or(NOT ambiguous AND user_id IS NOT NULL) AS matched,
                   bool_or(key = 'org_id') AS org_only,
                   bool_or(ambiguous AND key <> 'email_lookalike') AS ambiguous,
                   bool_or(key = 'email_lookalike') AS lookalike
            FROM result GROUP BY exposure_id
        )
        SELECT (SELECT count(*) FROM leak), (SELECT count(*) FROM dir),
               count(*) FILTER (WHERE matched), count(*) FILTER (WHERE org_only),
               count(*) FILTER (WHERE ambiguous), count(*) FILTER (WHERE lookalike),
               (SELECT count(*) FROM affected_orgs),
               (SELECT count(*) FILTER (WHERE affected) FROM affected_accounts),
               (SELECT count(*) FILTER (WHERE is_admin) FROM affected_accounts)
        FROM per
        """
    ).fetchone()
    assert row is not None
    leaked, accounts, matched, org_only, ambiguous, lookalike, orgs, users, admins = (
        int(v or 0) for v in row
    )
    return {
        "leaked_people": leaked,
        "directory_accounts": accounts,
        "matched_people": matched,
        "org_only_people": org_only,
        "ambiguous_people": ambiguous,
        "lookalike_people": lookalike,
        "unmatched_people": leaked - matched,  # every exposure in ``result`` is in ``leak``
        "affected_orgs": orgs,
        "affected_users": users,
        "admins": admins,
    }


def key_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "SELECT key, count(DISTINCT exposure_id) FROM result WHERE NOT ambiguous GROUP BY key ORDER BY key"
    ).fetchall()
    return {str(k): int(n) for k, n in rows}
