"""Which leaked values a notice may quote back: only those that validate as their class.

A notice is DKIM-signed by the company, so anything it quotes carries the company's name. A
location field of the leaked file is written by whoever leaked it: "Jakarta - call support at
1-800-FLOWERS" would become a callback-phishing line signed by us. So a leaked value is quoted
only when it is what its field says it is, and otherwise the notice names the field without the
value ("your approximate location"):

* a **country**: a name or code that resolves to an ISO 3166-1 country (pycountry);
* a **region**: a name or code that resolves to an ISO 3166-2 subdivision (of the leaked
  country when known);
* a **city** (no reference list exists): Unicode letters in at most four words joined by single
  spaces, hyphens or apostrophes, at most 40 characters, none of the words callers use to
  steer a reader (call, visit, support, hubungi, ...);
* an **email**: one well-formed address (:func:`breachscope.notify.address.normalise`).

Every class refuses digits of any script (``1``, ``²``, ``٣``: no phone or street number),
URL-like text (a scheme, ``www.``, a dot between labels, ``@`` outside an email, slashes) and
control characters.
"""

from __future__ import annotations

import re
import unicodedata

from breachscope.identity.jurisdiction import (
    IMPLAUSIBLE_COUNTRIES,
    fold,
    region_without_country,
    resolve_country,
    resolve_region,
)
from breachscope.notify.address import InvalidAddress, normalise
from breachscope.notify.safety import find_links, one_line

CITY_MAX_CHARS = 40
CITY_MAX_WORDS = 4
NAME_MAX_CHARS = 60  # countries and regions ("South Georgia and the South Sandwich Islands": 44)

#: Letters, single separators (space, hyphen, apostrophes) between them; nothing else.
_CITY = re.compile(r"^[^\W\d_]+(?:[ \-'\u2019][^\W\d_]+)*$")
#: Words that steer a reader and are in no city's name (English and Indonesian).
STEERING_WORDS = frozenset(
    """
    call phone tel telephone dial text sms whatsapp telegram signal contact support helpdesk help
    visit click go login log verify verification account password code pin otp reset refund
    urgent now immediately email mail reply website site link
    hubungi telepon telp panggil kunjungi klik buka masuk verifikasi akun sandi kode segera
    layanan bantuan situs tautan balas
    """.split()
)


def _plain(value: str | None, limit: int) -> str | None:
    """The value on one line if it has no digit, control, URL-like text or slash; else None."""
    if value is None:
        return None
    if any(unicodedata.category(ch)[0] == "C" for ch in value):
        return None
    text = one_line(value, 10 * limit)
    if not text or len(text) > limit:
        return None
    if any(unicodedata.category(ch)[0] == "N" or ch in "/\\@:<>[]{}|=" for ch in text):  # any digit: 1 ² ٣ Ⅳ
        return None
    if find_links(text) or "www" in text.lower():
        return None
    return text


def echo_country(value: str | None) -> str | None:
    """The leaked country as written, if it names an ISO 3166-1 country (not an uninhabited one)."""
    text = _plain(value, NAME_MAX_CHARS)
    if text is None:
        return None
    code = resolve_country(text)
    return text if code is not None and code not in IMPLAUSIBLE_COUNTRIES else None


def echo_region(value: str | None, country: str | None = None) -> str | None:
    """The leaked region as written, if it names an ISO 3166-2 subdivision (of ``country``)."""
    text = _plain(value, NAME_MAX_CHARS)
    if text is None:
        return None
    code = resolve_country(country) if country else None
    found = resolve_region(code, text) if code else region_without_country(text)
    return text if found is not None else None


def echo_city(value: str | None) -> str | None:
    """The leaked city as written, if it has the shape of a place name (see the module doc)."""
    text = _plain(value, CITY_MAX_CHARS)
    if text is None or not _CITY.match(text):
        return None
    words = re.split(r"[ \-'\u2019]", fold(text))
    if len(text.split()) > CITY_MAX_WORDS or any(w in STEERING_WORDS for w in words):
        return None
    return text


def echo_email(value: str | None) -> str | None:
    """The leaked email, if it is one well-formed address."""
    if value is None or len(value) > 254 or any(unicodedata.category(ch)[0] == "C" for ch in value):
        return None
    try:
        return normalise(value.strip())
    except InvalidAddress:
        return None


def echo_location(city: str | None, region: str | None, country: str | None) -> str:
    """``"Jakarta, Indonesia"`` from the parts that validate; ``""`` when none does (the notice
    then names the field, "your approximate location", without a value)."""
    parts = [echo_city(city) or echo_region(region, country), echo_country(country)]
    return ", ".join(dict.fromkeys(p for p in parts if p))
