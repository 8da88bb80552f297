"""The keyed hash in DuckDB SQL equals :func:`breachscope.hashing.keyed_hash` for every key length."""

from __future__ import annotations

import duckdb
import pytest

from breachscope.hashing import keyed_hash
from breachscope.identity.sql import create_hash_macro, hmac_sql

VALUES = ["rina@example.com", "", "Ünïcødé ✓", "a" * 300, "x'); DROP TABLE t; --"]


@pytest.mark.parametrize("length", [1, 16, 32, 63, 64, 65, 100, 200])
def test_sql_hmac_equals_python_hmac(length: int) -> None:
    key = bytes(range(256))[:length] if length <= 256 else b"k" * length
    con = duckdb.connect()
    create_hash_macro(con, key)
    for value in VALUES:
        by_macro = con.execute("SELECT bs_h(?)", [value]).fetchone()
        by_expr = con.execute(f"SELECT {hmac_sql(key, '?')}", [value]).fetchone()
        assert by_macro == by_expr == (keyed_hash(key, value),), (length, value)


def test_null_hashes_to_null() -> None:
    con = duckdb.connect()
    create_hash_macro(con, b"k" * 32)
    assert con.execute("SELECT bs_h(NULL::VARCHAR)").fetchone() == (None,)
