"""Domain and resolver arguments: normalised, or refused with a clear message."""

from __future__ import annotations

import pytest

from breachscope.errors import InputError
from breachscope.watch import check_domain, parse_resolver
from breachscope.watch.names import display_name, vendor_word


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("example.com", "example.com"),
        ("Example.COM.", "example.com"),
        ("  example.co.uk ", "example.co.uk"),
        ("exämple.com", "xn--exmple-cua.com"),
        ("xn--exmple-cua.com", "xn--exmple-cua.com"),
        ("my-shop.io", "my-shop.io"),
    ],
)
def test_valid_domains_are_normalised(raw: str, expected: str) -> None:
    assert check_domain(raw) == expected


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("exa\x1bmple.com", "control"),
        ("example.com\n", "control"),
        ("exa\u202emple.com", "control"),  # bidi override
        ("exa\u200bmple.com", "control"),  # zero-width space
        ("a" * 296 + ".com", "300 characters"),
        (("a" * 62 + ".") * 4 + "com", "at most 253"),
        ("a" * 64 + ".com", "too long"),
        ("example", "two labels"),
        ("", "empty"),
        ("exa mple.com", "spaces"),
        ("-example.com", "example.com"),
        ("exa_mple.com", "exa_mple"),
        ("example..com", "valid"),
        ("http://example.com", "valid"),
        ("😀.com", "valid"),
    ],
)
def test_hostile_domains_are_refused_with_a_message(raw: str, why: str) -> None:
    with pytest.raises(InputError) as err:
        check_domain(raw)
    assert "refused" in err.value.message and why in err.value.message
    assert "\x1b" not in err.value.message and "\u202e" not in err.value.message
    assert len(err.value.message) < 300


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("[::1]:5300", ("::1", 5300)),
        ("[::1]", ("::1", 53)),
        ("::1", ("::1", 53)),
    ],
)
def test_resolver_argument(raw: str, expected: tuple[str, int]) -> None:
    assert parse_resolver(raw) == expected


@pytest.mark.parametrize(
    "raw", ["dns.google", "127.0.0.1:0", "127.0.0.1:99999", "1.2.3.4:x", "[::1", "[::1]x", ""]
)
def test_bad_resolver_argument_is_refused(raw: str) -> None:
    with pytest.raises(InputError, match="not IP or IP:PORT"):
        parse_resolver(raw)


@pytest.mark.parametrize(
    ("vendor", "word"),
    [("Mixpanel", "mixpanel"), ("Mix Panel, Inc.", "mixpanel"), ("", None), ("!!!", None)],
)
def test_vendor_word(vendor: str, word: str | None) -> None:
    assert vendor_word(vendor) == word


def test_display_name_gives_the_unicode_form() -> None:
    assert display_name("xn--exmple-cua.com") == "exämple.com"
    assert display_name("xn--ls8h.com") == "xn--ls8h.com"  # an emoji: shown as the A-label
