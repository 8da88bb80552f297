"""What the report reads from the outbox and the task table, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from breachscope.case import api, tasks
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.notify.outbox import OutboxMessage
from breachscope.report import gather

T0 = datetime(2025, 11, 28, 6, 0, tzinfo=UTC)

#: (kind, state, confirmed, sent_at offset in minutes)
OUTBOX = [
    ("user", "sent", True, 0),
    ("user", "sent", False, 5),
    ("user", "sent", True, 9),
    ("user", "queued", None, None),
    ("admin", "sent", True, 2),
    ("admin", "bounced", None, None),
    ("regulator", "failed", None, None),
]


def _fill(engine: Engine) -> int:
    with session_scope(engine) as s:
        incident = api.create_incident(s, "outbox").id
        for i, (kind, state, confirmed, minutes) in enumerate(OUTBOX):
            s.add(
                OutboxMessage(
                    incident_id=incident,
                    idempotency_key=f"{incident}:{kind}:r{i}",
                    kind=kind,
                    recipient_key=f"r{i}",
                    language="en",
                    to_addr=f"r{i}@example.org",
                    subject="s",
                    body=b"",
                    reference="R",
                    message_id=f"<{i}@example.com>",
                    state=state,
                    confirmed=confirmed,
                    sent_at=None if minutes is None else T0 + timedelta(minutes=minutes),
                    created_at=T0,
                    updated_at=T0,
                )
            )
        tasks.add_task(s, incident, "late", actor="t", due_at=T0 - timedelta(hours=1), clock=FixedClock(T0))
        tasks.add_task(s, incident, "later", actor="t", due_at=T0 + timedelta(hours=1), clock=FixedClock(T0))
        done = tasks.add_task(s, incident, "done", actor="t", clock=FixedClock(T0)).task
        tasks.update_task(s, done.id, actor="t", status=tasks.DONE, clock=FixedClock(T0))
    return incident


#: measure -> expected, all read from one case (one database per backend: migrations are slow)
EXPECTED: dict[str, object] = {
    "sent": 4,
    "confirmed": 3,
    "unconfirmed": 1,
    "pending": 1,
    "undelivered": 2,
    "first_sent_at": T0,
    "last_sent_at": T0 + timedelta(minutes=9),
    "open_tasks": 2,
    "overdue_tasks": 1,
    "done_tasks": 1,
}


def test_outbox_and_task_figures(engine: Engine) -> None:
    incident = _fill(engine)
    data = gather(engine, incident, clock=FixedClock(T0))
    n = data.notices
    got = {
        "sent": n.total("sent"),
        "confirmed": n.confirmed,
        "unconfirmed": n.unconfirmed,
        "pending": n.pending,
        "undelivered": n.undelivered,
        "first_sent_at": n.first_sent_at,
        "last_sent_at": n.last_sent_at,
        "open_tasks": data.open_tasks,
        "overdue_tasks": data.task_counts["overdue"],
        "done_tasks": data.task_counts.get("done", 0),
    }
    assert got == EXPECTED
    assert n.first_sent_at is not None and n.first_sent_at.tzinfo is not None
    assert [t.title for t in data.tasks] == ["late", "later"]  # open ones only, earliest due first


@pytest.mark.parametrize(
    ("accepted", "password_status", "sentence"),
    [
        (False, "not_checked_incomplete", "absent only from the records that could be read"),
        (True, "absent", "accepted by rina: the 500 rows are test data"),
    ],
)
def test_an_incomplete_read_says_nothing_absent_until_accepted(
    tmp_path: Path, accepted: bool, password_status: str, sentence: str
) -> None:
    from breachscope import taxonomy
    from breachscope.case.db import open_case_db
    from breachscope.report import report_html

    scan = {
        "complete": False,
        "rows_examined": 19_500,
        "unread": {"records": 500, "bytes": 0, "notes": []},
        "classes": {
            dc.id: {"status": "present" if dc.id == "email" else "absent"} for dc in taxonomy.DATA_CLASSES
        },
    }
    engine = open_case_db(f"sqlite:///{tmp_path / 'case.db'}", create=True)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "x").id
        ds = api.attach_dataset(
            s, incident, file_name="p.csv", sha256="2" * 64, size_bytes=1, format="csv", scan=scan
        )
        if accepted:
            api.accept_incomplete(s, incident, ds.id, why="the 500 rows are test data", author="rina")
    data = gather(engine, incident, clock=FixedClock(T0))
    status = {c.id: c.status for c in data.classes}
    assert status["email"] == "present" and status["password"] == password_status
    assert sentence in report_html(data, "en")
    engine.dispose()


def test_timeline_shows_the_newest_events_and_counts_all(tmp_path: Path) -> None:
    from breachscope.case.db import open_case_db
    from breachscope.report import report_html
    from breachscope.report.model import MAX_TIMELINE

    engine = open_case_db(f"sqlite:///{tmp_path / 'case.db'}", create=True)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "x", clock=FixedClock(T0 - timedelta(days=1))).id
        for i in range(MAX_TIMELINE + 5):
            api.add_timeline_event(s, incident, f"event {i}", at=T0 + timedelta(minutes=i))
    data = gather(engine, incident, clock=FixedClock(T0))
    assert data.timeline_total == MAX_TIMELINE + 6  # with "Incident opened"
    assert [e.message for e in data.timeline[:1] + data.timeline[-1:]] == [
        "event 5",
        f"event {MAX_TIMELINE + 4}",
    ]
    assert f"The newest {MAX_TIMELINE} of {MAX_TIMELINE + 6} events are shown." in report_html(data, "en")
    engine.dispose()
