"""From leaked record batches to exposures: one per leaked person, keyed hashes and no raw extras.

Which column plays which part (the vendor's distinct id, the user id, email, name, org id, city,
region, country) is read from the column name (``$distinct_id``, ``properties.$email``,
``mp_country_code`` ...). Which data classes a column exposes comes from the scan
(``ScanReport.column_classes()``), falling back to the part the column plays. A person exposes a
class (and a field) when their value in that column is present: not null, not blank, not a
vendor placeholder such as ``(not set)``.

Kept per person: keyed hashes (HMAC under the case key) of every identifier, the exposed classes
and fields, the resolved jurisdiction, and the values a notice quotes (email, name, city,
region, country). Every other leaked value is dropped here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from breachscope.detectors import DETECTORS
from breachscope.exposures.text import as_text
from breachscope.scan.column import run_detector
from breachscope.vendors.base import VendorMatch
from breachscope.vendors.presence import PLACEHOLDERS, present

__all__ = [
    "LIMITS",
    "MINORITY_SHARE",
    "PLACEHOLDERS",
    "ROLE_CLASSES",
    "ROLE_PATTERNS",
    "ExtractPlan",
    "clean",
    "column_roles",
    "detected",
    "normalise_column",
    "present",
    "split_scan_classes",
]

#: Column-name patterns (over the normalised last path segment) for each part a column can play.
ROLE_PATTERNS: dict[str, str] = {
    "distinct_id": r"^(distinct_?id)$",
    "user_id": r"^(user_?id|uid|account_?id|customer_?id|external_?id|member_?id)$",
    "email": r"^(e_?mail|email_?address|mail|user_?email)$",
    "name": r"^(name|full_?name|display_?name|user_?name_?full)$",
    "first_name": r"^(first_?name|given_?name)$",
    "last_name": r"^(last_?name|family_?name|surname)$",
    "org_id": r"^(org_?id|organi[sz]ation_?id|tenant_?id|workspace_?id|company_?id|team_?id|account_?group)$",
    "anonymous_id": r"^(anonymous_?id|anon_?id|device_?id)$",
    "city": r"^(city)$",
    "region": r"^(region|state|province|subdivision)$",
    "country": r"^(country|country_?code|mp_country_code|geo_country)$",
}
_ROLE_RE = {role: re.compile(p) for role, p in ROLE_PATTERNS.items()}

#: The data class a column exposes because of its part, when the scan gives none.
ROLE_CLASSES: dict[str, str] = {
    "distinct_id": "internal_id",
    "user_id": "internal_id",
    "org_id": "internal_id",
    "anonymous_id": "internal_id",
    "email": "email",
    "name": "person_name",
    "first_name": "person_name",
    "last_name": "person_name",
    "city": "coarse_location",
    "region": "coarse_location",
    "country": "coarse_location",
}

LIMITS = {"email": 320, "display_name": 300, "city": 200, "region": 200, "country": 200}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def normalise_column(name: str) -> str:
    """``properties.$Email`` -> ``email``; ``mp_country_code`` stays."""
    last = name.rsplit(".", 1)[-1].strip().lstrip("$").casefold()
    return re.sub(r"[^0-9a-z_]+", "_", last).strip("_")


def column_roles(columns: Iterable[str]) -> dict[str, str]:
    """The column playing each part (first match in column order wins)."""
    roles: dict[str, str] = {}
    for col in columns:
        norm = normalise_column(col)
        for role, rx in _ROLE_RE.items():
            if role not in roles and rx.match(norm):
                roles[role] = col
                break
    return roles


def clean(value: object, limit: int) -> str | None:
    """A value safe to store and show: control and bidi characters removed, trimmed, cut to size."""
    if value is None:
        return None
    text = _CONTROL.sub("", str(value)).strip()
    return text[:limit] or None


#: A class found by value in at most this share of a column's values is checked per row.
MINORITY_SHARE = 0.5


def split_scan_classes(
    report: Mapping[str, Any] | None,
) -> tuple[dict[tuple[str, str], frozenset[str]], dict[tuple[str, str], frozenset[str]]]:
    """From a scan report dict: classes a column exposes for every person with a value in it
    (schema, column-name hint, or the majority of its values), and minority classes found in only
    some values (a card number in a ``notes`` column) that must be checked row by row."""
    whole: dict[tuple[str, str], frozenset[str]] = {}
    per_row: dict[tuple[str, str], frozenset[str]] = {}
    for src in (report or {}).get("sources") or []:
        for col in src.get("columns") or []:
            key = (str(src.get("name")), str(col.get("name")))
            all_rows, some_rows = set(), set()
            for cc in col.get("classes") or []:
                origin = set(cc.get("sources") or [])
                share = cc.get("share")
                if origin & {"schema", "hint"} or share is None or share > MINORITY_SHARE:
                    all_rows.add(str(cc["class"]))
                else:
                    some_rows.add(str(cc["class"]))
            if all_rows:
                whole[key] = frozenset(all_rows)
            if some_rows:
                per_row[key] = frozenset(some_rows)
    return whole, per_row


@dataclass(frozen=True)
class ExtractPlan:
    """What to read from a source's batches: parts, the classes each column exposes for anyone
    with a value in it, minority classes re-detected per row, and each column's own placeholders
    (the layout's; :data:`PLACEHOLDERS` apply everywhere)."""

    roles: Mapping[str, str]
    column_classes: Mapping[str, frozenset[str]]
    row_checks: Mapping[str, frozenset[str]] = field(default_factory=dict)
    placeholders: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        columns: Iterable[str],
        scanned: Mapping[str, frozenset[str]] | None = None,
        row_checks: Mapping[str, frozenset[str]] | None = None,
        placeholders_for: Callable[[str], frozenset[str]] | None = None,
    ) -> ExtractPlan:
        cols = list(columns)
        roles = column_roles(cols)
        by_role = {col: role for role, col in roles.items()}
        classes: dict[str, frozenset[str]] = {}
        for col in cols:
            found = frozenset(scanned.get(col, frozenset())) if scanned else frozenset()
            if not found and col in by_role:
                found = frozenset({ROLE_CLASSES[by_role[col]]})
            if found:
                classes[col] = found
        checks = {c: v for c, v in (row_checks or {}).items() if c in cols and v}
        marks = {c: p for c in cols if placeholders_for and (p := placeholders_for(c))}
        return cls(roles, classes, checks, marks)

    @classmethod
    def for_source(
        cls,
        source_name: str,
        columns: Iterable[str],
        *,
        scanned: Mapping[tuple[str, str], frozenset[str]],
        row_checks: Mapping[tuple[str, str], frozenset[str]],
        match: VendorMatch | None,
    ) -> ExtractPlan:
        """The plan for one source of a scanned file: the scan's classes for its columns (from
        :func:`split_scan_classes`), else the layout's documented field classes."""
        given = {col: cls for (name, col), cls in scanned.items() if name == source_name}
        if not given and match is not None:
            given = {c: frozenset(v) for c, v in match.field_classes.items()}
        checks = {col: cls for (name, col), cls in row_checks.items() if name == source_name}
        return cls.build(columns, given, checks, match.placeholders_for if match else None)

    def present(self, column: str, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        """:func:`~breachscope.vendors.presence.present` with this column's placeholders."""
        return present(values, self.placeholders.get(column, frozenset()))


def detected(column: pa.Array, class_id: str) -> pa.Array:
    """True where one of the class's detectors finds its data in the value (validators included)."""
    try:
        values = as_text(column)  # a whole float in digits, a list of one value as that value
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # nested values: not text to detect in
        return pa.array([False] * len(column), pa.bool_())
    valid = pc.is_valid(values)
    filled = pc.fill_null(values, "")
    hits = pa.array([False] * len(values), pa.bool_())
    for det in DETECTORS:
        if det.data_class == class_id and (det.pattern or det.vocabulary):
            try:
                hits = pc.or_(hits, run_detector(det, filled))
            except (pa.ArrowException, ValueError):
                continue
    return pc.and_(hits, valid)
