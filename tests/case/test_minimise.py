"""Store the minimum: after scope, raw values no notice to a notifiable person needs are dropped."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.scope.directory import DirectorySource
from breachscope.scope.run import run_scope
from tests.case_helpers import make_case, write_directory

LEAKED = [
    {
        "user_id": "u1",
        "$email": "matched@example.com",
        "$name": "Matt",
        "$city": "Bandung",
        "$region": "West Java",
    },
    {"$email": "\u0441yril@example.com", "$name": "Cy", "$city": "Riga"},  # look-alike of cyril@: review
    {"user_id": "u404", "$email": "nobody@example.com", "$name": "No One", "$city": "Toronto"},
]
DIRECTORY = [
    {"user_id": "u1", "email": "matched@example.com", "name": "Matt Directory", "org_id": "o1"},
    {"user_id": "u11", "email": "cyril@example.com", "org_id": "o1"},
]


def test_scope_drops_what_no_notice_needs(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    iid = make_case(engine, clock, LEAKED)
    with session_scope(engine) as s:
        before = {e.email: e for e in api.get_exposures(s, iid)}
        assert all(e.display_name is None for e in before.values())  # never stored
        assert set(before) == {"matched@example.com", "\u0441yril@example.com", "nobody@example.com"}
    directory = write_directory(tmp_path / "dir.csv", DIRECTORY)
    run_scope(engine, iid, DirectorySource(str(directory)), clock=clock)
    with session_scope(engine) as s:
        people = {e.person_key_kind + ":" + (e.city or "-"): e for e in api.get_exposures(s, iid)}
        timeline = api.timeline(s, iid)
    matched = people["user_id:Bandung"]  # notifiable: location kept (notices quote it), email dropped
    assert matched.email is None and matched.city == "Bandung" and matched.region == "West Java"
    review = people["email:Riga"]  # under review: kept until a person decides
    assert review.email == "\u0441yril@example.com"
    unmatched = people["user_id:-"]  # can never be notified: email and location dropped
    assert (unmatched.email, unmatched.city, unmatched.region, unmatched.country) == (None, None, None, None)
    assert unmatched.exposed_classes and unmatched.email_hash  # classes and hashes stay (counts, re-scope)
    [event] = [e for e in timeline if e.kind == "minimise"]
    assert "emails and locations of 1 unmatched people dropped" in event.message
    assert "leaked emails of 1 notifiable people dropped" in event.message
    assert "1 people under review" in event.message


def test_the_dropped_values_are_gone_from_the_sqlite_file(tmp_path: Path, clock: FixedClock) -> None:
    from breachscope.case.db import open_case_db

    db = tmp_path / "case.db"
    engine = open_case_db(f"sqlite:///{db}", create=True)
    iid = make_case(engine, clock, LEAKED)
    run_scope(engine, iid, DirectorySource(str(write_directory(tmp_path / "d.csv", DIRECTORY))), clock=clock)
    engine.dispose()  # the last connection checkpoints the WAL into the file
    data = b"".join(p.read_bytes() for p in tmp_path.glob("case.db*") if not p.name.endswith(".key"))
    assert b"nobody@example.com" not in data and b"Toronto" not in data
    assert "\u0441yril@example.com".encode() in data  # the test can fail: kept values are found
