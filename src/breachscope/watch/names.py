"""Domain names typed by a user: checked, normalised to lowercase A-labels, or refused.

A domain argument reaches DNS queries, the case and the terminal, so it is checked before
anything else: at most 253 characters, no control or format characters, labels of 1-63
characters, an IDNA 2008 / UTS 46 valid name (``idna``), at least two labels. Internationalised
names are kept as A-labels (``xn--...``); :func:`display_name` gives the U-label form for people.
"""

from __future__ import annotations

import re
import unicodedata

import idna

from breachscope.errors import InputError
from breachscope.inert import terminal_text

MAX_NAME = 253
MAX_LABEL = 63
_ASCII_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _refuse(raw: str, why: str) -> InputError:
    return InputError(
        f"domain {terminal_text(raw, 80)!r} is refused: {why}",
        "give an official domain such as example.com (letters, digits, hyphens; IDN allowed)",
    )


def check_domain(raw: str) -> str:
    """``raw`` as a lowercase A-label domain without a trailing dot, or :class:`InputError`."""
    if len(raw) > MAX_NAME + 1:
        raise _refuse(raw, f"{len(raw)} characters, a domain name has at most {MAX_NAME}")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in raw):
        raise _refuse(raw, "it contains control or invisible format characters")
    text = raw.strip()
    if text.endswith("."):
        text = text[:-1]
    if not text or any(ch.isspace() for ch in text):
        raise _refuse(raw, "it is empty or contains spaces")
    try:
        ascii_name = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise _refuse(raw, f"not a valid internationalised domain name ({exc})") from None
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise _refuse(raw, "a registrable domain has at least two labels (name.tld)")
    if len(ascii_name) > MAX_NAME:
        raise _refuse(raw, f"{len(ascii_name)} characters once encoded, at most {MAX_NAME}")
    for label in labels:
        if not _ASCII_LABEL.match(label):
            raise _refuse(raw, f"label {terminal_text(label, 70)!r} is not a valid host name label")
    return ascii_name


def display_name(ascii_name: str) -> str:
    """The U-label form of an A-label name (``xn--exmple-cua.com`` -> ``exämple.com``), as is when
    it does not decode."""
    try:
        return idna.decode(ascii_name)
    except (idna.IDNAError, UnicodeError):
        return ascii_name


def vendor_word(vendor: str) -> str | None:
    """The incident's vendor name as a label an attacker would add (``"Mix Panel, Inc."`` ->
    ``mixpanel``), or None when nothing usable remains."""
    word = re.sub(r"[^a-z0-9]", "", vendor.lower().split(",")[0].replace(" inc", ""))
    return word[:40] or None
