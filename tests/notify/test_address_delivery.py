"""International addresses end to end against real aiosmtpd servers (SMTPUTF8 offered or not).

Each case queues the notice next to an ASCII companion, writes the dry-run .eml files, then
sends over one reused connection and reads what the server received.
"""

from __future__ import annotations

import email
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

import dkim
import pytest
from sqlalchemy import Engine, select

from breachscope.case.db import session_scope
from breachscope.notify import address
from breachscope.notify.config import from_mapping
from breachscope.notify.mailer import EmlDirectoryMailer
from breachscope.notify.outbox import OutboxAttempt, OutboxMessage
from breachscope.notify.queue import queue_notices
from breachscope.notify.sender import DeliveryRun
from breachscope.notify.service import make_renderer, make_signer
from breachscope.notify.smtp import SmtpMailer

from .conftest import DkimKey, SmtpServer, config_mapping, user_ctx

COMPANION = "user2@example.org"


@dataclass(frozen=True)
class Case:
    directory: str  # the address in the directory
    smtputf8_server: bool  # does the server's EHLO offer SMTPUTF8
    sent_to: str  # the normalised address (outbox, envelope, To header)
    state: str  # "sent" or "bounced"


CASES = {
    "idn domain": Case("user1@bücher.example", False, "user1@xn--bcher-kva.example", "sent"),
    "idn domain, cjk": Case("user1@例え.テスト", False, "user1@xn--r8jz45g.xn--zckzah", "sent"),
    "idn domain, smtputf8 server": Case("user1@bücher.example", True, "user1@xn--bcher-kva.example", "sent"),
    "eai local part": Case("jürgen@example.org", True, "jürgen@example.org", "sent"),
    "eai local part, idn domain": Case("jürgen@bücher.example", True, "jürgen@xn--bcher-kva.example", "sent"),
    "eai local part, cjk": Case("用户@例子.广告", True, "用户@xn--fsqu00a.xn--4rr70v", "sent"),
    "eai, no smtputf8": Case("jürgen@example.org", False, "jürgen@example.org", "bounced"),
    "eai cjk, no smtputf8": Case("用户@例子.广告", False, "用户@xn--fsqu00a.xn--4rr70v", "bounced"),
}


def _headers(data: bytes) -> EmailMessage:
    """Parse as RFC 6532 (UTF-8 headers); the stdlib's bytes parser would surrogate-escape them."""
    return email.message_from_string(data.decode("utf-8"), policy=policy.default)  # type: ignore[return-value]


def _check_message(data: bytes, case: Case, dkim_key: DkimKey) -> None:
    assert dkim.verify(data, dnsfunc=dkim_key.dnsfunc("notice", "example.com"), minkey=1024)
    msg = _headers(data)
    [to] = msg["To"].addresses
    assert to.addr_spec == case.sent_to and to.display_name == "User 1"
    head = data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() == (not address.needs_smtputf8(case.sent_to))
    assert b"=?" not in head.split(b"\r\nTo:", 1)[1].split(b"\r\n", 1)[0]  # no encoded-word in To


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_international_address_is_delivered_in_ascii_domain_form_or_bounced_with_reason(
    any_engine: Engine,
    start_smtp_server: Callable[..., SmtpServer],
    dkim_key: DkimKey,
    tmp_path: Path,
    case: Case,
) -> None:
    server = start_smtp_server(smtputf8=case.smtputf8_server)
    config = from_mapping(config_mapping(dkim_key, server.port))
    queued = queue_notices(
        any_engine,
        [user_ctx(1, email=case.directory), user_ctx(2)],
        renderer=make_renderer(config),
        config=config,
    )
    assert (queued.rendered, queued.invalid_address) == (2, 0)

    # dry run: one signed .eml per notice, the international one with the address as sent
    eml = EmlDirectoryMailer(tmp_path / "eml")
    writer = DeliveryRun(any_engine, 1, config=config, signer=make_signer(config), mailer=eml)
    with any_engine.connect() as conn:
        for row in conn.execute(select(OutboxMessage).order_by(OutboxMessage.id)):
            eml.send(writer.outgoing(row), lambda: None)
    assert eml.written == 2
    emls = {
        _headers(p.read_bytes())["To"].addresses[0].addr_spec: p for p in (tmp_path / "eml").rglob("*.eml")
    }
    assert set(emls) == {case.sent_to, COMPANION}
    _check_message(emls[case.sent_to].read_bytes(), case, dkim_key)

    summary = DeliveryRun(
        any_engine, 1, config=config, signer=make_signer(config), mailer=SmtpMailer(config.smtp)
    ).run()
    received = {r.rcpt_tos[0]: r for r in server.recorder.messages}
    # the ASCII companion goes out over the same connection whatever happened to the other one
    assert COMPANION in received and received[COMPANION].mail_options == []
    with session_scope(any_engine) as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_key == "u1")).one()
        outcomes = [
            a.outcome for a in session.scalars(select(OutboxAttempt).where(OutboxAttempt.outbox_id == row.id))
        ]
        assert row.to_addr == case.sent_to and row.state == case.state
        state, error = row.state, row.last_error or ""
    if case.state == "sent":
        assert (summary.sent, summary.bounced) == (2, 0) and outcomes == ["sent"]
        got = received[case.sent_to]
        assert got.mail_from == "security@example.com" and got.rcpt_tos == [case.sent_to]
        assert ("SMTPUTF8" in got.mail_options) == address.needs_smtputf8(case.sent_to)
        _check_message(got.data, case, dkim_key)
    else:
        assert (summary.sent, summary.bounced) == (1, 1) and outcomes == ["permanent"]
        assert state == "bounced" and "server does not support SMTPUTF8" in error
        assert list(received) == [COMPANION]  # never sent in a mangled form


INVALID = {
    "user@pаypal.com": address.IDN_MIXED_SCRIPT,
    "user@ραypal.com": address.IDN_MIXED_SCRIPT,
    "user@☃.example": "a domain character that IDNA 2008 disallows",
    "user@xn--zz.example": address.IDN_INVALID,
    "user@שלום1a.example": "a domain label breaks the IDNA bidi rule (mixed right-to-left text)",
    "a\u202egnp.exe@example.org": address.BAD_CHARACTER,
    "jürgen\r\nBcc: x@evil.example": address.BAD_CHARACTER,
}


def test_invalid_international_addresses_are_skipped_at_queue_time_and_counted_by_reason(
    engine: Engine, dkim_key: DkimKey
) -> None:
    config = from_mapping(config_mapping(dkim_key))
    contexts = [user_ctx(10 + n, email=addr) for n, addr in enumerate(INVALID)] + [user_ctx(1)]
    summary = queue_notices(engine, contexts, renderer=make_renderer(config), config=config)
    expected: dict[str, int] = {}
    for reason in INVALID.values():
        expected[reason] = expected.get(reason, 0) + 1
    assert (summary.rendered, summary.invalid_address) == (1, len(INVALID))
    assert summary.invalid_reasons == expected
    assert summary.to_dict()["invalid_reasons"] == expected
    with session_scope(engine) as session:
        assert [r.to_addr for r in session.scalars(select(OutboxMessage))] == ["user1@example.org"]
