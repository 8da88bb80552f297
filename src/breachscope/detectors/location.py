"""Location: coarse (country codes, region, city, time zone) and precise (lat/long), postal
addresses by column hint and, in any column, by street-address shapes (English and Indonesian)
and postal codes in context. Country codes come from ISO 3166-1 via ``pycountry``.
"""

from __future__ import annotations

import pycountry

from breachscope.detectors.base import Detector


def _country_vocabulary() -> tuple[str, ...]:
    words: set[str] = set()
    for c in pycountry.countries:
        words.update({c.alpha_2, c.alpha_3, c.name.upper()})
    return tuple(sorted(words))


COUNTRY = Detector(
    name="country",
    version=1,
    data_class="coarse_location",
    pattern=None,
    vocabulary=_country_vocabulary(),
    column_hints=(r"country", r"^cc$", r"_cc$", r"nation", r"negara", r"geo"),
    requires_hint=True,
    weak=True,
    description="ISO 3166-1 alpha-2/alpha-3 codes and country names in a country column.",
)

#: Values of a workflow ``state`` column (a conversation, an article): never a region.
WORKFLOW_STATES = frozenset(
    "open closed snoozed pending published draft archived deleted active inactive new done resolved "
    "solved hold on_hold waiting sent failed queued running completed cancelled canceled".split()
)


#: Time-zone values that say nothing about where a person is.
NO_PLACE = frozenset({"utc", "gmt", "z", "etc/utc", "etc/gmt", "local", "utc+0", "utc+00:00", "gmt+0"})


def not_a_workflow_state(value: str) -> bool:
    """False for ``open``, ``published``, ``snoozed`` ... (a ``state`` column of workflow states)
    and for ``UTC``/``GMT`` (a time zone that places no one)."""
    v = value.strip().lower()
    return v not in WORKFLOW_STATES and v not in NO_PLACE


REGION_CITY = Detector(
    name="region_city",
    version=2,
    data_class="coarse_location",
    pattern=r"^[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ0-9 .,'()/&_+-]{0,80}$",
    column_hints=(
        r"city",
        r"town",
        r"region",
        r"state",
        r"province",
        r"provinsi",
        r"kota",
        r"kabupaten",
        r"district",
        # a time zone chosen in a profile (Zendesk "Pacific Time (US & Canada)")
        r"time_?zone",
        r"^tz$",
    ),
    validate=not_a_workflow_state,
    requires_hint=True,
    weak=True,
    anti_hints=(r"status", r"statement", r"_id$"),
    description="City, region, state or province names in columns named so.",
)

TIMEZONE = Detector(
    name="timezone",
    version=1,
    data_class="coarse_location",
    pattern=r"(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific)/[A-Z][A-Za-z_+-]+(?:/[A-Z][A-Za-z_]+)?",
    column_hints=(r"timezone", r"time_?zone", r"^tz$"),
    family="tz",
    anchor=r"(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific)/",
    description="IANA time zone names (Asia/Jakarta).",
)

LATLONG = Detector(
    name="latlong",
    version=1,
    data_class="precise_location",
    pattern=r"-?\d{1,2}\.\d{4,}\s*,\s*-?\d{1,3}\.\d{4,}",
    column_hints=(r"latlng", r"lat_?long", r"coordinates", r"location", r"geo"),
    family="latlong",
    anchor=r"\d\.\d{4}\d*\s*,",
    description="Latitude,longitude pairs with at least 4 decimals (about 10 m).",
)

COORDINATE = Detector(
    name="coordinate",
    version=1,
    data_class="precise_location",
    pattern=r"^\s*-?\d{1,3}\.\d{3,}\s*$",
    column_hints=(r"^lat", r"latitude", r"^lng", r"^lon", r"longitude", r"_lat$", r"_lng$", r"_lon$"),
    requires_hint=True,
    description="Decimal degrees (3+ decimals) in latitude/longitude columns.",
)

POSTAL_ADDRESS = Detector(
    name="postal_address",
    version=1,
    data_class="postal_address",
    pattern=r"^.*[A-Za-z0-9].*$",
    column_hints=(r"address", r"street", r"^addr", r"alamat", r"postal", r"zip", r"postcode", r"kode_?pos"),
    requires_hint=True,
    weak=True,
    anti_hints=(r"e_?mail", r"ip_?addr", r"mac_?addr", r"wallet", r"remote_?addr"),
    description="Street addresses and postal codes in columns named so.",
)

#: Street words that end an English street name ("12 Baker Street, London").
_STREET = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace"
    r"|Parkway|Pkwy|Highway|Hwy|Way)"
)

POSTAL_ADDRESS_TEXT = Detector(
    name="postal_address_text",
    version=1,
    data_class="postal_address",
    # English: house number, 1-3 capitalised words, a street word, then ", City" (the comma and
    # the place keep "External 2 TB Hard Drive" and "Mario Kart 8 Rainbow Road" out);
    # Indonesian: "Jl."/"Jln."/"Gg." + a name, "Jalan"/"Gang" + a name + a number, comma or block,
    # "RT 03/RW 05"; any language: a postal code after "postal code"/"ZIP"/"kode pos".
    pattern=(
        r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][A-Za-z'-]*\.?\s+){1,3}"
        + _STREET
        + r"\.?(?:\s+(?:NW|NE|SW|SE|N|S|E|W))?\s*,\s*[A-Z][A-Za-z]"
        r"|\b(?:Jl|Jln|Gg)\.\s*[A-Z][A-Za-z]+"
        r"|\b(?:Jalan|Gang)\s+[A-Z][A-Za-z.]*(?:\s+[A-Z][A-Za-z.]*){0,3}\s*"
        r"(?:,|No\.?\s*\d|Nomor\s*\d|Blok\s|Kav\.?\s*\d|\d)"
        r"|\bRT\.?\s*\d{1,3}\s*/\s*RW\.?\s*\d{1,3}\b"
        r"|(?i:postal\s*code|post\s*code|zip\s*code|zip|kode\s*pos)\s*[:#]?\s*\d{5}(?:-\d{4})?\b"
    ),
    family="address",
    anchor=r"\b" + _STREET + r"\b|\b(?:Jl|Jln|Gg|Jalan|Gang|RT)\b|(?i:postal|post\s*code|zip|kode\s*pos)",
    description=(
        "Street addresses in any column: English (12 Baker Street, London) and Indonesian "
        "(Jl. Sudirman No. 1, Jalan/Gang + name + number, RT 03/RW 05) shapes, and postal codes "
        "after postal code / ZIP / kode pos."
    ),
)

DETECTORS: tuple[Detector, ...] = (
    COUNTRY,
    REGION_CITY,
    TIMEZONE,
    LATLONG,
    COORDINATE,
    POSTAL_ADDRESS,
    POSTAL_ADDRESS_TEXT,
)
