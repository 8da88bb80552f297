"""What a vendor layout tells the scan: which vendor and layout, why, and what each field means.

A vendor module (one per vendor: ``mixpanel.py``, ``segment.py`` ...) declares its layouts. When
a layout recognises a source's columns, it returns a :class:`VendorMatch`; the scan engine then
uses ``field_classes`` as the *schema* provenance of each column (values are still scanned, and
where values disagree with the schema, the values win and the disagreement is reported), does
not count ``placeholders`` as data, and applies ``transform`` to each batch before scanning
(for example to turn GA4's ``event_params`` key/value arrays into columns). ``column in
bookkeeping`` says a column is documented vendor bookkeeping: column-name hints do not apply.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field

import pyarrow as pa


@dataclass(frozen=True)
class VendorMatch:
    vendor: str  # "mixpanel"
    layout: str  # "people_profiles"
    reason: str  # why it was chosen, in words, e.g. "columns $distinct_id + $properties.*"
    score: float  # 0..1, how sure; the highest-scoring layout wins
    field_classes: Mapping[str, frozenset[str]]  # column path -> taxonomy ids, from the docs
    person_key: str | None = None  # the column that identifies a person (e.g. "$distinct_id")
    placeholders: frozenset[str] = frozenset()  # "$direct", "(not set)", "(none)" ...
    transform: Callable[[pa.RecordBatch], pa.RecordBatch] | None = None
    doc_refs: tuple[str, ...] = field(default_factory=tuple)  # vendor documentation used
    #: Column paths the vendor documents as bookkeeping (SDK library name, event or page name,
    #: message type): no personal data class, so column-name hints ("name") must not give them
    #: one. Their values are still scanned by every detector that needs no hint.
    bookkeeping: Container[str] = frozenset()
