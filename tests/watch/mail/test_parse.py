"""Hostile and broken MIME: every case is an issue of the result, never a traceback or a hang."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from breachscope.watch.mail.auth import DnsLookups
from breachscope.watch.mail.check import check_message
from breachscope.watch.mail.domains import DomainJudge
from breachscope.watch.mail.links import html_links
from breachscope.watch.mail.parse import MailLimits, parse_message
from breachscope.watch.mail.service import MailSettings
from breachscope.watch.resolve import ResolverSettings

#: No DNS server: every lookup is "not answered" (temperror), which is a case the checks must take.
_OFFLINE = DnsLookups(ResolverSettings(nameserver="127.0.0.1", port=9, timeout=0.05, lifetime=0.05))

HEAD = b"From: a@mail.test\r\nTo: b@corp.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n"


def deep(levels: int) -> bytes:
    out = HEAD
    for i in range(levels):
        out += f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
    out += b"Content-Type: text/plain\r\n\r\nhttps://deep.evil.test/\r\n"
    for i in reversed(range(levels)):
        out += f"--b{i}--\r\n".encode()
    return out


def many_parts(n: int) -> bytes:
    body = b"".join(b"--p\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(n))
    return HEAD + b'Content-Type: multipart/mixed; boundary="p"\r\n\r\n' + body + b"--p--\r\n"


def part(ctype: str, cte: str, payload: bytes) -> bytes:
    return HEAD + f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n".encode() + payload


HOSTILE: list[tuple[str, Callable[[], bytes], str, bool]] = [
    ("3,000-deep nesting", lambda: deep(3000), "deep-nesting", True),
    ("20-deep nesting", lambda: deep(20), "deep-nesting", True),
    ("100,000 headers", lambda: b"X-A: 1\r\n" * 100_000 + HEAD + b"\r\nbody", "too-many-headers", True),
    (
        "one 10 MB header",
        lambda: b"X-Big: " + b"a" * 10_000_000 + b"\r\n" + HEAD + b"\r\nbody",
        "huge-header",
        True,
    ),
    ("600 parts", lambda: many_parts(600), "too-many-parts", True),
    (
        "unknown charset",
        lambda: part("text/plain; charset=x-klingon", "8bit", b"password"),
        "bad-charset",
        False,
    ),
    (
        "broken base64",
        lambda: part("text/plain", "base64", b"cGFzc3dvcmQ=!!!*&^\r\nzz"),
        "bad-encoding",
        False,
    ),
    ("NUL bytes", lambda: HEAD + b"\r\nbody\x00\x00", "nul-bytes", False),
    ("over the size budget", lambda: HEAD + b"\r\n" + b"a" * 3_000_000, "too-large", True),
]


@pytest.mark.parametrize(("name", "make", "code", "incomplete"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_mime_is_an_issue_never_a_traceback(
    name: str, make: Callable[[], bytes], code: str, incomplete: bool
) -> None:
    limits = MailLimits(max_message_bytes=2_000_000, max_decoded_bytes=1_000_000)
    raw = make()
    start = time.monotonic()
    mail = parse_message(raw, limits)
    assert time.monotonic() - start < 10
    codes = {i.code for i in mail.issues}
    assert code in codes, mail.issues
    assert mail.incomplete is incomplete


def test_the_headers_of_an_unparsable_message_are_still_read() -> None:
    mail = parse_message(deep(3000))
    assert mail.header("From") == "a@mail.test"


def test_a_hostile_message_is_never_judged_clean(settings: MailSettings) -> None:
    """The verdict of a message read only in part says so, and is never genuine."""
    judge = DomainJudge(["example.com"])
    check = check_message(deep(3000), judge=judge, lookups=DnsLookups(settings.resolver))
    assert check.verdict in ("suspicious", "phishing")
    assert check.incomplete
    assert any(r.code == "incomplete" for r in check.reasons)


def test_decoded_text_is_bounded() -> None:
    raw = part("text/plain", "8bit", b"word " * 400_000)
    mail = parse_message(raw, MailLimits(max_decoded_bytes=100_000))
    assert sum(len(p.text) for p in mail.parts) <= 100_000
    assert "decoded-budget" in {i.code for i in mail.issues}


@pytest.mark.parametrize(
    ("html", "hidden"),
    [
        ('<div style="display:none"><a href="https://a.evil.test/">x</a></div>', True),
        ('<div style="visibility: hidden"><a href="https://a.evil.test/">x</a></div>', True),
        ('<p hidden><a href="https://a.evil.test/">x</a></p>', True),
        ('<span style="opacity:0"><a href="https://a.evil.test/">x</a></span>', True),
        ('<div style="font-size:0px"><a href="https://a.evil.test/">x</a></div>', True),
        ('<div style="display:none"></div><a href="https://a.evil.test/">x</a>', False),
        ('<div style="display:block"><a href="https://a.evil.test/">x</a></div>', False),
    ],
)
def test_hidden_links_are_marked(html: str, hidden: bool) -> None:
    links, _visible, _cut = html_links(html, 100)
    assert [x.hidden for x in links] == [hidden]


def test_unclosed_and_broken_html_is_bounded() -> None:
    html = "<div>" * 20_000 + '<a href="https://x.evil.test/">' + "<" * 10_000
    links, _visible, _cut = html_links(html, 10)
    assert [x.host for x in links] == ["x.evil.test"]
    many = '<a href="https://m.evil.test/">m</a>' * 5000
    links, _visible, cut = html_links(many, 100)
    assert len(links) == 100 and cut


SEEDS = [
    HEAD + b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
    b"Confirm your password at https://exarnple.com/x\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nPGEgaHJlZj0iaHR0cHM6Ly9ldmlsLnRlc3QiPng8L2E+\r\n--b--\r\n",
    deep(5),
    many_parts(3),
]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    seed=st.sampled_from(SEEDS),
    cuts=st.lists(st.tuples(st.integers(0, 600), st.binary(max_size=40)), max_size=6),
)
def test_mutated_messages_never_raise(seed: bytes, cuts: list[tuple[int, bytes]]) -> None:
    raw = bytearray(seed)
    for at, junk in cuts:
        raw[at : at + len(junk)] = junk
    judge = DomainJudge(["example.com"])
    check = check_message(bytes(raw), judge=judge, lookups=_OFFLINE)
    assert check.verdict in ("genuine", "suspicious", "phishing")
    assert check.verdict != "genuine"
