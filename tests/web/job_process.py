"""A server's job runner in a process of its own, for tests that kill it mid-job.

``python tests/web/job_process.py DB_URL UPLOAD_ROOT BATCH_ROWS EVERY_BATCH`` claims the oldest
queued job of the case and runs it with the real handlers, as a worker of ``breachscope serve``
would (``EVERY_BATCH``: ``1`` commits an attach batch by batch, ``0`` as one transaction,
``auto`` as the server chooses); a test kills it before the job ends.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from breachscope.case.db import open_case_db
from breachscope.clock import FixedClock
from breachscope.web.deps import Quiet
from breachscope.web.jobs import JobRunner
from breachscope.web.settings import ServerSettings
from breachscope.web.work import HANDLERS, RECOVER

#: the time the killed process lives in; the recovering runner's clock is later
STARTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def main(db_url: str, upload_root: str, batch_rows: str, every_batch: str) -> None:
    settings = ServerSettings(
        db_url=db_url,
        clock=FixedClock(STARTED),
        upload_dir=Path(upload_root),
        busy_timeout_s=60.0,
        attach_batch_rows=int(batch_rows),
        attach_commit_every_batch=None if every_batch == "auto" else every_batch == "1",
    )
    engine = open_case_db(db_url, busy_timeout_ms=60_000)
    runner = JobRunner(engine, settings.clock, settings, HANDLERS, Quiet(), recover=RECOVER)
    print("ran a job" if runner.run_one() else "no job queued", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
