"""Render an assessment as Markdown (the JSON export is ``Assessment.to_dict()``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from breachscope import taxonomy
from breachscope.rules.facts import Assessment, Duty, Facts

VERDICT_WORDS = {
    "required": "REQUIRED",
    "not_required": "not required",
    "assessment_required": "needs a risk decision",
}


def relative(due: datetime, now: datetime) -> str:
    """'in 2d 3h' or 'OVERDUE by 5h'."""
    delta = due - now
    late = delta < timedelta(0)
    secs = int(abs(delta).total_seconds())
    days, rest = divmod(secs, 86400)
    hours, rest = divmod(rest, 3600)
    text = f"{days}d {hours}h" if days else f"{hours}h {rest // 60}m"
    return f"OVERDUE by {text}" if late else f"in {text}"


def verdict_text(d: Duty) -> str:
    """'REQUIRED', 'REQUIRED unless you record a written no-harm determination', 'not required', ..."""
    words = VERDICT_WORDS[d.verdict]
    return f"{words} unless you record {d.unless}" if d.unless and d.verdict == "required" else words


def due_text(d: Duty, now: datetime) -> str:
    if d.verdict == "not_required":
        return "-"
    if d.due is None and d.clock == "after_duty" and d.clock_started is None:
        pending = next((r for r in d.reasons if r.startswith("clock not started yet (")), "")
        state = pending.removeprefix("clock not started yet (").removesuffix(")") or "not performed yet"
        return f"{d.deadline_words.split(' (')[0]} ({state})"
    if d.due is None:
        return d.deadline_words
    label = "assess by " if d.due_kind == "assessment" else ""
    return f"{label}{d.due.strftime('%Y-%m-%d %H:%M %Z')} ({relative(d.due, now)})"


RECIPIENT_WORDS = {
    "authority": "regulator",
    "individuals": "affected people",
    "attorney_general": "attorney general",
    "credit_agencies": "credit agencies",
    "controller": "controller",
    "other_regulator": "other bodies",
    "media": "media",
    "public": "public",
    "records": "record to keep",
}


@dataclass(frozen=True)
class Summary:
    """What a person reads first: the next due duty and the counts by verdict."""

    next_due: Duty | None
    required: int
    pending: int
    not_required: int
    records: int
    overdue: int


def summary(a: Assessment) -> Summary:
    notices = [d for d in a.duties if d.recipient != "records"]
    open_ = [d for d in notices if d.verdict != "not_required" and d.due is not None]
    return Summary(
        next_due=min(open_, key=lambda d: d.due or a.assessed_at, default=None),
        required=sum(d.verdict == "required" for d in notices),
        pending=sum(d.verdict == "assessment_required" for d in notices),
        not_required=sum(d.verdict == "not_required" for d in notices),
        records=sum(d.recipient == "records" and d.verdict == "required" for d in a.duties),
        overdue=sum(d.overdue for d in notices),
    )


def summary_lines(a: Assessment) -> list[str]:
    """The short summary printed before anything else (plain text, no markup)."""
    s = summary(a)
    lines = []
    if s.next_due is not None:
        d = s.next_due
        lines.append(f"Next due: {d.id} ({d.jurisdiction}, {RECIPIENT_WORDS.get(d.recipient, d.recipient)})"
                     f" - {due_text(d, a.assessed_at)}")  # fmt: skip
    else:
        lines.append("Next due: no duty with a date")
    lines.append(
        f"Duties: {s.required} required, {s.pending} need a decision, {s.not_required} not required;"
        f" {s.records} record{'s' if s.records != 1 else ''} to keep"
        + (f"; {s.overdue} OVERDUE" if s.overdue else "")
    )
    return lines


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _not_checked(f: Facts) -> list[str]:
    """Classes the scans neither found nor proved absent (not checked, or in an unaccepted
    incomplete read)."""
    return [dc.id for dc in taxonomy.DATA_CLASSES if dc.id not in f.present and dc.id not in f.absent]


def _checked_words(f: Facts) -> str:
    if f.records_checked:
        which = "all" if f.absence_complete else "the readable"
        return f" (in {which} {f.records_checked:,} records)"
    return f" (over {f.values_checked:,} values)" if f.values_checked else ""


def to_markdown(a: Assessment, *, assessment_id: int | None = None) -> str:
    now = a.assessed_at
    f = a.facts
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(f.affected.items()))
    lines = [
        f"# Assessment{f' {assessment_id}' if assessment_id is not None else ''}",
        "",
        f"- assessed at: {now.isoformat()}",
        f"- rule set: `{a.rule_set_version}`",
        f"- exposed classes: {', '.join(sorted(f.present)) or 'none'}",
        f"- checked and absent: {', '.join(sorted(f.absent)) or 'none'}" + _checked_words(f),
        f"- not checked (may be in the data): {', '.join(_not_checked(f)) or 'none'}",
        f"- affected by jurisdiction: {counts or 'none'}",
        f"- cause (recorded): {f.cause}",
        *(f"- **{_md(g)}**" for g in f.gaps()),
        "",
        "## Summary",
        "",
        *(f"- {x}" for x in summary_lines(a)),
        "",
        "## Duties (by due time)",
        "",
        "| due | jurisdiction | recipient | verdict | rule | citation | confidence |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in a.duties:
        if d.recipient == "records":
            continue
        due = due_text(d, now)
        if d.overdue:
            due = f"**{due}**"
        lines.append(
            f"| {_md(due)} | {d.jurisdiction} ({d.affected:,}) | {_md(d.recipient_name)} | "
            f"{_md(verdict_text(d))} | `{d.id}` | {_md(d.statute + ', ' + d.citation)} | {d.confidence} |"
        )
    records = [d for d in a.duties if d.recipient == "records"]
    if records:
        lines += [
            "",
            "## Records to keep (owed even when no notice is)",
            "",
            "| jurisdiction | record | verdict | retention | rule | citation | confidence |",
            "|---|---|---|---|---|---|---|",
        ]
        for d in records:
            lines.append(
                f"| {d.jurisdiction} | {_md(d.title)} | {VERDICT_WORDS[d.verdict]} | {_md(d.retention)} | "
                f"`{d.id}` | {_md(d.statute + ', ' + d.citation)} | {d.confidence} |"
            )
    lines += ["", "### Why", ""]
    for d in a.duties:
        lines.append(f"- **{d.id}** ({verdict_text(d)}): " + "; ".join(d.reasons))
        if d.verdict == "assessment_required":
            lines += [f"  - for: {x}" for x in d.factors_for]
            lines += [f"  - against: {x}" for x in d.factors_against]
            lines.append(
                f"  - settle it: `breachscope assess --incident ID --decide {d.id}"
                " --verdict ... --by ... --why ...`"
            )
        if d.confidence == "unconfirmed":
            lines.append(f"  - unconfirmed: {d.confidence_reason}")
        if d.verdict != "not_required":
            what = "record must contain" if d.recipient == "records" else "notice must contain"
            lines.append(f"  - {what}: " + ", ".join(c.id for c in d.content))
    lines += ["", "## Recommended actions", ""]
    for act in a.actions:
        lines.append(
            f"- **{act.id}** ({act.audience}; caused by {', '.join(act.caused_by)}): {act.text['en']}"
        )
    lines += ["", "## Not needed", ""]
    for n in a.not_needed:
        lines.append(f"- **{n.id}**: {n.text['en']}")
    if a.undetermined:
        lines += ["", "Not decidable (classes not checked by the scan): " + ", ".join(a.undetermined)]
    if a.vendor_duties:
        lines += ["", "## The vendor's duties to you", ""]
        for d in a.vendor_duties:
            lines.append(f"- `{d.id}` {d.jurisdiction}: {d.deadline_words} - " + "; ".join(d.reasons))
    if a.skipped:
        lines += ["", "## Rules not applied", ""]
        lines += [f"- `{s.rule_id}` ({s.jurisdiction}): {s.why}" for s in a.skipped]
    return "\n".join(lines) + "\n"
