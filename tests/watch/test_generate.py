"""The look-alike generator: every kind of the issue produces the names an attacker registers."""

from __future__ import annotations

import pytest

from breachscope.watch import check_domain
from breachscope.watch.generate import ATTACK_WORDS, KINDS, generate, generate_all


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    return {c.domain: c.kind for c in generate("example.com", (*ATTACK_WORDS, "mixpanel"))}


@pytest.mark.parametrize(
    ("family", "domain"),
    [
        ("addition", "examplea.com"),
        ("bitsquatting", "axample.com"),
        ("homoglyph (ASCII)", "examp1e.com"),
        ("homoglyph (rn for m)", "exarnple.com"),
        ("homoglyph (IDN, punycode)", "xn--exmple-cua.com"),  # exämple.com
        ("cyrillic (whole label)", "xn--80ajb1au1a38g.com"),
        ("hyphenation", "ex-ample.com"),
        ("insertion", "exsmple.com"),
        ("omission", "exmple.com"),
        ("repetition", "exxample.com"),
        ("replacement", "ezample.com"),
        ("subdomain", "exa.mple.com"),
        ("transposition", "xeample.com"),
        ("vowel swap", "exomple.com"),
        ("tld swap", "example.net"),
        ("tld swap", "example.support"),
        ("word: security", "example-security.com"),
        ("word: support", "supportexample.com"),
        ("word: verify", "verify-example.com"),
        ("word: billing", "example-billing.com"),
        ("word: login", "login-example.com"),
        ("word: vendor name", "example-mixpanel.com"),
    ],
)
def test_each_family_produces_its_look_alike(names: dict[str, str], family: str, domain: str) -> None:
    assert domain in names, f"{family}: {domain} not generated"


def test_kinds_are_known_and_the_main_families_all_occur(names: dict[str, str]) -> None:
    assert set(names.values()) <= set(KINDS)
    for kind in (
        "addition",
        "bitsquatting",
        "homoglyph",
        "hyphenation",
        "insertion",
        "omission",
        "repetition",
        "replacement",
        "subdomain",
        "transposition",
        "vowel-swap",
        "tld-swap",
        "dictionary",
    ):
        assert kind in names.values(), kind


def test_every_candidate_is_a_valid_a_label_and_never_the_official(names: dict[str, str]) -> None:
    assert "example.com" not in names
    assert len(names) > 1500
    for name in names:
        assert check_domain(name) == name


def test_several_official_domains_never_list_each_other() -> None:
    cands = generate_all(["example.com", "example.net"], ())
    domains = [c.domain for c in cands]
    assert "example.net" not in domains and "example.com" not in domains
    assert len(domains) == len(set(domains))
    assert {c.official for c in cands} == {"example.com", "example.net"}


def test_whole_script_cyrillic_with_palochka() -> None:
    # аррӏе.com: Cyrillic а р р ӏ (palochka) е, which UTS #39 skeletons alone miss (reference §4.1)
    assert "xn--80ak6aa92e.com" in {c.domain for c in generate("apple.com", ())}
