"""The JSON document of a scan report (schema ``breachscope.scan/2``; see docs/scan.md)."""

from __future__ import annotations

from typing import Any

from breachscope import __version__, taxonomy
from breachscope.readers.base import ReadIssue
from breachscope.scan.model import (
    ABSENT,
    MAX_CLASS_FINDINGS,
    NOT_CHECKED,
    PRESENT,
    SCHEMA_ID,
    ScanData,
    Unread,
    value_level,
)
from breachscope.scan.partial import Finding


def _issue(issue: ReadIssue) -> dict[str, Any]:
    return {
        "source": issue.source,
        "kind": issue.kind,
        "message": issue.message,
        "line": issue.line,
        "record": issue.record,
        "unread": issue.unread,
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


def _unread(u: Unread) -> dict[str, Any]:
    return {"records": u.records, "bytes": u.bytes, "notes": list(u.notes)}


def class_statement(
    status: str,
    checked: str,
    records: int,
    unread: Unread,
    hinted_values: int,
    value_level_class: bool = False,
) -> str:
    """The one human line of a class: what was done and what it shows (no leaked data)."""
    if status == PRESENT:
        return "present"
    if status == NOT_CHECKED:
        if checked == "named_columns":
            return (
                f"not checked: only {hinted_values:,} values in columns named for it were examined; "
                "no detector examines other values for it yet"
            )
        if records == 0:
            return "not checked: no records were read" + ("" if unread.none else f"; {unread.words()}")
        if value_level_class and hinted_values == 0:
            return f"not checked: the {records:,} records read hold no values to examine"
        # its detectors look only at columns named for it (device, card security codes, ...)
        return "not checked: no column is named for it and no detector examines other values for it yet"
    if unread.none:
        return f"absent in all {records:,} records"
    return f"absent in the {records:,} records read; {unread.words()}"


def class_entry(report: ScanData, class_id: str) -> dict[str, Any]:
    dc = taxonomy.get(class_id)
    dets = [d for d in report.detectors if d.data_class == class_id]
    names = {d.name for d in dets}
    value_names = {d.name for d in dets if value_level(d)}
    columns = []
    findings: list[tuple[int, dict[str, Any]]] = []
    values_examined = 0
    columns_examined = 0
    value_columns = 0
    values_not_examined = 0
    for s_index, s in enumerate(report.sources):
        for c in s.columns:
            if c.detectors_run & names:
                columns_examined += 1
                values_examined += c.non_null
            if c.detectors_run & value_names:
                value_columns += 1
            else:
                values_not_examined += c.non_null
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
    unread = report.unread
    # with no value examined (0 records read, or only empty values) nothing was checked: never absent
    if value_names and value_columns and values_examined:
        checked = "values"
    elif columns_examined and not value_columns:
        checked = "named_columns"
    else:
        checked = "none"
    if columns:
        status = PRESENT
    elif checked == "values":
        status = ABSENT
    else:
        status = NOT_CHECKED
    evidence: dict[str, Any] = {
        "rows_examined": report.rows_examined,
        "values_examined": values_examined,
        "columns_examined": columns_examined,
        "values_not_examined": values_not_examined if checked == "values" else None,
        "detectors": [
            {"name": d.name, "version": d.version, "ref": d.ref, "value_level": value_level(d)} for d in dets
        ],
        "unexamined_records": unread.records,
        "unexamined_bytes": unread.bytes,
        "unexamined_notes": list(unread.notes),
    }
    return {
        "status": status,
        "checked": checked,
        "complete": unread.none,
        "statement": class_statement(
            status, checked, report.rows_examined, unread, values_examined, bool(value_names)
        ),
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
                "complete": s.complete,
                "unread": _unread(s.unread),
                "issues": [_issue(i) for i in s.issues]
                + [_issue(ReadIssue(s.name, k, m)) for k, m in s.scan_issues],
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
        "complete": report.complete,
        "unread": _unread(report.unread),
        "rows_examined": report.rows_examined,
        "values_examined": report.values_examined,
        "detectors": [
            {"name": d.name, "version": d.version, "data_class": d.data_class, "label": d.label or None}
            for d in report.detectors
        ],
        "sources": sources,
        "classes": {dc.id: class_entry(report, dc.id) for dc in taxonomy.DATA_CLASSES},
    }
