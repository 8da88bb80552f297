"""Minting synthetic people to plant at a vendor: plausible, unique, and unmistakably ours.

A canary is a fictional person: a name from a locale mix (the synthetic-data vocabulary, so the
same mix breachscope's test leaks use: English, European, Indian, East Asian, Brazilian and
Indonesian names), a unique address at the company's catch-all domain (``siti.halim.k4q7xz@``),
a user id and a distinct id (random UUIDs, as analytics SDKs make them) and, optionally, an
API-key-shaped honeytoken.

What makes a canary attributable is its *unique* values (address, ids, honeytoken): those are
hashed into the registry. The name is not: a real person can share it.

Invariants the check relies on: every unique value is ASCII, lower-case except the honeytoken,
and contains a letter and a non-digit shape (never a number, a date or a boolean), so a reader
can only ever deliver it as text.

The honeytoken (``bsk_`` + 40 base-62 characters) has the shape of an API key but no real
provider's format (no provider's prefix, no checksum scheme): no provider accepts it and no
provider's secret scanning revokes it; breachscope's secret detectors see it as a generic
token only in a column named like a key (a test checks no vendor-format detector matches it).
"""

from __future__ import annotations

import random
import re
import string
import unicodedata
import uuid
from dataclasses import dataclass

from breachscope.errors import InputError
from breachscope.synth import vocab

_ALNUM = string.ascii_letters + string.digits
_SUFFIX = string.ascii_lowercase + string.digits
HONEYTOKEN_PREFIX = "bsk_"
HONEYTOKEN_LENGTH = 40
#: A catch-all domain: LDH labels, at least one dot (an IDN must be given as its A-label).
_DOMAIN = re.compile(r"(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}[a-z0-9]")


@dataclass(frozen=True)
class Canary:
    """One synthetic person (plaintext: it exists only while being exported)."""

    number: int
    first_name: str
    last_name: str
    email: str
    user_id: str
    distinct_id: str
    honeytoken: str | None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def unique_values(self) -> dict[str, str]:
        """The values hashed into the registry, by field (see :data:`store.FIELDS`)."""
        out = {"email": self.email, "user_id": self.user_id, "distinct_id": self.distinct_id}
        if self.honeytoken is not None:
            out["honeytoken"] = self.honeytoken
        return out


def check_domain(domain: str) -> str:
    """The catch-all domain, lower-cased; an error naming the expected form otherwise."""
    d = domain.strip().lower().rstrip(".")
    if not _DOMAIN.fullmatch(d):
        raise InputError(
            f"{domain!r} is not a domain name breachscope can use for canaries",
            "give the company's catch-all mail domain as ASCII (an IDN as its xn-- form), "
            "e.g. --domain canary.example.com",
        )
    return d


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", folded.lower()) or "user"


def _pick_names(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.4:  # the model case's users are largely Indonesian
        return rng.choice(vocab.ID_FIRST_NAMES), rng.choice(vocab.ID_LAST_NAMES)
    return rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)


def honeytoken(rng: random.Random) -> str:
    return HONEYTOKEN_PREFIX + "".join(rng.choice(_ALNUM) for _ in range(HONEYTOKEN_LENGTH))


def mint(number: int, domain: str, rng: random.Random, *, with_token: bool) -> Canary:
    """One canary; uniqueness comes from 36 random bits in the address and random UUIDs."""
    first, last = _pick_names(rng)
    suffix = "".join(rng.choice(_SUFFIX) for _ in range(6))
    if suffix.isdigit():  # keep the documented shape: a letter in every local part's suffix
        suffix = "q" + suffix[1:]
    sep = rng.choice((".", "_", ""))
    email = f"{_ascii(first)}{sep}{_ascii(last)}.{suffix}@{domain}"
    return Canary(
        number=number,
        first_name=first,
        last_name=last,
        email=email,
        user_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        distinct_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        honeytoken=honeytoken(rng) if with_token else None,
    )
