"""Payment cards: 13-19 digit PANs in the major IIN ranges, Luhn-checked; mangled numbers.

(12-digit Maestro numbers are left out: a 12-digit run is as likely to be the last group of a
UUID, and the issue defines cards as 13-19 digits.)

Also spreadsheet-mangled numbers (``5.54563E+15``: Excel turned a card into a float) reported
as "card-like number, mangled", and card security codes by column hint.
13-digit millisecond timestamps (``1700000000000``) start with 1 and are never cards: every IIN
range starts with 2-6, so the pattern itself asks for that lead digit and a column of
timestamps never reaches the Python validator.
"""

from __future__ import annotations

import re

from breachscope.detectors._checks import digits, luhn_ok
from breachscope.detectors.base import Detector

# IIN prefix -> allowed lengths (ISO/IEC 7812 ranges; see detection-formats.md 6.4)
_RANGES: tuple[tuple[str, tuple[int, ...]], ...] = (
    (r"4", (13, 16, 19)),  # Visa
    (r"5[1-5]", (16,)),  # Mastercard
    (r"2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)", (16,)),  # Mastercard 2221-2720
    (r"3[47]", (15,)),  # American Express
    (r"3(?:0[0-5]|[689])", (14, 15, 16, 17, 18, 19)),  # Diners
    (r"35(?:2[89]|[3-8]\d)", (16, 17, 18, 19)),  # JCB
    (r"6(?:011|4[4-9]|5)", (16, 17, 18, 19)),  # Discover
    (r"62", (16, 17, 18, 19)),  # UnionPay
    (r"(?:50(?:18|20|38)|5893|6304|6759|676[1-3])", tuple(range(13, 20))),  # Maestro
)
_COMPILED = tuple((re.compile(p), lengths) for p, lengths in _RANGES)


def valid_pan(value: str) -> bool:
    """IIN range + length + Luhn over the value's digits (separators ignored)."""
    d = digits(value)
    if not 13 <= len(d) <= 19 or len(set(d)) == 1:
        return False
    if not any(rx.match(d) and len(d) in lengths for rx, lengths in _COMPILED):
        return False
    return luhn_ok(d)


def valid_mangled(value: str) -> bool:
    """``d.dddddE+NN`` where the unmangled number would have 13-19 digits and an IIN lead digit."""
    m = re.search(r"(\d)\.(\d{2,14})[eE]\+?(\d{1,2})", value)
    if not m:
        return False
    exponent = int(m.group(3))
    return 12 <= exponent <= 18 and m.group(1) in "23456"


PAYMENT_CARD = Detector(
    name="payment_card",
    version=2,
    data_class="payment_card",
    pattern=(
        r"(?:^|[^0-9A-Za-z.])"
        r"(?P<token>[2-6]\d{12,18}|[2-6]\d{3}[ -]\d{4}[ -]\d{4}[ -]\d{1,7}|[2-6]\d{3}[ -]\d{6}[ -]\d{4,5})"
        r"(?:$|[^0-9A-Za-z])"
    ),
    validate=valid_pan,
    canonical=digits,
    column_hints=(r"card", r"^pan$", r"cc_?num", r"kartu"),
    family="digits",
    # the anchor stays the generic digit shape the NIK/NPWP anchors share (one routing pass);
    # the pattern's 2-6 lead digit keeps timestamps away from the validator
    anchor=r"\d{13}|\d{4}[ -]\d{4}[ -]\d{4}[ -]\d|\d{4}[ -]\d{6}[ -]\d{4}",
    description="13-19 digit PAN in a known IIN range with a valid Luhn check digit.",
)

CARD_MANGLED = Detector(
    name="card_mangled",
    version=1,
    data_class="payment_card",
    pattern=r"\d\.\d{2,14}[eE]\+?1[2-8]\b",
    validate=valid_mangled,
    column_hints=(r"card", r"^pan$", r"cc_?num"),
    family="mangled",
    anchor=r"\d\.\d\d+[eE]\+?1[2-8]",
    label="card-like number, mangled",
    description="A 13-19 digit number a spreadsheet rewrote as a float (5.54563E+15).",
)

CARD_SECURITY_CODE = Detector(
    name="card_security_code",
    version=1,
    data_class="card_security_code",
    pattern=r"^\s*\d{3,4}\s*$",
    column_hints=(r"cvv", r"cvc", r"^cid$", r"security_?code", r"card_?code"),
    requires_hint=True,
    description="3-4 digit codes in a column named like a CVV/CVC.",
)

DETECTORS: tuple[Detector, ...] = (PAYMENT_CARD, CARD_MANGLED, CARD_SECURITY_CODE)
