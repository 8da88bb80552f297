"""The data-class taxonomy: one table of every kind of personal data breachscope knows.

Each data class has a stable id (used in scan reports, the case database and rule files),
a display name, the Have I Been Pwned data-class name where HIBP has one, and a
sensitivity tier. Rule files and recommended actions refer to these ids, so ids never change
once released; names may.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tier(StrEnum):
    """Sensitivity tier, most sensitive first."""

    CRITICAL = "critical"
    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"

    @property
    def rank(self) -> int:
        return _TIER_RANK[self]


_TIER_RANK = {Tier.CRITICAL: 0, Tier.HIGH: 1, Tier.MODERATE: 2, Tier.LOW: 3}


@dataclass(frozen=True)
class DataClass:
    id: str
    name: str
    tier: Tier
    hibp: str | None
    description: str


_C, _H, _M, _L = Tier.CRITICAL, Tier.HIGH, Tier.MODERATE, Tier.LOW

#: The one table. Order: tier, then roughly by how often each appears in analytics leaks.
DATA_CLASSES: tuple[DataClass, ...] = (
    DataClass(
        "password", "Plaintext passwords", _C, "Passwords", "Passwords stored or transmitted in clear text."
    ),
    DataClass(
        "password_hash",
        "Password hashes",
        _C,
        "Passwords",
        "bcrypt, argon2, scrypt, crypt(3) or bare digest hashes of passwords.",
    ),
    DataClass(
        "secret",
        "API keys, secrets and auth tokens",
        _C,
        "Auth tokens",
        "API keys, access tokens, session tokens, JWTs and similar credentials.",
    ),
    DataClass("private_key", "Private keys", _C, None, "PEM/OpenSSH private key material."),
    DataClass(
        "payment_card",
        "Payment card numbers",
        _C,
        "Credit cards",
        "Primary account numbers (PANs) of payment cards.",
    ),
    DataClass(
        "card_security_code",
        "Card security codes",
        _C,
        "Credit card CVV",
        "CVV/CVC/CID values of payment cards.",
    ),
    DataClass(
        "bank_account",
        "Bank account numbers",
        _C,
        "Bank account numbers",
        "IBANs and domestic bank account numbers.",
    ),
    DataClass(
        "government_id",
        "Government-issued IDs",
        _C,
        "Government issued IDs",
        "National identity numbers (NIK, SSN), tax ids (NPWP), passport numbers.",
    ),
    DataClass(
        "chat_content",
        "Chat and message content",
        _C,
        "Chat logs",
        "Free natural-language text: chats, support tickets, private messages.",
    ),
    DataClass(
        "phone", "Phone numbers", _H, "Phone numbers", "Telephone numbers in E.164 or national formats."
    ),
    DataClass(
        "postal_address", "Physical addresses", _H, "Physical addresses", "Street addresses and postal codes."
    ),
    DataClass(
        "precise_location",
        "Precise geolocation",
        _H,
        "Geographic locations",
        "Latitude/longitude or other location precise enough to find a person.",
    ),
    DataClass("date_of_birth", "Dates of birth", _H, "Dates of birth", "A person's date of birth."),
    DataClass("ip_address", "IP addresses", _H, "IP addresses", "IPv4 and IPv6 addresses."),
    DataClass("email", "Email addresses", _M, "Email addresses", "Email addresses."),
    DataClass("person_name", "Names", _M, "Names", "Personal names (full, first, last)."),
    DataClass("username", "Usernames", _M, "Usernames", "Login or display handles chosen by the person."),
    DataClass(
        "coarse_location",
        "Coarse location",
        _L,
        "Geographic locations",
        "City, region, country or time zone.",
    ),
    DataClass(
        "device",
        "Device information",
        _L,
        "Device information",
        "Operating system, browser, device model, screen size.",
    ),
    DataClass(
        "user_agent",
        "Browser user agent details",
        _L,
        "Browser user agent details",
        "Full User-Agent strings.",
    ),
    DataClass(
        "url",
        "Referrers and page URLs",
        _L,
        "Browsing histories",
        "Referring sites, landing pages and other URLs a person visited.",
    ),
    DataClass(
        "internal_id",
        "Internal identifiers",
        _L,
        None,
        "Account, organization, device and vendor distinct ids.",
    ),
    DataClass(
        "hashed_id",
        "Hashed identifiers",
        _L,
        None,
        "Hex or base64 digests of identifiers (an email or name the vendor hashed): pseudonymous.",
    ),
    DataClass("timestamp", "Timestamps", _L, None, "Event, sign-up and last-seen times."),
)

BY_ID: dict[str, DataClass] = {dc.id: dc for dc in DATA_CLASSES}

#: The classes the Nov 2025 incident statement said were NOT in the dataset, in that order.
CREDENTIAL_AND_PAYMENT_CLASSES: tuple[str, ...] = (
    "chat_content",
    "secret",
    "password",
    "password_hash",
    "private_key",
    "payment_card",
    "card_security_code",
    "bank_account",
    "government_id",
)


def get(class_id: str) -> DataClass:
    """Return the data class with this id, or raise ``KeyError`` naming the known ids."""
    try:
        return BY_ID[class_id]
    except KeyError:
        known = ", ".join(sorted(BY_ID))
        raise KeyError(f"unknown data class {class_id!r}; known: {known}") from None


def by_tier(tier: Tier) -> tuple[DataClass, ...]:
    return tuple(dc for dc in DATA_CLASSES if dc.tier is tier)
