"""DKIM, ARC, SPF and DMARC pass and fail cases against the local DNS server (dnslib)."""

from __future__ import annotations

import dkim
import pytest

from breachscope.watch.mail.auth import AuthResults, DnsLookups, authenticate
from breachscope.watch.mail.parse import parse_message
from breachscope.watch.mail.service import MailSettings
from tests.watch.mail.conftest import LOOKALIKE_IP, OUR_IP, STRANGER_IP, Keys
from tests.watch.mail.corpus import message, received


def run(raw: bytes, settings: MailSettings) -> AuthResults:
    return authenticate(raw, parse_message(raw), DnsLookups(settings.resolver))


def signed(keys: Keys, from_: str, selector: str = "notice", domain: str = "example.com") -> bytes:
    key = {"example.com": keys.ours, "exarnple.com": keys.lookalike}.get(domain, keys.stranger)
    return key.signer(selector, domain).sign(message(from_=from_, subject="s", text="hello"))


@pytest.mark.parametrize(
    ("selector", "domain", "tamper", "expected"),
    [
        ("notice", "example.com", False, "pass"),
        ("notice", "example.com", True, "fail"),
        ("missing", "example.com", False, "permerror"),  # no key published
        ("gone", "mail.test", False, "temperror"),  # the key lookup gets SERVFAIL: not checked
    ],
)
def test_dkim(
    keys: Keys, settings: MailSettings, selector: str, domain: str, tamper: bool, expected: str
) -> None:
    raw = signed(keys, f"a@{domain}", selector, domain)
    if tamper:
        raw = raw.replace(b"hello", b"hellO")
    res = run(raw, settings)
    assert [(d.domain, d.result) for d in res.dkim] == [(domain, expected)], res.dkim


@pytest.mark.parametrize(
    ("ip", "mail_from", "expected"),
    [
        (OUR_IP, "security@example.com", "pass"),
        (STRANGER_IP, "security@example.com", "fail"),
        ("192.0.2.77", "x@mail.test", "softfail"),
        (LOOKALIKE_IP, "x@exarnple.com", "pass"),
        (OUR_IP, "x@nospf.test", "none"),
        (None, "security@example.com", "not checked"),  # no client IP: no SMTP session to check
    ],
)
def test_spf(keys: Keys, settings: MailSettings, ip: str | None, mail_from: str, expected: str) -> None:
    raw = message(from_=mail_from, subject="s", text="t")
    head = b"Return-Path: <" + mail_from.encode() + b">\r\n"
    raw = (received(ip, "h.test") if ip else b"") + head + raw
    assert run(raw, settings).spf == expected


@pytest.mark.parametrize(
    ("from_", "sign", "ip", "expected"),
    [
        ("security@example.com", True, STRANGER_IP, "pass"),  # aligned DKIM is enough
        ("security@example.com", False, OUR_IP, "pass"),  # aligned SPF is enough
        ("security@example.com", False, STRANGER_IP, "fail"),  # neither: spoofed, p=reject
        ("news@sub.example.com", True, STRANGER_IP, "pass"),  # relaxed alignment, organisational record
        ("a@mail.test", False, STRANGER_IP, "pass"),
        ("a@nodmarc.test", False, STRANGER_IP, "none"),
        ("a@broken.test", False, STRANGER_IP, "temperror"),  # _dmarc SERVFAIL: not checked
    ],
)
def test_dmarc(keys: Keys, settings: MailSettings, from_: str, sign: bool, ip: str, expected: str) -> None:
    raw = message(from_=from_, subject="s", text="t")
    if sign:
        raw = keys.ours.signer("notice", "example.com").sign(raw)
    raw = received(ip, "h.test") + b"Return-Path: <" + from_.encode() + b">\r\n" + raw
    res = run(raw, settings)
    assert res.dmarc == expected, (res.dmarc_detail, res.dkim, res.spf)
    if from_.endswith("example.com"):
        assert res.dmarc_policy == "reject"


def _arc_sealed(keys: Keys) -> bytes:
    raw = message(from_="a@mail.test", subject="forwarded by a list", text="hello")
    raw = b"Authentication-Results: mx.example.com; spf=pass smtp.mailfrom=mail.test\r\n" + raw
    return b"".join(dkim.arc_sign(raw, b"notice", b"example.com", keys.ours.pem, b"mx.example.com")) + raw


def test_arc_pass_and_fail(keys: Keys, settings: MailSettings) -> None:
    sealed = _arc_sealed(keys)
    res = run(sealed, settings)
    assert res.arc == "pass", res.arc_detail
    broken = sealed.replace(b"hello", b"hellO")
    res = run(broken, settings)
    assert res.arc == "fail", res.arc_detail
    assert run(message(from_="a@mail.test", subject="s", text="t"), settings).arc == "none"


def test_every_lookup_goes_to_the_configured_resolver(keys: Keys, settings: MailSettings, mail_zone) -> None:  # type: ignore[no-untyped-def]
    before = mail_zone.queries
    raw = (
        received(OUR_IP, "h.test")
        + b"Return-Path: <security@example.com>\r\n"
        + signed(keys, "security@example.com")
    )
    res = run(raw, settings)
    assert res.dkim_pass("example.com") and res.spf == "pass" and res.dmarc == "pass"
    assert mail_zone.queries - before >= 3  # key, SPF record, DMARC record: all asked of the test server


def test_internal_relays_above_the_receiving_server_are_skipped(settings: MailSettings) -> None:
    raw = received(OUR_IP, "mail.example.com") + message(from_="security@example.com", subject="s", text="t")
    internal = received("10.0.0.5", "mx1.corp.test") + raw  # our MX relayed it to the mailbox server
    lookups = DnsLookups(settings.resolver)
    assert authenticate(internal, parse_message(internal), lookups).spf == "fail"  # 10.0.0.5 is not in SPF
    assert authenticate(internal, parse_message(internal), lookups, internal_hops=1).spf == "pass"
