"""The canary SMTP listener with real SMTP delivery (smtplib -> aiosmtpd on a free port), a real
local DNS server for DKIM keys and a real HTTP receiver for the webhook; hostile mail never
crashes it."""

from __future__ import annotations

import base64
import json
import smtplib
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine, select

from breachscope.canary.listen import ListenerSettings, controller, make_resolver, resolver_dnsfunc
from breachscope.canary.store import CanaryCheck, CanaryHit
from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.models import Incident
from breachscope.case.tasks import list_tasks
from breachscope.clock import FixedClock
from tests.canary.conftest import DOMAIN
from tests.notify.conftest import free_port
from tests.watch.dnszone import Zone, dns_server

Issued = Callable[..., list[dict[str, str]]]
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=1024)
_PEM = _KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
_PUB = base64.b64encode(
    _KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


@pytest.fixture
def listener(engine: Engine, webhook: tuple[str, list[dict[str, Any]]], clock: FixedClock) -> Iterator[int]:
    zone = Zone(
        records={
            "sel._domainkey.sender.example": {"TXT": [f'"v=DKIM1; k=rsa; p={_PUB}"']},
            "sender.example": {"TXT": ['"v=spf1 ip4:127.0.0.1 -all"']},
            "spoofed.example": {"TXT": ['"v=spf1 ip4:192.0.2.1 -all"']},
        }
    )
    with dns_server(zone) as dns_port:
        settings = ListenerSettings(
            domains={DOMAIN},
            webhook_url=webhook[0],
            max_bytes=200_000,
            dnsfunc=resolver_dnsfunc("127.0.0.1", dns_port, timeout=1.0),
            resolver=make_resolver("127.0.0.1", dns_port, timeout=1.0),
        )
        port = free_port()
        ctl = controller(engine, settings, host="127.0.0.1", port=port, clock=clock)
        ctl.start()
        try:
            yield port
        finally:
            ctl.stop()


def _mail(
    to: str,
    *,
    body: str = "Hello, please verify your account at https://evil.example/login",
    sign: bool = True,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Support <support@sender.example>"
    msg["To"] = to
    msg["Subject"] = "Your account"
    msg["Message-ID"] = "<m1@sender.example>"
    msg.set_content(body)
    msg.add_alternative(f'<p><a href="https://evil.example/x?u={to}">click here</a></p>', subtype="html")
    raw = msg.as_bytes().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
    if sign:
        raw = dkim.sign(raw, b"sel", b"sender.example", _PEM) + raw
    return raw


def _send(port: int, to: list[str], data: bytes, sender: str = "bounce@sender.example") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail(sender, to, data)


def _checks(engine: Engine) -> list[CanaryCheck]:
    with session_scope(engine) as s:
        return list(s.scalars(select(CanaryCheck).order_by(CanaryCheck.id)))


@pytest.mark.parametrize(
    ("tamper", "dkim_result"),
    [(False, "pass"), (True, "fail")],
)
def test_a_canary_address_is_a_hit(
    engine: Engine, issued: Issued, listener: int, webhook: tuple[str, list[dict[str, Any]]], tamper: bool,
    dkim_result: str,
) -> None:  # fmt: skip
    canary = issued("Mixpanel", 2)[1]
    data = _mail(canary["email"])
    if tamper:
        data = data.replace(b"verify your account", b"verify your acc0unt")
    _send(listener, [canary["email"]], data)
    [check] = _checks(engine)
    assert check.source == "mail" and check.verdict == "vendor"
    with session_scope(engine) as s:
        incident = s.get(Incident, check.incident_id)
        assert incident is not None and incident.vendor == "Mixpanel"
        [hit] = s.scalars(select(CanaryHit)).all()
        assert (hit.vendor, hit.canary_no, hit.field, hit.column) == ("Mixpanel", 2, "email", "RCPT TO")
        detail = hit.detail
        assert [t.title for t in list_tasks(s, incident_id=incident.id)] != []
        assert any(e.kind == "canary" for e in api.timeline(s, incident.id))
    assert detail["dkim"]["result"] == dkim_result and detail["dkim"]["domain"] == "sender.example"
    assert detail["headers"]["from"] == "Support <support@sender.example>"
    assert detail["envelope"]["mail_from"] == "bounce@sender.example"
    assert detail["spf"]["result"] == "pass" and detail["spf"]["domain"] == "sender.example"
    urls = [link["url"] for link in detail["links"]]
    assert "https[:]//evil[.]example/login" in urls
    # the canary address is never stored, not even inside a link
    assert canary["email"] not in json.dumps(detail)
    assert any("[canary address]" in u for u in urls)
    [posted] = webhook[1]
    assert posted["vendor"] == "Mixpanel" and posted["incident_id"] == check.incident_id
    assert "Mixpanel" in posted["text"] and posted["dkim"] == dkim_result


def test_an_open_incident_of_the_vendor_is_updated(
    engine: Engine, issued: Issued, listener: int, clock: FixedClock
) -> None:
    canary = issued("Segment", 1)[0]
    with session_scope(engine) as s:
        existing = api.create_incident(s, "Segment leak", vendor="segment", clock=clock).id
    _send(listener, [canary["email"]], _mail(canary["email"], sign=False))
    _send(listener, [canary["email"]], _mail(canary["email"], sign=False))
    checks = _checks(engine)
    assert [c.incident_id for c in checks] == [existing, existing]
    with session_scope(engine) as s:
        assert len(s.scalars(select(Incident)).all()) == 1
        assert len(list_tasks(s, incident_id=existing)) == 1  # idempotent task
    assert "DKIM none" in checks[0].summary


#: (MAIL FROM, SPF result for the client 127.0.0.1)
_SPF = [
    ("bounce@sender.example", "pass"),  # 127.0.0.1 is allowed
    ("x@spoofed.example", "fail"),  # only 192.0.2.1 may send
    ("x@no-spf.example", "none"),  # NXDOMAIN: no record
]


def test_spf_of_the_smtp_client(engine: Engine, issued: Issued, listener: int) -> None:
    canary = issued("Mixpanel", 1)[0]
    for n, (sender, spf) in enumerate(_SPF, start=1):
        _send(listener, [canary["email"]], _mail(canary["email"], sign=False), sender=sender)
        checks = _checks(engine)
        assert len(checks) == n
        with session_scope(engine) as s:
            hit = s.scalars(select(CanaryHit).where(CanaryHit.check_id == checks[-1].id)).one()
        assert hit.detail["spf"]["result"] == spf, sender
        assert f"SPF {spf}" in checks[-1].summary


def test_other_recipients(engine: Engine, issued: Issued, listener: int) -> None:
    issued("Mixpanel", 1)
    _send(
        listener, [f"nobody.here@{DOMAIN}"], _mail(f"nobody.here@{DOMAIN}", sign=False)
    )  # accepted, dropped
    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        _send(listener, ["someone@elsewhere.example"], _mail("someone@elsewhere.example", sign=False))
    assert info.value.recipients["someone@elsewhere.example"][0] == 550
    assert _checks(engine) == []


_DEEP = b"".join(
    f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n".encode() for i in range(300)
)
_HOSTILE: dict[str, bytes] = {
    "deep nesting": b"Content-Type: multipart/mixed; boundary=b0\r\nSubject: deep\r\n\r\n" + _DEEP,
    "bad base64": b"Subject: x\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"!!!not*base64$$\r\n",
    "bad encoded-word": b"Subject: =?utf-8?B?////?= =?x-unknown?Q?=ZZ?=\r\n"
    b"From: =?utf-8?q?\x1b[31mred?= <a@b>\r\n\r\nhi\r\n",
    "no headers": b"\r\n\r\n\r\n",
    "bad charset": b"Subject: x\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\n"
    b"https://x.example/\xff\xfe\r\n",
    "broken dkim": b"DKIM-Signature: v=1; a=rsa-sha256; d=sender.example; s=sel; b=AAAA; bh=zz\r\n"
    b"Subject: x\r\n\r\nhi\r\n",
    "html garbage": b"Subject: x\r\nContent-Type: text/html\r\n\r\n"
    b"<a href='https://evil.example/<<<'><<<</a><![CDATA[<a href=x>\r\n",
}


def test_hostile_mail_is_recorded_and_never_crashes(engine: Engine, issued: Issued, listener: int) -> None:
    """Each hostile message is accepted and recorded as a hit (with its issues); the listener
    keeps serving the next one."""
    canary = issued("Mixpanel", 1)[0]
    for n, name in enumerate(sorted(_HOSTILE), start=1):
        _send(listener, [canary["email"]], _HOSTILE[name])
        assert len(_checks(engine)) == n, name
    _send(listener, [canary["email"]], _mail(canary["email"]))
    assert len(_checks(engine)) == len(_HOSTILE) + 1
    with session_scope(engine) as s:
        details = [h.detail for h in s.scalars(select(CanaryHit).order_by(CanaryHit.id))]
    by_name = dict(zip(sorted(_HOSTILE), details, strict=False))
    assert any("nesting" in i for i in by_name["deep nesting"]["issues"])
    assert by_name["broken dkim"]["dkim"]["result"] in ("fail", "temperror")
    assert "\x1b" not in json.dumps(details) and "\u001b" not in json.dumps(details)


def test_a_huge_message_is_refused_with_552(engine: Engine, issued: Issued, listener: int) -> None:
    canary = issued("Mixpanel", 1)[0]
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as info:
        _send(listener, [canary["email"]], _mail(canary["email"], body="x" * 300_000, sign=False))
    assert info.value.smtp_code == 552
    _send(listener, [canary["email"]], _mail(canary["email"]))
    assert len(_checks(engine)) == 1


def test_the_listen_command_serves_until_sigterm(engine: Engine, issued: Issued, tmp_path: Path) -> None:
    """``breachscope canary listen`` as a real process: a hit is printed, SIGTERM stops it cleanly."""
    import os
    import signal
    import subprocess
    import sys
    import time

    canary = issued("Mixpanel", 1)[0]
    port = free_port()
    env = {**os.environ, "BREACHSCOPE_DB": str(engine.url), "BREACHSCOPE_CANARY_WEBHOOK": ""}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "breachscope",
            "canary",
            "listen",
            "--port",
            str(port),
            "--resolver",
            "127.0.0.1:9",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _send(port, [canary["email"]], _mail(canary["email"], sign=False))
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the listener did not start"
                time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "Listening on" in out and "planted only at Mixpanel" in out and "Stopped." in out
    assert len(_checks(engine)) == 1
