"""The per-case HMAC key is kept apart from the database: key file, environment, rotation, migration."""

from __future__ import annotations

import base64
import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text, update

from breachscope.case import api, keys
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Incident
from breachscope.case.purge import purge
from breachscope.cli import cli
from breachscope.clock import FixedClock
from breachscope.errors import BreachscopeError
from breachscope.hashing import keyed_hash
from tests.case_helpers import fresh_pg_database


def _new(tmp_path: Path, clock: FixedClock, name: str = "case.db") -> tuple[Engine, Path, int, bytes]:
    db = tmp_path / name
    engine = open_case_db(f"sqlite:///{db}", create=True)
    with session_scope(engine) as s:
        iid = api.create_incident(s, "leak", clock=clock).id
        key = api.case_key(s, iid)
    return engine, db, iid, key


def _bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*") if not p.name.endswith(".key"))


def test_the_key_lives_in_a_0600_file_next_to_the_database_not_in_it(
    tmp_path: Path, clock: FixedClock
) -> None:
    engine, db, iid, key = _new(tmp_path, clock)
    engine.dispose()
    key_file = tmp_path / "case.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key not in _bytes(db)  # the test can fail: the old versions stored it in the file
    assert key not in key_file.read_bytes()  # the key file holds the key-encryption key only

    # A copy of the database without its key file is useless for testing guesses
    copy = tmp_path / "copy" / "case.db"
    copy.parent.mkdir()
    shutil.copy(db, copy)
    other = open_case_db(f"sqlite:///{copy}")
    with (
        pytest.raises(BreachscopeError, match="key of this case database is missing"),
        session_scope(other) as s,
    ):
        api.case_key(s, iid)
    # ... and another database's key file does not open it
    _new(copy.parent, clock, "other.db")[0].dispose()
    shutil.copy(copy.parent / "other.db.key", copy.parent / "case.db.key")
    with pytest.raises(BreachscopeError, match="does not open incident"), session_scope(other) as s:
        api.case_key(s, iid)
    shutil.copy(key_file, copy.parent / "case.db.key")
    with session_scope(other) as s:
        assert api.case_key(s, iid) == key
    other.dispose()


def test_the_key_can_come_from_the_environment(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    kek = os.urandom(32)
    monkeypatch.setenv(keys.KEY_ENV, base64.b64encode(kek).decode())
    engine, _, iid, key = _new(tmp_path, clock)
    assert not (tmp_path / "case.db.key").exists()
    with session_scope(engine) as s:
        inc = api.get_incident(s, iid)
        assert inc.key_id == keys.key_id(kek) and inc.wrapped_key is not None
        assert keys.unwrap(kek, iid, inc.wrapped_key) == key
    monkeypatch.setenv(keys.KEY_ENV, "not base64!")
    with pytest.raises(BreachscopeError, match="does not hold a key"), session_scope(engine) as s:
        api.case_key(s, iid)
    engine.dispose()


def test_a_key_file_named_by_the_environment(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "vault" / "breachscope.key"
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(elsewhere))
    engine, _, iid, key = _new(tmp_path, clock)
    assert elsewhere.exists() and not (tmp_path / "case.db.key").exists()
    assert stat.S_IMODE(elsewhere.parent.stat().st_mode) == 0o700
    engine.dispose()


def test_an_older_case_has_its_plain_key_moved_out(tmp_path: Path, clock: FixedClock) -> None:
    """A case made before the key left the database: open it, the key moves and the bytes go."""
    engine, db, iid, _ = _new(tmp_path, clock)
    old_key = os.urandom(32)
    with engine.begin() as conn:  # what an older version stored
        conn.execute(update(Incident).values(hash_key=old_key, wrapped_key=None, key_id=None))
    engine.dispose()
    assert old_key in _bytes(db)
    engine = open_case_db(f"sqlite:///{db}")
    with session_scope(engine) as s:
        inc = api.get_incident(s, iid)
        assert inc.hash_key is None and inc.wrapped_key is not None
        assert api.case_key(s, iid) == old_key  # same key: the stored hashes stay valid
        event = api.timeline(s, iid)[-1]
        assert event.kind == "key" and "checked: none of the 1 old keys" in event.message
    engine.dispose()
    assert old_key not in _bytes(db)
    open_case_db(f"sqlite:///{db}").dispose()  # moving happens once
    with session_scope(open_case_db(f"sqlite:///{db}")) as s:
        assert [e.kind for e in api.timeline(s, iid)].count("key") == 1


def test_rotation_rewraps_every_case_key_and_keeps_the_hashes(tmp_path: Path, clock: FixedClock) -> None:
    engine, db, iid, key = _new(tmp_path, clock)
    with session_scope(engine) as s:
        second = api.create_incident(s, "second", clock=clock).id
        key2 = api.case_key(s, second)
    key_file = tmp_path / "case.db.key"
    before = key_file.read_bytes()
    engine.dispose()
    result = CliRunner().invoke(cli, ["case", "rotate-key", "--db", f"sqlite:///{db}"])
    assert result.exit_code == 0, result.output
    assert "2 case key(s) re-wrapped" in result.output
    assert key_file.read_bytes() != before and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (tmp_path / "case.db.key.new").exists()
    engine = open_case_db(f"sqlite:///{db}")
    with session_scope(engine) as s:
        assert api.case_key(s, iid) == key and api.case_key(s, second) == key2
        assert keyed_hash(api.case_key(s, iid), "a@example.com") == keyed_hash(key, "a@example.com")
        assert "Key-encryption key rotated" in api.timeline(s, iid)[-1].message
    engine.dispose()
    old = tmp_path / "old.db.key"
    old.write_bytes(before)
    os.environ[keys.KEY_FILE_ENV] = str(old)
    try:
        engine = open_case_db(f"sqlite:///{db}")
        with pytest.raises(BreachscopeError, match="does not open incident"), session_scope(engine) as s:
            api.case_key(s, iid)  # the old key no longer opens the case
        engine.dispose()
    finally:
        del os.environ[keys.KEY_FILE_ENV]


def test_an_interrupted_rotation_is_finished_on_next_use(tmp_path: Path, clock: FixedClock) -> None:
    engine, _, iid, key = _new(tmp_path, clock)
    key_file = tmp_path / "case.db.key"
    new = os.urandom(32)
    keys.write_key_file(tmp_path / "case.db.key.new", new)
    with session_scope(engine) as s:  # the database was re-wrapped, then the process died
        inc = api.get_incident(s, iid)
        assert inc.wrapped_key is not None
        inc.wrapped_key = keys.wrap(new, iid, key)
        inc.key_id = keys.key_id(new)
    with session_scope(engine) as s:
        assert api.case_key(s, iid) == key
    assert not (tmp_path / "case.db.key.new").exists() and keys.key_id(
        keys.load_kek(keys.KeySource("file", key_file)) or b""
    ) == keys.key_id(new)
    engine.dispose()


def test_purge_destroys_the_wrapped_key(tmp_path: Path, clock: FixedClock) -> None:
    engine, db, iid, _ = _new(tmp_path, clock)
    with session_scope(engine) as s:
        wrapped = api.get_incident(s, iid).wrapped_key
    assert wrapped is not None and wrapped in _bytes(db)
    purge(engine, iid, clock=clock)
    with session_scope(engine) as s:
        assert api.get_incident(s, iid).wrapped_key is None
    engine.dispose()
    assert wrapped not in _bytes(db)


def test_postgresql_cases_have_a_key_file_in_the_key_folder(
    pg_url: str, clock: FixedClock, key_dir: Path
) -> None:
    with fresh_pg_database(pg_url) as url:
        engine = open_case_db(url, create=True)
        with session_scope(engine) as s:
            iid = api.create_incident(s, "leak", clock=clock).id
            key = api.case_key(s, iid)
        source = keys.key_source(engine.url)
        assert source.path is not None and source.path.parent == key_dir and source.path.exists()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT hash_key FROM incidents")).scalar() is None
        with session_scope(engine) as s:
            assert api.case_key(s, iid) == key
        engine.dispose()
