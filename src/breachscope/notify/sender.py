"""Delivering the outbox: claim, sign, send, record; resumable after a crash at any moment.

The run's thread claims batches (``state = 'sending'``) and composes (builds + DKIM-signs) the
messages; ``connections`` delivery threads, each with its own SMTP connection and database
connection, take them from a bounded queue, so the server's replies are waited for in parallel
and signing overlaps sending. Per notice a delivery thread commits twice: ``final_dot_at`` just
before the closing ``"."`` of DATA (the mailer calls back), and the outcome right after the
server's reply. A run holds a lock row in ``notify_runs``; the next run takes over a run whose
process is gone (same host) or whose heartbeat is stale, and first recovers the rows it left in
``sending``:

* ``final_dot_at`` is NULL: the server cannot have the message -> ``queued`` again;
* ``final_dot_at`` is set: the server probably has it -> ``presume-sent`` (``sent``,
  ``confirmed = false``, listed by ``notify status``) or, by config, ``resend`` (same
  Message-ID, so receivers can de-duplicate).

Failures land in the timeline one event each (batched per claim), the run as one event.
A server that cannot be reached stops every connection; notices not yet at their final dot go
back to ``queued``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, bindparam, false, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from breachscope import hashing
from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.clock import Clock, SystemClock
from breachscope.errors import BreachscopeError
from breachscope.notify.compose import ComposePool, Composer, row_fields
from breachscope.notify.config import NotifyConfig
from breachscope.notify.mailer import (
    CUT_BEFORE_DOT,
    DeliveryError,
    Mailer,
    Outgoing,
    PermanentFailure,
    ServerUnavailable,
    UnconfirmedDelivery,
)
from breachscope.notify.message import DkimSigner
from breachscope.notify.recovery import OUTBOX, RUNS, record_attempt, recover, start_run
from breachscope.progress import NullProgress, Progress

AUTHOR = "breachscope notify"
CLAIM_BATCH = 200
TIMELINE_EVERY = 10_000
#: Seconds between heartbeats of a running run (a run older than recovery.STALE_AFTER, 5 min, is
#: taken over): written by a thread of its own, so slow replies and the linger cannot delay it.
HEARTBEAT_S = 30.0

_O, _R = OUTBOX, RUNS

# The per-notice statements, built once (bind parameters, so SQLAlchemy compiles each once).
# Only while the notice is still this run's: a run taken over while alive must not send it.
_MARK_DOT = (
    update(_O)
    .where(_O.c.id == bindparam("b_id"), _O.c.run_id == bindparam("b_run"), _O.c.state == "sending")
    .values(final_dot_at=bindparam("b_at"))
)
_DONE = {
    sent: update(_O)
    .where(_O.c.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state"),
        attempts=bindparam("b_attempts"),
        last_code=bindparam("b_code"),
        updated_at=bindparam("b_at"),
        **(
            {"sent_at": bindparam("b_at"), "confirmed": bindparam("b_confirmed"), "last_error": None}
            if sent
            else {"last_error": bindparam("b_error")}
        ),
    )
    for sent in (True, False)
}


@dataclass
class SendSummary:
    run_id: int = 0
    #: Accepted: the server answered 250 to the final dot.
    sent: int = 0
    #: Final dot written, no reply read (connection lost): the server may or may not have it.
    unconfirmed: int = 0
    #: Re-queued for a retry (4xx, or the connection cut before the final dot) ...
    deferred: int = 0
    #: ... of which the connection was cut before the final dot (the server cannot have them).
    cut_before_dot: int = 0
    bounced: int = 0
    failed: int = 0
    requeued_after_crash: int = 0
    presumed_after_crash: int = 0
    remaining: int = 0
    dry_run: bool = False
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("failures")
        return out


class RateLimiter:
    """At most ``rate`` calls of :meth:`wait` per second (0 = unlimited), shared by threads.

    Each caller takes the next free slot under a lock and sleeps until it outside the lock.
    """

    def __init__(
        self,
        rate: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._monotonic, self._sleep = monotonic, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._monotonic()
            slot = max(self._next, now)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


def backoff(attempt: int, base_s: float, max_s: float) -> timedelta:
    """Delay after the ``attempt``-th temporary failure: base * 2**(attempt-1), capped."""
    return timedelta(seconds=min(max_s, base_s * 2 ** max(0, attempt - 1)))


class RunTakenOver(BreachscopeError):
    """Another run took this one over (its heartbeat looked stale): it stops before any dot."""


class _Stop(Exception):
    """A delivery thread saw the run stop (another thread hit a fatal error)."""


def _finish_threads(threads: list[threading.Thread], items: queue.Queue[Any]) -> None:
    """One end marker per delivery thread, then wait for all of them."""
    for _ in threads:
        items.put(None)
    for t in threads:
        t.join()


class DeliveryRun:
    """One delivery run over an incident's outbox.

    ``mailer`` delivers over one connection; ``mailer_factory`` makes one mailer per delivery
    thread, ``config.smtp.connections`` of them. Exactly one of the two is given.
    """

    def __init__(
        self,
        engine: Engine,
        incident_id: int,
        *,
        mailer: Mailer | None = None,
        mailer_factory: Callable[[], Mailer] | None = None,
        config: NotifyConfig,
        kinds: Sequence[str] = ("user", "admin", "regulator"),
        signer: DkimSigner | None = None,
        clock: Clock | None = None,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        resend_unconfirmed: bool = False,
        sign_workers: int | None = None,
        codes: frozenset[str] | None = None,
    ) -> None:
        if (mailer is None) == (mailer_factory is None):
            raise ValueError("give a mailer or a mailer_factory (one of the two)")
        self.engine = engine
        self.incident_id = incident_id
        self.mailers: list[Mailer] = [mailer] if mailer is not None else []
        self._factory = mailer_factory
        self.connections = 1 if mailer is not None else max(1, config.smtp.connections)
        self.config = config
        self.kinds = tuple(kinds)
        self.signer = signer
        self.clock = clock or SystemClock()
        self.progress = progress or NullProgress()
        self.sleep = sleep
        self.limiter = RateLimiter(config.smtp.rate_per_second, monotonic, sleep)
        self.monotonic = monotonic
        self.resend_unconfirmed = resend_unconfirmed
        #: Only notices whose recipient has one of these jurisdiction codes (None = all).
        self.codes = codes
        self.summary = SendSummary()
        self.sign_workers = config.workers if sign_workers is None else sign_workers
        self.composer = Composer(
            from_address=str(config.from_address),
            reply_to=str(config.reply_to) if config.reply_to else "",
            dkim_selector=signer.selector.decode() if signer else "",
            dkim_domain=signer.domain.decode() if signer else "",
            dkim_key=signer.private_key if signer else b"",
        )
        self._local = ComposePool(self.composer, 0)
        self._events: list[str] = []
        self._sent_since_event = 0
        self._lock = threading.Lock()  # summary, events, progress: shared by delivery threads
        self._stop = threading.Event()
        self._fatal: BaseException | None = None
        self.heartbeat_s = HEARTBEAT_S

    # -- run lock and crash recovery ------------------------------------------------------------

    def _start_run(self, conn: Connection, mode: str) -> int:
        return start_run(conn, self.incident_id, self.kinds, self.clock, mode)

    def _recover(self, conn: Connection, run_id: int) -> None:
        """Decide about rows a crashed run left in ``sending`` (see :mod:`.recovery`)."""
        presume = self.config.unconfirmed == "presume-sent" and not self.resend_unconfirmed
        requeued, presumed = recover(
            conn,
            self.incident_id,
            run_id,
            self.clock,
            presume=presume,
            resend_unconfirmed=self.resend_unconfirmed,
        )
        self.summary.requeued_after_crash += requeued
        self.summary.presumed_after_crash += presumed
        if requeued or presumed:
            self._events.append(
                f"Notify run #{run_id} recovered an interrupted run: {requeued} notice(s) requeued, "
                f"{presumed} presumed sent (final dot sent, no reply read)"
            )

    def _heartbeat(self, run_id: int, done: threading.Event) -> None:
        """Until ``done``: refresh the run's heartbeat every ``heartbeat_s`` (own connection)."""
        beat = update(_R).where(_R.c.id == run_id, _R.c.status == "running")
        while not done.wait(self.heartbeat_s):
            try:
                with self.engine.begin() as conn:
                    conn.execute(beat.values(heartbeat_at=self.clock.now()))
            except SQLAlchemyError:
                continue  # the next beat tries again; a database that stays down fails the run

    # -- claiming (the run's thread) ------------------------------------------------------------

    def _selected(self) -> ColumnElement[bool]:
        """This run's notices: the incident, the kinds and, if chosen, the jurisdictions."""
        where = and_(_O.c.incident_id == self.incident_id, _O.c.kind.in_(self.kinds))
        if self.codes is not None:
            where = and_(
                where, or_(false(), *(_O.c.jurisdictions.like(f"%;{c};%") for c in sorted(self.codes)))
            )
        return where

    def _claim(self, conn: Connection, run_id: int, limit: int) -> list[Any]:
        now = self.clock.now()
        due = (_O.c.next_attempt_at.is_(None)) | (_O.c.next_attempt_at <= now)
        ids = [
            r[0]
            for r in conn.execute(
                select(_O.c.id)
                .where(self._selected(), _O.c.state == "queued", due)
                .order_by(_O.c.id)
                .limit(limit)
            )
        ]
        if not ids:
            conn.commit()
            return []
        # Only while this run is still the running one, in the same statement: a run taken
        # over (its heartbeat looked stale) must not take back what the new run requeued.
        mine = select(_R.c.id).where(_R.c.id == run_id, _R.c.status == "running").exists()
        claimed = conn.execute(
            update(_O)
            .where(_O.c.id.in_(ids), _O.c.state == "queued", mine)
            .values(state="sending", run_id=run_id)
        ).rowcount
        if not claimed and not conn.execute(select(mine)).scalar():
            conn.commit()
            raise RunTakenOver(
                f"notify run #{run_id} was taken over by another run; it claimed no more notices",
                "nothing was sent twice; let the other run finish, or run notify again",
            )
        conn.execute(update(_R).where(_R.c.id == run_id).values(heartbeat_at=now))
        conn.commit()
        rows = list(
            conn.execute(
                select(_O)
                .where(_O.c.id.in_(ids), _O.c.run_id == run_id, _O.c.state == "sending")
                .order_by(_O.c.id)
            )
        )
        conn.commit()
        return rows

    def _earliest_retry(self, conn: Connection) -> datetime | None:
        value = conn.execute(
            select(func.min(_O.c.next_attempt_at)).where(self._selected(), _O.c.state == "queued")
        ).scalar()
        conn.commit()
        return value

    def outgoing(self, row: Any) -> Outgoing:
        """The signed message for one outbox row (in this process)."""
        return self.outgoing_fields(row_fields(row))

    def outgoing_fields(self, fields: dict[str, Any]) -> Outgoing:
        """The signed message for the composing fields of a row (a dry run's rows are not stored)."""
        result = next(self._local.compose([fields], self.clock.now()))
        if isinstance(result, str):
            raise ValueError(result)
        return result

    # -- delivering (one thread per connection) -------------------------------------------------

    def _deliver_one(
        self, conn: Connection, mailer: Mailer, run_id: int, row: Any, mail: Outgoing | str
    ) -> None:
        number = row.attempts + 1
        if isinstance(mail, str):
            self._finish(conn, row, run_id, number, "failed", None, mail)
            return

        def before_final_dot() -> None:
            marked = conn.execute(_MARK_DOT, {"b_id": row.id, "b_run": run_id, "b_at": self.clock.now()})
            conn.commit()
            if marked.rowcount != 1:  # the mailer drops the connection: no dot, nothing delivered
                raise RunTakenOver(
                    f"notify run #{run_id} was taken over by another run while sending "
                    f"(notice #{row.id} is no longer its own); it stopped before sending it",
                    "nothing was sent twice; let the other run finish, or run notify again",
                )

        self.limiter.wait()
        try:
            reply = mailer.send(mail, before_final_dot)
        except UnconfirmedDelivery as exc:
            if self.config.unconfirmed == "presume-sent":
                self._finish(conn, row, run_id, number, "sent", exc.code, str(exc), confirmed=False)
            else:
                self._retry(conn, row, run_id, number, exc)
            return
        except ServerUnavailable:
            raise
        except PermanentFailure as exc:
            self._finish(conn, row, run_id, number, "bounced", exc.code, str(exc))
            return
        except DeliveryError as exc:
            self._retry(conn, row, run_id, number, exc)
            return
        self._finish(conn, row, run_id, number, "sent", 250, reply, confirmed=True)

    def _retry(self, conn: Connection, row: Any, run_id: int, number: int, exc: DeliveryError) -> None:
        smtp = self.config.smtp
        if number >= smtp.max_attempts:
            self._finish(
                conn, row, run_id, number, "failed", exc.code, f"gave up after {number} attempts: {exc}"
            )
            return
        now = self.clock.now()
        conn.execute(
            update(_O)
            .where(_O.c.id == row.id)
            .values(
                state="queued",
                attempts=number,
                final_dot_at=None,
                next_attempt_at=now + backoff(number, smtp.backoff_base_s, smtp.backoff_max_s),
                last_code=exc.code,
                last_error=str(exc)[:2000],
                updated_at=now,
            )
        )
        record_attempt(conn, row, run_id, number, now, "temporary", exc.code, str(exc))
        conn.commit()
        with self._lock:
            self.summary.deferred += 1
            self.summary.cut_before_dot += 1 if exc.message.startswith(CUT_BEFORE_DOT) else 0

    def _finish(
        self,
        conn: Connection,
        row: Any,
        run_id: int,
        number: int,
        state: str,
        code: int | None,
        detail: str,
        confirmed: bool | None = None,
    ) -> None:
        now = self.clock.now()
        params: dict[str, Any] = {
            "b_id": row.id,
            "b_state": state,
            "b_attempts": number,
            "b_code": code,
            "b_at": now,
        }
        if state == "sent":
            params["b_confirmed"] = confirmed
        else:
            params["b_error"] = detail[:2000]
        conn.execute(_DONE[state == "sent"], params)
        outcome = {"sent": "sent", "bounced": "permanent"}.get(state, "failed")
        if state == "sent" and not confirmed:
            outcome = "unconfirmed"
        record_attempt(conn, row, run_id, number, now, outcome, code, detail)
        conn.commit()
        with self._lock:
            if state == "sent":
                if confirmed:
                    self.summary.sent += 1
                else:
                    self.summary.unconfirmed += 1
                self._sent_since_event += 1
            else:
                setattr(self.summary, state, getattr(self.summary, state) + 1)
                who = f"{row.kind} notice #{row.id} to {hashing.mask(row.to_addr)}"
                line = f"{who} {state}: {detail[:300]}"
                self.summary.failures.append(line)
                self._events.append(f"Notify: {line}")

    def _deliver_loop(
        self, run_id: int, mailer: Mailer, items: queue.Queue[tuple[Any, Outgoing | str] | None]
    ) -> None:
        """One delivery thread: its own database connection, its own mailer (connection)."""
        try:
            with self.engine.connect() as conn:
                while True:
                    item = items.get()
                    try:
                        if item is None:
                            return
                        if self._stop.is_set():
                            continue  # drain: the run's thread requeues what is left
                        row, mail = item
                        try:
                            self._deliver_one(conn, mailer, run_id, row, mail)
                        except BaseException as exc:
                            conn.rollback()
                            self._halt(exc)
                            continue
                        with self._lock:
                            self.progress.advance()
                    finally:
                        items.task_done()
        except BaseException as exc:  # the database connection itself failed
            self._halt(exc)
            while items.get() is not None:  # keep draining so the run's thread never blocks
                items.task_done()
            items.task_done()
        finally:
            mailer.close()

    def _halt(self, exc: BaseException) -> None:
        with self._lock:
            if self._fatal is None:
                self._fatal = exc
        self._stop.set()

    def _put(
        self, items: queue.Queue[tuple[Any, Outgoing | str] | None], item: tuple[Any, Outgoing | str]
    ) -> None:
        while not self._stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stop

    def _flush_events(self, run_id: int, final: bool = False) -> None:
        with self._lock:
            if self._sent_since_event >= TIMELINE_EVERY and not final:
                self._events.append(f"Notify run #{run_id}: {self.summary.sent} notices sent so far")
                self._sent_since_event = 0
            events, self._events = self._events, []
        if not events:
            return
        with session_scope(self.engine) as session:
            for message in events:
                api.add_timeline_event(
                    session, self.incident_id, message, author=AUTHOR, kind="notify", clock=self.clock
                )

    def run(self, limit: int | None = None) -> SendSummary:
        """Send due notices (at most ``limit``); waits up to ``linger_s`` for retries to fall due."""
        with self.engine.connect() as conn:
            run_id = self._start_run(conn, "send")
            self.summary.run_id = run_id
            self._events.append(f"Notify run #{run_id} started (audience: {', '.join(self.kinds)})")
            status = "crashed"
            pool = ComposePool(self.composer, self.sign_workers)
            items: queue.Queue[tuple[Any, Outgoing | str] | None] = queue.Queue(maxsize=CLAIM_BATCH)
            threads: list[threading.Thread] = []
            beating = threading.Event()
            heart = threading.Thread(
                target=self._heartbeat, args=(run_id, beating), name="notify-heartbeat", daemon=True
            )
            heart.start()
            try:
                self._recover(conn, run_id)
                self._flush_events(run_id)
                self.progress.start("sending notices", limit or self._pending(conn))
                while self._factory is not None and len(self.mailers) < self.connections:
                    self.mailers.append(self._factory())
                for i, mailer in enumerate(self.mailers):
                    t = threading.Thread(
                        target=self._deliver_loop, args=(run_id, mailer, items), name=f"notify-send-{i}"
                    )
                    t.start()
                    threads.append(t)
                self._feed(conn, run_id, pool, items, limit)
                _finish_threads(threads, items)  # they send what is queued, then end
                threads = []
                if self._fatal is not None:
                    raise self._fatal
                status = "finished"
            except ServerUnavailable as exc:
                status = "aborted"
                self._requeue_unsent(conn, run_id)
                self._events.append(f"Notify run #{run_id} stopped: {exc}")
                raise BreachscopeError(
                    f"cannot reach the SMTP server: {exc.message}",
                    "check [notify.smtp] host/port/security/username/password (and lower connections "
                    "if the server limits them); nothing was lost: run notify again",
                ) from exc
            finally:
                if threads:  # an error in this thread: stop the delivery threads first
                    self._stop.set()
                    _finish_threads(threads, items)
                pool.close()
                self.progress.finish()
                beating.set()
                heart.join()
                conn.rollback()
                self.summary.remaining = self._pending(conn)
                self._close_run(conn, run_id, status)
        return self.summary

    def _feed(
        self,
        conn: Connection,
        run_id: int,
        pool: ComposePool,
        items: queue.Queue[tuple[Any, Outgoing | str] | None],
        limit: int | None,
    ) -> None:
        """Claim and compose batches into the delivery queue until nothing (due) is left."""
        claimed = 0
        try:
            while (limit is None or claimed < limit) and not self._stop.is_set():
                size = CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - claimed)
                batch = self._claim(conn, run_id, size)
                if not batch:
                    items.join()  # in-flight notices may still be deferred for a retry
                    if self._stop.is_set():
                        return
                    batch = self._claim(conn, run_id, size)
                    if not batch:
                        if not self._linger(conn):
                            return
                        continue
                claimed += len(batch)
                mails = pool.compose([row_fields(r) for r in batch], self.clock.now())
                for row, mail in zip(batch, mails, strict=True):
                    self._put(items, (row, mail))
                self._flush_events(run_id)
        except _Stop:
            return

    def _requeue_unsent(self, conn: Connection, run_id: int) -> None:
        """After a fatal error: notices not yet at their final dot go back to ``queued``."""
        conn.rollback()
        conn.execute(
            update(_O)
            .where(_O.c.run_id == run_id, _O.c.state == "sending", _O.c.final_dot_at.is_(None))
            .values(state="queued")
        )
        conn.commit()

    def _linger(self, conn: Connection) -> bool:
        earliest = self._earliest_retry(conn)
        if earliest is None:
            return False
        wait = (earliest - self.clock.now()).total_seconds()
        if wait > self.config.smtp.linger_s:
            return False
        self.sleep(max(wait, 0.0) + 0.01)
        return True

    def _pending(self, conn: Connection) -> int:
        n = conn.execute(
            select(func.count()).where(self._selected(), _O.c.state.in_(("queued", "sending")))
        ).scalar()
        conn.commit()
        return int(n or 0)

    def _close_run(self, conn: Connection, run_id: int, status: str) -> None:
        conn.rollback()
        now = self.clock.now()
        conn.execute(
            update(_R)
            .where(_R.c.id == run_id)
            .values(status=status, finished_at=now, heartbeat_at=now, summary=self.summary.to_dict())
        )
        conn.commit()
        s = self.summary
        self._events.append(
            f"Notify run #{run_id} {status}: {s.sent} sent, {s.unconfirmed} unconfirmed, "
            f"{s.remaining} still queued ({s.cut_before_dot} cut before the final dot, {s.deferred} "
            f"deferred in all), {s.bounced} bounced, {s.failed} failed"
        )
        self._flush_events(run_id, final=True)
