"""The scan report: per source, per column and per data class, with evidence for absence.

``build_report`` turns merged partials into a :class:`ScanReport`; ``ScanReport.to_dict`` is the
versioned JSON document (schema id ``breachscope.scan/1``, documented in docs/scan.md and
``report.schema.json``). Column classification rules (also in docs/scan.md):

* value evidence: a detector matched values in the column. Detectors with ``min_share`` 0
  (validated formats: keys, cards, ids, emails ...) classify the column on a single match, so
  one needle is enough; others need that share of the non-null values unless the column name
  is a hint for them.
* hint: the column name matches a hint of a detector of that class (reported with value
  evidence; a hint alone never makes a class present).
* schema: a recognised vendor layout documents the column as that class. Where values support
  other classes and not the schema's, the values win and a disagreement is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from breachscope import taxonomy
from breachscope.detectors.base import Detector
from breachscope.readers import base as readers_base
from breachscope.readers.base import ReadIssue
from breachscope.scan import sketch
from breachscope.scan.partial import ColumnPartial, Finding, Partial
from breachscope.vendors.base import VendorMatch

SCHEMA_ID = "breachscope.scan/1"
MAX_CLASS_FINDINGS = 10
#: Read-issue kinds that mean records were not examined (the readers define them).
SKIPPED_RECORD_KINDS = readers_base.SKIPPED_RECORD_KINDS
#: Read-issue kinds that mean a whole table (or a part of it) was not examined.
UNREAD_KINDS = readers_base.UNREAD_CONTENT_KINDS | {"column_not_scanned"}


@dataclass
class SourceResult:
    """What scanning one source produced, before classification."""

    name: str
    format: str
    compression: str | None
    size_bytes: int | None
    sha256: str | None
    partial: Partial
    vendor: VendorMatch | None = None
    issues: list[ReadIssue] = field(default_factory=list)
    schema_classes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    hinted: Mapping[str, frozenset[str]] = field(default_factory=dict)  # column -> hinted classes


@dataclass(frozen=True)
class ColumnClass:
    class_id: str
    matches: int
    share: float | None
    sources: tuple[str, ...]  # "schema", "hint", "value"


@dataclass
class ColumnReport:
    name: str
    non_null: int
    nulls: int
    null_share: float
    distinct_approx: int
    example_masked: str | None
    classes: list[ColumnClass]
    disagreements: list[dict[str, Any]]
    detector_matches: dict[str, int]
    below_threshold: dict[str, int]
    findings: dict[str, list[Finding]]
    detectors_run: frozenset[str]
    placeholders: int = 0
    is_list: bool = False


@dataclass
class SourceReport:
    name: str
    format: str
    compression: str | None
    size_bytes: int | None
    sha256: str | None
    rows: int
    values_examined: int
    vendor: VendorMatch | None
    issues: list[ReadIssue]
    columns: list[ColumnReport]
    scan_issues: list[tuple[str, str]] = field(default_factory=list)


def _skipped_records(issues: Sequence[ReadIssue]) -> tuple[int, list[str]]:
    """Records the readers could not examine, and notes on unread tables."""
    counted: dict[str, int] = {}
    totals: dict[str, int] = {}
    notes: list[str] = []
    for issue in issues:
        if issue.kind in SKIPPED_RECORD_KINDS:
            m = re.match(r"(\d+) issues of this kind in total", issue.message)
            if m:
                totals[issue.kind] = int(m.group(1))
            else:
                counted[issue.kind] = counted.get(issue.kind, 0) + 1
            if "rest of the file was not read" in issue.message:
                notes.append(
                    f"{issue.source}: reading stopped at a malformed record; the rest was not examined"
                )
        elif issue.kind in UNREAD_KINDS:
            notes.append(f"{issue.source}: {issue.kind.replace('_', ' ')}: not (fully) examined")
    total = sum(totals.get(k, v) for k, v in counted.items())
    return total, notes


def _classify(
    col: ColumnPartial, by_name: Mapping[str, Detector], hinted: frozenset[str], schema: frozenset[str]
) -> tuple[list[ColumnClass], list[dict[str, Any]], dict[str, int]]:
    values = col.values
    supported: dict[str, int] = {}
    below: dict[str, int] = {}
    for name, count in col.detector_matches.items():
        det = by_name.get(name)
        if det is None or count == 0:
            continue
        share = count / values if values else 0.0
        if det.min_share == 0 or share >= det.min_share or det.data_class in hinted:
            supported[det.data_class] = col.class_matches.get(det.data_class, count)
        else:
            below[name] = count
    classes: list[ColumnClass] = []
    for cls, matches in supported.items():
        sources = ["value"]
        if cls in hinted:
            sources.insert(0, "hint")
        if cls in schema:
            sources.insert(0, "schema")
        classes.append(
            ColumnClass(cls, matches, round(matches / values, 6) if values else None, tuple(sources))
        )
    disagreements: list[dict[str, Any]] = []
    for cls in sorted(schema):
        if cls in supported:
            continue
        if supported:
            disagreements.append(
                {
                    "schema_class": cls,
                    "value_classes": sorted(supported),
                    "resolution": "values",
                    "message": f"the vendor schema says {cls}, the values say {', '.join(sorted(supported))}",
                }
            )
        elif values:
            classes.append(ColumnClass(cls, values, 1.0, ("schema",)))
    classes.sort(key=lambda c: (taxonomy.get(c.class_id).tier.rank, -c.matches, c.class_id))
    return classes, disagreements, below


@dataclass
class ScanReport:
    """The result of one scan; ``to_dict`` is the JSON document."""

    started_at: str
    finished_at: str
    detectors: tuple[Detector, ...]
    sources: list[SourceReport]
    max_findings: int = 5

    def column_classes(self) -> dict[tuple[str, str], frozenset[str]]:
        """``(source name, column) -> class ids`` for every scanned column."""
        return {
            (s.name, c.name): frozenset(cc.class_id for cc in c.classes)
            for s in self.sources
            for c in s.columns
        }

    def present_classes(self) -> frozenset[str]:
        return frozenset(cls for classes in self.column_classes().values() for cls in classes)

    @property
    def rows_examined(self) -> int:
        return sum(s.rows for s in self.sources)

    @property
    def values_examined(self) -> int:
        return sum(s.values_examined for s in self.sources)

    def class_entry(self, class_id: str) -> dict[str, Any]:
        """The ``classes[class_id]`` entry of the JSON document."""
        from breachscope.scan.document import class_entry

        return class_entry(self, class_id)

    def to_dict(self) -> dict[str, Any]:
        from breachscope.scan.document import to_dict

        return to_dict(self)

    def to_markdown(self) -> str:
        from breachscope.scan.markdown import to_markdown

        return to_markdown(self)


def build_report(
    results: Sequence[SourceResult],
    *,
    detectors: tuple[Detector, ...],
    started_at: str,
    finished_at: str,
    max_findings: int = 5,
) -> ScanReport:
    by_name = {d.name: d for d in detectors}
    sources = []
    for res in results:
        part = res.partial
        columns = []
        for col in part.ordered_columns():
            classes, disagreements, below = _classify(
                col,
                by_name,
                res.hinted.get(col.name, frozenset()),
                frozenset(res.schema_classes.get(col.name, frozenset())),
            )
            nulls = part.column_nulls(col)
            attributed = {c.class_id for c in classes}
            columns.append(
                ColumnReport(
                    name=col.name,
                    non_null=col.values,
                    nulls=nulls,
                    null_share=round(nulls / part.rows, 6) if part.rows else 0.0,
                    distinct_approx=sketch.estimate(col.sketch),
                    example_masked=col.example[1] if col.example else None,
                    classes=classes,
                    disagreements=disagreements,
                    detector_matches=dict(sorted(col.detector_matches.items())),
                    below_threshold=below,
                    findings={k: v for k, v in col.findings.items() if k in attributed},
                    detectors_run=col.detectors_run,
                    placeholders=col.placeholders,
                    is_list=col.is_list,
                )
            )
        sources.append(
            SourceReport(
                name=res.name,
                format=res.format,
                compression=res.compression,
                size_bytes=res.size_bytes,
                sha256=res.sha256,
                rows=part.rows,
                values_examined=part.values_examined,
                vendor=res.vendor,
                issues=list(res.issues),
                columns=columns,
                scan_issues=list(part.issues),
            )
        )
    return ScanReport(
        started_at=started_at,
        finished_at=finished_at,
        detectors=detectors,
        sources=sources,
        max_findings=max_findings,
    )


def skipped_records(report: ScanReport) -> tuple[int, list[str]]:
    issues = [i for s in report.sources for i in s.issues]
    issues += [ReadIssue(s.name, kind, msg) for s in report.sources for kind, msg in s.scan_issues]
    return _skipped_records(issues)
