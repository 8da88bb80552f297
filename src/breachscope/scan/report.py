"""The scan report: per source, per column and per data class, with evidence for absence.

``build_report`` turns merged partials into a :class:`ScanReport`; ``ScanReport.to_dict`` is the
versioned JSON document (schema id ``breachscope.scan/2``, documented in docs/scan.md and
``report.schema.json``). Column classification rules (also in docs/scan.md):

* value evidence: a detector matched values in the column. Detectors with ``min_share`` 0
  (validated formats: keys, cards, ids, emails ...) classify the column on a single match, so
  one needle is enough; others need that share of the non-null values unless the column name
  is a hint for them.
* hint: the column name matches a hint of a detector of that class (reported with value
  evidence; a hint alone never makes a class present).
* schema: a recognised vendor layout documents the column as that class. Where values support
  other classes and not the schema's, the values win and a disagreement is recorded.

Each data class is then in one of three states (``class_entry(...)["status"]``): **present** (a
column holds it), **absent** (a value-level detector of the class - one that runs on every
column, not only on columns named for the class - examined the values and found none) or
**not_checked** (no value-level detector examined the values: only columns named for it, or
none). A source with unread content (read issues that mean unread content, see
:class:`breachscope.readers.base.ReadIssue`) makes the scan **incomplete**: an absent class is
then absent only in the records read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from breachscope import taxonomy
from breachscope.detectors.base import Detector
from breachscope.readers.base import ReadIssue
from breachscope.scan import document, markdown, sketch
from breachscope.scan.model import (
    ABSENT,
    MAX_CLASS_FINDINGS,
    NOT_CHECKED,
    PRESENT,
    SCHEMA_ID,
    SKIPPED_RECORD_KINDS,
    UNREAD_KINDS,
    ColumnClass,
    ColumnReport,
    ScanData,
    SourceReport,
    SourceResult,
    Unread,
    skipped_records,
    unread_of,
)
from breachscope.scan.partial import ColumnPartial

__all__ = [
    "ABSENT",
    "MAX_CLASS_FINDINGS",
    "NOT_CHECKED",
    "PRESENT",
    "SCHEMA_ID",
    "SKIPPED_RECORD_KINDS",
    "UNREAD_KINDS",
    "ColumnClass",
    "ColumnReport",
    "ScanReport",
    "SourceReport",
    "SourceResult",
    "Unread",
    "build_report",
    "skipped_records",
    "unread_of",
]


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
class ScanReport(ScanData):
    """The result of one scan; ``to_dict`` is the JSON document, ``to_markdown`` the human one."""

    def class_entry(self, class_id: str) -> dict[str, Any]:
        """The ``classes[class_id]`` entry of the JSON document."""
        return document.class_entry(self, class_id)

    def class_status(self, class_id: str) -> str:
        """``present``, ``absent`` or ``not_checked`` (see the module docstring)."""
        return str(self.class_entry(class_id)["status"])

    def to_dict(self) -> dict[str, Any]:
        return document.to_dict(self)

    def to_markdown(self) -> str:
        return markdown.to_markdown(document.to_dict(self))


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
                    distinct_approx=min(sketch.estimate(col.sketch), col.values),  # never above the values
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
        scan_issues = [ReadIssue(res.name, kind, msg) for kind, msg in part.issues]
        unread = unread_of(
            list(res.issues) + scan_issues,
            rows=part.rows,
            size_bytes=res.size_bytes,
            bytes_read=res.bytes_read,
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
                unread=unread,
            )
        )
    return ScanReport(
        started_at=started_at,
        finished_at=finished_at,
        detectors=detectors,
        sources=sources,
        max_findings=max_findings,
    )
