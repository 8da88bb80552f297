"""The human-readable report (Markdown). Everything from the leaked data is masked and escaped:
no raw values, no terminal escape sequences, no Markdown/HTML injection.
"""

from __future__ import annotations

from typing import Any

from breachscope import taxonomy
from breachscope.inert import md_text, terminal_text
from breachscope.scan.model import Unread
from breachscope.taxonomy import Tier


def safe_text(value: object, limit: int = 120) -> str:
    """One line of inert text: control/bidi characters shown as ``?``, nothing interpretable."""
    return terminal_text(value, limit)


def md_escape(value: object, limit: int = 120) -> str:
    """Safe inside Markdown tables: no link (URLs defanged), ``<>&`` as entities, specials escaped."""
    return md_text(value, limit)


def _n(x: int) -> str:
    return f"{x:,}"


def to_markdown(doc: dict[str, Any]) -> str:
    """The Markdown report of a scan's JSON document (:func:`breachscope.scan.document.to_dict`)."""
    out = ["# breachscope scan report", ""]
    if not doc["complete"]:
        out.append(
            f"**Incomplete scan**: {_n(doc['rows_examined'])} records read; "
            f"{md_escape(Unread.from_dict(doc['unread']).words(), 200)}. "
            "Absent classes are absent only in the records read."
        )
        out.append("")
    out.append(
        f"Scanned {_n(doc['rows_examined'])} records and {_n(doc['values_examined'])} values in "
        f"{len(doc['sources'])} source(s), {md_escape(doc['started_at'])} to "
        f"{md_escape(doc['finished_at'])}, "
        f"with {len(doc['detectors'])} detectors (every value checked, no sampling)."
    )
    out.append("")
    classes: dict[str, Any] = doc["classes"]
    present = [c for c in taxonomy.DATA_CLASSES if classes[c.id]["status"] == "present"]
    absent = [c for c in taxonomy.DATA_CLASSES if classes[c.id]["status"] == "absent"]
    unchecked = [c for c in taxonomy.DATA_CLASSES if classes[c.id]["status"] == "not_checked"]
    out += ["## Present data classes", ""]
    if not present:
        out += ["None found.", ""]
    else:
        out += ["| tier | data class | matches | columns |", "| --- | --- | ---: | --- |"]
        for dc in present:
            entry = classes[dc.id]
            cols = ", ".join(md_escape(f"{c['column']}", 60) for c in entry["columns"][:6])
            tier = f"**{dc.tier.value}**" if dc.tier in (Tier.CRITICAL, Tier.HIGH) else dc.tier.value
            out.append(f"| {tier} | {md_escape(dc.name)} | {_n(entry['matches'])} | {cols} |")
        out.append("")
        out += ["### First findings (masked)", ""]
        out += ["| data class | source | record | column | detector | preview | keyed hash |"]
        out += ["| --- | --- | ---: | --- | --- | --- | --- |"]
        for dc in present:
            for f in classes[dc.id]["findings"][:5]:
                preview = f["preview"] + (f" ({f['label']})" if f.get("label") else "")
                out.append(
                    f"| {md_escape(dc.id)} | {md_escape(f['source'], 60)} | {f['record']} | "
                    f"{md_escape(f['column'], 60)} | {md_escape(f['detector'])} | {md_escape(preview, 40)} | "
                    f"`{f['hash'][:16]}` |"
                )
        out.append("")
    out += [
        "## Absent data classes, with evidence"
        + ("" if doc["complete"] else " (absent in the records read; the scan is incomplete)"),
        "",
    ]
    out += ["| tier | data class | values examined | columns examined | detectors | unexamined records |"]
    out += ["| --- | --- | ---: | ---: | --- | ---: |"]
    for dc in absent:
        ev = classes[dc.id]["evidence"]
        dets = ", ".join(d["ref"] for d in ev["detectors"]) or "none"
        out.append(
            f"| {dc.tier.value} | {md_escape(dc.name)} | {_n(ev['values_examined'])} | "
            f"{ev['columns_examined']} | {md_escape(dets, 400)} | {_n(ev['unexamined_records'])} |"
        )
    out.append("")
    if unchecked:
        out += ["## Not checked (no detector examined the values)", ""]
        out += ["| tier | data class | why |", "| --- | --- | --- |"]
        for dc in unchecked:
            out.append(
                f"| {dc.tier.value} | {md_escape(dc.name)} | {md_escape(classes[dc.id]['statement'], 300)} |"
            )
        out.append("")
    out += ["## Sources and columns", ""]
    for s in doc["sources"]:
        vendor = s["vendor"]
        out.append(f"### {md_escape(s['name'], 200)}")
        out.append("")
        out.append(
            f"Format {md_escape(s['format'])}"
            + (f" ({md_escape(s['compression'])})" if s["compression"] else "")
            + f", {_n(s['rows'])} records, {_n(s['values_examined'])} values, "
            + f"sha256 `{s['sha256'] or 'n/a'}`."
        )
        if vendor:
            out.append(
                f"Recognised as {md_escape(vendor['vendor'])} / {md_escape(vendor['layout'])}: "
                f"{md_escape(vendor['reason'], 200)}."
            )
        out += ["", "| column | non-null | null share | distinct (approx.) | example (masked) | classes |"]
        out += ["| --- | ---: | ---: | ---: | --- | --- |"]
        for c in s["columns"]:
            cls = "; ".join(
                f"{md_escape(cc['class'])} {cc['share']:.1%} ({'+'.join(cc['sources'])})"
                if cc["share"] is not None
                else md_escape(cc["class"])
                for cc in c["classes"]
            )
            example = md_escape(c["example_masked"], 40) if c["example_masked"] else ""
            out.append(
                f"| {md_escape(c['name'], 80)} | {_n(c['non_null'])} | {c['null_share']:.1%} | "
                f"{_n(c['distinct_approx'])} | {example} | {cls} |"
            )
            for d in c["disagreements"]:
                out.append(f"| ↳ disagreement | | | | | {md_escape(d['message'], 200)} |")
        out.append("")
        if s["issues"]:
            out += ["Read issues:", ""]
            for i in s["issues"][:50]:
                where = (
                    f" (line {i['line']})"
                    if i["line"]
                    else (f" (record {i['record']})" if i["record"] else "")
                )
                out.append(f"- {md_escape(i['kind'])}{where}: {md_escape(i['message'], 200)}")
            if len(s["issues"]) > 50:
                out.append(f"- … {len(s['issues']) - 50} more in the JSON report")
            out.append("")
    return "\n".join(out) + "\n"
