"""A batch-by-batch attach from the server that fails half-way leaves nothing of its dataset.

On SQLite the server's attach job commits its people batch by batch
(``attach_file(commit_every_batch=True)``), so the file's one write lock is free between
batches; that is also its real failure path: another writer (here a second connection, as a
``breachscope`` CLI run or a ``sqlite3`` shell on the same file would be) takes the lock after
some batches are committed and keeps it longer than the server's busy timeout, so the next batch
cannot be stored. The attach must then take its committed batches out again, even while that
writer still holds the lock (the cleanup waits for it; before, its one try failed and left the
partial dataset, and the job read "running" for good): no dataset row, no exposure or
dataset-person row of it, the people of the earlier dataset untouched, the job failed with a
reason, and a timeline entry saying what was removed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from breachscope.clock import FixedClock
from breachscope.synth import generate
from tests.web.server import TeamServer, team_server, upload, wait_job

BUSY_S = 0.4  # the server's busy timeout: how long a write waits for the lock
HOLD_S = 1.5  # how long the other writer keeps it: past the failed batch and the first cleanup try


@pytest.fixture(scope="module")
def leaks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    small, big = tmp_path_factory.mktemp("small"), tmp_path_factory.mktemp("big")
    generate(rows=200, out=small, seed=1, formats=("csv",))
    generate(rows=8_000, out=big, seed=2, formats=("csv",))
    return small / "people.csv", big / "people.csv"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[TeamServer]:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    opts = {"busy_timeout_s": BUSY_S, "attach_batch_rows": 250}
    with team_server(f"sqlite:///{tmp_path / 'case.db'}", clock, **opts) as s:
        yield s


def _db_file(team: TeamServer) -> str:
    return team.db_url.removeprefix("sqlite:///")


def _counts(con: sqlite3.Connection, dataset_id: int) -> tuple[int, int, int]:
    def count(sql: str) -> int:
        return int(con.execute(sql, (dataset_id,)).fetchone()[0])

    return (
        count("SELECT count(*) FROM datasets WHERE id = ?"),
        count("SELECT count(*) FROM exposures WHERE dataset_id = ?"),
        count("SELECT count(*) FROM dataset_people WHERE dataset_id = ?"),
    )


class LockTaker(threading.Thread):
    """Waits until the attach of ``incident`` has committed people of a second dataset, then
    takes the SQLite write lock (``BEGIN IMMEDIATE``) and keeps it ``HOLD_S`` seconds."""

    def __init__(self, path: str, incident: int, after: int) -> None:
        super().__init__(daemon=True)
        self.path, self.incident, self.after = path, incident, after
        self.dataset_id: int | None = None
        self.committed_before_lock = 0
        self.stop = threading.Event()

    def run(self) -> None:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            while not self.stop.is_set():
                row = con.execute(
                    "SELECT id FROM datasets WHERE incident_id = ? AND id > ? ORDER BY id LIMIT 1",
                    (self.incident, self.after),
                ).fetchone()
                if row is not None:
                    people = _counts(con, row[0])[1]
                    if people > 0:  # some batches are committed: the attach is mid-way
                        con.execute("BEGIN IMMEDIATE")
                        self.dataset_id, self.committed_before_lock = row[0], people
                        time.sleep(HOLD_S)
                        con.execute("ROLLBACK")
                        return
                time.sleep(0.005)
        finally:
            con.close()


def test_a_failed_batch_by_batch_attach_removes_its_partial_dataset(
    server: TeamServer, leaks: tuple[Path, Path]
) -> None:
    small, big = leaks
    r = server.session("responder")
    base = f"/api/v1/incidents/{server.mine}"
    first = upload(r, f"{base}/datasets", small.read_bytes(), file_name="early.csv")
    assert first.status_code == 202, first.text
    done = wait_job(r, server.mine, first.json()["id"])
    assert done["state"] == "done", done
    early = int(done["result"]["dataset_id"])
    con = sqlite3.connect(_db_file(server), timeout=30)
    before = _counts(con, early)
    assert before[0] == 1 and before[1] > 0

    taker = LockTaker(_db_file(server), server.mine, early)
    taker.start()
    answer = upload(r, f"{base}/datasets", big.read_bytes(), file_name="people.csv")
    assert answer.status_code == 202, answer.text
    job = wait_job(r, server.mine, answer.json()["id"], timeout=60)
    taker.stop.set()
    taker.join(10)

    assert taker.dataset_id is not None, "the attach ended before a batch was committed"
    assert taker.committed_before_lock > 0
    assert job["state"] == "failed", job  # the batch after the lock could not be stored
    assert job["error"]
    assert _counts(con, taker.dataset_id) == (0, 0, 0)  # no partial dataset, people or links
    assert _counts(con, early) == before  # the earlier dataset's people are untouched
    total = con.execute("SELECT count(*) FROM exposures WHERE incident_id = ?", (server.mine,)).fetchone()[0]
    assert total == before[1]
    con.close()
    events = r.get(f"{base}/timeline").json()["events"]
    said = [e["message"] for e in events if "failed" in e["message"]]
    removed = f"dataset {taker.dataset_id} and the people first seen in it were removed"
    assert said == [f"Attach of people.csv failed; {removed}"], said
    assert [d["id"] for d in r.get(f"{base}/datasets").json()] == [early]
