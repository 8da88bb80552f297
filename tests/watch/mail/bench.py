"""Reported messages for benchmarks/watch.py: a case with N leaked people, notices sent through the
outbox, and N messages (genuine notices, look-alike phishing quoting leaked fields, spoofs, HTML)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.models import Account, Dataset, Exposure, Match
from breachscope.hashing import keyed_hash
from breachscope.notify.mailer import MemoryMailer
from breachscope.notify.queue import queue_notices
from breachscope.notify.sender import DeliveryRun
from breachscope.notify.service import make_renderer, make_signer
from tests.notify.conftest import user_ctx
from tests.watch.dnszone import Zone
from tests.watch.mail.conftest import LOOKALIKE_IP, OUR_IP, STRANGER_IP, Keys, _key, make_zone, notify_config
from tests.watch.mail.corpus import message, received

CITIES = ("Bandung", "Jakarta", "Surabaya", "Medan", "Denpasar")


def _people(engine: Engine, incident_id: int, n: int) -> None:
    with session_scope(engine) as s:
        key = api.case_key(s, incident_id)
        ds = Dataset(incident_id=incident_id, file_name="p.csv", sha256="0" * 64, size_bytes=1, format="csv")
        from datetime import UTC, datetime

        ds.scanned_at = datetime(2026, 12, 1, tzinfo=UTC)
        s.add(ds)
        s.flush()
        for i in range(n):
            email = f"user{i}@corp.test"
            exp = Exposure(
                incident_id=incident_id,
                dataset_id=ds.id,
                person_key_hash=keyed_hash(key, "email:" + email),
                person_key_kind="email",
                email_hash=keyed_hash(key, email),
                org_id_hash=keyed_hash(key, f"org-{i}"),
                exposed_classes=["email", "person_name", "coarse_location", "internal_id"],
                exposed_fields=["email", "name", "city", "org_id"],
                city=CITIES[i % 5],
            )
            acct = Account(incident_id=incident_id, user_id=f"u{i}", email=email, name=f"Person Number{i}")
            s.add_all([exp, acct])
            s.flush()
            s.add(
                Match(
                    incident_id=incident_id, exposure_id=exp.id, account_id=acct.id, key="email", strength=3
                )
            )


def build_messages(engine: Engine, n: int, work: Path) -> tuple[Zone, list[tuple[str, bytes]], int]:
    keys = Keys(_key(), _key(), _key())
    with session_scope(engine) as s:
        incident_id = api.create_incident(s, "bench", vendor="Mixpanel").id
    _people(engine, incident_id, n)
    config = notify_config(keys, work)
    genuine_n = n // 4
    queue_notices(
        engine,
        [user_ctx(i, email=f"user{i}@corp.test", name=f"Person Number{i}") for i in range(genuine_n)],
        renderer=make_renderer(config),
        config=config,
    )
    mailer = MemoryMailer()
    DeliveryRun(engine, incident_id, mailer=mailer, config=config, signer=make_signer(config)).run()
    out = [
        (
            f"notice {i}",
            received(OUR_IP, "mail.example.com") + b"Return-Path: <security@example.com>\r\n" + m.data,
        )
        for i, m in enumerate(mailer.sent)
    ]
    lookalike = keys.lookalike.signer("s1", "exarnple.com")
    for i in range(genuine_n, n):
        to = f"Person Number{i} <user{i}@corp.test>"
        kind = i % 3
        if kind == 0:
            text = (
                f"Dear Person Number{i}, after the Mixpanel data breach your workspace org-{i} in "
                f"{CITIES[i % 5]} must be verified. Confirm your password within 24 hours: https://exarnple.com/verify"
            )
            raw = lookalike.sign(
                message(
                    from_="Security <security@exarnple.com>",
                    to=to,
                    subject="Verify",
                    text=text,
                    message_id=f"<p{i}@exarnple.com>",
                )
            )
            out.append(
                (
                    f"phish {i}",
                    received(LOOKALIKE_IP, "mail.exarnple.com") + b"Return-Path: <b@exarnple.com>\r\n" + raw,
                )
            )
        elif kind == 1:
            raw = message(
                from_="Security <security@example.com>",
                to=to,
                subject="Mixpanel incident",
                text="Send your API key now.",
                message_id=f"<s{i}@x.test>",
            )
            out.append(
                (
                    f"spoof {i}",
                    received(STRANGER_IP, "vps.test") + b"Return-Path: <security@example.com>\r\n" + raw,
                )
            )
        else:
            html = "".join(
                f'<p>Item {j} <a href="https://shop{j}.mail.test/p?i={i}">shop{j}.mail.test</a></p>'
                for j in range(20)
            )
            raw = keys.stranger.signer("k", "mail.test").sign(
                message(
                    from_="News <news@mail.test>",
                    to=to,
                    subject="News",
                    text="News",
                    html=html,
                    message_id=f"<n{i}@mail.test>",
                )
            )
            out.append(
                (
                    f"news {i}",
                    received(STRANGER_IP, "out.mail.test") + b"Return-Path: <b@mail.test>\r\n" + raw,
                )
            )
    return make_zone(keys), out, incident_id
