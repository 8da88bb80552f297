"""Bank accounts: IBAN (ISO 13616, mod-97 and per-country length) and accounts by column hint."""

from __future__ import annotations

import re

from breachscope.detectors.base import Detector

#: IBAN length per country (SWIFT IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip

_IBAN_RX = re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?")


_COUNTRIES = "(?:" + "|".join(sorted(IBAN_LENGTHS)) + ")"


def valid_iban(value: str) -> bool:
    """Known country, registry length, and ISO 7064 MOD 97-10 == 1."""
    for m in _IBAN_RX.finditer(value):
        iban = m.group(0).replace(" ", "")
        if IBAN_LENGTHS.get(iban[:2]) != len(iban):
            continue
        rearranged = iban[4:] + iban[:4]
        number = "".join(str(int(ch, 36)) for ch in rearranged)
        if int(number) % 97 == 1:
            return True
    return False


IBAN = Detector(
    name="iban",
    version=1,
    data_class="bank_account",
    pattern=_COUNTRIES + r"\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?",
    validate=valid_iban,
    column_hints=(r"iban", r"bank"),
    family="iban",
    # routing only: two capitals and two digits. The country list in the routing pass cost
    # 2.5 ms per 65,536 random ids (its DFA); the pattern checks the country right after.
    anchor=r"[A-Z]{2}\d{2}",
    description="IBAN with a registry length and a valid mod-97 check.",
)

BANK_ACCOUNT = Detector(
    name="bank_account",
    version=1,
    data_class="bank_account",
    pattern=r"^\s*\d[\d -]{4,22}\d\s*$",
    column_hints=(r"account_?(?:no|num|number)", r"acct_?(?:no|num)", r"rekening", r"no_?rek", r"bank_?acc"),
    requires_hint=True,
    description="Domestic account numbers (6-24 digits) in a column named like a bank account.",
)

DETECTORS: tuple[Detector, ...] = (IBAN, BANK_ACCOUNT)
