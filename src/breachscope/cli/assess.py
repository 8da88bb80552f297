"""``breachscope assess``: legal duties and recommended actions for an incident."""

from __future__ import annotations

import difflib
import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from breachscope.cli.options import (
    actor,
    audit_cli,
    db_option,
    incident_option,
    json_option,
    to_stdout,
    write_json,
)
from breachscope.errors import BreachscopeError, InputError
from breachscope.files import write_private
from breachscope.rules import report
from breachscope.rules.facts import Assessment
from breachscope.rules.loader import DATA_DIR, load_rules

_VERDICT_STYLE = {"required": "bold red", "assessment_required": "yellow", "not_required": "dim"}


def _now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"--now {value!r} is not an ISO date-time", "e.g. 2025-11-27T09:00:00+00:00"
        ) from None
    if parsed.tzinfo is None:
        raise InputError("--now needs a time zone", "e.g. 2025-11-27T09:00:00+00:00")
    return parsed


#: Old assess options -> the incident fact that replaced them, and how a value translates.
LEGACY_FLAGS: dict[str, tuple[str, str, dict[str, str]]] = {
    "malicious": ("--malicious", "cause", {"yes": "outside-attacker", "no": "KIND", "unknown": "unknown"}),
    "encrypted": ("--encrypted", "encrypted", {}),
    "key_exposed": ("--key-exposed", "key-exposed", {}),
    "role": ("--role", "role", {}),
    "vendor_breach": ("--vendor-breach/--own-breach", "breached-party", {"True": "vendor", "False": "us"}),
    "sectors": ("--sector", "sectors", {}),
}


def _legacy_fact_options(f: Any) -> Any:
    """The options assess used to take for incident facts; hidden, they only explain the move."""
    f = click.option("--sector", "sectors", multiple=True, hidden=True)(f)
    f = click.option("--vendor-breach/--own-breach", "vendor_breach", default=None, hidden=True)(f)
    for name in ("role", "malicious", "key_exposed", "encrypted"):
        f = click.option(f"--{name.replace('_', '-')}", name, hidden=True)(f)
    return f


def _refuse_legacy_flags(incident_id: int, given: dict[str, Any]) -> None:
    """An old fact flag is refused with the exact `case facts` command that records it now."""
    for name, value in given.items():
        if value is None or value == ():
            continue
        flag, key, words = LEGACY_FLAGS[name]
        raw = ",".join(value) if isinstance(value, tuple) else str(value)
        new = words.get(raw, raw)
        if new == "KIND":
            new = "insider|misdirected-export|misconfigured-export|unknown"
        raise InputError(
            f"{flag} is no longer an assess option: it is an incident fact, recorded once with who set it",
            f"breachscope case facts {incident_id} --set {key}={new} --by NAME, then run assess again",
        )


def print_fact_gaps(console: Console, a: Assessment, incident_id: int | None) -> None:
    """At the top: what the assessment could not know (no awareness date, facts not recorded)."""
    gaps = a.facts.gaps()
    for gap in gaps:
        console.print(f"[yellow]{escape(gap[:1].upper() + gap[1:])}[/]")
    if a.facts.aware_at is None:
        console.print(f"  set it: breachscope case edit {incident_id} --aware-at WHEN")
    if a.facts.unrecorded:
        console.print(f"  record them: breachscope case facts {incident_id} --set KEY=VALUE --by NAME")
    if gaps:
        console.print()


def _line(console: Console, text: str, indent: int = 2) -> None:
    """Plain text (never markup: it may hold rule words), wrapped to the console width under its
    own indent (a "- " or "+ " item hangs under its first word)."""
    hang = indent + (2 if text[:2] in ("- ", "+ ") else 0)
    wrapped = textwrap.fill(
        text, width=max(console.width, 40), initial_indent=" " * indent, subsequent_indent=" " * hang,
        break_on_hyphens=False,
    )  # fmt: skip
    console.print(Text(wrapped), soft_wrap=True)


def _block(console: Console, head: str | Text, lines: list[str]) -> None:
    """One duty: a heading line, then indented lines that wrap under their own indent."""
    console.print(head)
    for line in lines:
        _line(console, line, 4)


def print_summary(console: Console, a: Assessment, assessment_id: int | None) -> None:
    """The first lines: which assessment, the next due duty and the counts by verdict."""
    console.print(f"[bold]Assessment {assessment_id}[/] - {a.assessed_at.isoformat(timespec='minutes')}")
    console.print(Text(f"rules {a.rule_set_version}", style="dim"))
    for line in report.summary_lines(a):
        console.print(Text(line, style="bold"))


def print_assessment(
    console: Console,
    a: Assessment,
    assessment_id: int | None,
    *,
    show_all: bool = False,
    summary: bool = True,
) -> None:
    """Readable at 80 columns: the summary first, then one block per duty (the full table is in
    --markdown and --json)."""
    now = a.assessed_at
    if summary:
        print_summary(console, a, assessment_id)
    notices = [d for d in a.duties if d.recipient != "records"]
    shown = [d for d in notices if show_all or d.verdict != "not_required"]
    for d in shown:
        style = _VERDICT_STYLE[d.verdict]
        head = Text.assemble(
            "\n",
            (report.verdict_text(d).upper() if d.verdict == "required" else report.verdict_text(d), style),
            "  ",
            (d.id, "bold"),
            f"  {d.jurisdiction} ({d.affected:,} people)",
        )
        due = report.due_text(d, now)
        lines = [f"to: {d.recipient_name}"]
        if d.verdict != "not_required":
            lines.append(("OVERDUE - " if d.overdue else "") + f"due: {due}")
        lines.append(
            f"law: {d.statute}, {d.citation}" + (" (unconfirmed)" if d.confidence == "unconfirmed" else "")
        )
        if d.verdict == "assessment_required":
            threshold = next((r for r in d.reasons if r.startswith("risk threshold")), d.reasons[0])
            lines.append(f"open: {threshold}")
        elif d.unless:
            lines.append(f"settle: --decide {d.id} --verdict not_required --by NAME --why TEXT")
        if d.overdue_at_awareness:
            lines.append(next(r for r in d.reasons if r.startswith("OVERDUE AT AWARENESS")))
        _block(console, head, lines)
    hidden = [d for d in notices if d not in shown]
    if hidden:
        console.print(
            Text(
                f"\nNot required ({len(hidden)}, --all to list): " + ", ".join(d.id for d in hidden),
                style="dim",
            )
        )
    records = [d for d in a.duties if d.recipient == "records" and d.verdict != "not_required"]
    if records:
        console.print("\n[bold]Records to keep[/] (owed even when no notice is):")
        for d in records:
            _block(console, f"  [bold]{d.id}[/] {d.jurisdiction}: {d.title}",
                   [f"keep: {d.retention}", f"law: {d.statute}, {d.citation}"
                    + (" (unconfirmed)" if d.confidence == "unconfirmed" else "")])  # fmt: skip
    pending = [d for d in notices if d.verdict == "assessment_required"]
    if pending:
        common_for = set.intersection(*(set(d.factors_for) for d in pending))
        common_against = set.intersection(*(set(d.factors_against) for d in pending))
        console.print(f"\n[yellow]{len(pending)} duties need a decision.[/] Factors from the data:")
        for x in pending[0].factors_for:
            if x in common_for:
                _line(console, "+ " + x)
        for x in pending[0].factors_against:
            if x in common_against:
                _line(console, "- " + x)
        for d in pending:
            extra = [f"+ {x}" for x in d.factors_for if x not in common_for]
            extra += [f"- {x}" for x in d.factors_against if x not in common_against]
            if extra:
                _block(console, f"  [yellow]{d.id}[/]:", extra)
        _line(
            console, "settle one with: --decide DUTY_ID --verdict required|not_required --by NAME --why TEXT"
        )
    if a.actions:
        console.print("\n[bold]Recommended actions:[/]")
        for act in a.actions:
            _block(console, f"  [bold]{act.id}[/] ({act.audience}; caused by {', '.join(act.caused_by)})",
                   [act.text["en"]])  # fmt: skip
    if a.not_needed:
        console.print("\n[bold green]Not needed:[/]")
        for n in a.not_needed:
            _line(console, "- " + n.text["en"])
    if a.undetermined:
        console.print("[yellow]Cannot say (classes not checked by the scan):[/] " + ", ".join(a.undetermined))
    owed = [d for d in a.vendor_duties if d.verdict != "not_required"]
    if owed:
        console.print(f"\n[bold]The vendor's duties to you ({len(owed)}):[/]")
        for d in owed:
            late = next((r for r in d.reasons if r.startswith("the vendor told you")), "")
            _line(console, f"{d.id} ({d.jurisdiction}): {d.deadline_words}" + (f" - {late}" if late else ""))
    if not a.facts.affected:
        console.print(
            "[yellow]No affected people per jurisdiction in the case: run `breachscope scope` first.[/]"
        )
    unknown = a.facts.affected.get("ZZ", 0)
    if unknown:
        console.print(
            f"[yellow]{unknown:,} people have no known location and are in no jurisdiction's count.[/]"
        )
    console.print(Text("\nFull table: --markdown PATH or --json PATH", style="dim"))


def print_decision_effect(console: Console, a: Assessment, duty_id: str) -> None:
    """Say whether the decision just recorded settled its duty, or why it did not apply."""
    duty = next((d for d in (*a.duties, *a.vendor_duties) if d.id == duty_id), None)
    if duty is None:
        why = next((s.why for s in a.skipped if s.rule_id == duty_id), "no people in its jurisdiction")
        console.print(f"[yellow]Decision on {duty_id} recorded, but the rule was not applied: {why}[/]")
    elif duty.decision is not None:
        console.print(f"Decision recorded: {duty_id} is now {report.VERDICT_WORDS[duty.verdict]}.")
    else:
        console.print(
            f"[yellow]Decision on {duty_id} recorded but NOT applied: the facts decide this duty"
            f" ({report.VERDICT_WORDS[duty.verdict]}); a risk decision only settles a risk-based duty.[/]"
        )


@click.group(name="assess", invoke_without_command=True)
@incident_option(required=False, help="Incident id to assess (see `breachscope case list`).")
@db_option
@json_option("Write the assessment as JSON to PATH ('-': standard output).")
@click.option(
    "--markdown",
    "md_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the assessment as Markdown here.",
)
@click.option(
    "--decide", "decide", metavar="DUTY_ID", help="Record a risk decision for this duty (rule id) first."
)
@click.option(
    "--verdict", type=click.Choice(["required", "not_required"]), help="The decided verdict (with --decide)."
)
@click.option("--by", "by", help="Who decided (with --decide).")
@click.option("--why", "why", help="Why, in plain words (with --decide).")
@_legacy_fact_options
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of rule files (default: the bundled rules).",
)
@click.option("--now", "now_text", help="Assess as of this ISO date-time (default: now).")
@click.option(
    "--all", "show_all", is_flag=True, help="Also list the duties that are not required in the table."
)
@click.pass_context
def command(ctx: click.Context, /, incident_id: int | None, db: str | None, json_out: str | None,
            md_path: Path | None, decide: str | None, verdict: str | None, by: str | None, why: str | None,
            rules_dir: Path | None, now_text: str | None, show_all: bool, **legacy: Any) -> None:  # fmt: skip
    """Which laws require notifying whom by when, and what people should (and need not) do.

    Reads the incident's stored scan(s), scope (people per jurisdiction), dates and recorded facts
    (cause, encryption, whose systems, role, sectors: set them with `breachscope case facts`),
    evaluates every rule file, stores the assessment with the rule-set version, and prints duties
    sorted by due time (overdue highlighted), then recommended actions and the actions NOT needed.
    """
    if ctx.invoked_subcommand is not None:
        return
    if incident_id is None:
        raise InputError("which incident?", "breachscope assess --incident ID (see `breachscope case list`)")
    _refuse_legacy_flags(incident_id, legacy)
    from breachscope.case.db import case_database, session_scope
    from breachscope.rules import store
    from breachscope.rules.case_facts import run_assessment
    from breachscope.tasks import sync_assessment

    now = _now(now_text)
    rules = load_rules(rules_dir or DATA_DIR)
    with case_database(db) as engine:
        with session_scope(engine) as session:
            if decide:
                if not (verdict and by and why):
                    raise InputError("--decide needs --verdict, --by and --why")
                try:
                    rules.rule(decide)
                except KeyError:
                    ids = [r.id for j in rules.jurisdictions for r in j.rules]
                    close = difflib.get_close_matches(decide, ids, n=3, cutoff=0.6)
                    raise InputError(
                        f"no rule {decide!r}",
                        f"did you mean {' or '.join(close)}?" if close
                        else "use a duty id from `breachscope assess` (or `breachscope assess rules`)",
                    ) from None  # fmt: skip
                store.record_decision(
                    session, incident_id, decide, cast(Any, verdict), by=by, why=why, at=now
                )
                audit_cli(session, "duty.decide", "duty", decide, incident_id,
                          {"verdict": verdict, "why": why}, author=by)  # fmt: skip
            assessment_id, assessment = run_assessment(session, incident_id, rules, now=now)
            synced = sync_assessment(session, incident_id, assessment_id, assessment, actor=actor(), now=now)
            audit_cli(session, "incident.assess", "assessment", assessment_id, incident_id,
                      {"as_of": now.isoformat(), "tasks": synced.to_dict()})  # fmt: skip
    console = Console(stderr=to_stdout(json_out))
    if decide:
        print_decision_effect(console, assessment, decide)
    print_summary(console, assessment, assessment_id)
    print_fact_gaps(console, assessment, incident_id)
    print_assessment(console, assessment, assessment_id, show_all=show_all, summary=False)
    console.print(f"{synced.summary()} (breachscope tasks list --incident {incident_id})")
    if json_out:
        data = {"assessment_id": assessment_id, **assessment.to_dict()}
        if to_stdout(json_out):
            write_json(json_out, data)
        else:
            _write(Path(json_out), json.dumps(data, indent=2, ensure_ascii=False) + "\n", assessment_id)
    if md_path:
        _write(md_path, report.to_markdown(assessment, assessment_id=assessment_id), assessment_id)


def _write(path: Path, text: str, assessment_id: int) -> None:
    try:
        write_private(path, text)
    except OSError as exc:
        raise BreachscopeError(
            f"cannot write {path}: {exc.strerror or exc}",
            f"assessment {assessment_id} is stored; run again with another --json/--markdown path",
        ) from None


@command.command("rules")
@click.option("--check", is_flag=True, help="Only validate the rule files; exit non-zero on the first error.")
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of rule files (default: the bundled rules).",
)
def rules_command(check: bool, rules_dir: Path | None) -> None:
    """List (or just validate) the rule files: jurisdictions, rules, deadlines and confidence."""
    rules = load_rules(rules_dir or DATA_DIR)
    count = sum(len(j.rules) for j in rules.jurisdictions)
    if check:
        click.echo(f"ok: {len(rules.jurisdictions)} rule files, {count} rules, {len(rules.actions)} actions "
                   f"(rule set {rules.version})")  # fmt: skip
        return
    table = Table(title=f"{len(rules.jurisdictions)} jurisdictions, {count} rules ({rules.version})")
    for col in ("rule", "where", "recipient", "deadline", "clock", "in force", "conf.", "citation"):
        table.add_column(col, overflow="fold")
    for j in rules.jurisdictions:
        for r in j.rules:
            bound = (
                f"{r.deadline.bound.amount} {r.deadline.bound.unit}" if r.deadline.bound else r.deadline.form
            )
            span = f"{r.effective_from}" + (f" - {r.until}" if r.until else " -")
            table.add_row(r.id, j.code, r.recipient, bound, r.deadline.clock, span, r.confidence, r.citation)
    Console().print(table)


@command.command("history")
@incident_option()
@db_option
@click.option(
    "--show", "show_id", type=int, help="Print this stored assessment in full, exactly as it was made."
)
def history_command(incident_id: int, db: str | None, show_id: int | None) -> None:
    """List the stored assessments of an incident (each with the rule-set version it used)."""
    from breachscope.case.db import case_database, session_scope
    from breachscope.rules import store

    with case_database(db) as engine:
        with session_scope(engine) as session:
            if show_id is not None:
                stored = store.load_assessment(session, show_id)
                if stored.incident_id != incident_id:
                    raise BreachscopeError(f"assessment {show_id} belongs to incident {stored.incident_id}")
                print_assessment(Console(), stored.assessment, stored.id, show_all=True)
                return
            rows = store.list_assessments(session, incident_id)
    table = Table(title=f"Assessments of incident {incident_id}")
    for col in ("id", "at", "rule set", "required", "need decision"):
        table.add_column(col)
    for s in rows:
        a = s.assessment
        table.add_row(str(s.id), a.assessed_at.isoformat(timespec="seconds"), a.rule_set_version,
                      str(sum(d.verdict == "required" for d in a.duties)),
                      str(sum(d.verdict == "assessment_required" for d in a.duties)))  # fmt: skip
    Console().print(table)
