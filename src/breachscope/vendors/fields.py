"""Field maps: what a vendor's documented field names mean, as data.

A :class:`FieldMap` holds exact canonical keys and RE2-compatible patterns (Python ``re`` is used
here; maps are small and looked up once per column, never per value), each mapped to taxonomy
ids. Vendor modules normalise a column path into candidate canonical keys (strip ``properties.``,
``$``, ``mp_`` ...) and ask the map. Keys a vendor does not define (customer properties) get no
schema class: the scan engine value-scans every column anyway.

The short codes used in ``vendor-formats.md`` map to taxonomy ids as follows (``ADID`` has no
class of its own: advertising/push ids are device identifiers, ``internal_id``; ``SYS``, ``CUSTOM``
and ``DEMO`` fields other than birthdays get no schema class).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from breachscope import taxonomy

ID = frozenset({"internal_id"})
EMAIL = frozenset({"email"})
NAME = frozenset({"person_name"})
USERNAME = frozenset({"username"})
PHONE = frozenset({"phone"})
ADDR = frozenset({"postal_address"})
IP = frozenset({"ip_address"})
LOC_P = frozenset({"precise_location"})
LOC_C = frozenset({"coarse_location"})
DEV = frozenset({"device"})
UA = frozenset({"user_agent"})
URL = frozenset({"url"})
TS = frozenset({"timestamp"})
DOB = frozenset({"date_of_birth"})


def keys(names: str, classes: frozenset[str]) -> dict[str, frozenset[str]]:
    """``keys("a b c", DEV)`` -> ``{"a": DEV, "b": DEV, "c": DEV}``: compact map literals."""
    return dict.fromkeys(names.split(), classes)


@dataclass(frozen=True)
class FieldMap:
    """Canonical field name -> taxonomy ids, exact names first, then patterns in order."""

    exact: Mapping[str, frozenset[str]]
    patterns: tuple[tuple[str, frozenset[str]], ...] = ()
    _compiled: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for classes in [*self.exact.values(), *(c for _, c in self.patterns)]:
            for cid in classes:
                taxonomy.get(cid)  # fails loudly on a typo, at import time
        compiled = tuple((re.compile(p), c) for p, c in self.patterns)
        object.__setattr__(self, "_compiled", compiled)

    def lookup(self, key: str) -> frozenset[str] | None:
        found = self.exact.get(key)
        if found is not None:
            return found
        for pattern, classes in self._compiled:
            if pattern.fullmatch(key):
                return classes
        return None

    def first(self, candidates: Iterable[str]) -> frozenset[str] | None:
        """The classes of the first candidate key this map knows."""
        for key in candidates:
            found = self.lookup(key)
            if found is not None:
                return found
        return None

    def merged(self, other: FieldMap) -> FieldMap:
        return FieldMap({**self.exact, **other.exact}, self.patterns + other.patterns)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(path: str) -> str:
    """``context.userAgent`` -> ``context_user_agent`` (Segment's warehouse flattening rule)."""
    return _CAMEL.sub("_", path).replace(".", "_").replace(" ", "_").replace("-", "_").lower()


def strip_prefix(path: str, prefixes: Iterable[str]) -> tuple[str, str]:
    """(prefix, rest) for the longest matching prefix, or ("", path)."""
    best = ""
    for p in prefixes:
        if path.startswith(p) and len(p) > len(best):
            best = p
    return best, path[len(best) :]
