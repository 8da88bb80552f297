"""Matching rules, table-driven: each leaked row is one person; ``$name`` labels the case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Account, Exposure, Match
from breachscope.clock import FixedClock
from breachscope.scope.directory import DirectorySource
from breachscope.scope.run import run_scope
from tests.case_helpers import fresh_pg_database, make_case, write_directory


def _acc(uid: str, email: str, org: str = "o9", role: str = "member") -> dict[str, str]:
    return {"user_id": uid, "email": email, "org_id": org, "org_name": org.upper(), "role": role}


DIRECTORY = [
    _acc("u1", "alice@example.com", "o1"),
    _acc("u2", "bob@gmail.com", "o1", "admin"),
    _acc("u3", "carol@example.com", "o2"),
    _acc("u4", "dave@example.com", "o2", "Owner"),
    _acc("u5", "shared@example.com", "o3"),
    _acc("u6", " Shared@Example.com", "o3"),
    _acc("u7", "erin@example.com", "o4", "admin"),
    _acc("u8", "zoë@example.com", "o4"),
    _acc("u9", "trail@example.com"),
    _acc("u10", "full@example.com"),
    _acc("u11", "cyril@example.com"),
    _acc("u12", "zw@example.com"),
    _acc("u13", "plus@example.com"),
    _acc("u14", "dotty@gmail.com"),
    _acc("u15", "gm@gmail.com"),
    _acc("u16", "alex@example.com"),
]

# (label, leaked fields, expected (key, user_id or org_id, ambiguous) rows; [] = unmatched).
# Every leaked person has a different person key (distinct id, else user id, else email).
CASES: list[tuple[str, dict[str, str], list[tuple[str, str, bool]]]] = [
    ("user id", {"user_id": "u3"}, [("user_id", "u3", False)]),
    ("distinct id", {"$distinct_id": "u4", "$email": "x@other.org"}, [("distinct_id", "u4", False)]),
    ("uppercase", {"$email": "ALICE@EXAMPLE.COM"}, [("email", "u1", False)]),
    ("trailing spaces", {"$email": "  trail@example.com \t"}, [("email", "u9", False)]),
    ("fullwidth NFKC", {"$email": "ｆｕｌｌ@example.com"}, [("email", "u10", False)]),
    ("NFC vs NFD", {"$email": "zoe\u0308@example.com"}, [("email", "u8", False)]),
    ("cyrillic lookalike", {"$email": "\u0441yril@example.com"}, [("email_lookalike", "u11", True)]),
    ("greek lookalike", {"$email": "b\u03bfb@gmail.com"}, [("email_lookalike", "u2", True)]),
    ("zero-width lookalike", {"$email": "z\u200bw@example.com"}, [("email_lookalike", "u12", True)]),
    ("plus tag", {"$email": "plus+promo@example.com"}, [("email_loose", "u13", False)]),
    ("gmail dots", {"$email": "d.o.t.t.y@gmail.com"}, [("email_loose", "u14", False)]),
    ("googlemail plus", {"$email": "Gm+x@googlemail.com"}, [("email_loose", "u15", False)]),
    ("dots elsewhere", {"$email": "a.lex@example.com"}, []),
    ("duplicate email", {"$email": "shared@example.com"}, [("email", "u5", True), ("email", "u6", True)]),
    ("org only", {"org_id": "o2", "$email": "nobody@example.com"}, [("org_id", "o2", False)]),
    ("strongest wins", {"$distinct_id": "u7", "$email": "carol@example.com"}, [("distinct_id", "u7", False)]),
    ("same account twice", {"$distinct_id": "u3", "user_id": "u3"}, [("user_id", "u3", False)]),
    (
        "ids disagree",
        {"$distinct_id": "u1", "user_id": "u3"},
        [("distinct_id", "u1", True), ("user_id", "u3", True)],
    ),
    ("anonymous", {"$distinct_id": "anon-123"}, []),
    ("id is case-sensitive", {"user_id": "U3"}, []),
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def scoped(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, list]]:
    """Run one scope over every case; map each case label to its (key, target, ambiguous) rows."""
    tmp = tmp_path_factory.mktemp("matching")
    clock = FixedClock(datetime(2025, 11, 27, tzinfo=UTC))
    with (
        fresh_pg_database(request.getfixturevalue("pg_url"))
        if request.param == "postgresql"
        else _nullctx(f"sqlite:///{tmp / 'case.db'}")
    ) as url:
        engine = open_case_db(url, create=True)
        leaked = [{**fields, "$name": label} for label, fields, _ in CASES]
        iid = make_case(engine, clock, leaked)
        directory = write_directory(tmp / "directory.csv", DIRECTORY)
        summary = run_scope(engine, iid, DirectorySource(str(directory)), clock=clock)
        out: dict[str, list] = {label: [] for label, _, _ in CASES}
        with session_scope(engine) as s:
            # Names are not stored (no stage reads them): one exposure per case row, in row order.
            ids = list(
                s.scalars(select(Exposure.id).where(Exposure.incident_id == iid).order_by(Exposure.id))
            )
            assert len(ids) == len(CASES)
            labels = dict(zip(ids, (label for label, _, _ in CASES), strict=True))
            stmt = (
                select(Exposure.id, Match.key, Account.user_id, Match.org_id, Match.ambiguous)
                .join(Match, Match.exposure_id == Exposure.id)
                .outerjoin(Account, Account.id == Match.account_id)
                .where(Exposure.incident_id == iid)
            )
            for eid, key, user_id, org_id, ambiguous in s.execute(stmt):
                out[labels[eid]].append((key, user_id if user_id is not None else org_id, ambiguous))
        out["__summary__"] = [summary]
        yield out
        engine.dispose()


class _nullctx:
    def __init__(self, value: str) -> None:
        self.value = value

    def __enter__(self) -> str:
        return self.value

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize(("label", "fields", "expected"), CASES, ids=[c[0] for c in CASES])
def test_matching_rule(
    scoped: dict[str, list], label: str, fields: dict[str, str], expected: list[tuple[str, str, bool]]
) -> None:
    assert sorted(scoped[label]) == sorted(expected)


def test_summary_counts(scoped: dict[str, list]) -> None:
    summary = scoped["__summary__"][0]
    assert summary["leaked_people"] == len(CASES)
    # no match at all (3), ambiguous (2), look-alike only (3), org only (1): no account for them
    assert summary["unmatched_people"] == 3 + 2 + 3 + 1
    assert summary["ambiguous_people"] == 2
    assert summary["lookalike_people"] == 3
    assert summary["org_only_people"] == 1
