"""Out of disk space during ``case attach`` and ``notify``: one clear line, no traceback, case intact.

The full disk is a file size limit (``RLIMIT_FSIZE``) set in the child process: it needs no
privilege (CI runs as any user, no tmpfs mount) and makes writes fail with EFBIG the way a full
disk fails them with ENOSPC; both go through the same check (``breachscope.errors.no_room``).
"""

from __future__ import annotations

import errno
import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from breachscope.errors import no_room
from tests.case_helpers import copy_sqlite_case
from tests.notify.test_crash_resume import _write_config

from .conftest import DkimKey

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _limited(args: list[str], limit: int, db: Path) -> subprocess.CompletedProcess[str]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = dict(os.environ, PYTHONPATH=SRC, BREACHSCOPE_DB=f"sqlite:///{db}", BREACHSCOPE_AUTHOR="t")
    return subprocess.run(
        [sys.executable, "-m", "breachscope", *args],
        preexec_fn=cap,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _one_clear_line(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith(("\r", " "))]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert errors[-1].startswith("Error: out of disk space"), done.stderr[-1000:]
    assert sum(line.startswith("Error") for line in errors) == 1


def _intact(db: Path) -> None:
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _big_leak(tmp_path: Path, people: int = 4000) -> Path:
    path = tmp_path / "leak.csv"
    rows = ["$distinct_id,$email,$name,$city,mp_country_code"]
    rows += [f"d{i},person{i}@example.com,Person Number {i},Bandung,ID" for i in range(people)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_case_attach_on_a_full_disk(tmp_path: Path) -> None:
    db = tmp_path / "case.db"
    assert _limited(["case", "new", "Leak", "--vendor", "Mixpanel"], 1 << 30, db).returncode == 0
    leak = _big_leak(tmp_path)
    done = _limited(["case", "attach", "1", str(leak)], db.stat().st_size + 32_768, db)
    _one_clear_line(done)
    _intact(db)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM datasets").fetchone() == (0,)  # nothing half-stored
    again = _limited(["case", "attach", "1", str(leak)], 1 << 30, db)  # space freed: it completes
    assert again.returncode == 0, again.stderr[-2000:]


@pytest.mark.parametrize("dry_run", [False, True])
def test_notify_on_a_full_disk(tmp_path: Path, dkim_key: DkimKey, dry_run: bool, scoped_case: Path) -> None:
    db = tmp_path / scoped_case.name  # attached, scoped, assessed: 20 people in ten countries
    copy_sqlite_case(scoped_case, db)
    cfg = tmp_path / "notify.toml"
    _write_config(cfg, dkim_key, 9, "presume-sent")
    args = ["notify", "--incident", "1", "--config", str(cfg), "--yes"]
    with sqlite3.connect(db) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if dry_run:  # nothing is stored: the first .eml file (larger than the limit) cannot be written
        args += ["--dry-run", str(tmp_path / "eml")]
        limit = 6_000
    else:  # the outbox cannot grow in the case database. Its writes go to the WAL first and the
        # limit is per file, so cap the WAL well below what queuing the 20 notices needs (about
        # 430 KB), not relative to the database's own size (which grows with every new table)
        limit = 128 * 1024
    done = _limited(args, limit, db)
    _one_clear_line(done)
    _intact(db)


@pytest.mark.parametrize(
    ("exc", "found"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/x/y.eml"), True),
        (OSError(errno.EFBIG, "File too large"), True),
        (OSError(errno.EACCES, "Permission denied"), False),
        (RuntimeError("IO Error: Could not write file: No space left on device"), True),
        (ValueError("something else"), False),
    ],
)
def test_no_room_recognises_the_ways_a_full_disk_is_reported(exc: BaseException, found: bool) -> None:
    assert (no_room(exc) is not None) is found
    wrapped = RuntimeError("wrapper")
    wrapped.__cause__ = exc
    assert (no_room(wrapped) is not None) is found
