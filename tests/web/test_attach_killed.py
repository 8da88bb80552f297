"""A server killed mid-attach (SIGKILL) leaves a partial dataset; the next runner removes it.

The attach job runs in a process of its own (``tests/web/job_process.py``: the real runner and
handlers, as a worker of ``breachscope serve``). Committing batch by batch, it is killed once
some batches are stored (the test takes the write lock then, so the attach cannot finish
first). Until a runner recovers the job, the partial dataset reads ``attaching`` and no stage
counts its people; a new runner's recovery marks the job ``interrupted``, removes the dataset
and the people first seen in it (the people of an earlier dataset it merged into stay), says so
in the timeline and the job, and deletes the upload. An attach in one transaction (PostgreSQL's
default) killed mid-way has stored nothing: the timeline says that.
"""

from __future__ import annotations

import csv
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from breachscope.case import api, jobs
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Dataset, DatasetPerson, Exposure
from breachscope.case.summary import incident_document
from breachscope.clock import FixedClock
from breachscope.exposures.attach import attach_file
from breachscope.synth import generate
from breachscope.web.deps import Quiet
from breachscope.web.jobs import JobRunner
from breachscope.web.settings import ServerSettings
from breachscope.web.work import HANDLERS, RECOVER
from tests.case_helpers import CaseTemplates
from tests.web.job_process import STARTED
from tests.web.server import team_server

CHILD = Path(__file__).with_name("job_process.py")
ROWS, EARLY, BATCH = 12_000, 150, 120  # 100 batches: the kill comes long before the last
LATER = STARTED + timedelta(minutes=5)  # the recovering runner's time (past the stale limit)
BY = "responder@example.com"


@pytest.fixture(scope="module")
def leak(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The leaked file, and an earlier file holding its first ``EARLY`` people."""
    folder = tmp_path_factory.mktemp("leak")
    generate(rows=ROWS, out=folder, seed=3, formats=("csv",))
    big = folder / "people.csv"
    early = folder / "early.csv"
    with big.open(newline="") as src, early.open("w", newline="") as out:
        rows = csv.reader(src)
        writer = csv.writer(out)
        for i, row in enumerate(rows):
            if i > EARLY:
                break
            writer.writerow(row)
    return early, big


@contextmanager
def writes_held(engine: Engine) -> Iterator[None]:
    """Nobody else writes the people meanwhile: SQLite's write lock, or PostgreSQL's share lock
    on the exposures."""
    if engine.dialect.name == "sqlite":
        con = sqlite3.connect(str(engine.url.database), timeout=30, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            con.execute("ROLLBACK")
            con.close()
    else:
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE exposures IN SHARE MODE"))
            try:
                yield
            finally:
                conn.rollback()


def _wait(what: str, child: subprocess.Popen[str], check: Callable[[], bool], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not check():
        if child.poll() is not None:
            pytest.fail(f"the job process ended before {what}: {child.communicate()}")
        if time.monotonic() > end:
            pytest.fail(f"no {what} within {timeout} s")
        time.sleep(0.002)


class Case:
    def __init__(self, engine: Engine, tmp: Path) -> None:
        self.engine, self.uploads = engine, tmp / "uploads"
        self.uploads.mkdir(mode=0o700)
        with session_scope(engine) as s:
            made = api.create_incident(s, "Killed attach", author="test", clock=FixedClock(STARTED))
            self.incident = made.id

    def queue(self, leaked: Path) -> tuple[int, Path]:
        """An attach job of an uploaded copy of ``leaked``, as ``POST /datasets`` queues it."""
        folder = self.uploads / secrets.token_hex(8)
        folder.mkdir(mode=0o700)
        path = folder / leaked.name
        shutil.copyfile(leaked, path)
        params = {"path": str(path), "upload_dir": str(folder), "file_name": path.name, "vendor": None}
        with session_scope(self.engine) as s:
            job = jobs.enqueue(s, self.incident, "attach", params, by=BY, now=STARTED)
            return job.id, folder

    def run(self, every_batch: str) -> subprocess.Popen[str]:
        url = self.engine.url.render_as_string(hide_password=False)
        args = [sys.executable, str(CHILD), url, str(self.uploads), str(BATCH), every_batch]
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def recover(self) -> int:
        """A new server's runner, started after the crash, recovers the jobs."""
        settings = ServerSettings(clock=FixedClock(LATER), upload_dir=self.uploads)
        runner = JobRunner(self.engine, settings.clock, settings, HANDLERS, Quiet(), recover=RECOVER)
        return runner.recover()

    def scalar(self, stmt: Any) -> int:
        with session_scope(self.engine) as s:
            return int(s.scalar(stmt) or 0)

    def timeline(self) -> list[str]:
        with session_scope(self.engine) as s:
            return [e.message for e in api.timeline(s, self.incident) if e.kind == "note"]


def _kill(child: subprocess.Popen[str]) -> None:
    assert child.poll() is None, child.communicate()
    child.send_signal(signal.SIGKILL)
    assert child.wait(30) == -signal.SIGKILL


def test_an_attach_killed_mid_way_is_removed_by_the_next_runner(
    engine: Engine, tmp_path: Path, leak: tuple[Path, Path]
) -> None:
    early_file, leaked = leak
    case = Case(engine, tmp_path)
    early = attach_file(engine, case.incident, early_file, author="test").dataset_id
    early_people = case.scalar(select(func.count()).where(Exposure.dataset_id == early))
    assert early_people > 0
    job_id, upload = case.queue(leaked)
    of_job = select(Dataset.id).where(Dataset.attach_job_id == job_id)
    stored = select(func.count()).where(Exposure.dataset_id == of_job.scalar_subquery())

    child = case.run("1")  # batch by batch (the server's way on SQLite; asked for on PostgreSQL)
    try:
        _wait("a committed batch", child, lambda: case.scalar(stored) > 0)
        with writes_held(engine):  # the attach cannot store its last batch before the kill
            _kill(child)
    finally:
        if child.poll() is None:
            child.kill()
    partial = case.scalar(of_job)
    people = case.scalar(stored)
    merged = case.scalar(select(func.count()).where(DatasetPerson.dataset_id == partial))
    assert 0 < people < ROWS - EARLY and merged > 0  # cut short, after merging some people

    # until the job is recovered: attaching, and neither it nor its people count anywhere
    with session_scope(engine) as s:
        assert [d.id for d in api.list_datasets(s, case.incident)] == [early]
        doc = incident_document(s, case.incident)
        states = [(d["id"], d["state"]) for d in doc["datasets"]]
        assert states == [(early, "attached"), (partial, "attaching")]
        assert doc["counts"]["exposures"] == api.count_exposures(s, case.incident) == early_people
        assert doc["counts"]["datasets"] == 1
        job = s.get(jobs.Job, job_id)
        assert job is not None and job.state == "running"  # as the dead server left it

    assert case.recover() == 1
    with session_scope(engine) as s:
        job = s.get(jobs.Job, job_id)
        assert job is not None and job.state == "interrupted"
        assert job.error == (
            f"the server stopped while this job ran: its partial dataset {partial} ({people:,} people "
            "first seen in it so far) was removed, the upload is deleted; upload it again"
        )
        assert s.get(Dataset, partial) is None
        assert [d.id for d in api.list_datasets(s, case.incident, attaching=True)] == [early]
    assert case.scalar(select(func.count()).where(Exposure.dataset_id == partial)) == 0
    assert case.scalar(select(func.count()).where(DatasetPerson.dataset_id == partial)) == 0
    assert case.scalar(select(func.count()).where(Exposure.incident_id == case.incident)) == early_people
    assert case.timeline() == [
        f"Attach of {leaked.name} was interrupted (the server stopped while job {job_id} ran); "
        f"dataset {partial} and the people first seen in it were removed"
    ]
    assert not upload.exists()
    assert case.recover() == 0  # nothing left to do
    assert len(case.timeline()) == 1


@pytest.mark.postgres
def test_a_one_transaction_attach_killed_mid_way_stored_nothing(
    pg_url: str, tmp_path: Path, leak: tuple[Path, Path], case_templates: CaseTemplates
) -> None:
    with case_templates.postgresql(pg_url) as url:
        engine = open_case_db(url)
        try:
            case = Case(engine, tmp_path)
            job_id, upload = case.queue(leak[1])
            waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted")
            with writes_held(engine):  # the attach waits for the people's table: mid-transaction
                child = case.run("auto")
                try:
                    with engine.connect() as conn:
                        _wait("a waiting attach", child, lambda: bool(conn.execute(waiting).scalar()))
                    _kill(child)
                finally:
                    if child.poll() is None:
                        child.kill()
            assert case.recover() == 1
            with session_scope(engine) as s:
                job = s.get(jobs.Job, job_id)
                assert job is not None and job.state == "interrupted"
                assert job.error == (
                    "the server stopped while this job ran: nothing of the file was stored, "
                    "the upload is deleted; upload it again"
                )
                assert api.list_datasets(s, case.incident, attaching=True) == []
            assert case.scalar(select(func.count()).where(Exposure.incident_id == case.incident)) == 0
            assert case.timeline() == [
                f"Attach of {leak[1].name} was interrupted (the server stopped while job {job_id} ran); "
                "none of its people had been stored"
            ]
            assert not upload.exists()
        finally:
            engine.dispose()


def test_a_dataset_whose_job_ended_mid_attach_reads_attach_interrupted(tmp_path: Path) -> None:
    """Where datasets are listed, a dataset whose attach job ended before its last batch (here
    a failed job whose cleanup could not run) reads "attach interrupted", not "incomplete read",
    even when its scan reported unread records."""
    with team_server(f"sqlite:///{tmp_path / 'case.db'}", FixedClock(STARTED)) as server:
        assert server.engine is not None
        with session_scope(server.engine) as s:
            job = jobs.enqueue(s, server.mine, "attach", {"file_name": "people.csv"}, by=BY, now=STARTED)
            job.state = job.stage = "failed"  # committed failed: the runner never sees it queued
            cut = {"complete": False, "unread": {"records": 3}}
            ds = api.attach_dataset(
                s, server.mine, file_name="people.csv", sha256="ab" * 32, size_bytes=9, format="csv", scan=cut
            )
            ds.attaching, ds.attach_job_id = True, job.id
            job_id, dataset_id = job.id, ds.id
        server.engine.dispose()
        viewer = server.session("viewer")
        listed = viewer.get(f"/api/v1/incidents/{server.mine}/datasets").json()
        assert [(d["id"], d["state"], d["attach_job_id"]) for d in listed] == [
            (dataset_id, "attach interrupted", job_id)
        ]
        page = viewer.get(f"/incidents/{server.mine}/data")
        assert page.status_code == 200
        assert f"Attach interrupted</strong> (job {job_id})" in page.text
        assert "Incomplete read" not in page.text
        assert "0 records" not in page.text  # counted only when an attach ends: not known
        assert "records and people not counted (the attach has not finished)" in page.text
        summary = viewer.get(f"/api/v1/incidents/{server.mine}/summary").json()
        assert summary["counts"]["datasets"] == 0  # not counted as an attached dataset
        assert [d["state"] for d in summary["datasets"]] == ["attach interrupted"]


def test_a_server_dying_after_the_attach_ended_leaves_the_dataset(
    engine: Engine, tmp_path: Path, leak: tuple[Path, Path]
) -> None:
    """Killed between the attach's last commit and the job's end: the dataset stays attached, and
    the interrupted job says so (not "nothing stored")."""
    case = Case(engine, tmp_path)
    job_id, _ = case.queue(leak[0])
    with session_scope(engine) as s:
        claimed = jobs.claim(s, STARTED)
        assert claimed is not None and claimed.id == job_id
    dataset = attach_file(engine, case.incident, leak[0], author=BY, job_id=job_id).dataset_id
    assert case.recover() == 1
    with session_scope(engine) as s:
        job = s.get(jobs.Job, job_id)
        assert job is not None and job.state == "interrupted"
        stopped = "the server stopped while this job ran"
        assert job.error == f"{stopped}, after its attach had ended: dataset {dataset} is attached"
        assert [d.id for d in api.list_datasets(s, case.incident)] == [dataset]
    assert case.timeline() == []
