"""Identity in DuckDB SQL: the keyed hash (HMAC-SHA256) and the email forms of :mod:`.emails`.

Every stage that hashes or normalises identifiers inside DuckDB (exposures, scope) uses these,
so a value hashed while attaching equals the same value hashed while scoping.
"""

from __future__ import annotations

import hashlib

import duckdb

from breachscope.identity.emails import normalise_email, skeleton_email

_BLOCK = 64  # SHA-256 block size in bytes
_PRINTABLE_ASCII = "'[ -~]*'"


def _blob(data: bytes) -> str:
    return "'" + "".join(f"\\x{b:02X}" for b in data) + "'::BLOB"


def hmac_sql(key: bytes, expr: str) -> str:
    """DuckDB SQL for HMAC-SHA256 of the text ``expr`` under ``key``: hex, first 32 chars, equal to
    :func:`breachscope.hashing.keyed_hash`. Keys longer than one SHA-256 block (64 bytes) are
    hashed first, as RFC 2104 says; this is the only HMAC written in SQL."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(_BLOCK, b"\0")
    ipad = bytes(b ^ 0x36 for b in padded)
    opad = bytes(b ^ 0x5C for b in padded)
    return f"left(sha256({_blob(opad)} || unhex(sha256({_blob(ipad)} || encode({expr})))), 32)"


def create_hash_macro(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """``bs_h(text)``: :func:`hmac_sql` as a macro; ``bs_k(text)`` the same 128 bits as a number;
    ``hex_k(hex)`` a stored hex hash as that number."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO bs_h(v) AS {hmac_sql(key, 'v')}")
    # The same 128 bits as a number: joins and aggregates on it are much cheaper than on text.
    con.execute("CREATE OR REPLACE TEMP MACRO bs_k(v) AS TRY_CAST('0x' || bs_h(v) AS UHUGEINT)")
    con.execute("CREATE OR REPLACE TEMP MACRO hex_k(h) AS TRY_CAST('0x' || h AS UHUGEINT)")


def email_map(con: duckdb.DuckDBPyConnection, relation: str, column: str = "email") -> None:
    """Table ``email_map (raw, norm, skel)``: normal and skeleton forms of the non-ASCII emails
    in ``relation.column``, computed in Python (ASCII ones take the SQL path of
    :func:`email_norm_sql`)."""
    con.execute("CREATE OR REPLACE TEMP TABLE email_map (raw VARCHAR, norm VARCHAR, skel VARCHAR)")
    rows = con.execute(
        f"SELECT DISTINCT {column} FROM {relation} WHERE {column} IS NOT NULL "
        f"AND NOT regexp_full_match({column}, {_PRINTABLE_ASCII})"
    ).fetchall()
    mapped = []
    for (raw,) in rows:
        norm = normalise_email(raw)
        mapped.append((raw, norm, skeleton_email(norm)))
    if mapped:
        con.executemany("INSERT INTO email_map VALUES (?, ?, ?)", mapped)


def email_norm_sql(raw: str, mapped_norm: str) -> str:
    """SQL for ``emails.normalise_email(raw)``; ``mapped_norm`` is ``email_map.norm`` joined on raw.

    Printable ASCII: NFKC is the identity, casefold is lower(), strip() only removes spaces - the
    same rules as :mod:`breachscope.identity.emails` (the tests check they agree)."""
    return (
        f"CASE WHEN {raw} IS NULL THEN NULL "
        f"WHEN regexp_full_match({raw}, {_PRINTABLE_ASCII}) THEN "
        f"CASE WHEN regexp_full_match(lower(trim({raw})), '[^@].*@.*[^@]') THEN lower(trim({raw})) END "
        f"ELSE {mapped_norm} END"
    )


def email_loose_sql(norm: str) -> str:
    """SQL for ``emails.loose_email(norm)`` (it usually equals ``norm``)."""
    local = f"regexp_replace(regexp_extract({norm}, '(?s)^(.*)@[^@]*$', 1), '(?s)\\+.*$', '')"
    domain = f"split_part({norm}, '@', -1)"
    return (
        f"CASE WHEN {norm} IS NULL THEN NULL "
        f"WHEN NOT regexp_matches({norm}, '[+]|@(gmail|googlemail)[.]com$') THEN {norm} "
        f"WHEN {domain} IN ('gmail.com', 'googlemail.com') THEN replace({local}, '.', '') || '@gmail.com' "
        f"ELSE {local} || '@' || {domain} END"
    )
