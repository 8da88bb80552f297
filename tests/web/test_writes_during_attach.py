"""A change made while a long attach runs succeeds: on SQLite the attach job commits batch by
batch, so the file's one write lock is free between batches (before, the whole attach was one
transaction and other writes answered 503 once they had waited the busy timeout).

The server here waits at most 2 s for the lock and attaches 1,000 rows per batch, so an attach
of 30,000 rows holds the lock much longer than 2 s in all, but never 2 s at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from breachscope.clock import FixedClock
from breachscope.synth import generate
from tests.case_helpers import fresh_pg_database
from tests.web.server import TeamServer, team_server, upload

ROWS = 30_000


@pytest.fixture(scope="module")
def leak(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bigleak")
    generate(rows=ROWS, out=out, formats=("csv",))
    return out / "people.csv"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def busy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TeamServer]:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    opts = {"busy_timeout_s": 2.0, "attach_batch_rows": 1000}
    if request.param == "sqlite":
        with team_server(f"sqlite:///{tmp_path / 'case.db'}", clock, **opts) as server:
            yield server
    else:
        with (
            fresh_pg_database(request.getfixturevalue("pg_url")) as url,
            team_server(url, clock, **opts) as s,
        ):
            yield s


def test_a_note_written_during_a_long_attach_is_stored(busy: TeamServer, leak: Path) -> None:
    r = busy.session("responder")
    base = f"/api/v1/incidents/{busy.mine}"
    answer = upload(r, f"{base}/datasets", leak.read_bytes(), file_name="people.csv")
    assert answer.status_code == 202, answer.text
    job_url = f"{base}/jobs/{answer.json()['id']}"
    answers, while_storing = [], 0
    while (job := r.get(job_url).json())["state"] in ("queued", "running"):
        storing = job["stage"].startswith("Extracting")  # the batches of people are being stored
        note = r.send("POST", f"{base}/timeline", json={"message": f"call log {len(answers)}"})
        answers.append(note.status_code)
        while_storing += storing and note.status_code == 201
    assert job["state"] == "done", job
    assert set(answers) == {201}, answers
    assert while_storing >= 2, "no note was written while the people were being stored"
    [ds] = r.get(f"{base}/datasets").json()
    assert ds["records"] == ROWS and ds["complete"] is True  # incomplete only while it ran
    events = r.get(f"{base}/timeline", params={"limit": 500}).json()["events"]
    assert sum(e["message"].startswith("call log") for e in events) == len(answers)
