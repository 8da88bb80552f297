"""Phone numbers: E.164 (+CC...), Indonesian +62/62/08 mobiles, national numbers by hint.

Candidates found by RE2 are validated with ``phonenumbers`` (libphonenumber metadata).
"""

from __future__ import annotations

from breachscope.detectors._checks import digits
from breachscope.detectors.base import Detector

_HINTS = (r"phone", r"mobile", r"^tel", r"telp", r"msisdn", r"^hp$", r"_hp$", r"whatsapp", r"^wa$", r"cell")


# ``phonenumbers`` is imported inside the validators: they run on regex candidates only, and
# loading libphonenumber's metadata at every CLI start cost about 50 ms (issue 13).


def _valid_international(value: str) -> bool:
    import phonenumbers

    d = digits(value)
    if not 8 <= len(d) <= 15:
        return False
    try:
        num = phonenumbers.parse("+" + d, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(num))


def _valid_indonesian(value: str) -> bool:
    import phonenumbers

    d = digits(value)
    if d.startswith("62"):
        d = "0" + d[2:]
    try:
        num = phonenumbers.parse(d, "ID")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(num))


def _valid_national(value: str) -> bool:
    import phonenumbers

    d = digits(value)
    if not 7 <= len(d) <= 15 or len(set(d)) <= 2:
        return False
    if value.strip().startswith("+"):
        return _valid_international(value)
    for region in ("ID", "US", "GB", "IN", "SG", "AU", "DE", "FR", "BR", "JP"):
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(d, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


PHONE_E164 = Detector(
    name="phone_e164",
    version=1,
    data_class="phone",
    pattern=r"\+[1-9]\d{0,2}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,5}){1,4}",
    validate=_valid_international,
    column_hints=_HINTS,
    family="digits",
    anchor=r"\+[1-9]\d{0,2}[ .-]?\(?\d{1,4}\)?[ .-]?\d{2}",
    description="International numbers with a leading +, validated by libphonenumber.",
)

PHONE_ID = Detector(
    name="phone_id",
    version=1,
    data_class="phone",
    pattern=r"(?:^|[^0-9A-Za-z+-])(?:62|0)[ -]?8[1-35-9]\d(?:[ -]?\d){6,9}(?:$|[^0-9A-Za-z-])",
    validate=_valid_indonesian,
    column_hints=_HINTS,
    family="digits",
    anchor=r"(?:^|[^0-9A-Za-z+-])(?:62|0)[ -]?8[1-35-9]\d",
    description="Indonesian mobiles in national (08..) or 62.. form, validated for region ID.",
)

PHONE_NATIONAL = Detector(
    name="phone_national",
    version=1,
    data_class="phone",
    pattern=r"^\s*\+?[\d ().-]{7,20}\s*$",
    validate=_valid_national,
    column_hints=_HINTS,
    requires_hint=True,
    description="Any national format in a column named like a phone number.",
)

DETECTORS: tuple[Detector, ...] = (PHONE_E164, PHONE_ID, PHONE_NATIONAL)
