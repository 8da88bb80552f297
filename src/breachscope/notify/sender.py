"""Delivering the outbox: claim, sign, send, record; resumable after a crash at any moment.

Per notice the sender commits twice: ``final_dot_at`` just before the closing ``"."`` of DATA
(the mailer calls back), and the outcome right after the server's reply. Claims are batched
(``state = 'sending'``). A run holds a lock row in ``notify_runs``; the next run takes over a
run whose process is gone (same host) or whose heartbeat is stale, and first recovers the rows
it left in ``sending``:

* ``final_dot_at`` is NULL: the server cannot have the message -> ``queued`` again;
* ``final_dot_at`` is set: the server probably has it -> ``presume-sent`` (``sent``,
  ``confirmed = false``, listed by ``notify status``) or, by config, ``resend`` (same
  Message-ID, so receivers can de-duplicate).

Failures land in the timeline one event each (batched per claim), the run as one event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from breachscope import hashing
from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.clock import Clock, SystemClock
from breachscope.errors import BreachscopeError
from breachscope.notify.compose import ComposePool, Composer, row_fields
from breachscope.notify.config import NotifyConfig
from breachscope.notify.mailer import (
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

_O, _R = OUTBOX, RUNS


@dataclass
class SendSummary:
    run_id: int = 0
    sent: int = 0
    deferred: int = 0
    bounced: int = 0
    failed: int = 0
    unconfirmed: int = 0
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
    """At most ``rate`` calls of :meth:`wait` per second (0 = unlimited); injected time."""

    def __init__(
        self,
        rate: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._monotonic, self._sleep = monotonic, sleep
        self._next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = self._monotonic()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = max(self._next + self.interval, now)


def backoff(attempt: int, base_s: float, max_s: float) -> timedelta:
    """Delay after the ``attempt``-th temporary failure: base * 2**(attempt-1), capped."""
    return timedelta(seconds=min(max_s, base_s * 2 ** max(0, attempt - 1)))


class Sender:
    """One delivery run over an incident's outbox."""

    def __init__(
        self,
        engine: Engine,
        incident_id: int,
        *,
        mailer: Mailer,
        config: NotifyConfig,
        kinds: Sequence[str] = ("user", "admin", "regulator"),
        signer: DkimSigner | None = None,
        clock: Clock | None = None,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        resend_unconfirmed: bool = False,
        sign_workers: int | None = None,
    ) -> None:
        self.engine = engine
        self.incident_id = incident_id
        self.mailer = mailer
        self.config = config
        self.kinds = tuple(kinds)
        self.signer = signer
        self.clock = clock or SystemClock()
        self.progress = progress or NullProgress()
        self.sleep = sleep
        self.limiter = RateLimiter(config.smtp.rate_per_second, monotonic, sleep)
        self.monotonic = monotonic
        self.resend_unconfirmed = resend_unconfirmed
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

    # -- the loop -------------------------------------------------------------------------------

    def _claim(self, conn: Connection, run_id: int, limit: int) -> list[Any]:
        now = self.clock.now()
        due = (_O.c.next_attempt_at.is_(None)) | (_O.c.next_attempt_at <= now)
        ids = [
            r[0]
            for r in conn.execute(
                select(_O.c.id)
                .where(
                    _O.c.incident_id == self.incident_id,
                    _O.c.state == "queued",
                    _O.c.kind.in_(self.kinds),
                    due,
                )
                .order_by(_O.c.id)
                .limit(limit)
            )
        ]
        if not ids:
            conn.commit()
            return []
        conn.execute(
            update(_O).where(_O.c.id.in_(ids), _O.c.state == "queued").values(state="sending", run_id=run_id)
        )
        conn.execute(update(_R).where(_R.c.id == run_id).values(heartbeat_at=now))
        conn.commit()
        return list(conn.execute(select(_O).where(_O.c.id.in_(ids), _O.c.run_id == run_id).order_by(_O.c.id)))

    def _earliest_retry(self, conn: Connection) -> datetime | None:
        value = conn.execute(
            select(func.min(_O.c.next_attempt_at)).where(
                _O.c.incident_id == self.incident_id, _O.c.state == "queued", _O.c.kind.in_(self.kinds)
            )
        ).scalar()
        conn.commit()
        return value

    def outgoing(self, row: Any) -> Outgoing:
        """The signed message for one outbox row (in this process)."""
        result = next(self._local.compose([row_fields(row)], self.clock.now()))
        if isinstance(result, str):
            raise ValueError(result)
        return result

    def _deliver_one(self, conn: Connection, run_id: int, row: Any, mail: Outgoing | str) -> None:
        number = row.attempts + 1
        if isinstance(mail, str):
            self._finish(conn, row, run_id, number, "failed", None, mail)
            return

        def before_final_dot() -> None:
            conn.execute(update(_O).where(_O.c.id == row.id).values(final_dot_at=self.clock.now()))
            conn.commit()

        self.limiter.wait()
        try:
            reply = self.mailer.send(mail, before_final_dot)
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
        self.summary.deferred += 1

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
        values: dict[str, Any] = {"state": state, "attempts": number, "last_code": code, "updated_at": now}
        if state == "sent":
            values.update(sent_at=now, confirmed=confirmed, last_error=None)
        else:
            values.update(last_error=detail[:2000])
        conn.execute(update(_O).where(_O.c.id == row.id).values(**values))
        outcome = {"sent": "sent", "bounced": "permanent"}.get(state, "failed")
        if state == "sent" and not confirmed:
            outcome = "unconfirmed"
        record_attempt(conn, row, run_id, number, now, outcome, code, detail)
        conn.commit()
        if state == "sent":
            self.summary.sent += 1
            self.summary.unconfirmed += 0 if confirmed else 1
            self._sent_since_event += 1
        else:
            setattr(self.summary, state, getattr(self.summary, state) + 1)
            who = f"{row.kind} notice #{row.id} to {hashing.mask(row.to_addr)}"
            line = f"{who} {state}: {detail[:300]}"
            self.summary.failures.append(line)
            self._events.append(f"Notify: {line}")

    def _flush_events(self, run_id: int, final: bool = False) -> None:
        if self._sent_since_event >= TIMELINE_EVERY and not final:
            self._events.append(f"Notify run #{run_id}: {self.summary.sent} notices sent so far")
            self._sent_since_event = 0
        if not self._events:
            return
        with session_scope(self.engine) as session:
            for message in self._events:
                api.add_timeline_event(
                    session, self.incident_id, message, author=AUTHOR, kind="notify", clock=self.clock
                )
        self._events = []

    def run(self, limit: int | None = None) -> SendSummary:
        """Send due notices (at most ``limit``); waits up to ``linger_s`` for retries to fall due."""
        with self.engine.connect() as conn:
            run_id = self._start_run(conn, "send")
            self.summary.run_id = run_id
            self._events.append(f"Notify run #{run_id} started (audience: {', '.join(self.kinds)})")
            status = "crashed"
            pool = ComposePool(self.composer, self.sign_workers)
            try:
                self._recover(conn, run_id)
                self._flush_events(run_id)
                self.progress.start("sending notices", limit or self._pending(conn))
                done = 0
                while limit is None or done < limit:
                    batch = self._claim(
                        conn, run_id, CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - done)
                    )
                    if not batch:
                        if not self._linger(conn):
                            break
                        continue
                    mails = pool.compose([row_fields(r) for r in batch], self.clock.now())
                    for row, mail in zip(batch, mails, strict=True):
                        self._deliver_one(conn, run_id, row, mail)
                        done += 1
                        self.progress.advance()
                    self._flush_events(run_id)
                status = "finished"
            except ServerUnavailable as exc:
                status = "aborted"
                conn.rollback()
                conn.execute(
                    update(_O)
                    .where(_O.c.run_id == run_id, _O.c.state == "sending", _O.c.final_dot_at.is_(None))
                    .values(state="queued")
                )
                conn.commit()
                self._events.append(f"Notify run #{run_id} stopped: {exc}")
                raise BreachscopeError(
                    f"cannot reach the SMTP server: {exc.message}",
                    "check [notify.smtp] host/port/security; nothing was lost: run notify again",
                ) from exc
            finally:
                pool.close()
                self.mailer.close()
                self.progress.finish()
                self.summary.remaining = self._pending(conn)
                self._close_run(conn, run_id, status)
        return self.summary

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
            select(func.count()).where(
                _O.c.incident_id == self.incident_id,
                _O.c.state.in_(("queued", "sending")),
                _O.c.kind.in_(self.kinds),
            )
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
            f"Notify run #{run_id} {status}: {s.sent} sent ({s.unconfirmed} unconfirmed), "
            f"{s.deferred} deferred, {s.bounced} bounced, {s.failed} failed, {s.remaining} still queued"
        )
        self._flush_events(run_id, final=True)
