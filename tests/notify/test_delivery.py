"""End to end against a real aiosmtpd server: queue, send, then read what the server received."""

from __future__ import annotations

import email
import re
import socket
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import dkim
import pytest
from sqlalchemy import Engine, select

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.notify.config import NotifyConfig
from breachscope.notify.outbox import OutboxAttempt, OutboxMessage
from breachscope.notify.queue import outbox_counts, queue_notices
from breachscope.notify.safety import find_html_links, find_links
from breachscope.notify.sender import DeliveryRun
from breachscope.notify.service import make_renderer, make_signer
from breachscope.notify.smtp import SmtpMailer

from .conftest import DkimKey, SmtpServer, user_ctx


def send_all(engine: Engine, config: NotifyConfig, contexts: list, connections: int = 1, **kw: object):  # type: ignore[no-untyped-def]
    """Queue and send; ``connections`` > 1 delivers over that many SMTP connections at once."""
    queue_notices(engine, contexts, renderer=make_renderer(config), config=config)
    if connections == 1:
        kw["mailer"] = SmtpMailer(config.smtp)
    else:
        config = replace(config, smtp=replace(config.smtp, connections=connections))
        kw["mailer_factory"] = lambda: SmtpMailer(config.smtp)
    sender = DeliveryRun(engine, 1, config=config, signer=make_signer(config), **kw)  # type: ignore[arg-type]
    return sender.run()


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


def parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


EXPECTED_FIELDS = {
    "en": [
        "your name",
        "your email address",
        "your approximate location (Jakarta, Indonesia)",
        "your browser and operating system",
    ],
    "id": [
        "nama Anda",
        "alamat email Anda",
        "perkiraan lokasi Anda (Jakarta, Indonesia)",
        "browser dan sistem operasi Anda",
    ],
}


@pytest.mark.parametrize(
    ("directory_language", "expected", "heading"),
    [
        ("en", "en", "WHAT INFORMATION WAS INVOLVED"),
        ("id", "id", "INFORMASI APA YANG TERLIBAT"),
        ("id-ID", "id", "INFORMASI APA YANG TERLIBAT"),
        ("in", "id", "INFORMASI APA YANG TERLIBAT"),
        ("fr", "en", "WHAT INFORMATION WAS INVOLVED"),
        ("", "en", "WHAT INFORMATION WAS INVOLVED"),
    ],
)
def test_delivered_notice_is_signed_link_free_exact_and_in_language(
    engine: Engine,
    config: NotifyConfig,
    smtp_server: SmtpServer,
    dkim_key: DkimKey,
    directory_language: str,
    expected: str,
    heading: str,
) -> None:
    summary = send_all(engine, config, [user_ctx(1, language=directory_language)])
    assert summary.sent == 1
    [received] = smtp_server.recorder.messages
    assert received.rcpt_tos == ["user1@example.org"]
    assert received.mail_from == "security@example.com"
    assert dkim.verify(received.data, dnsfunc=dkim_key.dnsfunc("notice", "example.com"), minkey=1024)
    msg = parse(received.data)
    assert msg["Content-Language"] == expected
    assert msg["Subject"] == msg["Subject"].strip() and "\n" not in msg["Subject"]
    assert msg["From"] == "Example Security <security@example.com>"
    assert msg["Reply-To"] == "privacy@example.com"
    text, html = parts(msg)
    assert heading in text
    # exactly the recipient's exposed fields, as a list in the text part
    listed: list[str] = []
    for line in text.split(heading, 1)[1].splitlines()[2:]:
        if not line.strip().startswith("- "):
            break
        listed.append(line.strip()[2:])
    assert listed == EXPECTED_FIELDS[expected]
    for field_text in EXPECTED_FIELDS[expected]:
        assert field_text in html
    assert find_links(text) == [] and find_html_links(html) == []
    assert "<a" not in html.lower() and not re.search(r"https?://", html + text)
    assert "example[.]com" in text and "example[.]com" in html


def test_a_key_mismatch_fails_dkim_verification(
    engine: Engine, config: NotifyConfig, smtp_server: SmtpServer, dkim_key: DkimKey
) -> None:
    send_all(engine, config, [user_ctx(1)])
    data = smtp_server.recorder.messages[0].data
    tampered = data.replace(b"Jakarta", b"Bandung")
    assert not dkim.verify(tampered, dnsfunc=dkim_key.dnsfunc("notice", "example.com"), minkey=1024)


HOSTILE_NAMES = [
    "Bob\r\nBcc: attacker@evil.example",
    "Eve\nSubject: pwned",
    "Mallory\rX-Injected: 1",
    '<a href="https://evil.example/login">Click</a>',
    "<script>alert(1)</script>",
    "visit www.evil.example now",
    "=?utf-8?q?Bcc=3A_x=40evil=2Eexample?=",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_never_create_headers_or_links(
    engine: Engine, config: NotifyConfig, smtp_server: SmtpServer, dkim_key: DkimKey, name: str
) -> None:
    send_all(engine, config, [user_ctx(1, name=name, location="evil.example\r\nBcc: x@y.z")])
    [received] = smtp_server.recorder.messages
    assert received.rcpt_tos == ["user1@example.org"]
    msg = parse(received.data)
    for header in ("Bcc", "X-Injected"):
        assert msg[header] is None
    assert msg["Subject"].startswith("Notice of Data Breach")
    assert len(msg.get_all("To", [])) == 1
    header_block = received.data.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"(?m)^(Bcc|X-Injected|Subject: pwned)", header_block)
    text, html = parts(msg)
    assert find_links(text) == [] and find_html_links(html) == []
    assert "<script" not in html and "<a " not in html
    assert dkim.verify(received.data, dnsfunc=dkim_key.dnsfunc("notice", "example.com"), minkey=1024)


@pytest.mark.parametrize("connections", [1, 3])
def test_temporary_failures_are_retried_with_backoff_then_delivered(
    any_engine: Engine, config: NotifyConfig, smtp_server: SmtpServer, connections: int
) -> None:
    smtp_server.recorder.fail["user2@example.org"] = ("451 4.3.0 try again later", 2)
    summary = send_all(any_engine, config, [user_ctx(n) for n in range(1, 4)], connections)
    assert summary.sent == 3 and summary.deferred == 2
    rcpts = sorted(r.rcpt_tos[0] for r in smtp_server.recorder.messages)
    assert rcpts == ["user1@example.org", "user2@example.org", "user3@example.org"]
    with session_scope(any_engine) as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == "user2@example.org")).one()
        assert (row.state, row.attempts, row.confirmed) == ("sent", 3, True)
        outcomes = [
            a.outcome
            for a in session.scalars(
                select(OutboxAttempt).where(OutboxAttempt.outbox_id == row.id).order_by(OutboxAttempt.id)
            )
        ]
        assert outcomes == ["temporary", "temporary", "sent"]


def test_temporary_failures_give_up_after_max_attempts(
    engine: Engine, config: NotifyConfig, smtp_server: SmtpServer
) -> None:
    smtp_server.recorder.fail["user1@example.org"] = ("421 4.7.0 go away", -1)
    summary = send_all(engine, config, [user_ctx(1)])
    assert summary.failed == 1 and summary.sent == 0
    assert outbox_counts(engine, 1)["user"]["failed"] == 1


@pytest.mark.parametrize("connections", [1, 3])
def test_permanent_failures_are_recorded_as_bounced_and_in_the_timeline(
    any_engine: Engine, config: NotifyConfig, smtp_server: SmtpServer, connections: int
) -> None:
    smtp_server.recorder.fail["user2@example.org"] = ("550 5.1.1 no such user", -1)
    summary = send_all(any_engine, config, [user_ctx(n) for n in range(1, 4)], connections)
    assert (summary.sent, summary.bounced) == (2, 1)
    counts = outbox_counts(any_engine, 1)["user"]
    assert (counts["sent"], counts["bounced"], counts["queued"]) == (2, 1, 0)
    with session_scope(any_engine) as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.state == "bounced")).one()
        assert row.last_code == 550 and "no such user" in (row.last_error or "")
        events = [e.message for e in api.timeline(session, 1) if e.kind == "notify"]
    bounced = [e for e in events if "bounced" in e and "550" in e]
    assert len(bounced) == 1 and "user2@example.org" not in bounced[0]
    assert any("2 sent" in e and "1 bounced" in e for e in events)


@pytest.mark.parametrize("connections", [1, 3])
def test_sending_again_sends_nothing_twice(
    any_engine: Engine, config: NotifyConfig, smtp_server: SmtpServer, connections: int
) -> None:
    contexts = [user_ctx(n) for n in range(1, 6)]
    assert send_all(any_engine, config, contexts, connections).sent == 5
    assert send_all(any_engine, config, contexts, connections).sent == 0
    ids = [parse(m.data)["Message-ID"] for m in smtp_server.recorder.messages]
    assert len(ids) == 5 == len(set(ids))


def test_connection_is_reused_and_rate_limited(
    engine: Engine, config: NotifyConfig, smtp_server: SmtpServer
) -> None:
    queue_notices(engine, [user_ctx(n) for n in range(1, 11)], renderer=make_renderer(config), config=config)
    mailer = SmtpMailer(config.smtp)
    slept: list[float] = []
    clock = [0.0]

    def sleep(s: float) -> None:
        slept.append(s)
        clock[0] += s

    limited = replace(config, smtp=replace(config.smtp, rate_per_second=20))
    DeliveryRun(
        engine, 1, mailer=mailer, config=limited, signer=None, sleep=sleep, monotonic=lambda: clock[0]
    ).run()
    assert len(smtp_server.recorder.messages) == 10
    assert mailer.connections == 1
    assert sum(slept) == pytest.approx(9 / 20, abs=1e-6)


@pytest.mark.parametrize("workers", [0, 2])
def test_signing_in_worker_processes_gives_the_same_valid_messages(
    engine: Engine, config: NotifyConfig, smtp_server: SmtpServer, dkim_key: DkimKey, workers: int
) -> None:
    summary = send_all(
        engine,
        config,
        [user_ctx(n, language="id" if n % 2 else "en") for n in range(1, 9)],
        sign_workers=workers,
    )
    assert summary.sent == 8
    got = sorted(smtp_server.recorder.messages, key=lambda r: r.rcpt_tos[0])
    assert [r.rcpt_tos[0] for r in got] == sorted(f"user{n}@example.org" for n in range(1, 9))
    for r in got:
        assert dkim.verify(r.data, dnsfunc=dkim_key.dnsfunc("notice", "example.com"), minkey=1024)
        assert parse(r.data)["To"].addresses[0].addr_spec == r.rcpt_tos[0]


def test_unreachable_server_stops_the_run_without_using_up_retries(engine: Engine, dkim_key: DkimKey) -> None:
    from breachscope.errors import BreachscopeError
    from breachscope.notify.config import from_mapping

    from .conftest import config_mapping, free_port

    config = from_mapping(config_mapping(dkim_key, free_port()))  # nothing listens there
    with pytest.raises(BreachscopeError, match="cannot reach the SMTP server"):
        send_all(engine, config, [user_ctx(n) for n in range(1, 4)])
    with session_scope(engine) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {(r.state, r.attempts) for r in rows} == {("queued", 0)}
        assert any("stopped" in e.message for e in api.timeline(session, 1))


def test_several_connections_deliver_every_notice_once_signed_and_exact(
    any_engine: Engine, config: NotifyConfig, smtp_server: SmtpServer, dkim_key: DkimKey
) -> None:
    contexts = [user_ctx(n, language="id" if n % 2 else "en") for n in range(1, 61)]
    queue_notices(any_engine, contexts, renderer=make_renderer(config), config=config)
    four = replace(config, smtp=replace(config.smtp, connections=4))
    sender = DeliveryRun(
        any_engine, 1, mailer_factory=lambda: SmtpMailer(four.smtp), config=four, signer=make_signer(four)
    )
    summary = sender.run()
    assert summary.sent == 60 and summary.remaining == 0
    assert len(sender.mailers) == 4
    assert all(m.connections <= 1 for m in sender.mailers)  # type: ignore[attr-defined]
    got = smtp_server.recorder.messages
    assert sorted(r.rcpt_tos[0] for r in got) == sorted(f"user{n}@example.org" for n in range(1, 61))
    for r in got:
        assert dkim.verify(r.data, dnsfunc=dkim_key.dnsfunc("notice", "example.com"), minkey=1024)
        msg = parse(r.data)
        n = int(r.rcpt_tos[0].removeprefix("user").split("@")[0])
        assert msg["Content-Language"] == ("id" if n % 2 else "en")
        assert msg["To"].addresses[0].addr_spec == r.rcpt_tos[0]
    with session_scope(any_engine) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {(r.state, r.attempts, r.confirmed) for r in rows} == {("sent", 1, True)}
        assert all(r.final_dot_at is not None for r in rows)
        assert len(session.scalars(select(OutboxAttempt)).all()) == 60


def test_unreachable_server_stops_every_connection_without_using_up_retries(
    engine: Engine, dkim_key: DkimKey
) -> None:
    from breachscope.errors import BreachscopeError
    from breachscope.notify.config import from_mapping

    from .conftest import config_mapping, free_port

    config = from_mapping(config_mapping(dkim_key, free_port(), connections=4))  # nothing listens
    with pytest.raises(BreachscopeError, match="cannot reach the SMTP server"):
        send_all(engine, config, [user_ctx(n) for n in range(1, 300)], connections=4)
    with session_scope(engine) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {(r.state, r.attempts) for r in rows} == {("queued", 0)}
        assert len(rows) == 299


class _Breaks:
    """A mailer that fails with a programming error (not an SMTP reply) on its n-th message."""

    def __init__(self, inner: SmtpMailer, at: int) -> None:
        self.inner, self.at, self.count = inner, at, 0

    def send(self, mail, before_final_dot):  # type: ignore[no-untyped-def]
        self.count += 1
        if self.count == self.at:
            raise RuntimeError("mailer bug")
        return self.inner.send(mail, before_final_dot)

    def close(self) -> None:
        self.inner.close()


def test_an_error_in_one_delivery_thread_stops_the_run_and_the_next_run_finishes(
    any_engine: Engine, config: NotifyConfig, smtp_server: SmtpServer
) -> None:
    queue_notices(
        any_engine, [user_ctx(n) for n in range(1, 41)], renderer=make_renderer(config), config=config
    )
    three = replace(config, smtp=replace(config.smtp, connections=3))
    made: list[_Breaks] = []

    def factory() -> _Breaks:
        made.append(_Breaks(SmtpMailer(three.smtp), at=5 if not made else 0))
        return made[-1]

    with pytest.raises(RuntimeError, match="mailer bug"):
        DeliveryRun(any_engine, 1, mailer_factory=factory, config=three, signer=None).run()  # type: ignore[arg-type]
    first = len(smtp_server.recorder.messages)
    assert first < 40
    summary = DeliveryRun(any_engine, 1, mailer=SmtpMailer(three.smtp), config=three, signer=None).run()
    assert summary.requeued_after_crash >= 1
    got = sorted(r.rcpt_tos[0] for r in smtp_server.recorder.messages)
    assert got == sorted(f"user{n}@example.org" for n in range(1, 41))  # no gap, no duplicate
    assert outbox_counts(any_engine, 1)["user"]["sent"] == 40


def test_rate_limit_is_shared_by_all_connections() -> None:
    import threading

    from breachscope.notify.sender import RateLimiter

    slept: list[float] = []
    lock = threading.Lock()

    def sleep(s: float) -> None:
        with lock:
            slept.append(s)

    limiter = RateLimiter(50, monotonic=lambda: 0.0, sleep=sleep)  # time stands still
    threads = [threading.Thread(target=lambda: [limiter.wait() for _ in range(10)]) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 30 waits, one slot each, 1/50 s apart: the first goes at once, the others wait their turn
    assert sorted(round(s * 50) for s in slept) == list(range(1, 30))


class _FastClock:
    """Real time, 600 times faster: five minutes of the run pass in half a second."""

    SPEED = 600

    def __init__(self) -> None:
        self._start, self._t0 = datetime.now(UTC), time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._t0) * self.SPEED)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.SPEED)


def test_heartbeat_stays_fresh_through_a_slow_server_and_the_linger(
    engine: Engine, config: NotifyConfig, smtp_server: SmtpServer
) -> None:
    """A run whose heartbeat is older than STALE_AFTER is taken over (its 'sending' rows are
    recovered under it): it must beat however long replies or the wait for a retry take."""
    from breachscope.notify.recovery import RUNS, STALE_AFTER

    clock = _FastClock()
    smtp_server.recorder.fail["user2@example.org"] = ("451 4.3.0 try again later", 1)
    ages: list[timedelta] = []

    def slow_data(n: int) -> None:  # every reply takes ~1 minute (0.1 s real)
        with engine.connect() as conn:
            beat = conn.execute(select(RUNS.c.heartbeat_at).where(RUNS.c.status == "running")).scalar_one()
        ages.append(clock.now() - beat)
        time.sleep(0.1)

    smtp_server.recorder.on_data = slow_data
    three = replace(
        config,
        smtp=replace(config.smtp, connections=3, backoff_base_s=400, backoff_max_s=400, linger_s=600),
    )
    queue_notices(engine, [user_ctx(n) for n in range(1, 16)], renderer=make_renderer(three), config=three)
    sender = DeliveryRun(
        engine,
        1,
        mailer_factory=lambda: SmtpMailer(three.smtp),
        config=three,
        signer=None,
        clock=clock,
        sleep=clock.sleep,
    )
    sender.heartbeat_s = 0.02  # 12 s of the fast clock
    summary = sender.run()
    assert (summary.sent, summary.deferred) == (15, 1)
    assert len(ages) == 15
    assert max(ages) < STALE_AFTER, f"heartbeat {max(ages)} old: a second run would take this one over"


def _refusing_server(reply: bytes) -> tuple[int, threading.Event]:
    """A real TCP server on 127.0.0.1 that greets every connection with ``reply`` and hangs up."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        with listener:
            while not stop.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                with client:
                    client.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1]), stop


@pytest.mark.parametrize("connections", [1, 3])
@pytest.mark.parametrize(
    "greeting", [b"421 4.7.0 too many connections from your host\r\n", b"554 5.7.1 no service for you\r\n"]
)
def test_a_server_refusing_the_session_stops_the_run_without_using_up_attempts(
    engine: Engine, dkim_key: DkimKey, connections: int, greeting: bytes
) -> None:
    from breachscope.errors import BreachscopeError
    from breachscope.notify.config import from_mapping

    from .conftest import config_mapping

    port, stop = _refusing_server(greeting)
    try:
        config = from_mapping(config_mapping(dkim_key, port, connections=connections))
        with pytest.raises(BreachscopeError, match="cannot reach the SMTP server"):
            send_all(engine, config, [user_ctx(n) for n in range(1, 31)], connections=connections)
    finally:
        stop.set()
    with session_scope(engine) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {(r.state, r.attempts) for r in rows} == {("queued", 0)}  # nothing bounced, no attempt used
        assert session.scalars(select(OutboxAttempt)).all() == []


@pytest.mark.parametrize("connections", [1, 3])
def test_a_refused_login_stops_the_run_instead_of_bouncing_every_notice(
    engine: Engine, dkim_key: DkimKey, connections: int
) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from breachscope.errors import BreachscopeError
    from breachscope.notify.config import from_mapping

    from .conftest import Recorder, config_mapping, free_port

    def deny(*_: object) -> AuthResult:
        return AuthResult(success=False, handled=False)

    recorder, port = Recorder(), free_port()
    controller = Controller(
        recorder, hostname="127.0.0.1", port=port, authenticator=deny, auth_require_tls=False
    )
    controller.start()
    try:
        config = from_mapping(
            config_mapping(dkim_key, port, username="notices", password="wrong", connections=connections)
        )
        with pytest.raises(BreachscopeError, match="authentication failed"):
            send_all(engine, config, [user_ctx(n) for n in range(1, 11)], connections=connections)
    finally:
        controller.stop()
    assert recorder.messages == []
    with session_scope(engine) as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {(r.state, r.attempts) for r in rows} == {("queued", 0)}


def test_a_failed_final_dot_record_leaves_the_connection_usable(smtp_server: SmtpServer) -> None:
    """If recording ``final_dot_at`` fails (database locked or gone), the dot is not sent and the
    connection, left inside DATA, is dropped: a later QUIT or MAIL would be read as lines of the
    message (close() then hung for timeout_s, and the next send failed)."""
    from breachscope.notify.config import SmtpSettings
    from breachscope.notify.mailer import Outgoing

    mailer = SmtpMailer(SmtpSettings(port=smtp_server.port, security="none", timeout_s=2))
    mail = Outgoing(
        "1:user:u1", "<m1@example.com>", "security@example.com", "u1@example.org", b"Subject: x\r\n\r\nhi\r\n"
    )

    def record_fails() -> None:
        raise RuntimeError("database is locked")

    with pytest.raises(RuntimeError, match="database is locked"):
        mailer.send(mail, record_fails)
    assert smtp_server.recorder.messages == []  # no dot, no message
    assert mailer.send(replace(mail, to="u2@example.org"), lambda: None).startswith("250")
    mailer.close()
    assert [m.rcpt_tos for m in smtp_server.recorder.messages] == [["u2@example.org"]]
