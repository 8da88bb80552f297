"""Recipient addresses: IDN domains to A-labels, EAI local parts kept, hostile forms refused."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address

import pytest

from breachscope.notify import address
from breachscope.notify.address import InvalidAddress, needs_smtputf8, normalise
from breachscope.notify.message import build_message, valid_address

ACCEPTED = [
    # (address as in the directory, address as sent to)
    ("user1@example.org", "user1@example.org"),
    ("First.Last+tag@sub.example.co.id", "First.Last+tag@sub.example.co.id"),
    ("user@ab--c.example", "user@ab--c.example"),  # ASCII domains are left exactly as they were
    ("user1@bücher.example", "user1@xn--bcher-kva.example"),
    ("USER@BÜCHER.Example", "USER@xn--bcher-kva.example"),  # UTS 46 lower-cases the domain only
    ("user@ＢÜcher。example", "user@xn--bcher-kva.example"),  # full-width letters and dot mapped
    ("user@xn--bcher-kva.example", "user@xn--bcher-kva.example"),  # an A-label is checked, kept
    ("user@XN--BCHER-KVA.example", "user@xn--bcher-kva.example"),
    ("user@例え.テスト", "user@xn--r8jz45g.xn--zckzah"),  # Han + Hiragana, Katakana
    ("user@abc-中文.com", "user@xn--abc--3f5fy05j.com"),  # Latin + Han is allowed (UTS 39)
    ("user@a1.שלום.example", "user@a1.xn--9dbne9b.example"),  # right-to-left label, bidi rule ok
    ("user@ab--c.bücher.example", "user@ab--c.xn--bcher-kva.example"),
    ("jürgen@example.org", "jürgen@example.org"),  # EAI: the local part stays Unicode
    ("ju\u0308rgen@example.org", "jürgen@example.org"),  # ... in NFC (RFC 6532 section 3.1)
    ("用户@例子.广告", "用户@xn--fsqu00a.xn--4rr70v"),
    ("jürgen@bücher.example", "jürgen@xn--bcher-kva.example"),
]

REFUSED = [
    ("notanaddress", address.NOT_ADDR_SPEC),
    ("not an address", address.BAD_CHARACTER),
    ("@bücher.example", address.NOT_ADDR_SPEC),
    ("ü@", address.NOT_ADDR_SPEC),
    (".ü@example.org", address.NOT_ADDR_SPEC),
    ("ü..x@example.org", address.NOT_ADDR_SPEC),
    ('ü"x"@example.org', address.NOT_ADDR_SPEC),  # no quoted local parts
    ("user@bücher..example", address.NOT_ADDR_SPEC),
    ("user@bücher.example.", address.NOT_ADDR_SPEC),
    ("ü" * 33 + "@example.org", address.LOCAL_TOO_LONG),  # 66 octets in UTF-8
    # header injection and hidden text: never an address, Unicode or not
    ("bob\r\nBcc: x@evil.example", address.BAD_CHARACTER),
    ("bob@exa\nmple.org", address.BAD_CHARACTER),
    ("jürgen\r\nBcc: x@evil.example", address.BAD_CHARACTER),
    ("a b@example.org", address.BAD_CHARACTER),
    ("ü\u2028@example.org", address.BAD_CHARACTER),  # LINE SEPARATOR
    ("ü\u0085@example.org", address.BAD_CHARACTER),  # NEXT LINE (C1 control)
    ("a\u202egnp.exe@example.org", address.BAD_CHARACTER),  # RIGHT-TO-LEFT OVERRIDE
    ("x\u200b@example.org", address.BAD_CHARACTER),  # ZERO WIDTH SPACE
    ("user@bücher.exam\u200dple", address.BAD_CHARACTER),  # ZERO WIDTH JOINER
    ("user@exam\u00adple.com", address.BAD_CHARACTER),  # SOFT HYPHEN (UTS 46 would drop it)
    ("\ue000@example.org", address.BAD_CHARACTER),  # private use
    # invalid or lookalike IDNs
    ("user@pаypal.com", address.IDN_MIXED_SCRIPT),  # Cyrillic a in a Latin label
    ("user@ραypal.com", address.IDN_MIXED_SCRIPT),  # Greek + Latin
    ("user@☃.example", "a domain character that IDNA 2008 disallows"),
    ("user@bü_cher.example", "a domain character that IDNA 2008 disallows"),
    ("user@xn--zz.example", address.IDN_INVALID),  # not valid Punycode
    ("user@xn--abc.example", "a domain character that IDNA 2008 disallows"),
    ("user@-bücher.example", address.IDN_INVALID),  # leading hyphen
    ("user@שלום1a.example", "a domain label breaks the IDNA bidi rule (mixed right-to-left text)"),
    ("user@" + "ü" * 64 + ".example", address.IDN_INVALID),  # A-label longer than 63
]


@pytest.mark.parametrize(("raw", "sent_as"), ACCEPTED)
def test_accepted_addresses_are_sent_in_their_ascii_domain_form(raw: str, sent_as: str) -> None:
    assert normalise(raw) == sent_as
    assert normalise(sent_as) == sent_as  # idempotent: the stored form passes again unchanged
    assert valid_address(raw)
    local, _, domain = sent_as.rpartition("@")
    assert domain.isascii()
    assert needs_smtputf8(sent_as) == (not local.isascii())


@pytest.mark.parametrize(("raw", "reason"), REFUSED)
def test_refused_addresses_say_why_without_quoting_the_address(raw: str, reason: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        normalise(raw)
    assert info.value.reason == reason
    assert not valid_address(raw)
    with pytest.raises(ValueError, match="recipient address refused"):
        _build(raw, "Bob")


def _build(to_addr: str, to_name: str) -> bytes:
    return build_message(
        subject="Notice of Data Breach",
        text="text",
        html="<p>html</p>",
        to_addr=to_addr,
        to_name=to_name,
        from_address=Address("Example Security", "security", "example.com"),
        reply_to=None,
        message_id="<notice.1@example.com>",
        date=datetime(2025, 11, 25, tzinfo=UTC),
        language="en",
        reference="K7QP4-XMA92",
    )


@pytest.mark.parametrize(
    ("to_addr", "name", "to_line"),
    [
        ("user1@bücher.example", "Bob", "To: Bob <user1@xn--bcher-kva.example>"),
        # an ASCII recipient keeps RFC 2047 for a Unicode name
        ("user1@bücher.example", "Jürgen", "To: =?utf-8?q?J=C3=BCrgen?= <user1@xn--bcher-kva.example>"),
        # EAI: UTF-8 header (RFC 6532); an encoded-word is not allowed in an addr-spec
        ("jürgen@bücher.example", "Jürgen", "To: Jürgen <jürgen@xn--bcher-kva.example>"),
        # a hostile name stays inside one quoted display name, in both header forms
        (
            "jürgen@example.org",
            "Bob\r\nBcc: x@evil.example",
            'To: "Bob Bcc: x@evil.example" <jürgen@example.org>',
        ),
        (
            "bob@example.org",
            "Bob\r\nBcc: x@evil.example",
            'To: "Bob Bcc: x@evil.example" <bob@example.org>',
        ),
    ],
)
def test_to_header_is_ascii_for_idn_and_utf8_only_for_eai(to_addr: str, name: str, to_line: str) -> None:
    data = _build(to_addr, name)
    head = data.split(b"\r\n\r\n", 1)[0]
    lines = head.decode("utf-8").split("\r\n")
    assert to_line in lines
    assert not any(line.lower().startswith("bcc") for line in lines)
    # every header but To stays ASCII; To is ASCII unless the local part is not
    assert all(line.isascii() for line in lines if not line.startswith("To:"))
    assert head.isascii() == to_addr.rpartition("@")[0].isascii()
    msg = email.message_from_string(data.decode("utf-8"), policy=policy.default)
    [parsed] = msg["To"].addresses
    assert parsed.addr_spec == normalise(to_addr)
