"""Leaked values quoted in a notice only when they validate as their class (callback phishing).

Table-driven: hostile location values of the kind found in the attack (a phone number, a URL,
an instruction to call "support") never reach the rendered notice, in English or Indonesian;
the notice names the field ("your approximate location") without the value.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from breachscope.notify import sources
from breachscope.notify.echo import (
    CITY_MAX_CHARS,
    NAME_MAX_CHARS,
    echo_city,
    echo_country,
    echo_email,
    echo_location,
    echo_region,
)
from breachscope.notify.render import NoticeFrom, Renderer
from breachscope.notify.safety import find_links
from breachscope.scope.recipients import Recipient

from .conftest import INCIDENT

HOSTILE_CITIES = [
    "Jakarta - call support at 1-800-FLOWERS",
    "Jakarta, hubungi 0812 3456 7890",
    "call support now",
    "Hubungi layanan bantuan",
    "Visit example dot com",
    "Jakarta www secure",
    "evil.com",
    "http://phish.example/login",
    "https[:]//x",
    "Jakarta\u202e",
    "Jakarta\x1b[31m",
    "Jakarta\r\nBcc: x@y.z",
    "1600 Amphitheatre",
    "Bandung ☎ 555",
    "a@b.co",
    "Springfield Springfield Springfield Springfield Springfield",
    "x" * 41,
    "tel:+62215550100",
    "Jakarta / Bandung",
    "<script>",
    "",
    "   ",
]
GOOD_CITIES = ["Jakarta", "Bandung", "São Paulo", "Saint-Étienne", "L'Aquila", "New York", "Zürich", "東京"]


@pytest.mark.parametrize("value", HOSTILE_CITIES)
def test_hostile_city_is_not_echoed(value: str) -> None:
    assert echo_city(value) is None


@pytest.mark.parametrize("value", GOOD_CITIES)
def test_a_city_shaped_value_is_echoed(value: str) -> None:
    assert echo_city(value) == value


@pytest.mark.parametrize(
    ("value", "echoed"),
    [
        ("Indonesia", "Indonesia"),
        ("United Kingdom", "United Kingdom"),
        ("United Kingdom - call 0800 123", None),
        ("Indonesia www.evil.com", None),
        ("Antarctica", None),  # no permanent population: not a place a customer lives
        ("Narnia", None),
        ("Indonesia\x07", None),
    ],
)
def test_country_must_be_a_known_country(value: str, echoed: str | None) -> None:
    assert echo_country(value) == echoed


@pytest.mark.parametrize(
    ("value", "country", "echoed"),
    [
        ("West Java", "Indonesia", "West Java"),
        ("California", "United States", "California"),
        ("California", None, "California"),
        ("CA", None, None),  # ambiguous without a country
        ("West Java 1-800", "Indonesia", None),
        ("Call us", "Indonesia", None),
    ],
)
def test_region_must_be_a_known_subdivision(value: str, country: str | None, echoed: str | None) -> None:
    assert echo_region(value, country) == echoed


@pytest.mark.parametrize(
    ("value", "echoed"),
    [
        ("alice@example.com", "alice@example.com"),
        ("alice@example.com call 1-800", None),
        ("not an email", None),
        ("a@b@c.d", None),
        ("alice@example.com\r\nBcc: x@y.z", None),
    ],
)
def test_email_must_be_one_well_formed_address(value: str, echoed: str | None) -> None:
    assert echo_email(value) == echoed


@pytest.mark.parametrize(
    ("city", "region", "country", "shown"),
    [
        ("Jakarta", "Jakarta", "Indonesia", "Jakarta, Indonesia"),
        ("Jakarta - call support at 1-800-FLOWERS", None, "United Kingdom", "United Kingdom"),
        ("call support now", "West Java", "Indonesia", "West Java, Indonesia"),
        ("evil.com", None, "Narnia 555", ""),
        (None, None, "Antarctica", ""),
    ],
)
def test_location_keeps_only_valid_parts(
    city: str | None, region: str | None, country: str, shown: str
) -> None:
    assert echo_location(city, region, country) == shown


def _recipient(language: str, city: str) -> Recipient:
    return Recipient(
        role="user",
        account_id=1,
        user_id="u1",
        email="u1@example.org",
        name="Rina",
        language=language,
        org_id=None,
        org_name=None,
        country="GB",
        region=None,
        jurisdiction="GB",
        jurisdiction_source="leak_country",
        own_record_leaked=True,
        exposed_classes=("coarse_location", "email", "person_name"),
        exposed_fields=("$city", "$email", "$name"),
        city_display=city,
        country_display="Narnia - call 555" if "FLOWERS" in city else "United Kingdom",
    )


NEEDLES = (
    "1-800",
    "flowers",
    "0812",
    "hubungi 0812",
    "evil",
    "phish",
    "narnia",
    "\x1b",
    "call support",
    "layanan bantuan",
)
NEEDLES += ("amphitheatre", "1600", "visit example", "tel:", "script", "springfield", "\u202e", "secure")
WORDS = {"en": "your approximate location", "id": "perkiraan lokasi Anda"}


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("city", HOSTILE_CITIES)
def test_no_hostile_value_reaches_a_rendered_notice(language: str, city: str) -> None:
    case = sources.CaseNotices(INCIDENT, (_recipient(language, city),), (), (), (), (), True)
    (ctx,) = sources.contexts(case, ("user",))
    out = Renderer(NoticeFrom("Example Corp", "example.com"), None).render(
        ctx, phrase="a b c d", reference="R"
    )
    for part in (out.text, out.html):
        assert WORDS[language] in part  # the field is named...
        for needle in NEEDLES:
            assert needle not in part.lower()  # ...never the value
    if "FLOWERS" not in city:
        assert "United Kingdom" in out.text  # the valid part is still quoted


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=60), st.text(max_size=60), st.text(max_size=60))
def test_property_an_echoed_location_has_no_digit_link_or_control(
    city: str, region: str, country: str
) -> None:
    shown = echo_location(city, region, country)
    assert not any(ch.isdigit() or unicodedata.category(ch)[0] == "C" for ch in shown)
    assert not find_links(shown) and "www" not in shown.lower() and "@" not in shown
    assert len(shown) <= CITY_MAX_CHARS + 2 + NAME_MAX_CHARS
