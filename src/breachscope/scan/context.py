"""What every batch of one source is scanned with: detectors, key, vendor schema, plans."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from breachscope.detectors import DETECTORS
from breachscope.detectors.base import Detector
from breachscope.placeholders import PLACEHOLDERS, normalise, variants
from breachscope.scan.plan import ColumnPlan, Routing, build_routing, plan_column, table_kind


@dataclass
class ScanContext:
    """Inputs of :func:`breachscope.scan.batch.scan_batch`; plain data, safe to ship to workers."""

    key: bytes
    source: str = ""
    detectors: tuple[Detector, ...] = DETECTORS
    field_classes: Mapping[str, frozenset[str]] = field(default_factory=dict)  # vendor schema
    placeholders: frozenset[str] = frozenset()  # vendor markers, counted as nulls (with the shared list)
    #: A column's own placeholders on top of ``placeholders`` (Amplitude ``session_id = -1``).
    placeholders_for: Callable[[str], frozenset[str]] | None = None
    bookkeeping: Container[str] = frozenset()  # vendor bookkeeping columns: no name hints
    max_findings: int = 5  # first findings kept per column and data class
    _plans: dict[str, ColumnPlan] = field(default_factory=dict, repr=False)
    #: Per-column routing hints learnt from earlier batches (dominant family, cardinality).
    #: They only choose the fastest route; every route checks every value the same way.
    hints: dict[str, dict[str, object]] = field(default_factory=dict, repr=False)
    _routing: Routing | None = field(default=None, repr=False)
    _placeholder_array: pa.Array | None = field(default=None, repr=False)
    _column_placeholders: dict[str, pa.Array] = field(default_factory=dict, repr=False)
    _table: str | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls,
        key: bytes,
        *,
        source: str = "",
        detectors: Sequence[Detector] | None = None,
        field_classes: Mapping[str, frozenset[str]] | None = None,
        placeholders: frozenset[str] = frozenset(),
        placeholders_for: Callable[[str], frozenset[str]] | None = None,
        bookkeeping: Container[str] = frozenset(),
        max_findings: int = 5,
    ) -> ScanContext:
        return cls(
            key=key,
            source=source,
            detectors=tuple(detectors) if detectors is not None else DETECTORS,
            # the vendor's own mapping, not a copy: it also knows columns a transform creates
            field_classes=field_classes if field_classes is not None else {},
            placeholders=placeholders,
            placeholders_for=placeholders_for,
            bookkeeping=bookkeeping,
            max_findings=max_findings,
        )

    @property
    def routing(self) -> Routing:
        if self._routing is None:
            self._routing = build_routing(self.detectors)
        return self._routing

    @property
    def placeholder_array(self) -> pa.Array:
        """The shared placeholder list plus the vendor's markers, normalised (trimmed, lower case)."""
        if self._placeholder_array is None:
            values = variants(PLACEHOLDERS | {normalise(p) for p in self.placeholders} | self.placeholders)
            self._placeholder_array = pa.array(sorted(values), pa.string())
        return self._placeholder_array

    def placeholder_array_for(self, column: str) -> pa.Array:
        """The placeholders of one column (shared list, vendor-wide and the field's own), cached."""
        if self.placeholders_for is None:
            return self.placeholder_array
        if column not in self._column_placeholders:
            own = self.placeholders_for(column)
            values = variants(PLACEHOLDERS | {normalise(p) for p in own} | own)
            self._column_placeholders[column] = pa.array(sorted(values), pa.string())
        return self._column_placeholders[column]

    @property
    def table(self) -> str | None:
        """What the source's rows are, from its name: ``things``, ``orgs`` or None (people/unknown)."""
        if self._table is None:
            self._table = table_kind(self.source) or ""
        return self._table or None

    def plan(self, column: str) -> ColumnPlan:
        if column not in self._plans:
            schema = frozenset(self.field_classes.get(column, frozenset()))
            hints = column not in self.bookkeeping
            self._plans[column] = plan_column(column, self.detectors, schema, hints=hints, table=self.table)
        return self._plans[column]
