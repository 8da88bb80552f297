"""Fixtures of the reported-mail tests: a real DNS server with DKIM keys, SPF and DMARC records,
an incident with a leaked person, a registered look-alike and notices sent through the real outbox."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Account, Dataset, Exposure, Match
from breachscope.clock import FixedClock
from breachscope.hashing import keyed_hash
from breachscope.notify.config import NotifyConfig, from_mapping
from breachscope.notify.mailer import MemoryMailer
from breachscope.notify.message import DkimSigner
from breachscope.notify.queue import queue_notices
from breachscope.notify.sender import DeliveryRun
from breachscope.notify.service import make_renderer, make_signer
from breachscope.watch import ResolverSettings
from breachscope.watch.mail.service import MailSettings
from breachscope.watch.store import Lookalike
from tests.case_helpers import CaseTemplates
from tests.notify.conftest import user_ctx
from tests.watch.dnszone import Zone, dns_server
from tests.watch.mail.corpus import received

OUR_IP, LOOKALIKE_IP, STRANGER_IP = "192.0.2.5", "198.51.100.7", "203.0.113.9"
CLOCK_AT = datetime(2025, 11, 27, 9, 0, tzinfo=UTC)  # the shared ``clock`` fixture's time


@dataclass(frozen=True)
class Key:
    pem: bytes
    txt: str

    def signer(self, selector: str, domain: str) -> DkimSigner:
        return DkimSigner(selector, domain, self.pem)


def _key() -> Key:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Key(pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode())


@dataclass(frozen=True)
class Keys:
    ours: Key
    lookalike: Key
    stranger: Key


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(_key(), _key(), _key())


def _txt(value: str) -> str:
    """A TXT rdata in zone syntax, split into 250-character strings."""
    return " ".join(f'"{value[i : i + 250]}"' for i in range(0, len(value), 250))


def make_zone(keys: Keys) -> Zone:
    return Zone(
        records={
            "example.com": {
                "A": ["192.0.2.1"],
                "MX": ["10 mx.example.com."],
                "TXT": [_txt(f"v=spf1 ip4:{OUR_IP} -all")],
            },
            "notice._domainkey.example.com": {"TXT": [_txt(keys.ours.txt)]},
            "_dmarc.example.com": {"TXT": [_txt("v=DMARC1; p=reject; adkim=r; aspf=r")]},
            "exarnple.com": {
                "A": ["192.0.2.10"],
                "MX": ["10 mail.exarnple.com."],
                "TXT": [_txt(f"v=spf1 ip4:{LOOKALIKE_IP} -all")],
            },
            "s1._domainkey.exarnple.com": {"TXT": [_txt(keys.lookalike.txt)]},
            "mail.test": {"A": ["192.0.2.30"], "TXT": [_txt(f"v=spf1 ip4:{STRANGER_IP} ~all")]},
            "k._domainkey.mail.test": {"TXT": [_txt(keys.stranger.txt)]},
            "_dmarc.mail.test": {"TXT": [_txt("v=DMARC1; p=none")]},
        },
        servfail={"_dmarc.broken.test", "gone._domainkey.mail.test"},
    )


@pytest.fixture(scope="session")
def mail_zone(keys: Keys) -> Zone:
    return make_zone(keys)


@pytest.fixture(scope="session")
def mail_dns(mail_zone: Zone) -> Iterator[int]:
    """One DNS server for the session (the zone does not change): its port."""
    with dns_server(mail_zone) as port:
        yield port


@pytest.fixture
def settings(mail_dns: int) -> MailSettings:
    return MailSettings(
        resolver=ResolverSettings(nameserver="127.0.0.1", port=mail_dns, timeout=0.5, lifetime=1.0),
        wave_threshold=3,
    )


def notify_config(keys: Keys, tmp_path: Path) -> NotifyConfig:
    pem = tmp_path / "notice.pem"
    pem.write_bytes(keys.ours.pem)
    return from_mapping(
        {
            "notify": {
                "company": "Example Corp",
                "official_domain": "example.com",
                "from": "Example Security <security@example.com>",
                "reply_to": "privacy@example.com",
                "verification_key": "test-verification-key",
                "dkim": {"selector": "notice", "domain": "example.com", "private_key_file": str(pem)},
                "smtp": {"host": "127.0.0.1", "port": 25, "security": "none", "rate_per_second": 0},
            }
        }
    )


@dataclass
class Case:
    engine: Engine
    incident_id: int
    clock: FixedClock
    notices: list[bytes]  # as our receiving server stored them (Received + Return-Path added)


LEAKED_EMAIL = "budi@corp.test"


def _leaked_person(engine: Engine, incident_id: int) -> None:
    with session_scope(engine) as s:
        key = api.case_key(s, incident_id)
        ds = Dataset(
            incident_id=incident_id,
            file_name="people.csv",
            sha256="0" * 64,
            size_bytes=1,
            format="csv",
            scanned_at=datetime(2026, 12, 1, tzinfo=UTC),
        )
        s.add(ds)
        s.flush()
        exp = Exposure(
            incident_id=incident_id,
            dataset_id=ds.id,
            person_key_hash=keyed_hash(key, "email:" + LEAKED_EMAIL),
            person_key_kind="email",
            email_hash=keyed_hash(key, LEAKED_EMAIL),
            org_id_hash=keyed_hash(key, "org-4471"),
            exposed_classes=["email", "person_name", "coarse_location", "internal_id"],
            exposed_fields=["email", "name", "city", "org_id"],
            city="Bandung",
        )
        acct = Account(
            incident_id=incident_id, user_id="u1", email=LEAKED_EMAIL, name="Budi Santoso", org_id="org-4471"
        )
        s.add_all([exp, acct])
        s.flush()
        s.add(
            Match(
                incident_id=incident_id,
                exposure_id=exp.id,
                account_id=acct.id,
                org_id="org-4471",
                key="email",
                strength=3,
            )
        )
        s.add(
            Lookalike(
                incident_id=incident_id,
                domain="exarnple.com",
                official="example.com",
                kind="homoglyph",
                state="registered",
                receives_mail=True,
                records={"MX": ["10 mail.exarnple.com."]},
                first_seen=datetime(2026, 12, 2, tzinfo=UTC),
                last_seen=datetime(2026, 12, 2, tzinfo=UTC),
                last_checked=datetime(2026, 12, 2, tzinfo=UTC),
                action="block",
                action_state="open",
            )
        )


@pytest.fixture
def engine(tmp_path: Path, case_templates: CaseTemplates) -> Iterator[Engine]:
    """SQLite: the verdicts do not depend on the database (test_service.py runs both)."""
    eng = open_case_db(case_templates.sqlite(tmp_path / "case.db"), create=True)
    yield eng
    eng.dispose()


@pytest.fixture
def any_engine(db_url: str) -> Iterator[Engine]:
    """SQLite and, when a server is available, PostgreSQL."""
    eng = open_case_db(db_url, create=True)
    yield eng
    eng.dispose()


def make_case(engine: Engine, keys: Keys, tmp_path: Path, clock: FixedClock) -> Case:
    with session_scope(engine) as s:
        incident_id = api.create_incident(s, "Mixpanel leak", vendor="Mixpanel", clock=clock).id
    _leaked_person(engine, incident_id)
    config = notify_config(keys, tmp_path)
    contexts = [user_ctx(1, email=LEAKED_EMAIL, name="Budi Santoso"), user_ctx(2, language="id")]
    queue_notices(engine, contexts, renderer=make_renderer(config), config=config)
    mailer = MemoryMailer()
    DeliveryRun(engine, incident_id, mailer=mailer, config=config, signer=make_signer(config)).run()
    stored = [
        received(OUR_IP, "mail.example.com") + b"Return-Path: <security@example.com>\r\n" + m.data
        for m in mailer.sent
    ]
    return Case(engine, incident_id, clock, stored)


@pytest.fixture(scope="session")
def template_case(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes]]:
    """One case built once (migrations, notices through the outbox); tests get a copy of its file."""
    d = tmp_path_factory.mktemp("mailcase")
    eng = open_case_db(f"sqlite:///{d / 'case.db'}", create=True)
    try:
        built = make_case(eng, keys, d, FixedClock(CLOCK_AT))
    finally:
        eng.dispose()
    return d / "case.db", built.notices


@pytest.fixture
def case(template_case: tuple[Path, list[bytes]], tmp_path: Path, clock: FixedClock) -> Iterator[Case]:
    """Incident 1 with a leaked person (name, org id, city), a watched look-alike, and two notices
    sent through the real outbox (queue + delivery run + DKIM signer), on a copy of the template."""
    src, notices = template_case
    for suffix in ("", ".key"):
        shutil.copyfile(f"{src}{suffix}", tmp_path / f"case.db{suffix}")
    eng = open_case_db(f"sqlite:///{tmp_path / 'case.db'}")
    yield Case(eng, 1, clock, notices)
    eng.dispose()
