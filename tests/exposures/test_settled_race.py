"""No stage reads the people of an attach that has not finished, even one that starts while the
stage reads.

A batch-by-batch attach (the server's) commits its dataset, marked ``attaching``, and then its
people batch by batch. ``case.api.settled`` looked up the unfinished datasets in one statement
and read the people in the next, so a stage counted, scoped and listed the people of an attach
whose first batch was committed in between. Here real attaches, each on its own engine, do
exactly that: right after every statement of the reader that asks which datasets are attaching
(an event on the reader's engine), another attach starts, and the reader goes on once that
attach has committed people (it then waits, as a live attach does between two batches). On a
SQLite file and on PostgreSQL; every reader fails without the fix (the people of the first
racing batch are counted), and sees the people once their attaches have finished.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, event, func, select, text

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Dataset, Exposure, Match
from breachscope.clock import FixedClock
from breachscope.exposures.attach import attach_file
from breachscope.rules.case_facts import facts_from_case
from breachscope.scope import browse
from breachscope.scope.directory import DirectorySource
from breachscope.scope.run import run_scope
from breachscope.web.pages.data import field_sets
from tests.case_helpers import make_case, write_directory

SETTLED = 10  # people of the attached dataset
RACING = 200  # people of each file attached while the reader reads (4 batches)
FILES = 8  # racing files: more than any reader's look-ups of the unfinished datasets
WAIT_S = 120  # how long a side waits for the other before the test fails (never reached when all is well)


class PausedAttach:
    """A batch-by-batch attach in a thread of its own, on its own engine (a second connection,
    as the server's job has): :meth:`start_until_stored` returns once it has committed its first batch; it
    then waits between two batches, as a live attach does, until :meth:`let_finish`. It is its
    own progress (the attach reports progress between its batches)."""

    def __init__(self, url: str, incident_id: int, path: Path, clock: FixedClock) -> None:
        self.engine = open_case_db(url)
        self.incident_id, self.path, self.clock = incident_id, path, clock
        self.stored, self.resume = threading.Event(), threading.Event()
        self.ended = False
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._attach, daemon=True)
        self.extracting = False

    def start_until_stored(self) -> None:
        self.thread.start()
        assert self.stored.wait(WAIT_S), "the attach did not commit a batch"
        assert self.error is None, self.error
        assert not self.ended, "the attach ended at once: give it more batches"

    def let_finish(self) -> None:
        self.resume.set()
        if self.thread.ident is not None:
            self.thread.join(WAIT_S)
        self.engine.dispose()
        assert not self.thread.is_alive() and self.error is None, self.error

    def _attach(self) -> None:
        try:
            attach_file(
                self.engine,
                self.incident_id,
                self.path,
                clock=self.clock,
                batch_rows=50,
                commit_every_batch=True,
                progress=self,
            )
        except BaseException as exc:  # reported in the test's thread
            self.error = exc
        finally:
            self.ended = True
            self.stored.set()

    # the Progress protocol
    def start(self, description: str, total: float | None = None) -> None:
        self.extracting = description.startswith("Extracting")

    def advance(self, amount: float = 1) -> None:
        if not self.extracting or self.stored.is_set():
            return
        with session_scope(self.engine) as s:
            people = s.scalar(
                select(func.count())
                .select_from(Exposure)
                .join(Dataset, Dataset.id == Exposure.dataset_id)
                .where(Dataset.file_name == self.path.name)
            )
        if people:
            self.stored.set()
            assert self.resume.wait(WAIT_S), "the test did not let the attach go on"

    def finish(self) -> None:
        pass


#: The look-up of the datasets whose attach has not finished, as SQLite and PostgreSQL spell it.
LOOKUP = re.compile(r"attaching IS (1|true)\b")


@contextmanager
def an_attach_after_each_lookup(
    engine: Engine, url: str, incident_id: int, files: list[Path], clock: FixedClock
) -> Iterator[list[PausedAttach]]:
    """While the block runs, every statement on ``engine`` that asks which datasets are
    attaching is followed at once by another attach (the next of ``files``) that commits its
    first batch (unless the reader's connection is inside a write transaction: SQLite then
    reads from one snapshot anyway, and the attach would wait for the reader's lock). Yields
    the attaches started; they finish when the block ends."""
    started: list[PausedAttach] = []

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        writing = conn.dialect.name == "sqlite" and conn.connection.driver_connection.in_transaction
        if LOOKUP.search(statement) and not writing:
            assert len(started) < len(files), "more look-ups than racing files"
            started.append(PausedAttach(url, incident_id, files[len(started)], clock))
            started[-1].start_until_stored()

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield started
    finally:
        event.remove(engine, "after_cursor_execute", after)
        for attach in started:
            attach.let_finish()


def _session_reader(read: Callable[[Any, int], Any]) -> Callable[[Engine, int, Path], Any]:
    def reader(engine: Engine, incident_id: int, tmp_path: Path) -> Any:
        with session_scope(engine) as s:
            return read(s, incident_id)

    return reader


def _scope(engine: Engine, incident_id: int, tmp_path: Path) -> Any:
    directory = write_directory(
        tmp_path / "directory.csv",
        [{"user_id": f"u{f}-{i}", "email": _email(f, i)} for f in range(FILES) for i in range(RACING)],
    )
    summary = run_scope(engine, incident_id, DirectorySource(str(directory)))
    with session_scope(engine) as s:
        matched = s.scalars(
            select(Exposure.dataset_id).join(Match, Match.exposure_id == Exposure.id).distinct()
        ).all()
    return summary["leaked_people"], summary["matched_people"], sorted(matched)


def _settled_sql(s: Any, incident_id: int) -> Any:
    return s.execute(text(f"SELECT count(*) FROM exposures WHERE {api.settled_sql(s, incident_id)}")).scalar()


def _people(s: Any, incident_id: int) -> Any:
    return sorted(e.person_key_hash for e in api.iter_exposures(s, incident_id))


def _facts(s: Any, incident_id: int) -> Any:
    facts = facts_from_case(s, incident_id)
    return sorted(facts.present), dict(facts.affected)


READERS: dict[str, Callable[[Engine, int, Path], Any]] = {
    "count_exposures": _session_reader(api.count_exposures),
    "iter_exposures": _session_reader(_people),
    "counts": _session_reader(lambda s, i: api.counts(s, i)["exposures"]),
    "settled_sql": _session_reader(_settled_sql),
    "unmatched page": _session_reader(lambda s, i: [r["exposure_id"] for r in browse.unmatched(s, i).rows]),
    "assess facts": _session_reader(_facts),
    "data page field sets": lambda engine, i, tmp: field_sets(engine, i),
    "scope": _scope,
}


def _email(file: int, person: int) -> str:
    return f"p{person}.f{file}@example.com"


def _racing_files(folder: Path) -> list[Path]:
    """Parquet files of new people, a row group (a batch of the attach) every 50 rows."""
    files = []
    for f in range(FILES):
        path = folder / f"racing-{f}.parquet"
        emails = [_email(f, i) for i in range(RACING)]
        pq.write_table(pa.table({"$email": emails, "$city": ["Oslo"] * RACING}), path, row_group_size=50)
        files.append(path)
    return files


@pytest.mark.parametrize("reader", list(READERS))
def test_a_reader_never_sees_an_attach_that_starts_while_it_reads(
    engine: Engine, db_url: str, clock: FixedClock, tmp_path: Path, reader: str
) -> None:
    read = READERS[reader]
    iid = make_case(
        engine, clock, [{"$email": f"s{i}@example.com", "$name": f"S {i}"} for i in range(SETTLED)]
    )
    files = _racing_files(tmp_path)
    alone = read(engine, iid, tmp_path)
    with an_attach_after_each_lookup(engine, db_url, iid, files, clock) as started:
        during = read(engine, iid, tmp_path)
        assert started, "the reader never asked which datasets are attaching"
        with session_scope(started[0].engine) as s:  # the races took place: people of attaching datasets
            partial = api.unfinished_datasets(s, iid)
            stored = s.scalar(select(func.count()).where(Exposure.dataset_id.in_(partial)))
        assert len(partial) == len(started) and stored and stored < RACING * len(started)
        assert during == alone
    after = read(engine, iid, tmp_path)
    assert after != alone  # the reader would have shown them: once attached, it does
