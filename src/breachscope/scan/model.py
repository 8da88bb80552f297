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
from breachscope.readers.base import SKIPPED_RECORD_KINDS, UNREAD_KINDS, ReadIssue
from breachscope.scan.partial import Finding, Partial
from breachscope.vendors.base import VendorMatch

SCHEMA_ID = "breachscope.scan/2"
MAX_CLASS_FINDINGS = 10
#: The three states of a data class in a scan (see docs/scan.md "Three class states").
PRESENT, ABSENT, NOT_CHECKED = "present", "absent", "not_checked"
STATUSES = (PRESENT, ABSENT, NOT_CHECKED)
__all__ = ["SKIPPED_RECORD_KINDS", "UNREAD_KINDS"]  # re-exported: defined with ReadIssue


def value_level(det: Detector) -> bool:
    """A detector that examines the values of every column (not only columns named for its class)."""
    return not det.requires_hint and bool(det.pattern or det.vocabulary)


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
    bytes_read: int | None = None  # bytes the readers reported read (None: not counted)


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
    unread: Unread = field(default_factory=lambda: Unread(0, 0, ()))

    @property
    def complete(self) -> bool:
        return self.unread.none


@dataclass(frozen=True)
class Unread:
    """What a source (or a whole scan) left unexamined: skipped records, unread bytes, notes.

    ``bytes`` is ``None`` when some unread part has no known size (a read that stopped part way).
    """

    records: int
    bytes: int | None
    notes: tuple[str, ...]

    @property
    def none(self) -> bool:
        return not self.records and self.bytes == 0 and not self.notes

    def __add__(self, other: Unread) -> Unread:
        b = None if self.bytes is None or other.bytes is None else self.bytes + other.bytes
        return Unread(self.records + other.records, b, self.notes + other.notes)

    def words(self) -> str:
        """``"3 records and 1,024 bytes unreadable"``; ``""`` when nothing was left unread."""
        parts = []
        if self.records:
            parts.append(f"{self.records:,} record{'s' if self.records != 1 else ''}")
        if self.bytes:
            parts.append(f"{self.bytes:,} bytes")
        elif self.bytes is None:
            parts.append("part of the data (size unknown)")
        if not parts and self.notes:
            parts.append("part of the data")
        return " and ".join(parts) + " unreadable" if parts else ""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Unread:
        """From the ``unread`` block of the JSON document."""
        return cls(int(d.get("records") or 0), d.get("bytes"), tuple(d.get("notes") or ()))


def unread_of(
    issues: Sequence[ReadIssue],
    *,
    rows: int = 0,
    size_bytes: int | None = None,
    bytes_read: int | None = None,
) -> Unread:
    """What these issues of one source left unexamined (see :class:`ReadIssue.unread`).

    Skipped records are counted one per issue (a "N issues of this kind in total" summary gives
    the total). A table-level issue (unread member, read stopped) adds the bytes not read: the
    whole source when no record was read, else its size minus the bytes read when both are known.
    """
    counted: dict[str, int] = {}
    totals: dict[str, int] = {}
    extra = 0
    unread_bytes: int | None = 0
    table_level = False
    notes: list[str] = []
    for issue in issues:
        if not issue.unread:
            continue
        if issue.records_unread:
            extra += issue.records_unread
        if issue.bytes_unread:
            unread_bytes = None if unread_bytes is None else unread_bytes + issue.bytes_unread
        if issue.kind in SKIPPED_RECORD_KINDS:
            m = re.match(r"(\d+) issues of this kind in total", issue.message)
            if m:
                totals[issue.kind] = int(m.group(1))
            elif not issue.records_unread:
                counted[issue.kind] = counted.get(issue.kind, 0) + 1
            if "rest of the file was not read" in issue.message:
                table_level = True
                notes.append(
                    f"{issue.source}: reading stopped at a malformed record; the rest was not examined"
                )
        elif not issue.records_unread and not issue.bytes_unread:
            table_level = True
            notes.append(f"{issue.source}: {issue.kind.replace('_', ' ')}: not (fully) examined")
    records = sum(totals.get(k, v) for k, v in counted.items()) + sum(
        v for k, v in totals.items() if k not in counted
    )
    if table_level and unread_bytes is not None:
        if rows == 0 and size_bytes:
            unread_bytes += size_bytes
        elif size_bytes is not None and bytes_read is not None and bytes_read < size_bytes:
            unread_bytes += size_bytes - bytes_read
        elif rows:
            unread_bytes = None
    return Unread(records + extra, unread_bytes, tuple(dict.fromkeys(notes)))


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
    def unread(self) -> Unread:
        """What the whole scan left unexamined (sum over sources)."""
        total = Unread(0, 0, ())
        for s in self.sources:
            total = total + s.unread
        return total

    @property
    def complete(self) -> bool:
        """True if every record of every source was read and examined."""
        return all(s.complete for s in self.sources)

    @property
    def rows_examined(self) -> int:
        return sum(s.rows for s in self.sources)

    @property
    def values_examined(self) -> int:
        return sum(s.values_examined for s in self.sources)


def skipped_records(report: ScanData) -> tuple[int, list[str]]:
    """(records not examined, notes on unread tables) over every source of the report."""
    unread = report.unread
    return unread.records, list(unread.notes)
