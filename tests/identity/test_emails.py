"""Email rules: Python (leak side) and DuckDB SQL (directory side) must agree exactly."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from breachscope.hashing import keyed_hash
from breachscope.identity.emails import loose_email, normalise_email, skeleton_email
from breachscope.scope.matching import prepare_directory

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("raw", "norm", "loose"),
    [
        ("Alice@Example.COM", "alice@example.com", "alice@example.com"),
        ("  alice@example.com\t\n", "alice@example.com", "alice@example.com"),
        ("ａｌｉｃｅ@ｅｘａｍｐｌｅ.com", "alice@example.com", "alice@example.com"),
        ("alice+news@example.com", "alice+news@example.com", "alice@example.com"),
        ("a.l.i.c.e+x@googlemail.com", "a.l.i.c.e+x@googlemail.com", "alice@gmail.com"),
        ("a.lice@example.com", "a.lice@example.com", "a.lice@example.com"),
        ("STRASSE@ex.de", "strasse@ex.de", "strasse@ex.de"),
        ("straße@ex.de", "strasse@ex.de", "strasse@ex.de"),  # casefold, not lower
        ("no-at-sign", None, None),
        ("@example.com", None, None),
        ("alice@", None, None),
        ("", None, None),
        ("a@b@c.com", "a@b@c.com", "a@b@c.com"),
    ],
)
def test_rules(raw: str, norm: str | None, loose: str | None) -> None:
    assert normalise_email(raw) == norm
    assert loose_email(normalise_email(raw)) == loose


def test_lookalikes_keep_their_own_normal_form_but_share_a_skeleton() -> None:
    real = normalise_email("paypal@example.com")
    fake = normalise_email("p\u0430yp\u0430l@example.com")  # Cyrillic а
    assert real != fake
    assert skeleton_email(real) == skeleton_email(fake) == "paypal@example.com"


def _sql_hashes(emails: list[str]) -> list[tuple[int | None, int | None, int | None]]:
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE dir_raw "
        "(user_id VARCHAR, email VARCHAR, org_id VARCHAR, org_name VARCHAR, role VARCHAR)"
    )
    con.executemany(
        "INSERT INTO dir_raw VALUES (?, ?, NULL, NULL, NULL)", [(str(i), e) for i, e in enumerate(emails)]
    )
    prepare_directory(con, KEY, ("admin",))
    rows = con.execute("SELECT email_h, loose_h, skel_h FROM dir ORDER BY user_id::INTEGER").fetchall()
    con.close()
    return [tuple(r) for r in rows]


def _py_hashes(raw: str) -> tuple[int | None, int | None, int | None]:
    norm = normalise_email(raw)

    def h(v: str | None) -> int | None:  # the directory side keeps the 128-bit hash as a number
        return int(keyed_hash(KEY, v), 16) if v is not None else None

    return h(norm), h(loose_email(norm)), h(skeleton_email(norm))


TRICKY = [
    "Alice@Example.COM",
    " bob@gmail.com ",
    "b.o.b+tag@GoogleMail.com",
    "ｆｕｌｌ@example.com",
    "zoe\u0308@example.com",
    "\u0430lice@example.com",
    "al\u200bice@example.com",
    "tab\t@example.com",
    "x@",
    "@x",
    "plain",
    "a+b+c@d.e",
    "straße@ex.de",
    "\u00a0nbsp@example.com\u3000",
    "0\n@Ex.com",
    "line\nbreak+tag@gmail.com",
]


def test_sql_and_python_agree_on_tricky_values() -> None:
    assert _sql_hashes(TRICKY) == [_py_hashes(e) for e in TRICKY]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.text(min_size=0, max_size=12)
        .map(lambda s: s.replace("\x00", ""))
        .map(lambda s: s if "@" in s else s + "@Ex.com"),
        min_size=1,
        max_size=20,
    )
)
def test_sql_and_python_agree_on_any_text(emails: list[str]) -> None:
    assert _sql_hashes(emails) == [_py_hashes(e) for e in emails]
