"""Email normalisation for matching: exact (normalised), loose (provider rules) and skeleton.

- :func:`normalise_email`: Unicode NFKC, surrounding whitespace removed, case folded. Two
  addresses with the same normal form are the same address for matching (``Alice@Example.COM ``,
  fullwidth ``ａｌｉｃｅ@example.com``).
- :func:`loose_email`: the normal form with a ``+tag`` removed from the local part and, for
  Gmail (``gmail.com``/``googlemail.com``), dots removed. A loose match is labelled and weaker:
  most providers treat ``a.b@`` and ``ab@`` as different mailboxes.
- :func:`skeleton_email`: the normal form with look-alike letters (Cyrillic ``а``, Greek ``ο``,
  accents, invisible format characters) folded to ASCII. Skeleton-only matches are NEVER used
  as matches; they are listed for review, because a look-alike address is a different mailbox
  and often a deliberate spoof.

The same rules run in DuckDB over a whole directory (see :mod:`breachscope.scope.matching`);
printable-ASCII values take a pure-SQL path there and everything else calls these functions,
so both sides always agree.
"""

from __future__ import annotations

import unicodedata

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

#: Look-alike letters (after case folding) and the ASCII letter they imitate.
CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "һ": "h",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "к": "k",
    "ӏ": "l",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "ԛ": "q",
    "с": "c",
    "ѕ": "s",
    "т": "t",
    "у": "y",
    "ԝ": "w",
    "х": "x",
    "ԁ": "d",
    "ɡ": "g",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    # Latin look-alikes
    "ı": "i",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ħ": "h",
}
_CONFUSABLE_TABLE = str.maketrans(CONFUSABLES)


def normalise_email(value: str | None) -> str | None:
    """NFKC, strip, casefold; ``None`` when the result is empty or has no ``@``."""
    if value is None:
        return None
    norm = unicodedata.normalize("NFKC", value).strip().casefold()
    if "@" not in norm or norm.startswith("@") or norm.endswith("@"):
        return None
    return norm


def loose_email(norm: str | None) -> str | None:
    """Plus-tag removed; Gmail dots removed and ``googlemail.com`` read as ``gmail.com``."""
    if norm is None or "@" not in norm:
        return None
    local, _, domain = norm.rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def skeleton_email(norm: str | None) -> str | None:
    """The normal form with look-alikes folded to ASCII and format characters dropped."""
    if norm is None:
        return None
    return fold_confusables(norm)


def fold_confusables(text: str) -> str:
    """``text`` (already case folded) with look-alike letters folded to ASCII, accents and
    invisible format characters dropped (``раураl`` -> ``paypal``). Also used for domain names
    and phrases in reported mail (:mod:`breachscope.watch.mail`)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_CONFUSABLE_TABLE))
    kept = (ch for ch in decomposed if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf")
    return "".join(kept).translate(_CONFUSABLE_TABLE)
