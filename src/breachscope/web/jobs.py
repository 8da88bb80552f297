"""The server's job runner: worker threads that run queued jobs (case/jobs.py) one at a time each.

A request queues a job and answers ``202`` with its id at once; a worker claims it, calls the
library entry point (``attach_file``, ``run_scope``, ``notify``, ``purge``) with a
:class:`JobProgress` that writes progress into the job row (at most twice a second) and a
heartbeat, and stores the result or the error. At start the runner marks jobs left ``running``
by a dead process ``interrupted`` (``jobs.recover``; on PostgreSQL also every minute, for jobs
whose heartbeat is two minutes old), runs each kind's recoverer (an interrupted attach's partial
dataset is removed: ``exposures.unfinished``) and deletes their uploads. Uploaded files a job
used are deleted when it ends, whatever the outcome.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from breachscope.case import jobs
from breachscope.case.approvals import ApprovalNeeded
from breachscope.case.session import session_scope
from breachscope.clock import Clock
from breachscope.errors import BreachscopeError

log = logging.getLogger("breachscope.web.jobs")
HEARTBEAT_S = 20.0


def approval_needed(exc: ApprovalNeeded) -> dict[str, Any]:
    """The answer to an action that waits for a second person (``409``, in a request or a job):
    the recorded request's number and what to do."""
    return {
        "status": 409,
        "detail": exc.message,
        "hint": exc.hint,
        "approval_id": exc.approval_id,
    }


WRITE_EVERY_S = 0.5


class JobProgress:
    """A :class:`breachscope.progress.Progress` that reports into the job's row.

    The runner's ``live`` map always has the latest figures (the API shows them for jobs of this
    process). They are also written into the job's row, with the heartbeat, on PostgreSQL; not on
    SQLite, where the job's own long write transaction holds the only write lock of the file (a
    SQLite case is served by one process, which at start knows every ``running`` job is dead).
    """

    def __init__(self, engine: Engine, job_id: int, clock: Clock, live: dict[int, dict[str, Any]]) -> None:
        self.engine, self.job_id, self.clock, self.live = engine, job_id, clock, live
        self.stage, self.done = "", 0.0
        self.total: float | None = None
        self._last = 0.0
        self.persist = engine.dialect.name != "sqlite"

    def _write(self, force: bool = False) -> None:
        total = int(self.total) if self.total is not None else None
        self.live[self.job_id] = {"stage": self.stage[:200], "done": int(self.done), "total": total}
        now = time.monotonic()
        if not self.persist or (not force and now - self._last < WRITE_EVERY_S):
            return
        self._last = now
        with session_scope(self.engine) as s:
            jobs.report(
                s, self.job_id, stage=self.stage, done=int(self.done), total=total, now=self.clock.now()
            )

    def start(self, description: str, total: float | None = None) -> None:
        self.stage, self.done, self.total = description, 0.0, total
        self._write(force=True)

    def advance(self, amount: float = 1) -> None:
        self.done += amount
        self._write()

    def finish(self) -> None:
        self._write(force=True)

    def beat(self) -> None:
        self._write(force=True)


@dataclass(frozen=True)
class Context:
    engine: Engine
    clock: Clock
    progress: JobProgress
    settings: Any  # ServerSettings (not imported: web.settings imports nothing from here)
    quiet: Any  # web.deps.Quiet: a job that must hold a SQLite case alone uses quiet.alone()
    job_id: int = 0


Handler = Callable[[Context, dict[str, Any], int, str], dict[str, Any]]
#: (engine, clock, ids of the jobs of its kind a recovery just marked interrupted): run after
#: every recovery, also when it marked none (it may finish what an earlier one left)
Recover = Callable[[Engine, Clock, list[int]], None]


class JobRunner:
    """``workers`` threads that claim and run jobs; :meth:`wake` after queueing one."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        settings: Any,
        handlers: dict[str, Handler],
        quiet: Any,
        workers: int = 1,
        recover: dict[str, Recover] | None = None,
    ):
        self.engine, self.clock, self.settings, self.handlers = engine, clock, settings, handlers
        self.recoverers = dict(recover or {})
        self.quiet = quiet
        self.workers = workers
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        #: job id -> latest progress of the jobs this process runs
        self.live: dict[int, dict[str, Any]] = {}

    def start(self) -> None:
        self.recover()
        for i in range(self.workers):
            t = threading.Thread(target=self._loop, name=f"breachscope-job-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)

    def recover(self) -> int:
        """Jobs whose worker stopped beating (a server that died) become ``interrupted``; then
        each kind's recoverer cleans up after them (an attach's partial dataset) and their
        uploads are deleted."""
        sqlite = self.engine.dialect.name == "sqlite"
        with session_scope(self.engine) as s:
            # SQLite: one serving process; before its workers start, a running job is a dead one's
            stale = timedelta(0) if sqlite and not self._threads else jobs.STALE
            if sqlite and self._threads:
                return 0
            marked = jobs.recover_jobs(s, self.clock.now(), stale=stale)
            dead = [(j.id, j.kind, dict(j.params)) for j in marked]
        if dead:
            log.warning("%d job(s) were interrupted: their server stopped while they ran", len(dead))
        for kind, recover in self.recoverers.items():
            try:
                recover(self.engine, self.clock, [job_id for job_id, k, _ in dead if k == kind])
            except Exception:  # logged; what is left is tried again at the next recovery
                log.exception("cleaning up after interrupted %s jobs", kind)
        for _, _, params in dead:
            self._remove_upload(params)
        return len(dead)

    def _remove_upload(self, params: dict[str, Any]) -> None:
        """Delete the upload folder of an ended job (only one under this server's upload folder)."""
        upload = params.get("upload_dir")
        if not isinstance(upload, str) or not upload:
            return
        from breachscope.web.uploads import upload_root

        folder = Path(upload)
        try:
            # the folder itself resolved (a ".." or a link in it leads elsewhere), not its parent
            if folder.resolve().parent == upload_root(self.settings).resolve():
                shutil.rmtree(folder, ignore_errors=True)
        except (OSError, AttributeError):  # no upload folder here (another host's, or no settings)
            return

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        checked = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() - checked > 60:
                checked = time.monotonic()
                self.recover()
            try:
                ran = self.run_one()
            except Exception:  # the loop must survive a broken database moment; logged, retried
                log.exception("job runner")
                ran = False
            if not ran:
                self._wake.wait(1.0)
                self._wake.clear()

    def run_one(self) -> bool:
        """Claim and run one job; False when none was queued."""
        with session_scope(self.engine) as s:
            job = jobs.claim(s, self.clock.now())
            if job is None:
                return False
            job_id, kind, params, incident_id, by = (
                job.id,
                job.kind,
                dict(job.params),
                job.incident_id,
                job.created_by,
            )
        progress = JobProgress(self.engine, job_id, self.clock, self.live)
        beating = threading.Event()

        def heartbeat() -> None:
            while not beating.wait(HEARTBEAT_S):
                try:
                    progress.beat()
                except Exception:  # a missed heartbeat only delays; the job itself decides
                    log.exception("heartbeat of job %d", job_id)

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        try:
            handler = self.handlers[kind]
            result = handler(
                Context(self.engine, self.clock, progress, self.settings, self.quiet, job_id),
                params,
                incident_id,
                by,
            )
        except ApprovalNeeded as exc:  # the job waits for a second person: say which request
            self._end(job_id, error=exc.message, result={"approval": approval_needed(exc)})
        except BreachscopeError as exc:
            self._end(job_id, error=exc.message + (f" ({exc.hint})" if exc.hint else ""))
        except Exception as exc:  # reported on the job, never a traceback to the client
            log.exception("job %d (%s) failed", job_id, kind)
            self._end(job_id, error=f"internal error ({type(exc).__name__}); see the server log")
        else:
            self._end(job_id, result=result)
        finally:
            beating.set()
            self.live.pop(job_id, None)
            upload = params.get("upload_dir")
            if isinstance(upload, str) and upload:
                shutil.rmtree(Path(upload), ignore_errors=True)
        return True

    def _end(self, job_id: int, *, result: dict[str, Any] | None = None, error: str | None = None) -> None:
        with session_scope(self.engine) as s:
            if error is not None:
                jobs.fail(s, job_id, error, self.clock.now(), result=result)
            else:
                jobs.finish(s, job_id, result or {}, self.clock.now())
