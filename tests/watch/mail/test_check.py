"""Verdicts on the corpus: genuine notices from the real outbox, phishing that reuses leaked fields,
look-alike and confusable senders, spoofed official mail, forwarded reports, links and their targets."""

from __future__ import annotations

import email
from collections.abc import Callable
from email import policy

import dkim
import pytest

from breachscope.watch.mail.service import MailSettings, check_mail
from breachscope.watch.mail.signs import find_signs, fold
from tests.watch.mail.conftest import LOOKALIKE_IP, STRANGER_IP, Case, Keys
from tests.watch.mail.corpus import PHISH_HTML, PHISH_ID, PHISH_TEXT, message, received


def _lookalike_phish(keys: Keys) -> bytes:
    raw = message(
        from_="Example Security <security@exarnple.com>",
        subject="Action required",
        text=PHISH_TEXT,
        html=PHISH_HTML,
    )
    signed = keys.lookalike.signer("s1", "exarnple.com").sign(raw)
    return received(LOOKALIKE_IP, "mail.exarnple.com") + b"Return-Path: <bounce@exarnple.com>\r\n" + signed


def _spoofed_official(keys: Keys) -> bytes:
    raw = message(
        from_="Example Security <security@example.com>", subject="Mixpanel data breach", text=PHISH_TEXT
    )
    return received(STRANGER_IP, "vps.evil.test") + b"Return-Path: <security@example.com>\r\n" + raw


def _indonesian(keys: Keys) -> bytes:
    raw = message(
        from_="Tim Keamanan <keamanan@mail.test>", subject="Segera verifikasi akun Anda", text=PHISH_ID
    )
    signed = keys.stranger.signer("k", "mail.test").sign(raw)
    return received(STRANGER_IP, "out.mail.test") + b"Return-Path: <b@mail.test>\r\n" + signed


def _confusable(keys: Keys) -> bytes:
    # Cyrillic "е" in the sender domain: an IDN look-alike the watch list does not hold
    raw = message(
        from_="Example Security <security@xn--xample-2of.com>",
        subject="Your account",
        text="Please review your account settings.",
    )
    return received(STRANGER_IP, "vps.evil.test") + raw


def _newsletter(keys: Keys) -> bytes:
    raw = message(
        from_="News <news@mail.test>", subject="December news", text="Our winter sale starts Monday."
    )
    signed = keys.stranger.signer("k", "mail.test").sign(raw)
    return received(STRANGER_IP, "out.mail.test") + b"Return-Path: <b@mail.test>\r\n" + signed


def _links(keys: Keys) -> bytes:
    html = (
        '<a href="https://example.com@198.51.100.7/login">Sign in</a>'
        '<a href="http://192.0.2.99/x">x</a>'
        '<img src="https://xn--exmple-cua.com/logo.png" width="1" height="1">'
        '<span style="font-size:0"><a href="https://hidden.evil.test/">secret</a></span>'
        '<meta http-equiv="refresh" content="0; url=https://refresh.evil.test/">'
        '<div style="background:url(https://css.evil.test/bg.png)">hi</div>'
    )
    raw = message(
        from_="IT <it@mail.test>", subject="Mailbox full", text="Visit www.mail.test/help today", html=html
    )
    return received(STRANGER_IP, "out.mail.test") + raw


def _forwarded_report(keys: Keys) -> bytes:
    inner = _lookalike_phish(keys)
    outer = (
        b"From: Budi Santoso <budi@corp.test>\r\nTo: report-phishing@example.com\r\n"
        b"Subject: Fwd: Action required\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="r1"\r\n\r\n'
        b"--r1\r\nContent-Type: text/plain\r\n\r\nIs this real?\r\n"
        b"--r1\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n"
        + inner
        + b"\r\n--r1--\r\n"
    )
    return outer


def _inline_copy_of_notice(case: Case) -> bytes:
    notice = email.message_from_bytes(case.notices[0], policy=policy.default)
    body = notice.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    return message(
        from_="Budi <budi@corp.test>", subject="Fwd: is this real?", text="---- forwarded ----\r\n" + text
    )


CORPUS: list[tuple[str, Callable[..., bytes], str, set[str]]] = [
    (
        "lookalike sender reusing leaked fields",
        _lookalike_phish,
        "phishing",
        {
            "lookalike-sender",
            "lookalike-link",
            "quotes-leaked-data",
            "mentions-vendor",
            "asks-credentials",
            "urgency",
            "deceptive-link",
            "hidden-links",
            "form",
        },
    ),
    ("official From, fails DMARC", _spoofed_official, "phishing", {"spoofed-official", "asks-credentials"}),
    (
        "Indonesian, look-alike link",
        _indonesian,
        "phishing",
        {"lookalike-link", "asks-credentials", "urgency", "mentions-incident", "mentions-vendor"},
    ),
    ("confusable IDN sender", _confusable, "phishing", {"lookalike-sender"}),
    ("unrelated newsletter", _newsletter, "suspicious", {"not-ours"}),
    ("link tricks", _links, "phishing", {"userinfo-link", "ip-link", "hidden-links", "lookalike-link"}),
    ("forwarded as attachment", _forwarded_report, "phishing", {"lookalike-sender", "quotes-leaked-data"}),
]


@pytest.mark.parametrize(("name", "make", "verdict", "codes"), CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus_verdicts_and_reasons(
    case: Case,
    settings: MailSettings,
    keys: Keys,
    name: str,
    make: Callable[..., bytes],
    verdict: str,
    codes: set[str],
) -> None:
    report = check_mail(
        [(name, make(keys))],
        engine=case.engine,
        incident_id=case.incident_id,
        settings=settings,
        clock=case.clock,
    )
    [checked] = report.messages
    found = {r.code for r in checked.check.reasons}
    assert checked.check.verdict == verdict, checked.check.reasons
    assert codes <= found, found
    assert "genuine" not in found


def test_genuine_notices_from_the_outbox_are_genuine_in_both_languages(
    case: Case, settings: MailSettings
) -> None:
    report = check_mail(
        [(f"n{i}", raw) for i, raw in enumerate(case.notices)],
        engine=case.engine,
        incident_id=case.incident_id,
        settings=settings,
        clock=case.clock,
    )
    for m in report.messages:
        assert m.check.verdict == "genuine", m.check.reasons
        assert m.check.auth is not None and m.check.auth.dmarc == "pass" and m.check.auth.spf == "pass"
        assert not m.check.breach_specific
        assert [r.severity for r in m.check.reasons] == ["genuine"]


def test_our_notice_text_is_not_an_ask(case: Case) -> None:
    """A notice says what it never asks for and which classes were absent: no credential/payment sign."""
    for raw in case.notices:
        msg = email.message_from_bytes(raw, policy=policy.default)
        body = msg.get_body(("plain",))
        assert body is not None
        signs = find_signs(fold(str(body.get_content())))
        assert "credentials" not in signs and "payment" not in signs, signs


def test_a_copied_message_id_without_our_reference_is_phishing(case: Case, settings: MailSettings) -> None:
    raw = case.notices[0].replace(b"X-Notice-Reference: ", b"X-Notice-Reference: X", 1)
    report = check_mail(
        [("t", raw)], engine=case.engine, incident_id=case.incident_id, settings=settings, clock=case.clock
    )
    c = report.messages[0].check
    assert c.verdict == "phishing"
    assert any(r.code == "copied-message-id" and "the notice's reference" in r.text for r in c.reasons), (
        c.reasons
    )


def _footer(raw: bytes) -> bytes:
    """What a mail gateway does on the way: a banner appended to the body (DKIM breaks)."""
    return raw.rstrip(b"\r\n") + b"\r\n[EXTERNAL] scanned by the gateway\r\n"


def test_our_notice_altered_on_the_way_is_suspicious_or_genuine_through_arc(
    case: Case, settings: MailSettings, keys: Keys
) -> None:
    altered = _footer(case.notices[0])
    # a relay that verified our DKIM on arrival, then added the banner and sealed ARC
    seen = b"Authentication-Results: relay.mail.test; dkim=pass header.d=example.com\r\n" + case.notices[0]
    sealed_input = _footer(seen)
    sealed = (
        b"".join(dkim.arc_sign(sealed_input, b"k", b"mail.test", keys.stranger.pem, b"relay.mail.test"))
        + sealed_input
    )
    report = check_mail(
        [("altered", altered), ("arc", sealed)],
        engine=case.engine,
        incident_id=case.incident_id,
        settings=settings,
        clock=case.clock,
    )
    plain, arc = (m.check for m in report.messages)
    assert plain.verdict == "suspicious" and any(r.code == "altered-notice" for r in plain.reasons), (
        plain.reasons
    )
    assert arc.auth is not None and arc.auth.arc == "pass" and arc.auth.arc_dkim_pass == ["example.com"]
    assert arc.verdict == "genuine", arc.reasons
    assert any(r.code == "genuine" and "verified ARC chain" in r.text for r in arc.reasons)


def test_an_inline_forward_of_our_notice_is_recognised_but_not_genuine(
    case: Case, settings: MailSettings
) -> None:
    report = check_mail(
        [("fwd", _inline_copy_of_notice(case))],
        engine=case.engine,
        incident_id=case.incident_id,
        settings=settings,
        clock=case.clock,
    )
    c = report.messages[0].check
    assert c.verdict == "suspicious", c.reasons
    assert any(r.code == "copied-reference" for r in c.reasons)


def test_every_link_is_listed_defanged_with_its_real_target(
    case: Case, settings: MailSettings, keys: Keys
) -> None:
    report = check_mail([("l", _links(keys))], settings=settings, domains=["example.com"])
    c = report.messages[0].check
    got = {(x.source, x.host, x.hidden) for x in c.links}
    assert ("href", "198.51.100.7", False) in got  # example.com@ is only the user part
    assert ("href", "192.0.2.99", False) in got
    assert ("src", "xn--exmple-cua.com", False) in got
    assert ("href", "hidden.evil.test", True) in got
    assert ("refresh", "refresh.evil.test", False) in got
    assert ("style", "css.evil.test", False) in got
    assert ("text", "www.mail.test", False) in got
    data = report.to_dict()["messages"][0]
    assert all("://" not in link["link"] for link in data["links"])
    assert {x["target"] for x in data["links"]} >= {"hidden[.]evil[.]test", "www[.]mail[.]test"}
    idn = next(x for x in data["links"] if x["target"] == "xn--exmple-cua[.]com")
    assert idn["target_unicode"] == "exämple[.]com"
    assert c.domains["xn--exmple-cua.com"].lookalike


def test_without_an_incident_nothing_is_recorded_and_official_domains_come_from_domain(
    settings: MailSettings, keys: Keys
) -> None:
    report = check_mail([("p", _lookalike_phish(keys))], settings=settings, domains=["example.com"])
    c = report.messages[0].check
    assert c.verdict == "phishing"
    assert c.domains["exarnple.com"].kind == "generated"  # dnstwist makes it from example.com
    assert any(r.code == "no-incident" for r in c.reasons)
    assert c.leaked == []


def test_worker_processes_give_the_same_verdicts(case: Case, settings: MailSettings, keys: Keys) -> None:
    from dataclasses import replace

    msgs = [(c[0], c[1](keys)) for c in CORPUS] + [("n", case.notices[0])]
    kw = {"engine": case.engine, "incident_id": case.incident_id, "clock": case.clock}
    one = check_mail(msgs, settings=settings, **kw)  # type: ignore[arg-type]
    two = check_mail(msgs, settings=replace(settings, workers=2), **kw)  # type: ignore[arg-type]
    assert [m.check.verdict for m in two.messages] == [m.check.verdict for m in one.messages]
    assert [sorted(r.code for r in m.check.reasons) for m in two.messages] == [
        sorted(r.code for r in m.check.reasons) for m in one.messages
    ]
    assert [m.name for m in two.messages] == [c[0] for c in CORPUS] + ["n"]
