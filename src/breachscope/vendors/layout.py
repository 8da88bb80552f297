"""A declarative vendor layout: how to recognise it from column paths, and what its fields mean.

Each vendor module builds :class:`TableLayout` instances from data (signal patterns, a field map,
a column normaliser) and lists them in ``LAYOUTS``. Recognition looks only at column paths (as
the readers produce them: nested JSON flattened to dotted paths such as ``properties.$email``)
and the source name, never at values.

Scoring (0..1): a layout whose ``require`` groups do not all match a column, or with a column
matching ``exclude``, does not match. Otherwise ``0.5 + 0.05 * len(require)`` plus up to 0.3 for
the share of its ``support`` signals present plus up to 0.1 for the share of columns its field
map knows, plus 0.05 when the source name matches ``source_hint``. More specific layouts (more
required signals) therefore win ties between layouts that both fit.

Where a bare column means different things in different tables of one export (Segment's warehouse
``title``: a page title in ``pages``, a customer's job-title trait in ``identifies``), the layout
gives ``keys_in_table``: it also sees the source name, and the match classifies with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import pyarrow as pa

from breachscope.vendors.base import FieldPlaceholders, VendorMatch
from breachscope.vendors.fields import FieldMap

#: Source names of files that are not CSV/TSV/XLSX (``source_exclude`` of CSV-only layouts).
NOT_CSV = r"(?i)\.(?:jsonl|ndjson|json|parquet|avro)(?:\.(?:gz|bz2|xz|zst))?(?:$|!|\[)"

#: Column path -> candidate canonical keys, most specific first; () means "not a vendor field".
KeyFunction = Callable[[str], Sequence[str]]
#: (column path, source name) -> candidate canonical keys, for fields whose meaning is per table.
TableKeyFunction = Callable[[str, str], Sequence[str]]
Transform = Callable[[pa.RecordBatch], pa.RecordBatch]


class FieldClasses(Mapping[str, frozenset[str]]):
    """Column path -> schema classes, for the columns seen at recognition *and* any later one.

    Iteration lists the classified columns of the recognised batch; lookups of other paths
    (columns a ``transform`` creates, or that appear in later batches) are classified on demand
    with the layout's rules. Unknown or customer-defined columns raise ``KeyError``.
    """

    def __init__(self, known: Mapping[str, frozenset[str]], classify: Callable[[str], frozenset[str]]):
        self._known = dict(known)
        self._classify = classify

    def __getitem__(self, path: str) -> frozenset[str]:
        found = self._known.get(path)
        if found is None:
            found = self._classify(path)
            if not found:
                raise KeyError(path)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and bool(self.get(path))

    def __repr__(self) -> str:
        return f"FieldClasses({self._known!r})"


@dataclass(frozen=True)
class PathPatterns:
    """A container of column paths given by regexes (``path in patterns``); picklable."""

    patterns: tuple[re.Pattern[str], ...]

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and any(p.search(path) for p in self.patterns)


def _compile(patterns: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


@dataclass(frozen=True)
class TableLayout:
    vendor: str
    name: str
    description: str  # "raw event export (JSONL)", used in the reason and docs
    fields: FieldMap
    keys_of: KeyFunction
    require: tuple[str, ...]  # regexes over column paths; each must match some column
    support: tuple[str, ...] = ()  # regexes whose presence adds evidence
    min_support: int = 0  # at least this many support signals must be present
    exclude: tuple[str, ...] = ()  # a column matching any of these rules the layout out
    source_hint: str | None = None  # regex over the source name (file or table name)
    #: Regex over the source name that rules the layout out (a "UI CSV export" is never JSONL).
    source_exclude: str | None = None
    person_keys: tuple[str, ...] = ()  # candidate person-key columns, first present wins
    default_person_key: str | None = None  # when only the transform creates the key column
    #: Anonymous/device key columns used row by row where the person key is empty
    #: (``VendorMatch.fallback_keys``); documented anonymous ids only.
    fallback_keys: tuple[str, ...] = ()
    key_prefixes: tuple[tuple[str, str], ...] = ()  # (value prefix, key kind), e.g. "$device:"
    placeholders: frozenset[str] = frozenset()  # vendor markers that are never data, any column
    #: (column-path regex, values): placeholders the vendor documents for those fields only.
    field_placeholders: tuple[tuple[str, frozenset[str]], ...] = ()
    transform: Transform | None = None
    #: Documented column paths the transform can create (``event_params.page_location``), so
    #: ``field_classes`` lists them even where a consumer copies it to a plain dict.
    expected: tuple[str, ...] = ()
    doc_refs: tuple[str, ...] = ()
    notes: str = ""  # e.g. "Mixpanel does not store IP addresses"
    #: Regexes over column paths the vendor documents as bookkeeping (no personal data class);
    #: column-name hints do not apply to them (``VendorMatch.bookkeeping``).
    bookkeeping: tuple[str, ...] = ()
    #: Replaces ``keys_of`` where the source (table) name changes what a column means.
    keys_in_table: TableKeyFunction | None = None
    _req: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _sup: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _exc: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _fph: FieldPlaceholders = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_req", _compile(self.require))
        object.__setattr__(self, "_sup", _compile(self.support))
        object.__setattr__(self, "_exc", _compile(self.exclude))
        rules = tuple((re.compile(p), values) for p, values in self.field_placeholders)
        object.__setattr__(self, "_fph", FieldPlaceholders(rules))

    @property
    def id(self) -> str:
        return f"{self.vendor}/{self.name}"

    def classify(self, path: str, source_name: str = "") -> frozenset[str]:
        """The documented classes of one column path (empty: not a documented field).

        ``source_name`` (file or table name) matters only to layouts with ``keys_in_table``;
        without it such a layout classifies as for a table it cannot name.
        """
        if self.keys_in_table is not None:
            return self.fields.first(self.keys_in_table(path, source_name)) or frozenset()
        return self.fields.first(self.keys_of(path)) or frozenset()

    def match(self, columns: Sequence[str], source_name: str = "") -> VendorMatch | None:
        return self._match(columns, source_name, forced=False)

    def fit(self, columns: Sequence[str], source_name: str = "") -> VendorMatch:
        """A match even when the required signals are missing (``--vendor`` forced it)."""
        found = self._match(columns, source_name, forced=True)
        assert found is not None
        return found

    def _match(self, columns: Sequence[str], source_name: str, *, forced: bool) -> VendorMatch | None:
        hits = [_first_hit(p, columns) for p in self._req]
        sup = [h for h in (_first_hit(p, columns) for p in self._sup) if h is not None]
        excluded = [h for h in (_first_hit(p, columns) for p in self._exc) if h is not None]
        wrong_source = bool(self.source_exclude and re.search(self.source_exclude, source_name))
        fits = all(h is not None for h in hits) and len(sup) >= self.min_support and not excluded
        fits = fits and not wrong_source
        if not fits and not forced:
            return None
        classify = partial(self.classify, source_name=source_name)  # picklable, unlike a lambda
        known = {c: cls for c in (*columns, *self.expected) if (cls := classify(c))}
        score = 0.5 + 0.05 * len(self.require)
        if self.support:
            score += 0.3 * len(sup) / len(self.support)
        if columns:
            score += 0.1 * sum(1 for c in columns if c in known) / len(columns)
        named = bool(self.source_hint and re.search(self.source_hint, source_name))
        if named:
            score += 0.05
        if not fits:
            score = min(score, 0.5) * 0.5
        reason = self._reason([h for h in hits if h], sup, named, source_name, fits)
        key = next((k for k in self.person_keys if k in columns), self.default_person_key)
        return VendorMatch(
            vendor=self.vendor,
            layout=self.name,
            reason=reason,
            score=round(min(score, 1.0), 4),
            field_classes=FieldClasses(known, classify),
            person_key=key,
            placeholders=self.placeholders,
            transform=self.transform,
            doc_refs=self.doc_refs,
            bookkeeping=PathPatterns(_compile(self.bookkeeping)),
            fallback_keys=tuple(k for k in self.fallback_keys if k != key),
            key_prefixes=self.key_prefixes,
            field_placeholders=self._fph,
        )

    def _reason(self, req: list[str], sup: list[str], named: bool, source: str, fits: bool) -> str:
        shown = list(dict.fromkeys(req + sup))
        cols = ", ".join(shown[:8]) + (f" and {len(shown) - 8} more" if len(shown) > 8 else "")
        text = f"{self.vendor} {self.description}"
        text += f": columns {cols}" if cols else ": no characteristic columns"
        if named:
            text += f"; source name {source!r}"
        if not fits:
            text += " (forced by --vendor; the columns do not fit this layout)"
        if self.notes:
            text += f". Note: {self.notes}"
        return text


def _first_hit(pattern: re.Pattern[str], columns: Sequence[str]) -> str | None:
    for col in columns:
        if pattern.search(col):
            return col
    return None
