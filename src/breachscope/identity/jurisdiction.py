"""Where a person lives, as ISO 3166-1 (country) and ISO 3166-2 (subdivision) codes.

Input is what a leak or a directory holds: a country code or name, and a region/state name or
code. Names and codes are ambiguous out of context, so the country decides how a region is
read:

- ``"CA"`` in a country column is Canada; as a region of ``US`` it is California (``US-CA``);
  as a region with no country it is left unresolved (Canada? California? Catalonia?).
- ``"Georgia"`` in a country column is the country (``GE``); as a region of ``US`` it is the
  state (``US-GA``); as a region with no country it is left unresolved.

A name resolves through pycountry (the maintained ISO 3166 tables), after folding case and
accents, plus a short alias list for common English names pycountry does not carry. Anything
unresolved stays unknown rather than guessed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pycountry

#: Where a jurisdiction came from.
LEAK_REGION = "leak_region"
LEAK_COUNTRY = "leak_country"
DIRECTORY_COUNTRY = "directory_country"
#: The leak names a country where nobody plausibly lives: kept for display, never a jurisdiction.
LEAK_IMPLAUSIBLE = "leak_implausible"

#: ISO 3166-1 codes that a leaked "where the user is" field cannot plausibly mean for a customer:
#: territories with no permanent population (UN DESA World Population Prospects lists them with
#: none; CIA World Factbook "Population: no indigenous inhabitants"). A leak in which every row
#: says ``AQ`` is forged or broken, and must not replace the directory's countries (and with
#: them every legal duty). Pseudo-codes of geo-IP databases (``A1``, ``A2``, ``AP``, ``EU``,
#: ``XX``, ``ZZ``) are not ISO 3166-1 codes and already resolve to nothing.
IMPLAUSIBLE_COUNTRIES: frozenset[str] = frozenset(
    {
        "AQ",  # Antarctica: research stations only
        "BV",  # Bouvet Island: uninhabited
        "HM",  # Heard Island and McDonald Islands: uninhabited
        "GS",  # South Georgia and the South Sandwich Islands: no permanent population
        "TF",  # French Southern Territories: no permanent population
        "UM",  # United States Minor Outlying Islands: no permanent population
    }
)

COUNTRY_ALIASES: dict[str, str] = {
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "america": "US",
    "united states of america": "US",
    "russia": "RU",
    "turkey": "TR",
    "south korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "holland": "NL",
    "the netherlands": "NL",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "burma": "MM",
    "laos": "LA",
    "syria": "SY",
    "vatican": "VA",
    "macedonia": "MK",
    "swaziland": "SZ",
    "cape verde": "CV",
    "palestine": "PS",
    "uae": "AE",
}

#: English names of subdivisions that pycountry lists under their local name.
REGION_ALIASES: dict[str, str] = {
    "jakarta": "ID-JK",
    "dki jakarta": "ID-JK",
    "special capital region of jakarta": "ID-JK",
    "west java": "ID-JB",
    "central java": "ID-JT",
    "east java": "ID-JI",
    "special region of yogyakarta": "ID-YO",
    "daerah istimewa yogyakarta": "ID-YO",
    "north sumatra": "ID-SU",
    "south sumatra": "ID-SS",
    "west sumatra": "ID-SB",
    "riau islands": "ID-KR",
    "bangka belitung islands": "ID-BB",
    "east kalimantan": "ID-KI",
    "west kalimantan": "ID-KB",
    "south kalimantan": "ID-KS",
    "central kalimantan": "ID-KT",
    "north kalimantan": "ID-KU",
    "south sulawesi": "ID-SN",
    "north sulawesi": "ID-SA",
    "central sulawesi": "ID-ST",
    "southeast sulawesi": "ID-SG",
    "west sulawesi": "ID-SR",
    "west nusa tenggara": "ID-NB",
    "east nusa tenggara": "ID-NT",
    "north maluku": "ID-MU",
    "west papua": "ID-PB",
    "bavaria": "DE-BY",
    "hesse": "DE-HE",
    "lower saxony": "DE-NI",
    "north rhine-westphalia": "DE-NW",
    "rhineland-palatinate": "DE-RP",
    "saxony": "DE-SN",
    "thuringia": "DE-TH",
    "washington, d.c.": "US-DC",
    "washington dc": "US-DC",
}


@dataclass(frozen=True)
class ResolvedJurisdiction:
    country: str | None  # ISO 3166-1 alpha-2
    region: str | None  # ISO 3166-2, e.g. "US-CA"
    source: str | None  # leak_region | leak_country | directory_country | leak_implausible; None = unknown

    @property
    def code(self) -> str | None:
        """The most specific code: the subdivision if known, else the country (None if implausible)."""
        if self.source == LEAK_IMPLAUSIBLE:
            return None
        return self.region or self.country


UNKNOWN = ResolvedJurisdiction(None, None, None)


def fold(value: str) -> str:
    """Case-, accent- and spacing-insensitive form of a place name."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(c, attr, None)
            if name:
                index.setdefault(fold(name), c.alpha_2)
        index[fold(c.alpha_3)] = c.alpha_2
        index[fold(c.alpha_2)] = c.alpha_2
    index.update(COUNTRY_ALIASES)
    return index


@lru_cache(maxsize=1)
def _region_index() -> tuple[dict[str, dict[str, str]], dict[str, set[str]]]:
    """Per country: folded name/code suffix -> ISO 3166-2; and, over all countries, name -> codes."""
    per_country: dict[str, dict[str, str]] = {}
    by_name: dict[str, set[str]] = {}
    subs = sorted(pycountry.subdivisions, key=lambda s: s.parent_code is not None)  # top level first
    for sub in subs:
        idx = per_country.setdefault(sub.country_code, {})
        idx.setdefault(fold(sub.name), sub.code)
        idx.setdefault(fold(sub.code), sub.code)
        idx.setdefault(fold(sub.code.split("-", 1)[1]), sub.code)
        by_name.setdefault(fold(sub.name), set()).add(sub.code)
    for alias, code in REGION_ALIASES.items():
        per_country.setdefault(code.split("-", 1)[0], {}).setdefault(alias, code)
        by_name.setdefault(alias, set()).add(code)
    return per_country, by_name


@lru_cache(maxsize=65536)
def resolve_country(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a country code (alpha-2/alpha-3) or name; None if unknown."""
    if not value or not value.strip():
        return None
    return _country_index().get(fold(value))


@lru_cache(maxsize=65536)
def resolve_region(country: str, value: str | None) -> str | None:
    """ISO 3166-2 code of a region name or code within ``country``; None if not a subdivision of it."""
    if not value or not value.strip():
        return None
    return _region_index()[0].get(country, {}).get(fold(value))


@lru_cache(maxsize=65536)
def region_without_country(value: str) -> str | None:
    """A region name that names exactly one subdivision and no country; else None."""
    key = fold(value)
    if len(key) <= 3 or key in _country_index():
        return None  # a bare code (CA, GA, WA ...) or a country's name (Georgia): ambiguous
    codes = _region_index()[1].get(key, set())
    return next(iter(codes)) if len(codes) == 1 else None


def resolve(
    country: str | None = None,
    region: str | None = None,
    *,
    fallback_country: str | None = None,
) -> ResolvedJurisdiction:
    """The jurisdiction from a leak's coarse location, else from a fallback (directory) country."""
    code = resolve_country(country)
    if code in IMPLAUSIBLE_COUNTRIES:
        fallback = resolve_country(fallback_country)
        if fallback is not None:
            return ResolvedJurisdiction(fallback, None, DIRECTORY_COUNTRY)
        return ResolvedJurisdiction(code, None, LEAK_IMPLAUSIBLE)
    if code is not None:
        sub = resolve_region(code, region)
        return ResolvedJurisdiction(code, sub, LEAK_REGION if sub else LEAK_COUNTRY)
    if region and region.strip() and not (country and country.strip()):
        sub = region_without_country(region)
        if sub is not None:
            return ResolvedJurisdiction(sub.split("-", 1)[0], sub, LEAK_REGION)
    fallback = resolve_country(fallback_country)
    if fallback is not None:
        return ResolvedJurisdiction(fallback, None, DIRECTORY_COUNTRY)
    return UNKNOWN


@lru_cache(maxsize=1024)
def country_name(alpha_2: str) -> str | None:
    """The English short name of an ISO 3166-1 alpha-2 code (``"US"`` -> ``"United States"``)."""
    found = pycountry.countries.get(alpha_2=alpha_2)
    return str(found.name) if found is not None else None


#: Key for people whose location is unknown (CLDR's "Unknown Region").
UNKNOWN_CODE = "ZZ"


def count_keys(*codes: str | None) -> list[str]:
    """The jurisdiction keys one person counts under, from all their codes (leak and directory).

    Each distinct country once, plus each known subdivision (``"US-CA"`` -> ``US`` and
    ``US-CA``); ``("US-CA", "DE")`` -> ``["US", "US-CA", "DE"]``; nothing known -> ``["ZZ"]``.
    """
    keys: list[str] = []
    for code in codes:
        if not code or code == UNKNOWN_CODE:
            continue
        country = code.split("-", 1)[0]
        for key in (country, code):
            if key not in keys:
                keys.append(key)
    return keys or [UNKNOWN_CODE]


#: How the leak's location compares with the directory's country for one person.
AGREE = "agree"
DIFFER = "differ"
IMPLAUSIBLE = "leak_implausible"
LEAK_ONLY = "leak_only"
DIRECTORY_ONLY = "directory_only"
NEITHER = "unknown"
CHECKS = (AGREE, DIFFER, IMPLAUSIBLE, LEAK_ONLY, DIRECTORY_ONLY, NEITHER)


def compare(leak_country: str | None, directory_country: str | None) -> str:
    """One of :data:`CHECKS`: does the leaked location agree with the directory's country?"""
    directory = directory_country.split("-", 1)[0] if directory_country else None
    if leak_country in IMPLAUSIBLE_COUNTRIES:
        return IMPLAUSIBLE
    if leak_country and directory:
        return AGREE if leak_country == directory else DIFFER
    if leak_country:
        return LEAK_ONLY
    return DIRECTORY_ONLY if directory else NEITHER
