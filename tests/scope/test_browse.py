"""Keyset pages of a scope (scope/browse.py): every row exactly once across pages, email search by
keyed hash, unmatched and review lists; SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.scope import browse
from breachscope.scope.directory import DirectorySource
from breachscope.scope.run import run_scope
from tests.case_helpers import make_case, write_directory

ORGS = 7
DIRECTORY = [
    {
        "user_id": f"u{o}-{i}",
        "email": f"u{o}-{i}@org{o}.example",
        "org_id": f"org{o}",
        "org_name": f"Org {o}",
        "role": "admin" if i == 0 else "member",
    }
    for o in range(ORGS)
    for i in range(4)
]
LEAKED = [
    {"user_id": f"u{o}-{i}", "$email": f"U{o}-{i}@Org{o}.example"} for o in range(ORGS) for i in range(1, 4)
] + [{"$distinct_id": f"ghost{n}", "$email": f"ghost{n}@nowhere.example"} for n in range(5)]


@pytest.fixture
def scoped(engine: Engine, clock: FixedClock, tmp_path: Path) -> int:
    iid = make_case(engine, clock, LEAKED)
    run_scope(engine, iid, DirectorySource(str(write_directory(tmp_path / "d.csv", DIRECTORY))), clock=clock)
    return iid


def _walk(fetch, key: str) -> list[object]:  # type: ignore[no-untyped-def]
    seen: list[object] = []
    after = None
    for _ in range(100):
        page = fetch(after)
        seen.extend(r[key] for r in page.rows)
        if page.after is None:
            return seen
        after = page.after
    raise AssertionError("pagination did not end")


def test_org_pages_list_every_affected_org_once(engine: Engine, scoped: int) -> None:
    with session_scope(engine) as s:
        seen = _walk(lambda after: browse.orgs(s, scoped, after=after, limit=3), "org_id")
    assert seen == sorted(f"org{o}" for o in range(ORGS))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("org3", ["org3"]), ("Org 5", ["org5"]), ("Org", [f"org{o}" for o in range(ORGS)]), ("x", [])],
)
def test_org_search_by_id_or_name_prefix(engine: Engine, scoped: int, name: str, expected: list[str]) -> None:
    with session_scope(engine) as s:
        assert [r["org_id"] for r in browse.orgs(s, scoped, name=name).rows] == expected


def test_org_accounts_admins_and_affected_users(engine: Engine, scoped: int) -> None:
    with session_scope(engine) as s:
        admins = browse.org_accounts(s, scoped, "org2", admins=True).rows
        users = _walk(
            lambda after: browse.org_accounts(s, scoped, "org2", admins=False, after=after, limit=2),
            "user_id",
        )
    assert [a["user_id"] for a in admins] == ["u2-0"]
    assert admins[0]["email_masked"] != "u2-0@org2.example"  # masked
    assert sorted(users) == ["u2-1", "u2-2", "u2-3"]


@pytest.mark.parametrize(
    ("email", "in_leak", "accounts"),
    [
        ("u4-2@org4.example", True, ["u4-2"]),
        ("  U4-2@ORG4.EXAMPLE ", True, ["u4-2"]),  # the same normal form as attach
        ("ghost1@nowhere.example", True, []),
        ("u4-0@org4.example", False, []),  # an admin whose own record did not leak
        ("not an address", False, []),
    ],
)
def test_find_email_by_keyed_hash(
    engine: Engine, scoped: int, email: str, in_leak: bool, accounts: list[str]
) -> None:
    with session_scope(engine) as s:
        found = browse.find_email(s, scoped, email)
    assert bool(found["exposures"]) is in_leak
    assert [a["user_id"] for a in found["accounts"]] == accounts


def test_unmatched_pages(engine: Engine, scoped: int) -> None:
    with session_scope(engine) as s:
        ids = _walk(
            lambda after: browse.unmatched(s, scoped, after=after, limit=2),
            "exposure_id",
        )
        assert len(ids) == len(set(ids)) == 5
        assert browse.review(s, scoped).rows == []


def test_review_lists_ambiguous_people_with_their_candidates(engine: Engine, scoped: int) -> None:
    from sqlalchemy import select

    from breachscope.case.models import Account, Exposure, Match

    with session_scope(engine) as s:
        ghost = s.scalars(
            select(Exposure).where(Exposure.incident_id == scoped).order_by(Exposure.id.desc())
        ).first()
        accounts = list(
            s.scalars(select(Account).where(Account.org_id == "org1").order_by(Account.id).limit(2))
        )
        assert ghost is not None and len(accounts) == 2
        for a in accounts:
            s.add(Match(incident_id=scoped, exposure_id=ghost.id, account_id=a.id, key="email_lookalike",
                        strength=1, ambiguous=True))  # fmt: skip
        s.flush()
        rows = browse.review(s, scoped).rows
    assert [r["exposure_id"] for r in rows] == [ghost.id]
    assert rows[0]["reason"] == "look-alike" and rows[0]["match_keys"] == ["email_lookalike"]
    assert sorted(c["user_id"] for c in rows[0]["candidates"]) == sorted(a.user_id for a in accounts)
