"""Government-issued ids: Indonesian NIK and NPWP, US SSN, passport numbers by column hint.

NIK: 16 digits ``PPRRSSDDMMYYXXXX`` - province, regency, district, birth date (day + 40 for
women), serial from 0001 (python-stdnum ``id/nik.py``). NPWP: 15 digits (Luhn over the first
9) or 16 digits (``0`` + the 15, or a NIK). SSN: never-issued areas 000/666/900-999, group 00,
serial 0000 and the Woolworth number 078-05-1120 are rejected (SSA randomization FAQ).
"""

from __future__ import annotations

from breachscope.detectors._checks import digits, luhn_ok
from breachscope.detectors.base import Detector

_PROVINCES = frozenset(
    "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 51 52 53 61 62 63 64 65 "
    "71 72 73 74 75 76 81 82 91 92 93 94 95 96".split()
)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def valid_nik(value: str) -> bool:
    """Province code, regency 01-99, district 01-99, a real day/month (+40 for women), serial."""
    for start in range(max(1, len(value) - 15)):
        d = value[start : start + 16]
        if len(d) == 16 and d.isdigit() and _nik_fields_ok(d):
            return True
    d = digits(value)
    return len(d) == 16 and _nik_fields_ok(d)


def _nik_fields_ok(d: str) -> bool:
    if d[:2] not in _PROVINCES or d[2:4] == "00" or d[4:6] == "00":
        return False
    day, month = int(d[6:8]), int(d[8:10])
    if day > 40:
        day -= 40
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        return False
    return d[12:] != "0000"


def valid_npwp(value: str) -> bool:
    """15-digit NPWP with its Luhn check digit, or the 16-digit ``0`` + 15 form."""
    d = digits(value)
    if len(d) == 16 and d.startswith("0"):
        d = d[1:]
    if len(d) != 15 or len(set(d)) == 1:
        return False
    return luhn_ok(d[:9])


def valid_ssn(value: str) -> bool:
    """Area not 000/666/9xx, group not 00, serial not 0000, not a known advertising number."""
    d = digits(value)
    if len(d) != 9:
        return False
    area, group, serial = d[:3], d[3:5], d[5:]
    if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
        return False
    return d not in ("078051120", "219099999", "123456789") and len(set(d)) > 1


_NIK_PROVINCE = r"(?:1[1-9]|21|3[1-6]|5[1-3]|6[1-5]|7[1-6]|8[12]|9[1-6])"
_NIK_DAY = r"(?:0[1-9]|[12]\d|3[01]|4[1-9]|[56]\d|7[01])"
_NIK_MONTH = r"(?:0[1-9]|1[0-2])"

NIK = Detector(
    name="nik",
    version=2,
    data_class="government_id",
    # 16 digits, or grouped as people write them: 4-4-4-4 (``3171 0112 0589 0123``), region /
    # birth date / serial 6-6-4 (``317101 120589 0123``) or 2-2-2-6-4 (``31.71.01.120589.0123``)
    pattern=(
        r"(?:^|[^0-9A-Za-z])(?P<token>"
        rf"{_NIK_PROVINCE}\d{{4}}{_NIK_DAY}{_NIK_MONTH}\d{{2}}\d{{4}}"
        rf"|{_NIK_PROVINCE}\d{{2}}[ .-]\d{{4}}[ .-]\d{{4}}[ .-]\d{{4}}"
        rf"|{_NIK_PROVINCE}\d{{4}}[ .-]{_NIK_DAY}{_NIK_MONTH}\d{{2}}[ .-]\d{{4}}"
        rf"|{_NIK_PROVINCE}[ .]\d{{2}}[ .]\d{{2}}[ .]{_NIK_DAY}{_NIK_MONTH}\d{{2}}[ .]\d{{4}}"
        r")(?:$|[^0-9A-Za-z])"
    ),
    validate=valid_nik,
    canonical=digits,
    column_hints=(r"nik", r"ktp", r"national_?id", r"id_?number", r"nomor_?induk"),
    family="digits",
    anchor=r"\d{13}|\d{4}[ .-]\d{4}[ .-]\d{4}|\d{6}[ .-]\d{6}[ .-]\d|\d\d[ .]\d\d[ .]\d\d[ .]\d{6}",
    description="Indonesian NIK (plain or grouped): region code + birth date (+40 for women) + serial.",
)

NPWP = Detector(
    name="npwp",
    version=2,
    data_class="government_id",
    pattern=(
        r"(?:^|[^0-9A-Za-z])(?P<token>\d{2}[. ]\d{3}[. ]\d{3}[. ]\d[- .]\d{3}[. ]\d{3}|0?\d{15})"
        r"(?:$|[^0-9A-Za-z])"
    ),
    validate=valid_npwp,
    canonical=digits,
    column_hints=(r"npwp", r"tax_?id", r"tin$"),
    family="digits",
    anchor=r"\d{2}[. ]\d{3}[. ]\d{3}[. ]\d|\d{13}",
    description="Indonesian tax id, formatted 99.999.999.9-999.999 or 15/16 plain digits.",
)

SSN = Detector(
    name="ssn",
    version=2,
    data_class="government_id",
    pattern=r"(?:^|[^0-9A-Za-z-])(?P<token>\d{3}[- ]\d{2}[- ]\d{4})(?:$|[^0-9A-Za-z-])",
    validate=valid_ssn,
    canonical=digits,
    column_hints=(r"ssn", r"social_?security", r"^ss_?no$"),
    family="digits",
    anchor=r"\d{3}[- ]\d{2}[- ]\d{4}",
    description="US SSN written 123-45-6789 or 123 45 6789, with SSA's never-issued rules.",
)

SSN_BARE = Detector(
    name="ssn_bare",
    version=1,
    data_class="government_id",
    pattern=r"^\s*\d{3}[- ]?\d{2}[- ]?\d{4}\s*$",
    validate=valid_ssn,
    column_hints=SSN.column_hints,
    requires_hint=True,
    description="Nine bare digits in a column named like an SSN.",
)

PASSPORT = Detector(
    name="passport",
    version=1,
    data_class="government_id",
    pattern=r"^\s*[A-Za-z]{0,2}\d{6,9}[A-Za-z]?\s*$",
    column_hints=(r"passport", r"paspor"),
    requires_hint=True,
    description="Passport numbers (1-2 letters + 6-9 digits) in a column named passport.",
)

DETECTORS: tuple[Detector, ...] = (NIK, NPWP, SSN, SSN_BARE, PASSPORT)
