"""kill -9 the sending process at chosen moments, start it again, compare what the server got.

Kill points (driven by the real aiosmtpd server, so they are exact, not timing guesses):

* ``rcpt``: while the server handles RCPT of message N: before DATA, the server never has it;
* ``data``: inside the server's DATA handler for message N: after the final ".", before the
  client reads 250 (the ambiguous window: the server has the message, the client has no reply);
* ``after``: a few milliseconds after the server accepted message N (the client is somewhere
  between reading 250, committing, claiming and signing the next one).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from breachscope.case.db import session_scope
from breachscope.notify.config import from_mapping
from breachscope.notify.outbox import OutboxMessage
from breachscope.notify.queue import queue_notices
from breachscope.notify.service import make_renderer

from .conftest import DkimKey, SmtpServer, config_mapping, user_ctx

N = 24
SCRIPT = Path(__file__).with_name("send_process.py")


def _write_config(path: Path, dkim_key: DkimKey, port: int, unconfirmed: str, connections: int = 4) -> None:
    m = config_mapping(dkim_key, port, connections=connections)["notify"]
    smtp = m.pop("smtp")
    dk = m.pop("dkim")
    lines = ["[notify]"] + [f"{k} = {v!r}".replace("'", '"') for k, v in m.items()]
    lines.append(f'unconfirmed = "{unconfirmed}"')
    lines += ["[notify.dkim]"] + [f'{k} = "{v}"' for k, v in dk.items()]
    lines += ["[notify.smtp]"] + [f"{k} = {v!r}".replace("'", '"') for k, v in smtp.items()]
    path.write_text("\n".join(lines) + "\n")


def _run(db_url: str, cfg: Path, *flags: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), db_url, str(cfg), *flags],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "at", "unconfirmed"),
    [
        ("rcpt", 1, "presume-sent"),
        ("rcpt", 7, "presume-sent"),
        ("data", 1, "presume-sent"),
        ("data", 9, "presume-sent"),
        ("data", N, "presume-sent"),
        ("after", 4, "presume-sent"),
        ("after", 15, "presume-sent"),
        ("data", 6, "resend"),
    ],
)
def test_killed_run_resumes_without_duplicates_or_gaps(
    tmp_path: Path,
    engine: Engine,
    smtp_server: SmtpServer,
    dkim_key: DkimKey,
    point: str,
    at: int,
    unconfirmed: str,
) -> None:
    crash_and_resume(tmp_path, engine, smtp_server, dkim_key, point, at, unconfirmed)


@pytest.mark.slow
@pytest.mark.parametrize(("point", "at"), [("rcpt", 5), ("data", 2), ("data", 11), ("after", 8)])
def test_killed_run_with_several_connections_resumes_without_duplicates_or_gaps(
    tmp_path: Path, engine: Engine, smtp_server: SmtpServer, dkim_key: DkimKey, point: str, at: int
) -> None:
    """Three connections: at the kill, other notices may be anywhere in their own exchange."""
    crash_and_resume(tmp_path, engine, smtp_server, dkim_key, point, at, "presume-sent", connections=3)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize(("point", "at", "connections"), [("rcpt", 3, 1), ("data", 5, 1), ("data", 7, 3)])
def test_killed_run_resumes_on_postgresql(
    tmp_path: Path,
    pg_engine: Engine,
    smtp_server: SmtpServer,
    dkim_key: DkimKey,
    point: str,
    at: int,
    connections: int,
) -> None:
    crash_and_resume(tmp_path, pg_engine, smtp_server, dkim_key, point, at, "presume-sent", connections)


def crash_and_resume(
    tmp_path: Path,
    engine: Engine,
    smtp_server: SmtpServer,
    dkim_key: DkimKey,
    point: str,
    at: int,
    unconfirmed: str,
    connections: int = 1,
) -> None:
    cfg = tmp_path / "notify.toml"
    _write_config(cfg, dkim_key, smtp_server.port, unconfirmed, connections)
    config = from_mapping(config_mapping(dkim_key, smtp_server.port))
    queue_notices(
        engine, [user_ctx(n) for n in range(1, N + 1)], renderer=make_renderer(config), config=config
    )
    db_url = engine.url.render_as_string(hide_password=False)

    proc: subprocess.Popen[bytes] | None = None
    killed = threading.Event()

    def kill(n: int) -> None:
        if n == at and proc is not None and not killed.is_set():
            killed.set()
            if point == "after":
                threading.Timer(0.003, os.kill, (proc.pid, signal.SIGKILL)).start()
            else:
                os.kill(proc.pid, signal.SIGKILL)

    rec = smtp_server.recorder
    if point == "rcpt":
        rec.on_rcpt = kill
    else:
        rec.on_data = kill
    proc = _run(db_url, cfg)
    proc.wait(timeout=120)
    assert killed.is_set()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else b""
    before = len(rec.messages)
    assert before < N or point != "rcpt"
    rec.on_rcpt = rec.on_data = None

    again = _run(db_url, cfg)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err.decode()

    got = Counter(r.rcpt_tos[0] for r in rec.messages)
    expected = {f"user{n}@example.org" for n in range(1, N + 1)}
    with session_scope(engine) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {r.state for r in rows} == {"sent"}
        presumed = [r.to_addr for r in rows if r.confirmed is False]
    if connections > 1 or point == "after":
        # "after" is a timer: the next notice may just have passed its own final dot
        ambiguous_outcome(db_url, cfg, rec, got, expected, presumed)
        return
    assert set(got) == expected, f"gaps: {sorted(expected - set(got))}"
    dupes = {a: c for a, c in got.items() if c > 1}
    if unconfirmed == "presume-sent":
        assert dupes == {}, f"duplicates: {dupes}"
    else:
        # resend policy: the ambiguous message goes out again, with the same Message-ID
        assert dupes == {f"user{at}@example.org": 2}
        ids = {
            message_from_bytes(r.data)["Message-ID"]
            for r in rec.messages
            if r.rcpt_tos == [f"user{at}@example.org"]
        }
        assert len(ids) == 1
    if point == "data" and unconfirmed == "presume-sent":
        assert presumed == [f"user{at}@example.org"]
    if point == "rcpt":
        assert presumed == []


def ambiguous_outcome(
    db_url: str, cfg: Path, rec: Any, got: Counter[str], expected: set[str], presumed: list[str]
) -> None:
    """Other notices may be past their final dot at the kill too (several connections, or a
    kill by timer).

    A server may or may not keep a message whose dot arrived just before the client vanished
    (aiosmtpd drops it when the dot and the end of the connection arrive together): that is the
    ambiguity "presume-sent" reports. So: nothing is sent twice; every notice the server lacks
    is listed as unconfirmed (never a silent gap); ``--resend-unconfirmed`` then delivers
    exactly those, under their first Message-ID.
    """
    assert {a: c for a, c in got.items() if c > 1} == {}, "duplicates"
    missing = expected - set(got)
    assert missing <= set(presumed), f"silent gaps: {sorted(missing - set(presumed))}"
    resend = _run(db_url, cfg, "--resend-unconfirmed")
    _, err = resend.communicate(timeout=120)
    assert resend.returncode == 0, err.decode()
    after = Counter(r.rcpt_tos[0] for r in rec.messages)
    assert set(after) == expected
    assert {a for a, c in after.items() if c > 1} <= set(presumed)  # only the ambiguous ones again
    for addr in presumed:
        assert (
            len({message_from_bytes(r.data)["Message-ID"] for r in rec.messages if r.rcpt_tos == [addr]}) == 1
        )


def test_two_runs_started_at_the_same_moment_cannot_both_send(any_engine: Engine) -> None:
    """start_run reads the running runs, then inserts its own: two runs started at the same
    moment could both pass the check. The database (unique partial index, migration 0005)
    refuses the second running send, and start_run says so instead of sending beside it."""
    from sqlalchemy import event, insert
    from sqlalchemy.exc import IntegrityError

    from breachscope.case import api
    from breachscope.case.db import session_scope
    from breachscope.clock import SystemClock
    from breachscope.errors import BreachscopeError
    from breachscope.notify.recovery import RUNS, start_run

    with session_scope(any_engine) as session:
        api.create_incident(session, "race")
    now = SystemClock().now()
    row = {"incident_id": 1, "pid": 1, "mode": "send", "audience": "user", "summary": {}}
    rival: list[int] = []

    def rival_starts_first(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFY_RUNS") and not rival:
            rival.append(0)  # once (the rival's own insert passes through here too)
            with any_engine.connect() as other:  # the other process, between our check and insert
                values = dict(row, host="other-host", status="running", started_at=now, heartbeat_at=now)
                rival[0] = int(other.execute(insert(RUNS).values(**values)).inserted_primary_key[0])  # type: ignore[index]
                other.commit()

    event.listen(any_engine, "before_cursor_execute", rival_starts_first)
    try:
        with any_engine.connect() as conn, pytest.raises(BreachscopeError, match="same moment"):
            start_run(conn, 1, ("user",), SystemClock())
    finally:
        event.remove(any_engine, "before_cursor_execute", rival_starts_first)
    with any_engine.connect() as conn:
        running = conn.execute(select(RUNS.c.id).where(RUNS.c.status == "running")).scalars().all()
        assert running == rival  # the first run is untouched and the only one running
        values = dict(row, host="third", status="running", started_at=now, heartbeat_at=now)
        with pytest.raises(IntegrityError):
            conn.execute(insert(RUNS).values(**values))
        conn.rollback()
        # finished and crashed runs do not count: any number of them
        for status in ("finished", "crashed", "crashed"):
            conn.execute(insert(RUNS).values(**dict(values, status=status)))
        conn.commit()


def test_a_live_run_that_was_taken_over_sends_nothing_more(
    engine: Engine, smtp_server: SmtpServer, dkim_key: DkimKey
) -> None:
    """A run taken over while still alive (heartbeat stale after a suspended process, clock skew
    between hosts, two runs started at once) must not send the notices the new run now owns:
    it stops before the final dot of the next one, and the new run sends each exactly once."""
    from breachscope.clock import SystemClock
    from breachscope.errors import BreachscopeError
    from breachscope.notify.recovery import recover, start_run
    from breachscope.notify.sender import DeliveryRun
    from breachscope.notify.smtp import SmtpMailer

    config = from_mapping(config_mapping(dkim_key, smtp_server.port))
    queue_notices(engine, [user_ctx(n) for n in range(1, 13)], renderer=make_renderer(config), config=config)
    rec = smtp_server.recorder

    def take_over(n: int) -> None:  # what a second run does on start, while message 4 is in RCPT
        if n == 4:
            with engine.connect() as conn:
                run_id = start_run(conn, 1, ("user",), SystemClock())  # the first run looks dead
                recover(conn, 1, run_id, SystemClock(), presume=True, resend_unconfirmed=False)

    rec.on_rcpt = take_over
    with pytest.raises(BreachscopeError, match="taken over"):
        DeliveryRun(engine, 1, mailer=SmtpMailer(config.smtp), config=config, signer=None).run()
    assert sorted(r.rcpt_tos[0] for r in rec.messages) == [f"user{n}@example.org" for n in (1, 2, 3)]
    rec.on_rcpt = None
    DeliveryRun(engine, 1, mailer=SmtpMailer(config.smtp), config=config, signer=None).run()
    got = Counter(r.rcpt_tos[0] for r in rec.messages)
    assert got == {f"user{n}@example.org": 1 for n in range(1, 13)}


def test_a_run_taken_over_while_it_waits_for_a_retry_claims_nothing_more(
    engine: Engine, smtp_server: SmtpServer, dkim_key: DkimKey
) -> None:
    """The run taken over above had a notice in flight, and its final dot was refused. A run
    taken over while it has none (it waits for a deferred notice's retry) must not claim that
    notice again either: it belongs to the run that took over. Before, the old run's claim did
    not look at its own status, so it sent the retry after being taken over (and under load a
    claim that came late re-took the notices the new run had just requeued)."""
    from breachscope.clock import SystemClock
    from breachscope.errors import BreachscopeError
    from breachscope.notify.recovery import recover, start_run
    from breachscope.notify.sender import DeliveryRun
    from breachscope.notify.smtp import SmtpMailer

    config = from_mapping(config_mapping(dkim_key, smtp_server.port))
    queue_notices(engine, [user_ctx(n) for n in range(1, 13)], renderer=make_renderer(config), config=config)
    rec = smtp_server.recorder
    rec.fail["user4@example.org"] = ("451 4.3.0 try again later", 1)  # deferred: a retry comes later

    def take_over(n: int) -> None:  # the last first-time notice is being accepted
        if n == 11:
            with engine.connect() as conn:
                run_id = start_run(conn, 1, ("user",), SystemClock())
                recover(conn, 1, run_id, SystemClock(), presume=True, resend_unconfirmed=False)

    rec.on_data = take_over
    with pytest.raises(BreachscopeError, match="taken over"):
        DeliveryRun(engine, 1, mailer=SmtpMailer(config.smtp), config=config, signer=None).run()
    first = Counter(r.rcpt_tos[0] for r in rec.messages)
    assert first == {f"user{n}@example.org": 1 for n in range(1, 13) if n != 4}
    rec.on_data = None
    DeliveryRun(engine, 1, mailer=SmtpMailer(config.smtp), config=config, signer=None).run()
    got = Counter(r.rcpt_tos[0] for r in rec.messages)
    assert got == {f"user{n}@example.org": 1 for n in range(1, 13)}
