"""What a vendor layout tells the scan: which vendor and layout, why, and what each field means.

A vendor module (one per vendor: ``mixpanel.py``, ``segment.py`` ...) declares its layouts. When
a layout recognises a source's columns, it returns a :class:`VendorMatch`; the scan engine then
uses ``field_classes`` as the *schema* provenance of each column (values are still scanned, and
where values disagree with the schema, the values win and the disagreement is reported), does
not count ``placeholders`` as data, and applies ``transform`` to each batch before scanning
(for example to turn GA4's ``event_params`` key/value arrays into columns). ``column in
bookkeeping`` says a column is documented vendor bookkeeping: column-name hints do not apply.

Placeholders come in two kinds: ``placeholders`` are vendor marker strings that are never data in
any column (``$direct``, ``(not set)``); ``field_placeholders`` are values that are a placeholder
only in the field the vendor documents them for (Amplitude ``session_id = -1``) and ordinary data
anywhere else. :meth:`VendorMatch.placeholders_for` gives both for one column.

A person is identified by ``person_key``; where that is empty in a row, by the first non-empty
``fallback_keys`` column (an anonymous or device id: Segment ``anonymousId``). Every key value
has a *kind* (:func:`key_kind`: ``user_id``, ``anonymous_id``, ``device_id`` ...), so the
per-person answer says which key identified each person; ``key_prefixes`` turn a prefixed value
into another kind (Mixpanel ``distinct_id = "$device:<id>"`` is the anonymous ``device_id``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field

import pyarrow as pa

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def key_kind(column: str) -> str:
    """The kind of a person-key column, from its name: ``userId`` -> ``user_id``,
    ``properties.$device_id`` -> ``device_id``, ``Distinct ID`` -> ``distinct_id``."""
    last = column.rsplit(".", 1)[-1].lstrip("$")
    kind = _CAMEL.sub("_", last).replace(" ", "_").replace("-", "_").lower()
    return kind or "key"


@dataclass(frozen=True)
class FieldPlaceholders:
    """Placeholder values documented for some fields only: (column-path regex, values) rules."""

    rules: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = ()

    def for_column(self, path: str) -> frozenset[str]:
        found: frozenset[str] = frozenset()
        for pattern, values in self.rules:
            if pattern.search(path):
                found |= values
        return found

    def __bool__(self) -> bool:
        return bool(self.rules)


@dataclass(frozen=True)
class VendorMatch:
    vendor: str  # "mixpanel"
    layout: str  # "people_profiles"
    reason: str  # why it was chosen, in words, e.g. "columns $distinct_id + $properties.*"
    score: float  # 0..1, how sure; the highest-scoring layout wins
    field_classes: Mapping[str, frozenset[str]]  # column path -> taxonomy ids, from the docs
    person_key: str | None = None  # the column that identifies a person (e.g. "$distinct_id")
    placeholders: frozenset[str] = frozenset()  # "$direct", "(not set)": never data, any column
    transform: Callable[[pa.RecordBatch], pa.RecordBatch] | None = None
    doc_refs: tuple[str, ...] = field(default_factory=tuple)  # vendor documentation used
    #: Column paths the vendor documents as bookkeeping (SDK library name, event or page name,
    #: message type): no personal data class, so column-name hints ("name") must not give them
    #: one. Their values are still scanned by every detector that needs no hint.
    bookkeeping: Container[str] = frozenset()
    #: Columns tried in order, row by row, where ``person_key`` is empty: anonymous or device
    #: ids (Segment ``anonymousId``). Columns a source lacks are skipped.
    fallback_keys: tuple[str, ...] = ()
    #: (value prefix, kind): a key value with this prefix is a key of that kind, prefix removed
    #: (Mixpanel ``$device:<id>`` is the anonymous ``device_id``).
    key_prefixes: tuple[tuple[str, str], ...] = ()
    #: Values that are a placeholder only in the documented field (Amplitude ``session_id = -1``).
    field_placeholders: FieldPlaceholders = FieldPlaceholders()

    def placeholders_for(self, column: str) -> frozenset[str]:
        """The placeholders of one column: the vendor-wide markers plus that field's own."""
        if not self.field_placeholders:
            return self.placeholders
        return self.placeholders | self.field_placeholders.for_column(column)
