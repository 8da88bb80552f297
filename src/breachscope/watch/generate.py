"""Look-alike candidates of an official domain: dnstwist's fuzzers plus attacker words and TLDs.

dnstwist (pinned, see pyproject.toml) generates, offline: addition, bitsquatting, cyrillic,
homoglyph (ASCII and IDN, to depth 2), hyphenation, insertion, omission, plural, repetition,
replacement, subdomain, transposition, vowel-swap, various; with a word list "dictionary"
(``word-label``, ``labelword``, ...) and with a TLD list "tld-swap". We give it the words an
attacker adds to a phishing domain after a leak (:data:`ATTACK_WORDS` and the incident's vendor
name) and the TLDs such domains are registered under (:data:`SWAP_TLDS`).

Every candidate is a lowercase A-label name (IDN homoglyphs as ``xn--``) that passed dnstwist's
FQDN check; the official domain itself is never a candidate. dnstwist labels a name made by two
fuzzers with the first one in its order, so ``kind`` is a hint, the name is the identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import dnstwist

#: Words an attacker adds to our name after a leak (the notice told people to expect mail from us).
ATTACK_WORDS: tuple[str, ...] = (
    "account",
    "billing",
    "help",
    "login",
    "secure",
    "security",
    "signin",
    "support",
    "update",
    "verify",
)

#: TLDs tried for the registrable label (common, cheap, and frequently abused ones).
SWAP_TLDS: tuple[str, ...] = (
    "app",
    "biz",
    "cc",
    "cloud",
    "co",
    "com",
    "dev",
    "email",
    "help",
    "info",
    "io",
    "live",
    "me",
    "net",
    "online",
    "org",
    "page",
    "security",
    "shop",
    "site",
    "support",
    "top",
    "us",
    "xyz",
)

#: The fuzzer kinds a candidate can carry (dnstwist's names).
KINDS: tuple[str, ...] = (
    "addition",
    "bitsquatting",
    "cyrillic",
    "dictionary",
    "homoglyph",
    "hyphenation",
    "insertion",
    "omission",
    "plural",
    "repetition",
    "replacement",
    "subdomain",
    "tld-swap",
    "transposition",
    "various",
    "vowel-swap",
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One look-alike name: ``domain`` (A-label), the ``official`` domain it imitates, ``kind``."""

    domain: str
    official: str
    kind: str


def generate(
    official: str, words: tuple[str, ...] = ATTACK_WORDS, tlds: tuple[str, ...] = SWAP_TLDS
) -> list[Candidate]:
    """Every look-alike candidate of ``official`` (a checked A-label domain), sorted by name."""
    fuzzer = dnstwist.Fuzzer(official, dictionary=list(words), tld_dictionary=list(tlds))
    fuzzer.generate()
    out: dict[str, Candidate] = {}
    for perm in fuzzer.permutations():
        name = str(perm["domain"]).lower().rstrip(".")
        kind = str(perm["fuzzer"])
        if kind.startswith("*") or name == official:
            continue
        out.setdefault(name, Candidate(name, official, kind))
    return [out[name] for name in sorted(out)]


def generate_all(officials: list[str], words: tuple[str, ...]) -> list[Candidate]:
    """Candidates of every official domain; a name that is itself official is not a candidate,
    and a name generated from two official domains is kept once (the first one)."""
    seen: dict[str, Candidate] = {}
    for official in officials:
        for cand in generate(official, words):
            if cand.domain not in officials:
                seen.setdefault(cand.domain, cand)
    return list(seen.values())
