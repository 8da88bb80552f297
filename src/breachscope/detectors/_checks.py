"""Small validators shared by several detector modules (checksums, entropy, digit handling)."""

from __future__ import annotations

import math
import re
from collections import Counter

_NON_DIGIT = re.compile(r"\D")


def digits(value: str) -> str:
    """The ASCII digits of ``value``, in order."""
    return _NON_DIGIT.sub("", value)


def luhn_ok(number: str) -> bool:
    """True if the digit string passes the Luhn (mod 10) check."""
    if not number or not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def shannon_entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F]+")


def looks_like_id_not_secret(token: str) -> bool:
    """UUIDs, git SHAs and other pure-hex ids are identifiers, not secrets."""
    return bool(_UUID.fullmatch(token) or _HEX.fullmatch(token) or token.isdigit())


def is_repetitive(token: str) -> bool:
    """Placeholders such as ``xxxxxxxx`` or ``0000``: one or two distinct characters."""
    return len(set(token.lower())) <= 2
