from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Account, Exposure, Match
from breachscope.case.purge import audit_log, purge
from breachscope.clock import FixedClock
from breachscope.errors import BreachscopeError
from breachscope.scope.directory import DirectorySource
from breachscope.scope.run import run_scope
from tests.case_helpers import make_case, write_directory

CANARY_EMAIL = "purge-canary-7f3a9@example.com"
CANARY_NAME = "Zebulon Purgeworthy"


def _case(engine: Engine, clock: FixedClock, tmp_path: Path) -> int:
    iid = make_case(
        engine,
        clock,
        [{"user_id": "u1", "$email": CANARY_EMAIL, "$name": CANARY_NAME, "$city": "Bandung"}],
    )
    directory = write_directory(
        tmp_path / "dir.csv", [{"user_id": "u1", "email": CANARY_EMAIL, "org_id": "o1", "role": "admin"}]
    )
    run_scope(engine, iid, DirectorySource(str(directory)), clock=clock)
    return iid


def _file_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def test_purge_really_deletes_from_the_sqlite_file(tmp_path: Path, clock: FixedClock) -> None:
    db = tmp_path / "case.db"
    engine = open_case_db(f"sqlite:///{db}")
    iid = _case(engine, clock, tmp_path)
    engine.dispose()
    before = _file_bytes(db)
    assert CANARY_EMAIL.encode() in before  # the test can fail: the value was there
    assert CANARY_NAME.encode() in before

    engine = open_case_db(f"sqlite:///{db}")
    deleted = purge(engine, iid, actor="dpo", clock=clock, reason="retention ended")
    engine.dispose()
    assert deleted["exposures"] == 1 and deleted["matches"] == 1 and deleted["accounts"] == 1

    after = _file_bytes(db)
    for needle in (CANARY_EMAIL, CANARY_NAME, "Bandung"):
        assert needle.encode() not in after, f"{needle} still in the database file"
        assert needle.encode("utf-16-le") not in after


def test_purge_keeps_the_incident_and_an_audit_record(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    iid = _case(engine, clock, tmp_path)
    purge(engine, iid, actor="dpo", clock=clock, reason="retention ended")
    with session_scope(engine) as s:
        incident = api.get_incident(s, iid)
        assert incident.status == "purged" and incident.hash_key is None
        assert incident.purged_at == clock.now()
        for model in (Exposure, Match, Account):
            assert s.scalars(select(model).where(model.incident_id == iid)).first() is None
        [audit] = audit_log(s, iid)
        assert (audit.action, audit.actor, audit.at) == ("purge", "dpo", clock.now())
        assert audit.detail["reason"] == "retention ended"
        assert audit.detail["deleted"]["exposures"] == 1
        assert api.timeline(s, iid)[-1].kind == "purge"
        [ds] = api.list_datasets(s, iid)
        assert ds.sha256 == "a" * 64  # the file's fingerprint stays as evidence
    with pytest.raises(BreachscopeError, match="purged"), session_scope(engine) as s:
        api.case_key(s, iid)


def test_purge_reduces_scan_reports_to_class_results(engine: Engine, clock: FixedClock) -> None:
    scan = {
        "schema": "breachscope.scan/1",
        "classes": {
            "email": {"status": "present", "examples": ["a***@***.com"]},
            "password": {"status": "absent"},
        },
        "sources": [{"columns": [{"name": "$email", "preview": "a***@***.com"}]}],
    }
    with session_scope(engine) as s:
        iid = api.create_incident(s, "x", clock=clock).id
        api.attach_dataset(
            s, iid, file_name="f", sha256="0" * 64, size_bytes=1, format="csv", scan=scan, clock=clock
        )
    purge(engine, iid, clock=clock)
    with session_scope(engine) as s:
        [ds] = api.list_datasets(s, iid)
        assert ds.scan_json == {
            "schema": "breachscope.scan/1",
            "classes": {"email": {"status": "present"}, "password": {"status": "absent"}},
            "purged": True,
        }
