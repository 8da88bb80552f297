"""Partial scan results: what one batch (or any set of batches) contributed. Merging is
associative and commutative, so batches can be scanned in any grouping (one process, a local
pool, or a cluster) and merged in any order with the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from breachscope.scan import sketch

#: Findings kept per (column, data class): the ones with the lowest record numbers.
MAX_FINDINGS = 5


@dataclass(frozen=True, order=True)
class Finding:
    """One detector hit, by reference: never the raw value."""

    record: int  # 1-based record number within its source
    column: str
    detector: str  # detector ref, name@version
    hash: str  # keyed_hash of the matched text
    preview: str  # hashing.mask of the matched text
    label: str = ""  # e.g. "card-like number, mangled"


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def _first_findings(a: list[Finding], b: list[Finding], limit: int) -> list[Finding]:
    return sorted(set(a) | set(b))[:limit]


@dataclass
class ColumnPartial:
    name: str
    order: tuple[int, int]  # (offset of the first batch that had it, position in that batch)
    rows: int = 0  # records in batches that had this column
    nulls: int = 0  # of those, records with no value (null, empty list, vendor placeholder)
    values: int = 0  # non-null values examined (list elements count one each)
    placeholders: int = 0  # vendor placeholder values treated as null
    is_list: bool = False
    detectors_run: frozenset[str] = frozenset()  # detector names that ran on this column
    detector_matches: dict[str, int] = field(default_factory=dict)
    class_matches: dict[str, int] = field(default_factory=dict)
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    sketch: tuple[int, ...] = ()
    example: tuple[int, str] | None = None  # (record, masked value)
    limit: int = MAX_FINDINGS  # findings kept per class

    def merge(self, other: ColumnPartial) -> ColumnPartial:
        examples = [e for e in (self.example, other.example) if e is not None]
        limit = max(self.limit, other.limit)
        findings = {
            cls: _first_findings(self.findings.get(cls, []), other.findings.get(cls, []), limit)
            for cls in self.findings.keys() | other.findings.keys()
        }
        return ColumnPartial(
            name=self.name,
            order=min(self.order, other.order),
            rows=self.rows + other.rows,
            nulls=self.nulls + other.nulls,
            values=self.values + other.values,
            placeholders=self.placeholders + other.placeholders,
            is_list=self.is_list or other.is_list,
            detectors_run=self.detectors_run | other.detectors_run,
            detector_matches=_add(self.detector_matches, other.detector_matches),
            class_matches=_add(self.class_matches, other.class_matches),
            findings=findings,
            sketch=sketch.merge(self.sketch, other.sketch),
            example=min(examples) if examples else None,
            limit=limit,
        )


@dataclass
class Partial:
    """The result of scanning some batches of one source."""

    rows: int = 0
    columns: dict[str, ColumnPartial] = field(default_factory=dict)
    issues: tuple[tuple[str, str], ...] = ()  # (kind, message) met while scanning

    def merge(self, other: Partial) -> Partial:
        columns = dict(self.columns)
        for name, col in other.columns.items():
            columns[name] = columns[name].merge(col) if name in columns else col
        issues = tuple(dict.fromkeys(self.issues + other.issues))
        return Partial(rows=self.rows + other.rows, columns=columns, issues=issues)

    def ordered_columns(self) -> list[ColumnPartial]:
        return sorted(self.columns.values(), key=lambda c: c.order)

    def column_nulls(self, col: ColumnPartial) -> int:
        """Nulls counting the records of batches where the column was missing (schema drift)."""
        return col.nulls + (self.rows - col.rows)

    @property
    def values_examined(self) -> int:
        return sum(c.values for c in self.columns.values())
