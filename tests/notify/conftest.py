"""Fixtures for notify: a real aiosmtpd server, a DKIM key pair, a case database, a config."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.notify.config import NotifyConfig, from_mapping
from breachscope.notify.context import ActionItem, IncidentInfo, NoticeContext
from tests.case_helpers import CaseTemplates, copy_sqlite_case
from tests.scope.test_jurisdiction_sources import _leak, _run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: list[str] = field(default_factory=list)


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it accepts and fails chosen addresses on request."""

    messages: list[Received] = field(default_factory=list)
    #: address -> (reply, how many times; -1 = always)
    fail: dict[str, tuple[str, int]] = field(default_factory=dict)
    on_rcpt: Callable[[int], None] | None = None
    on_data: Callable[[int], None] | None = None
    rcpt_count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            self.rcpt_count += 1
            n = self.rcpt_count
            if address in self.fail:
                reply, times = self.fail[address]
                if times != 0:
                    self.fail[address] = (reply, times - 1)
                    return reply
        if self.on_rcpt is not None:
            self.on_rcpt(n)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content,
                    list(envelope.mail_options),
                )
            )
            n = len(self.messages)
        if self.on_data is not None:
            self.on_data(n)
        return "250 2.0.0 accepted"


@dataclass
class SmtpServer:
    host: str
    port: int
    recorder: Recorder


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, recorder)
    finally:
        controller.stop()


@pytest.fixture
def start_smtp_server() -> Iterator[Callable[..., SmtpServer]]:
    """Starts servers on request, e.g. ``start_smtp_server(smtputf8=True)`` (RFC 6531 offered)."""
    controllers: list[Controller] = []

    def start(*, smtputf8: bool = False) -> SmtpServer:
        recorder = Recorder()
        port = free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8)
        controller.start()
        controllers.append(controller)
        return SmtpServer("127.0.0.1", port, recorder)

    yield start
    for controller in controllers:
        controller.stop()


@dataclass(frozen=True)
class DkimKey:
    private: Path
    txt: str  # the DNS TXT record value

    def dnsfunc(self, selector: str, domain: str) -> Callable[..., bytes | None]:
        name = f"{selector}._domainkey.{domain}.".encode()

        def lookup(qname: bytes, timeout: int = 5) -> bytes | None:
            return self.txt.encode() if qname == name else None

        return lookup


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> DkimKey:
    """A fresh 1024-bit RSA key (the minimum dkimpy accepts; fast), generated for this test run."""
    d = tmp_path_factory.mktemp("dkim")
    private = d / "notice.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(private), "1024"], check=True, capture_output=True)
    pub = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"], check=True, capture_output=True
    ).stdout
    import base64

    return DkimKey(private, "v=DKIM1; k=rsa; p=" + base64.b64encode(pub).decode())


def config_mapping(dkim_key: DkimKey, port: int = 25, **smtp: Any) -> dict[str, Any]:
    return {
        "notify": {
            "company": "Example Corp",
            "official_domain": "example.com",
            "from": "Example Security <security@example.com>",
            "reply_to": "privacy@example.com",
            "drafts_to": "legal@example.com",
            "support_phone": "+62 21 555 0100",
            "verification_key": "test-verification-key",
            "dkim": {
                "selector": "notice",
                "domain": "example.com",
                "private_key_file": str(dkim_key.private),
            },
            "smtp": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "rate_per_second": 0,
                "backoff_base_s": 0.05,
                "backoff_max_s": 0.2,
                "linger_s": 5,
                **smtp,
            },
        }
    }


@pytest.fixture
def config(dkim_key: DkimKey, smtp_server: SmtpServer) -> NotifyConfig:
    return from_mapping(config_mapping(dkim_key, smtp_server.port))


def _case_engine(url: str) -> Engine:
    eng = open_case_db(url, create=True)
    with session_scope(eng) as session:
        api.create_incident(session, "Mixpanel leak", vendor="Mixpanel")
    return eng


@pytest.fixture(scope="session")
def scoped_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The case of tests/scope/test_jurisdiction_sources.py (20 leaked people in ten directory
    countries; case new, attach, scope and assess through the CLI), built once per session."""
    folder = tmp_path_factory.mktemp("scoped")
    leak = _leak(folder, None)
    _run(folder, leak)
    return folder / (leak.stem + ".db")


@pytest.fixture
def scoped(scoped_case: Path, tmp_path: Path) -> Iterator[Engine]:
    """A copy of :func:`scoped_case` for one test to change (its file in ``tmp_path``)."""
    engine = open_case_db(copy_sqlite_case(scoped_case, tmp_path / scoped_case.name))
    yield engine
    engine.dispose()


@pytest.fixture
def engine(tmp_path: Path, case_templates: CaseTemplates) -> Iterator[Engine]:
    """A SQLite case with incident 1 (most tests)."""
    eng = _case_engine(case_templates.sqlite(tmp_path / "case.db"))
    yield eng
    eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_engine(
    request: pytest.FixtureRequest, tmp_path: Path, case_templates: CaseTemplates
) -> Iterator[Engine]:
    """The same case on SQLite and, when a server is available, on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        eng = _case_engine(case_templates.sqlite(tmp_path / "case.db"))
        yield eng
        eng.dispose()
        return
    with case_templates.postgresql(request.getfixturevalue("pg_url")) as url:
        eng = _case_engine(url)
        yield eng
        eng.dispose()


INCIDENT = IncidentInfo(1, "Mixpanel leak", "Mixpanel", "2025-11-09", "2025-11-25")
ACTIONS = (
    ActionItem(
        "phishing",
        {
            "en": "Be wary of messages that mention this incident.",
            "id": "Waspadai pesan yang menyebut insiden ini.",
        },
    ),
)
NOT_NEEDED = (
    ActionItem(
        "password",
        {"en": "You do not need to change your password.", "id": "Anda tidak perlu mengganti kata sandi."},
        {"en": "Passwords were not in the dataset.", "id": "Kata sandi tidak ada dalam dataset."},
    ),
)
ABSENT = ("password", "secret", "payment_card", "government_id")


def user_ctx(
    n: int,
    *,
    language: str = "en",
    name: str | None = None,
    classes: tuple[str, ...] = ("person_name", "email", "coarse_location", "device"),
    location: str = "Jakarta, Indonesia",
    email: str | None = None,
) -> NoticeContext:
    return NoticeContext(
        kind="user",
        recipient_key=f"u{n}",
        email=email or f"user{n}@example.org",
        name=name if name is not None else f"User {n}",
        language=language,
        incident=INCIDENT,
        exposed_classes=classes,
        absent_classes=ABSENT,
        location=location,
        actions=ACTIONS,
        not_needed=NOT_NEEDED,
    )


@pytest.fixture
def pg_engine(pg_url: str, case_templates: CaseTemplates) -> Iterator[Engine]:
    """A case on a fresh PostgreSQL database (skipped without a server)."""
    with case_templates.postgresql(pg_url) as url:
        eng = _case_engine(url)
        yield eng
        eng.dispose()
