"""Recipient addresses: which ones we send to, and in which form.

* A plain ASCII addr-spec is sent as it is (no quotes, comments or whitespace).
* A non-ASCII domain (IDN, e.g. ``bücher.example``) is mapped by UTS 46 and converted to its
  A-label (``xn--bcher-kva.example``) under IDNA 2008 (the ``idna`` package), so the envelope
  and the To header are ASCII and any server can deliver it. ASCII ``xn--`` labels are checked
  the same way. A label that IDNA 2008 refuses, or that mixes scripts the way lookalike domains do
  (UTS 39 "highly restrictive": one script per label, except Han with Hiragana/Katakana, Hangul
  or Bopomofo, plus Latin), is refused.
* A non-ASCII local part (EAI, RFC 6531/6532, e.g. ``jürgen@example.org``) is kept in Unicode,
  NFC-normalised (RFC 6532 section 3.1); it can only travel over SMTPUTF8
  (:func:`needs_smtputf8`), which the SMTP mailer checks the server offers.

Control, format (zero-width, bidi override), separator and private-use characters are refused
anywhere, so no address can carry a line break or hide its text. Reasons are fixed sentences
that never quote the address (they are counted and stored).
"""

from __future__ import annotations

import re
import string
import unicodedata

import idna


class InvalidAddress(ValueError):
    """The address is refused; ``reason`` is a fixed sentence (no part of the address)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


NOT_ADDR_SPEC = "not a plain addr-spec"
BAD_CHARACTER = "a control, format, space or private-use character in the address"
LOCAL_TOO_LONG = "local part longer than 64 octets"
IDN_MIXED_SCRIPT = "a domain label mixes scripts (possible lookalike domain)"
_IDN_REASONS = {
    "InvalidCodepoint": "a domain character that IDNA 2008 disallows",
    "InvalidCodepointContext": "a joiner or context-dependent character misplaced in the domain (IDNA 2008)",
    "IDNABidiError": "a domain label breaks the IDNA bidi rule (mixed right-to-left text)",
}
IDN_INVALID = "a domain label that is not a valid internationalised name (IDNA 2008)"

_ASCII_LOCAL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
_ASCII_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_ASCII_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-.")
#: Unicode general categories refused in a local part: controls, format (ZWJ, bidi overrides),
#: surrogates, private use, unassigned, and every kind of space or line/paragraph separator.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})

#: UTS 39 "highly restrictive" script sets (besides a single script).
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def needs_smtputf8(addr: str) -> bool:
    """A normalised address that is not ASCII (a Unicode local part) needs SMTPUTF8."""
    return not addr.isascii()


def normalise(addr: str) -> str:
    """The form we send to, or :class:`InvalidAddress` with the reason.

    ASCII addresses come back unchanged (except ``xn--`` labels, lower-cased once checked);
    a Unicode domain becomes its A-label; a Unicode local part is NFC-normalised.
    """
    if _has_control(addr):
        raise InvalidAddress(BAD_CHARACTER)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress(NOT_ADDR_SPEC)
    local = _local_part(local)
    if domain.isascii() and "xn--" not in domain.lower():
        if not _ASCII_DOMAIN.fullmatch(domain):
            raise InvalidAddress(NOT_ADDR_SPEC)
        return f"{local}@{domain}"
    return f"{local}@{_idn_domain(domain)}"


def is_valid(addr: str) -> bool:
    try:
        normalise(addr)
    except InvalidAddress:
        return False
    return True


def _local_part(local: str) -> str:
    if local.startswith(".") or ".." in local:
        raise InvalidAddress(NOT_ADDR_SPEC)
    if local.isascii():
        if not _ASCII_LOCAL.fullmatch(local):
            raise InvalidAddress(NOT_ADDR_SPEC)
        return local
    local = unicodedata.normalize("NFC", local)
    if any(ch.isascii() and ch not in _ASCII_ATEXT for ch in local):
        raise InvalidAddress(NOT_ADDR_SPEC)
    if len(local.encode("utf-8")) > 64:
        raise InvalidAddress(LOCAL_TOO_LONG)
    return local


def _has_control(text: str) -> bool:
    if text.isascii():  # the common case, without a per-character lookup
        return not text.isprintable() or " " in text
    return any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in text)


def _idn_domain(domain: str) -> str:
    try:
        mapped = idna.uts46_remap(domain, std3_rules=True, transitional=False)
    except idna.IDNAError as exc:
        raise InvalidAddress(_idn_reason(exc)) from None
    labels = mapped.split(".")
    out = []
    for label in labels:
        if label.isascii() and not label.startswith("xn--"):
            out.append(label)
            continue
        try:
            alabel = idna.alabel(label).decode("ascii")
            ulabel = idna.ulabel(alabel)
        except (idna.IDNAError, UnicodeError) as exc:
            raise InvalidAddress(_idn_reason(exc)) from None
        if not _single_script(ulabel):
            raise InvalidAddress(IDN_MIXED_SCRIPT)
        out.append(alabel)
    result = ".".join(out)
    if len(result) > 253 or not _ASCII_DOMAIN.fullmatch(result):
        raise InvalidAddress(NOT_ADDR_SPEC)
    return result


def _idn_reason(exc: Exception) -> str:
    return _IDN_REASONS.get(type(exc).__name__, IDN_INVALID)


def _script(ch: str) -> str | None:
    """The script of a letter, from its Unicode name (``None`` for digits, marks, hyphens)."""
    if unicodedata.category(ch) not in ("Lu", "Ll", "Lt", "Lo"):
        return None
    word = unicodedata.name(ch, "?").split(" ", 1)[0]
    return "HAN" if word == "CJK" else word


def _single_script(label: str) -> bool:
    scripts = {s for s in map(_script, label) if s is not None}
    return len(scripts) <= 1 or any(scripts <= allowed for allowed in _ALLOWED_MIXES)
