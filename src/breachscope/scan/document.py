"""The JSON document of a scan report (schema ``breachscope.scan/1``; see docs/scan.md)."""

from __future__ import annotations

from typing import Any

from breachscope import __version__, taxonomy
from breachscope.readers.base import ReadIssue
from breachscope.scan.model import MAX_CLASS_FINDINGS, SCHEMA_ID, ScanData, skipped_records
from breachscope.scan.partial import Finding


def _issue(issue: ReadIssue) -> dict[str, Any]:
    return {
        "source": issue.source,
        "kind": issue.kind,
        "message": issue.message,
        "line": issue.line,
        "record": issue.record,
    }


def _finding(source: str, f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "source": source,
        "record": f.record,
        "column": f.column,
        "detector": f.detector,
        "hash": f.hash,
        "preview": f.preview,
    }
    if f.label:
        out["label"] = f.label
    return out


def class_entry(report: ScanData, class_id: str) -> dict[str, Any]:
    dc = taxonomy.get(class_id)
    dets = [d for d in report.detectors if d.data_class == class_id]
    names = {d.name for d in dets}
    columns = []
    findings: list[tuple[int, dict[str, Any]]] = []
    values_examined = 0
    columns_examined = 0
    for s_index, s in enumerate(report.sources):
        for c in s.columns:
            if c.detectors_run & names:
                columns_examined += 1
                values_examined += c.non_null
            for cc in c.classes:
                if cc.class_id == class_id:
                    columns.append(
                        {
                            "source": s.name,
                            "column": c.name,
                            "matches": cc.matches,
                            "sources": list(cc.sources),
                        }
                    )
                    findings.extend((s_index, _finding(s.name, f)) for f in c.findings.get(class_id, []))
    findings.sort(key=lambda t: (t[0], t[1]["record"], t[1]["column"]))
    unexamined, notes = skipped_records(report)
    evidence: dict[str, Any] = {
        "rows_examined": report.rows_examined,
        "values_examined": values_examined,
        "columns_examined": columns_examined,
        "detectors": [{"name": d.name, "version": d.version, "ref": d.ref} for d in dets],
        "unexamined_records": unexamined,
        "unexamined_notes": notes,
    }
    return {
        "status": "present" if columns else "absent",
        "name": dc.name,
        "tier": dc.tier.value,
        "hibp": dc.hibp,
        "matches": sum(c["matches"] for c in columns),
        "columns": columns,
        "findings": [f for _, f in findings[: max(MAX_CLASS_FINDINGS, report.max_findings)]],
        "evidence": evidence,
    }


def to_dict(report: ScanData) -> dict[str, Any]:
    sources = []
    for s in report.sources:
        vendor = None
        if s.vendor is not None:
            vendor = {"vendor": s.vendor.vendor, "layout": s.vendor.layout, "reason": s.vendor.reason}
        sources.append(
            {
                "name": s.name,
                "format": s.format,
                "compression": s.compression,
                "size_bytes": s.size_bytes,
                "sha256": s.sha256,
                "rows": s.rows,
                "values_examined": s.values_examined,
                "vendor": vendor,
                "issues": [_issue(i) for i in s.issues]
                + [
                    {"source": s.name, "kind": k, "message": m, "line": None, "record": None}
                    for k, m in s.scan_issues
                ],
                "columns": [
                    {
                        "name": c.name,
                        "non_null": c.non_null,
                        "nulls": c.nulls,
                        "null_share": c.null_share,
                        "distinct_approx": c.distinct_approx,
                        "example_masked": c.example_masked,
                        "list": c.is_list,
                        "placeholders": c.placeholders,
                        "classes": [
                            {
                                "class": cc.class_id,
                                "matches": cc.matches,
                                "share": cc.share,
                                "sources": list(cc.sources),
                            }
                            for cc in c.classes
                        ],
                        "disagreements": c.disagreements,
                        "detector_matches": c.detector_matches,
                        "below_threshold": c.below_threshold,
                    }
                    for c in s.columns
                ],
            }
        )
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "breachscope", "version": __version__},
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "rows_examined": report.rows_examined,
        "values_examined": report.values_examined,
        "detectors": [
            {"name": d.name, "version": d.version, "data_class": d.data_class, "label": d.label or None}
            for d in report.detectors
        ],
        "sources": sources,
        "classes": {dc.id: class_entry(report, dc.id) for dc in taxonomy.DATA_CLASSES},
    }
