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

from breachscope.scope.directory import admin_roles_sql
from breachscope.scope.emails import normalise_email, skeleton_email

STRENGTH: dict[str, int] = {
    "user_id": 4,
    "distinct_id": 4,
    "email": 3,
    "email_loose": 2,
    "org_id": 1,
    "email_lookalike": 0,
}

#: DuckDB schema of the ``leak`` table that :func:`match` reads.
LEAK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("exposure_id", "BIGINT"),
    ("distinct_id_hash", "VARCHAR"),
    ("user_id_hash", "VARCHAR"),
    ("email_hash", "VARCHAR"),
    ("email_loose_hash", "VARCHAR"),
    ("email_skeleton_hash", "VARCHAR"),
    ("org_id_hash", "VARCHAR"),
)

_PRINTABLE_ASCII = "'[ -~]*'"


def _blob(data: bytes) -> str:
    return "'" + "".join(f"\\x{b:02X}" for b in data) + "'::BLOB"


def create_hash_macro(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """``bs_h(text)``: HMAC-SHA256 under ``key``, hex, first 32 chars (= ``hashing.keyed_hash``)."""
    if len(key) > 64:
        raise ValueError("HMAC keys longer than one SHA-256 block are not supported here")
    padded = key.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in padded)
    opad = bytes(b ^ 0x5C for b in padded)
    con.execute(
        f"CREATE OR REPLACE TEMP MACRO bs_h(v) AS "
        f"CASE WHEN v IS NULL THEN NULL ELSE "
        f"left(sha256({_blob(opad)} || unhex(sha256({_blob(ipad)} || encode(v)))), 32) END"
    )


def _email_map(con: duckdb.DuckDBPyConnection) -> None:
    """Normal and skeleton forms of the directory's non-ASCII emails, computed in Python."""
    con.execute("CREATE OR REPLACE TEMP TABLE email_map (raw VARCHAR, norm VARCHAR, skel VARCHAR)")
    rows = con.execute(
        f"SELECT DISTINCT email FROM dir_raw WHERE email IS NOT NULL "
        f"AND NOT regexp_full_match(email, {_PRINTABLE_ASCII})"
    ).fetchall()
    mapped = []
    for (raw,) in rows:
        norm = normalise_email(raw)
        mapped.append((raw, norm, skeleton_email(norm)))
    if mapped:
        con.executemany("INSERT INTO email_map VALUES (?, ?, ?)", mapped)


def prepare_directory(con: duckdb.DuckDBPyConnection, key: bytes, admin_roles: tuple[str, ...]) -> None:
    """Table ``dir``: ``dir_raw`` plus keyed hashes of its user id, emails and org id."""
    create_hash_macro(con, key)
    _email_map(con)
    # Printable ASCII: NFKC is the identity, casefold is lower(), strip() only removes spaces.
    # The same rules as breachscope.scope.emails, checked against it by the tests.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE dir_norm AS
        SELECT d.*,
               CASE WHEN d.email IS NULL THEN NULL
                    WHEN regexp_full_match(d.email, {_PRINTABLE_ASCII}) THEN
                        CASE WHEN regexp_full_match(lower(trim(d.email)), '[^@].*@.*[^@]')
                             THEN lower(trim(d.email)) END
                    ELSE m.norm END AS email_norm,
               CASE WHEN d.email IS NULL THEN NULL
                    WHEN regexp_full_match(d.email, {_PRINTABLE_ASCII}) THEN NULL
                    ELSE m.skel END AS email_skel
        FROM dir_raw d LEFT JOIN email_map m ON d.email = m.raw
        """
    )
    local = "regexp_replace(regexp_extract(email_norm, '(?s)^(.*)@[^@]*$', 1), '(?s)\\+.*$', '')"
    domain = "split_part(email_norm, '@', -1)"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE dir AS
        SELECT *,
               bs_h(user_id) AS uid_h,
               bs_h(email_norm) AS email_h,
               bs_h(email_loose) AS loose_h,
               bs_h(coalesce(email_skel, email_norm)) AS skel_h,
               bs_h(org_id) AS org_h,
               lower(coalesce(role, '')) IN {admin_roles_sql(admin_roles)} AS is_admin
        FROM (
            SELECT *,
                   CASE WHEN email_norm IS NULL THEN NULL
                        WHEN {domain} IN ('gmail.com', 'googlemail.com')
                            THEN replace({local}, '.', '') || '@gmail.com'
                        ELSE {local} || '@' || {domain}
                   END AS email_loose
            FROM dir_norm
        )
        """
    )
    con.execute("DROP TABLE dir_norm")


def create_leak_table(con: duckdb.DuckDBPyConnection) -> None:
    cols = ", ".join(f"{name} {sqltype}" for name, sqltype in LEAK_COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE leak ({cols})")


def match(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``result``: one row per (exposure, account or org) kept, with key, strength, ambiguous.

    Exposures with no row in ``result`` are unmatched.
    """
    s = STRENGTH
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cand AS
        SELECT l.exposure_id, d.user_id, 'user_id' AS key, {s["user_id"]} AS strength
            FROM leak l JOIN dir d ON l.user_id_hash = d.uid_h
        UNION ALL
        SELECT l.exposure_id, d.user_id, 'distinct_id', {s["distinct_id"]}
            FROM leak l JOIN dir d ON l.distinct_id_hash = d.uid_h
        UNION ALL
        SELECT l.exposure_id, d.user_id, 'email', {s["email"]}
            FROM leak l JOIN dir d ON l.email_hash = d.email_h
        UNION ALL
        SELECT l.exposure_id, d.user_id, 'email_loose', {s["email_loose"]}
            FROM leak l JOIN dir d ON l.email_loose_hash = d.loose_h
            WHERE l.email_hash IS DISTINCT FROM d.email_h
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE chosen AS
        WITH best AS (
            SELECT exposure_id, max(strength) AS strength FROM cand GROUP BY exposure_id
        ), kept AS (
            SELECT c.exposure_id, c.user_id, arg_min(c.key, c.key <> 'user_id') AS key, c.strength
            FROM cand c JOIN best b USING (exposure_id, strength)
            GROUP BY c.exposure_id, c.user_id, c.strength
        )
        SELECT k.*, count(*) OVER (PARTITION BY k.exposure_id) > 1 AS ambiguous FROM kept k
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE result AS
        SELECT c.exposure_id, c.user_id, d.org_id, c.key, c.strength, c.ambiguous
            FROM chosen c JOIN dir d USING (user_id)
        UNION ALL
        SELECT l.exposure_id, NULL, o.org_id, 'org_id', {s["org_id"]}, false
            FROM leak l
            JOIN (SELECT DISTINCT org_id, org_h FROM dir WHERE org_h IS NOT NULL) o
                ON l.org_id_hash = o.org_h
            ANTI JOIN chosen c ON c.exposure_id = l.exposure_id
        UNION ALL
        SELECT l.exposure_id, d.user_id, d.org_id, 'email_lookalike', {s["email_lookalike"]}, true
            FROM leak l JOIN dir d ON l.email_skeleton_hash = d.skel_h
            ANTI JOIN chosen c ON c.exposure_id = l.exposure_id
            WHERE l.email_hash IS DISTINCT FROM d.email_h
        """
    )
    con.execute("DROP TABLE cand")


def rollup(con: duckdb.DuckDBPyConnection) -> None:
    """Tables ``affected_orgs`` (org, counts, admins), ``affected_accounts`` (user and admin rows)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE affected_orgs AS
        SELECT r.org_id,
               any_value(d.org_name) FILTER (WHERE d.org_name IS NOT NULL) AS org_name,
               count(DISTINCT r.exposure_id) AS leaked_people,
               count(DISTINCT r.user_id) AS affected_users,
               count(DISTINCT r.exposure_id) FILTER (WHERE r.key = 'org_id') AS org_only
        FROM result r LEFT JOIN (SELECT DISTINCT org_id, org_name FROM dir) d USING (org_id)
        WHERE NOT r.ambiguous AND r.org_id IS NOT NULL
        GROUP BY r.org_id
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE affected_accounts AS
        WITH users AS (
            SELECT DISTINCT user_id FROM result WHERE NOT ambiguous AND user_id IS NOT NULL
        ), review AS (
            SELECT DISTINCT user_id FROM result WHERE ambiguous AND user_id IS NOT NULL
        ), admins AS (
            SELECT d.user_id FROM dir d JOIN affected_orgs o USING (org_id) WHERE d.is_admin
        )
        SELECT d.user_id, d.email, d.name, d.org_id, d.org_name, d.role, d.language, d.country,
               d.created, d.is_admin AND d.user_id IN (SELECT user_id FROM admins) AS is_admin,
               d.user_id IN (SELECT user_id FROM users) AS affected
        FROM dir d
        WHERE d.user_id IN (SELECT user_id FROM users)
           OR d.user_id IN (SELECT user_id FROM review)
           OR d.user_id IN (SELECT user_id FROM admins)
        """
    )


def summary_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Headline numbers of a match, from the tables above."""

    def one(sql: str) -> int:
        row = con.execute(sql).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    return {
        "leaked_people": one("SELECT count(*) FROM leak"),
        "directory_accounts": one("SELECT count(*) FROM dir"),
        "matched_people": one(
            "SELECT count(DISTINCT exposure_id) FROM result WHERE NOT ambiguous AND user_id IS NOT NULL"
        ),
        "org_only_people": one("SELECT count(DISTINCT exposure_id) FROM result WHERE key = 'org_id'"),
        "ambiguous_people": one(
            "SELECT count(DISTINCT exposure_id) FROM result WHERE ambiguous AND key <> 'email_lookalike'"
        ),
        "lookalike_people": one(
            "SELECT count(DISTINCT exposure_id) FROM result WHERE key = 'email_lookalike'"
        ),
        "unmatched_people": one(
            "SELECT count(*) FROM leak l ANTI JOIN "
            "(SELECT DISTINCT exposure_id FROM result WHERE NOT ambiguous AND user_id IS NOT NULL) r "
            "USING (exposure_id)"
        ),
        "affected_orgs": one("SELECT count(*) FROM affected_orgs"),
        "affected_users": one("SELECT count(*) FROM affected_accounts WHERE affected"),
        "admins": one("SELECT count(*) FROM affected_accounts WHERE is_admin"),
    }


def key_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "SELECT key, count(DISTINCT exposure_id) FROM result WHERE NOT ambiguous GROUP BY key ORDER BY key"
    ).fetchall()
    return {str(k): int(n) for k, n in rows}
