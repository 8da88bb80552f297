"""The run lock and crash recovery of the sender (see :mod:`breachscope.notify.sender`).

A run is a row in ``notify_runs``. Starting one takes over runs that crashed (same host and
the process is gone, or the heartbeat is older than :data:`STALE_AFTER`) and refuses while a
live one is sending. Recovery then decides about every notice a crashed run left in
``sending``, by whether the closing "." of DATA had been sent (``final_dot_at``).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from breachscope.clock import Clock
from breachscope.errors import BreachscopeError
from breachscope.notify.outbox import NotifyRun, OutboxAttempt, OutboxMessage

STALE_AFTER = timedelta(minutes=5)

OUTBOX = cast(Table, OutboxMessage.__table__)
ATTEMPTS = cast(Table, OutboxAttempt.__table__)
RUNS = cast(Table, NotifyRun.__table__)
_O, _A, _R = OUTBOX, ATTEMPTS, RUNS


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_INSERT_ATTEMPT = insert(_A)  # built once: the sender records an attempt per notice


def record_attempt(
    conn: Connection,
    row: Any,
    run_id: int,
    number: int,
    at: datetime,
    outcome: str,
    code: int | None,
    detail: str,
) -> None:
    conn.execute(
        _INSERT_ATTEMPT,
        {
            "incident_id": row.incident_id,
            "outbox_id": row.id,
            "run_id": run_id,
            "number": number,
            "at": at,
            "outcome": outcome,
            "code": code,
            "detail": detail[:2000],
        },
    )


def start_run(
    conn: Connection, incident_id: int, kinds: tuple[str, ...], clock: Clock, mode: str = "send"
) -> int:
    """Take the incident's send lock (a ``notify_runs`` row); returns the run id."""
    now = clock.now()
    host = socket.gethostname()
    running = conn.execute(
        select(_R).where(_R.c.incident_id == incident_id, _R.c.status == "running", _R.c.mode == "send")
    ).all()
    for run in running:
        dead = (run.host == host and not pid_alive(run.pid)) or (now - run.heartbeat_at > STALE_AFTER)
        if not dead:
            raise BreachscopeError(
                f"another notify run (#{run.id}, pid {run.pid} on {run.host}) is sending "
                f"for incident {incident_id}",
                "wait for it to finish; a crashed run is taken over automatically after 5 minutes",
            )
        conn.execute(update(_R).where(_R.c.id == run.id).values(status="crashed", finished_at=now))
    try:
        result = conn.execute(
            insert(_R).values(
                incident_id=incident_id,
                host=host,
                pid=os.getpid(),
                mode=mode,
                audience=",".join(kinds),
                started_at=now,
                heartbeat_at=now,
                status="running",
                summary={},
            )
        )
        run_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        conn.commit()
    except IntegrityError as exc:  # uq_notify_runs_one_running: another run started just now
        conn.rollback()
        raise BreachscopeError(
            f"another notify run started for incident {incident_id} at the same moment",
            "only one run sends at a time; wait for it to finish (notify status shows the outbox)",
        ) from exc
    return run_id


def recover(
    conn: Connection, incident_id: int, run_id: int, clock: Clock, *, presume: bool, resend_unconfirmed: bool
) -> tuple[int, int]:
    """Settle rows a crashed run left in ``sending``; returns (requeued, presumed sent)."""
    now = clock.now()
    # Not the notices of another run still marked running: two runs started at the same moment
    # can both pass start_run's check, and requeuing the other's in-flight notices sends them twice.
    live = select(_R.c.id).where(_R.c.incident_id == incident_id, _R.c.status == "running", _R.c.id != run_id)
    rows = conn.execute(
        select(_O).where(
            _O.c.incident_id == incident_id,
            _O.c.state == "sending",
            _O.c.run_id.is_(None) | _O.c.run_id.not_in(live),
        )
    ).all()
    requeued = presumed = 0
    for row in rows:
        number = row.attempts + 1
        if row.final_dot_at is None:
            values: dict[str, Any] = {"state": "queued", "updated_at": now}
            outcome, detail = "requeued", "previous run stopped before the final dot; not delivered"
            requeued += 1
        elif presume:
            values = {"state": "sent", "confirmed": False, "sent_at": row.final_dot_at, "attempts": number}
            values["updated_at"] = now
            outcome, detail = "unconfirmed", "previous run stopped after the final dot: presumed accepted"
            presumed += 1
        else:
            values = {"state": "queued", "final_dot_at": None, "updated_at": now}
            outcome, detail = (
                "requeued",
                "previous run stopped after the final dot: resending (same Message-ID)",
            )
            requeued += 1
        conn.execute(update(_O).where(_O.c.id == row.id).values(**values))
        record_attempt(conn, row, run_id, number, now, outcome, None, detail)
    if resend_unconfirmed:
        n = conn.execute(
            update(_O)
            .where(_O.c.incident_id == incident_id, _O.c.state == "sent", _O.c.confirmed.is_(False))
            .values(state="queued", final_dot_at=None, updated_at=now)
        ).rowcount
        requeued += int(n or 0)
    conn.commit()
    return requeued, presumed
