"""The scan's results as plain data: per source, per column, per class (no rendering here).

:mod:`.report` classifies columns and builds a :class:`~breachscope.scan.report.ScanReport` from
these; :mod:`.document` and :mod:`.markdown` render it. Keeping the data here lets the renderers
depend on it without depending on the report module that calls them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from breachscope.detectors.base import Detector
from breachscope.readers import base as readers_base
from breachscope.readers.base import ReadIssue
from breachscope.scan.partial import Finding, Partial
from breachscope.vendors.base import VendorMatch

SCHEMA_ID = "breachscope.scan/1"
MAX_CLASS_FINDINGS = 10
#: Read-issue kinds that mean records were not examined (the readers define them).
SKIPPED_RECORD_KINDS = readers_base.SKIPPED_RECORD_KINDS
#: Read-issue kinds that mean a whole table (or a part of it) was not examined.
UNREAD_KINDS = readers_base.UNREAD_KINDS


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


@dataclass
class ScanData:
    """What one scan found, as data; :class:`~breachscope.scan.report.ScanReport` adds the documents."""

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


def skipped_records(report: ScanData) -> tuple[int, list[str]]:
    issues = [i for s in report.sources for i in s.issues]
    issues += [ReadIssue(s.name, kind, msg) for s in report.sources for kind, msg in s.scan_issues]
    return _skipped_records(issues)
