from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Account, Exposure, Match
from breachscope.case.purge import audit_log, purge
from breachscope.case.wipe import search
from breachscope.clock import FixedClock
from breachscope.errors import BreachscopeError
from breachscope.scope.directory import DirectorySource
from breachscope.scope.run import run_scope
from tests.case_helpers import fresh_pg_database, make_case, write_directory

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
    engine = open_case_db(f"sqlite:///{db}", create=True)
    iid = _case(engine, clock, tmp_path)
    engine.dispose()
    before = _file_bytes(db)
    assert CANARY_EMAIL.encode() in before  # the test can fail: the value was there
    assert CANARY_NAME.encode() not in before  # a leaked name is never stored: no stage reads it

    engine = open_case_db(f"sqlite:///{db}")
    result = purge(engine, iid, actor="dpo", clock=clock, reason="retention ended")
    engine.dispose()
    deleted = result.deleted
    assert deleted["exposures"] == 1 and deleted["matches"] == 1 and deleted["accounts"] == 1
    assert result.verified and result.left == {} and not result.server
    assert result.values_checked >= 3  # email, name, city ... of the exposure and the account
    assert "case.db" in result.files and "none found" in result.summary()

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


READER = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN")
print(con.execute("SELECT count(*) FROM exposures").fetchone()[0], flush=True)
sys.stdin.read()  # hold the read transaction until the test closes stdin
con.execute("COMMIT")
"""


def _many(engine: Engine, clock: FixedClock, tmp_path: Path, n: int = 300) -> int:
    rows = [
        {"user_id": f"u{i}", "$email": f"reader-{i:04d}@example.org", "$name": f"Person Number{i:04d}"}
        for i in range(n)
    ]
    iid = make_case(engine, clock, rows)
    directory = write_directory(
        tmp_path / "dir.csv", [{"user_id": f"u{i}", "email": f"reader-{i:04d}@example.org"} for i in range(n)]
    )
    run_scope(engine, iid, DirectorySource(str(directory)), clock=clock)
    return iid


def test_purge_refuses_while_another_process_holds_a_read_transaction(
    tmp_path: Path, clock: FixedClock
) -> None:
    """The reported bug: purge said success while a reader's snapshot kept 1,495 of 2,101 values."""
    db = tmp_path / "case.db"
    engine = open_case_db(f"sqlite:///{db}", create=True)
    iid = _many(engine, clock, tmp_path)
    engine.dispose()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "300"
        engine = open_case_db(f"sqlite:///{db}")
        with pytest.raises(BreachscopeError, match="open in another connection.*Nothing was changed"):
            purge(engine, iid, clock=clock, wait_s=0.5)
        with session_scope(engine) as s:  # nothing changed
            assert api.count_exposures(s, iid) == 300 and api.get_incident(s, iid).status == "open"
        engine.dispose()
    finally:
        assert reader.stdin is not None
        reader.stdin.close()
        reader.wait(timeout=30)
    engine = open_case_db(f"sqlite:///{db}")
    result = purge(engine, iid, clock=clock)
    engine.dispose()
    assert result.verified and result.values_checked == 301  # 300 account emails + the wrapped key
    data = _file_bytes(db)
    left = [i for i in range(300) if f"reader-{i:04d}@example.org".encode() in data]
    assert left == []


def test_purge_waits_for_a_reader_that_finishes(tmp_path: Path, clock: FixedClock) -> None:
    db = tmp_path / "case.db"
    engine = open_case_db(f"sqlite:///{db}", create=True)
    iid = _many(engine, clock, tmp_path, n=20)
    engine.dispose()
    script = READER.replace("sys.stdin.read()", "import time; time.sleep(1.0)")
    reader = subprocess.Popen([sys.executable, "-c", script, str(db)], stdout=subprocess.PIPE, text=True)
    assert reader.stdout is not None and reader.stdout.readline().strip() == "20"
    engine = open_case_db(f"sqlite:///{db}")
    result = purge(engine, iid, clock=clock, wait_s=30)
    engine.dispose()
    reader.wait(timeout=30)
    assert result.verified and result.deleted["exposures"] == 20


def test_a_value_another_incident_still_stores_is_not_a_failure(tmp_path: Path, clock: FixedClock) -> None:
    db = tmp_path / "case.db"
    engine = open_case_db(f"sqlite:///{db}", create=True)
    shared = [{"user_id": "u1", "$email": "shared-person@example.org", "$name": "Shared Person"}]
    first, second = make_case(engine, clock, shared), make_case(engine, clock, shared)
    result = purge(engine, first, clock=clock)
    assert result.verified and result.stored_elsewhere == 1  # the email the second incident keeps
    with session_scope(engine) as s:
        assert api.count_exposures(s, second) == 1
        [audit] = audit_log(s, first)
        assert audit.detail["verification"]["verified"] is True
        assert api.timeline(s, first)[-1].message.startswith("Purge check: searched case.db")
    engine.dispose()


def test_purge_on_postgresql_refuses_while_a_transaction_reads_the_case(
    pg_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    with fresh_pg_database(pg_url) as url:
        engine = open_case_db(url, create=True)
        iid = _many(engine, clock, tmp_path, n=10)
        reader = open_case_db(url).connect()
        try:
            reader.execute(select(Exposure.id).limit(1)).all()  # holds a lock until it ends
            with pytest.raises(BreachscopeError, match="in use by another connection.*Nothing was changed"):
                purge(engine, iid, clock=clock, wait_s=0.5)
            with session_scope(engine) as s:
                assert api.count_exposures(s, iid) == 10
            reader.rollback()
        finally:
            reader.close()
        result = purge(engine, iid, clock=clock, wait_s=5)
        assert result.server and not result.verified and result.deleted["exposures"] == 10
        assert "VACUUM FULL" in result.summary() and "not checked" in result.summary()
        engine.dispose()


@pytest.mark.parametrize(
    ("data", "needles", "found"),
    [
        (b"xxalice@example.orgyy", [b"alice@example.org", b"bob@example.org"], {0}),
        (b"", [b"alice@example.org"], set()),
        (b"short", [b"short"], set()),  # under 6 bytes: never searched (counted as such by purge)
        (b"abcdef" * 3, [b"abcdefabcdef", b"bcdefa", b"abcdeg"], {0, 1}),
        (b"\x00" * 5 + "Zoë Ñandú".encode(), ["Zoë Ñandú".encode()], {0}),
        (b"a" * ((1 << 22) - 3) + b"straddles-the-chunk", [b"straddles-the-chunk"], {0}),
    ],
)
def test_search(data: bytes, needles: list[bytes], found: set[int]) -> None:
    assert search(data, needles) == found


def test_purge_knows_every_purged_table_without_importing_a_stage() -> None:
    """The case is storage only: with nothing but ``case.purge`` imported, purge already lists
    every purge-marked table that importing all the stages declares (a stage that declared
    one in its own package would be missed by a ``case purge`` that never imported it)."""
    code = (
        "import sys\n"
        "from breachscope.case.purge import purge_tables\n"
        "alone = sorted(t.name for t in purge_tables())\n"
        "stages = sorted(m for m in sys.modules if m.startswith('breachscope.') "
        "and m.split('.')[1] not in ('case', 'clock', 'errors', 'files', 'hashing', 'taxonomy'))\n"
        "import pkgutil, importlib, breachscope\n"
        "for m in pkgutil.walk_packages(breachscope.__path__, 'breachscope.'):\n"
        "    if '.migrations' not in m.name and not m.name.startswith('breachscope.__'):\n"
        "        importlib.import_module(m.name)\n"
        "every = sorted(t.name for t in purge_tables())\n"
        "print(alone == every, 'notify_outbox' in alone, stages)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[:2] == ["True", "True"], out.stdout
    assert out.stdout.strip().endswith("[]"), out.stdout  # purge imported no stage
