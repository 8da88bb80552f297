"""The watched IMAP folder against a real Dovecot: read-only, new messages only, password from env."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from breachscope.case.db import session_scope
from breachscope.errors import BreachscopeError, InputError
from breachscope.watch.mail.mailbox import parse_imap_url
from breachscope.watch.mail.service import MailSettings, watch_imap
from breachscope.watch.mail.store import Mailbox
from tests.watch.mail.conftest import Case, Keys
from tests.watch.mail.dovecot import Imap, dovecot
from tests.watch.mail.test_service import phish


@pytest.fixture
def imap(tmp_path: Path) -> Iterator[Imap]:
    with dovecot(tmp_path) as server:
        yield server


def _append(imap: Imap, *messages: bytes) -> None:
    c = imaplib.IMAP4(imap.host, imap.port)
    c.login(imap.user, imap.password)
    for raw in messages:
        typ, _ = c.append("INBOX", None, None, raw)
        assert typ == "OK"
    c.logout()


def _unseen(imap: Imap) -> int:
    c = imaplib.IMAP4(imap.host, imap.port)
    c.login(imap.user, imap.password)
    c.select("INBOX", readonly=True)
    _typ, data = c.search(None, "UNSEEN")
    c.logout()
    return len((data[0] or b"").split())


def test_an_imap_folder_is_read_once_read_only(
    case: Case, keys: Keys, settings: MailSettings, imap: Imap
) -> None:
    _append(imap, phish(keys, 1), case.notices[0])
    target = parse_imap_url(f"imap://{imap.user}@{imap.host}:{imap.port}", "INBOX", allow_plain=True)
    report = watch_imap(
        case.engine, case.incident_id, target, imap.password, settings=settings, clock=case.clock
    )
    assert sorted((m.name, m.check.verdict) for m in report.messages) == [
        ("INBOX uid 1", "phishing"),
        ("INBOX uid 2", "genuine"),  # the notice's DKIM signature survives the IMAP round trip
    ]
    assert _unseen(imap) == 2  # BODY.PEEK: still unread for the people who triage the folder
    _append(imap, phish(keys, 3))
    report = watch_imap(
        case.engine, case.incident_id, target, imap.password, settings=settings, clock=case.clock
    )
    assert [m.name for m in report.messages] == ["INBOX uid 3"]
    with session_scope(case.engine) as s:
        [box] = s.query(Mailbox).all()
        assert box.location == f"imap://report@127.0.0.1:{imap.port}/INBOX"
        assert box.last_uid == 3 and box.messages == 3 and box.uidvalidity
    with pytest.raises(BreachscopeError, match="IMAP"):
        watch_imap(case.engine, case.incident_id, target, "wrong", settings=settings, clock=case.clock)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("imap://report:pw@mail.test", "contains a password"),
        ("http://report@mail.test", "imap:// or imaps://"),
        ("imaps://mail.test", "a user and a host"),
    ],
)
def test_imap_urls_are_checked(url: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_imap_url(url, None)


def test_imap_defaults() -> None:
    t = parse_imap_url("imaps://report@mail.test", None)
    assert (t.port, t.tls, t.folder) == (993, "ssl", "INBOX")
    assert parse_imap_url("imap://report@mail.test/Junk", None).tls == "starttls"
