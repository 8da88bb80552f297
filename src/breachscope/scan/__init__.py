"""The scan: read a leaked dataset, check every value, report the data classes present and
prove the absent ones.

    report = scan_files(["leak.csv"])
    report.present_classes()          # frozenset({"email", "person_name", ...})
    json.dumps(report.to_dict())      # schema "breachscope.scan/1", see docs/scan.md

The map step is :func:`breachscope.scan.batch.scan_batch` (pure: one Arrow batch in, one
:class:`~breachscope.scan.partial.Partial` out); partials merge associatively.
"""

from __future__ import annotations

from breachscope.scan.batch import scan_batch
from breachscope.scan.context import ScanContext
from breachscope.scan.engine import scan_files, scan_source, scan_sources
from breachscope.scan.partial import ColumnPartial, Finding, Partial
from breachscope.scan.report import SCHEMA_ID, ColumnReport, ScanReport, SourceReport

__all__ = [
    "SCHEMA_ID",
    "ColumnPartial",
    "ColumnReport",
    "Finding",
    "Partial",
    "ScanContext",
    "ScanReport",
    "SourceReport",
    "scan_batch",
    "scan_files",
    "scan_source",
    "scan_sources",
]
