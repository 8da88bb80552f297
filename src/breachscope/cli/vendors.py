"""``breachscope vendors``: the vendor registry (who receives what data, under which contract).

Thin shell over :mod:`breachscope.inventory` (not :mod:`breachscope.vendors`, which holds the
vendors' export layouts used to read leaked files).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from breachscope.case.db import case_database, session_scope
from breachscope.cli.options import (
    author_option,
    db_option,
    emit_json,
    incident_option,
    json_option,
    to_stdout,
    who,
    write_json,
)
from breachscope.clock import SystemClock
from breachscope.inert import terminal_text

F = TypeVar("F", bound=Callable[..., Any])


def _t(value: object, limit: int = 120) -> str:
    return escape(terminal_text(value, limit))


def _clause(value: str | None) -> str | None:
    """``none`` records that the contract has no such clause (""); ``unknown`` clears it."""
    if value is None:
        return None
    return "" if value.strip().lower() == "none" else value


def fact_options(f: F) -> F:
    """The recorded facts of a vendor, shared by ``add`` and ``edit``."""
    opts = [
        click.option("--service", default=None, help="Collection service it runs (mixpanel, segment, ...)."),
        click.option(
            "--purpose", default=None, help="analytics, marketing, support, payments ... (purposes.yaml)."
        ),
        click.option(
            "--status",
            type=click.Choice(["active", "suspended", "removed"]),
            default=None,
            help="Vendor status.",
        ),
        click.option(
            "--contact",
            "contacts",
            multiple=True,
            metavar='"NAME <EMAIL> (ROLE)"',
            help="A contact (repeatable; on edit, replaces the list).",
        ),
        click.option(
            "--dpa-date", default=None, metavar="YYYY-MM-DD", help="Date of the data processing agreement."
        ),
        click.option(
            "--breach-hours",
            "breach_notice_hours",
            default=None,
            metavar="HOURS",
            help="Hours the contract gives the vendor to tell us of a breach ('unknown' clears).",
        ),
        click.option(
            "--breach-clause",
            default=None,
            metavar="TEXT",
            help="Where the breach-notice clause is (e.g. 'DPA s. 7.2'); 'none' = the contract has none.",
        ),
        click.option(
            "--deletion-clause",
            default=None,
            metavar="TEXT",
            help="Where the deletion/return clause is (e.g. 'DPA s. 11'); 'none' = the contract has none.",
        ),
        click.option(
            "--subprocessor",
            "subprocessors",
            multiple=True,
            metavar="NAME",
            help="A sub-processor (repeatable; on edit, replaces the list; 'none' = recorded: none).",
        ),
        click.option(
            "--gdpr/--no-gdpr", "gdpr", default=None, help="Whether GDPR Art. 28 applies to this processor."
        ),
        click.option(
            "--last-review", default=None, metavar="YYYY-MM-DD", help="When the vendor was last reviewed."
        ),
        click.option(
            "--people", default=None, metavar="N", help="People whose data the vendor holds (recorded)."
        ),
        click.option("--notes", default=None, help="Free notes."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _facts(**kw: Any) -> dict[str, Any]:
    """The options a person gave, as registry fields (absent options are left out)."""
    out: dict[str, Any] = {}
    for key in ("service", "purpose", "status", "dpa_date", "last_review", "notes", "gdpr"):
        if kw.get(key) is not None:
            out[key] = kw[key]
    for key in ("breach_notice_hours", "people"):
        if kw.get(key) is not None:
            out[key] = None if str(kw[key]).lower() == "unknown" else kw[key]
    for key in ("breach_clause", "deletion_clause"):
        if kw.get(key) is not None:
            out[key] = None if kw[key].strip().lower() == "unknown" else _clause(kw[key])
    if kw.get("contacts"):
        out["contacts"] = list(kw["contacts"])
    if kw.get("subprocessors"):
        subs = list(kw["subprocessors"])
        out["subprocessors"] = [] if [s.lower() for s in subs] == ["none"] else subs
    return out


def print_vendor(doc: dict[str, Any], console: Console) -> None:
    c = doc["contract"]
    out = console.print

    def say(text: str) -> None:
        out(text, soft_wrap=True)

    def known(value: Any, none_text: str = "none") -> str:
        if value is None:
            return "unknown"
        if value == "" or value == []:
            return none_text
        return _t(", ".join(value) if isinstance(value, list) else value)

    say(f"[bold]{_t(doc['name'])}[/bold]  status {doc['status']}, purpose {_t(doc['purpose'] or 'unknown')}")
    say(f"  service: {_t(doc['service'] or '-')}   people held: {known(doc['people'])}")
    say(
        f"  DPA: {known(c['dpa_date'])}   breach notice: "
        + (f"{c['breach_notice_hours']} h" if c["breach_notice_hours"] is not None else "hours unknown")
        + f" ({known(c['breach_clause'], 'no clause')})"
        + f"   deletion clause: {known(c['deletion_clause'], 'no clause')}"
    )
    say(f"  sub-processors: {known(c['subprocessors'])}   last review: {known(doc['last_review'], '-')}")
    for contact in doc["contacts"]:
        say("  contact: " + _t(" ".join(v for v in contact.values() if v)))
    if doc["flows"]:
        t = Table(title="data flows (what is sent)")
        for col in ("field", "classes", "source", "from"):
            t.add_column(col, overflow="fold")
        for f in doc["flows"]:
            where = (
                ", ".join(f["pages"][:3]) + (" ..." if len(f["pages"]) > 3 else "")
                if f["pages"]
                else f["origin"]
            )
            src = f["source"] + (f" #{f['evidence_id']}" if f["evidence_id"] else "")
            t.add_row(_t(f["field"]), ", ".join(f["classes"]) or "-", src, _t(where or "-"))
        out(t)
    else:
        say("  no data flows recorded (add evidence: breachscope vendors evidence FILE)")
    for e in doc["evidence"]:
        say(
            f"  evidence #{e['id']}: {e['kind']} {_t(e['file_name'])} ({e['imported_at']}, "
            + ("complete" if e["complete"] else "INCOMPLETE read")
            + ")"
        )
    for link in doc["incidents"]:
        say(
            f"  linked to incident {link['incident']} ({link['linked_at']}): "
            f"in its leak but never sent: {_t(', '.join(link['leak_only']) or '-', 300)}; "
            f"sent but not in its leak: {_t(', '.join(link['sent_only']) or '-', 300)}"
        )


@click.group("vendors")
def command() -> None:
    """The vendor registry: who receives which data, under which contract; audit, link, remove."""


@command.command("add")
@click.argument("name")
@fact_options
@author_option
@db_option
def add_command(name: str, author: str | None, db: str | None, **kw: Any) -> None:
    """Register a vendor NAME with its purpose and contract facts (unrecorded facts stay unknown)."""
    from breachscope.inventory import add_vendor, vendor_document

    with case_database(db) as engine, session_scope(engine) as s:
        vendor = add_vendor(s, name, _facts(**kw), author=who(author), clock=SystemClock())
        doc = vendor_document(s, vendor)
    print_vendor(doc, Console())


@command.command("edit")
@click.argument("name")
@click.option("--rename", default=None, metavar="NEW", help="A new name for the vendor.")
@fact_options
@author_option
@db_option
def edit_command(name: str, rename: str | None, author: str | None, db: str | None, **kw: Any) -> None:
    """Change recorded facts of vendor NAME ('unknown' clears a fact back to unknown)."""
    from breachscope.inventory import edit_vendor, vendor_document

    facts = _facts(**kw)
    if rename:
        facts["name"] = rename
    if not facts:
        raise click.UsageError("nothing to change: give at least one option (see --help)")
    with case_database(db) as engine, session_scope(engine) as s:
        vendor, changed = edit_vendor(s, name, facts, author=who(author), clock=SystemClock())
        doc = vendor_document(s, vendor)
    console = Console()
    console.print(f"changed: {', '.join(changed)}" if changed else "nothing changed (same values)")
    print_vendor(doc, console)


@command.command("list")
@click.option(
    "--status", type=click.Choice(["active", "suspended", "removed"]), default=None, help="Only this status."
)
@json_option()
@db_option
def list_command(status: str | None, json_out: str | None, db: str | None) -> None:
    """List the registered vendors with purpose, status, flows and review date."""
    from breachscope.inventory import list_vendors, vendor_row

    with case_database(db) as engine, session_scope(engine) as s:
        rows = [vendor_row(s, v) for v in list_vendors(s, status)]
    if emit_json(json_out, {"vendors": rows}):
        return
    if not rows:
        click.echo(
            'no vendors registered (add one: breachscope vendors add "Vendor name" --purpose analytics)'
        )
        return
    t = Table()
    for col in ("vendor", "purpose", "status", "flows", "breach notice", "last review"):
        t.add_column(col, overflow="fold")
    for r in rows:
        hours = f"{r['breach_notice_hours']} h" if r["breach_notice_hours"] is not None else "unknown"
        t.add_row(
            _t(r["name"]),
            _t(r["purpose"] or "unknown"),
            r["status"],
            str(r["flows"]),
            hours,
            r["last_review"] or "-",
        )
    Console().print(t)


@command.command("show")
@click.argument("name")
@json_option()
@db_option
def show_command(name: str, json_out: str | None, db: str | None) -> None:
    """Show vendor NAME: contract facts, contacts, data flows with their evidence, incidents."""
    from breachscope.inventory import get_vendor, vendor_document

    with case_database(db) as engine, session_scope(engine) as s:
        doc = vendor_document(s, get_vendor(s, name))
    if emit_json(json_out, doc):
        return
    print_vendor(doc, Console())


@command.command("flow")
@click.argument("name")
@click.argument("field")
@click.option(
    "--class", "classes", multiple=True, metavar="CLASS", help="A data class the field carries (repeatable)."
)
@click.option(
    "--from", "origin", default="", metavar="WHERE", help="Where it is sent from (page, app, server job)."
)
@click.option("--remove", is_flag=True, help="Remove the declared flow of FIELD instead.")
@author_option
@db_option
def flow_command(
    name: str,
    field: str,
    classes: tuple[str, ...],
    origin: str,
    remove: bool,
    author: str | None,
    db: str | None,
) -> None:
    """Declare that FIELD (of the given data classes) is sent to vendor NAME (evidence is better:
    see ``vendors evidence``)."""
    from breachscope.inventory import add_flow, get_vendor, remove_manual_flow

    with case_database(db) as engine, session_scope(engine) as s:
        vendor = get_vendor(s, name)
        if remove:
            n = remove_manual_flow(s, vendor, field)
            click.echo(f"removed {n} declared flow(s) of {terminal_text(field)}")
            return
        if not classes:
            raise click.UsageError("give the data classes with --class (e.g. --class email)")
        add_flow(s, vendor, field, list(classes), origin=origin, author=who(author), clock=SystemClock())
    click.echo(f"recorded: {terminal_text(field)} ({', '.join(classes)}) -> {terminal_text(name)}")


def print_evidence(doc: dict[str, Any], console: Console) -> None:
    from breachscope.inventory.audit import class_label

    def say(text: str) -> None:
        console.print(text, soft_wrap=True)

    head = f"{_t(doc['file'])}: {doc['kind']}"
    if doc["entries"] is not None:
        head += f", {doc['entries']:,} entries, {doc['values_examined'] or 0:,} distinct values checked"
    say(head + ("" if doc["complete"] else "  [bold red]INCOMPLETE READ[/bold red]"))
    for kind, n in sorted(doc["issues"].items()):
        example = (doc["issue_examples"].get(kind) or [""])[0]
        say(f"  issue {kind} x{n}: {_t(example, 160)}")
    if not doc["vendors"]:
        say("  no collection calls of a known service or pixel found")
    for v in doc["vendors"]:
        classes = ", ".join(class_label(c) for c in v["classes"]) or "no recognised personal data"
        added = " (NEW: added to the registry, confirm its purpose)" if v["added"] else ""
        say(f"[bold]{_t(v['vendor'])}[/bold]{added}: receives {classes}")
        for cls, fields in v["classes"].items():
            say(f"    {cls}: {_t(', '.join(fields), 200)}")
        if v["pages"]:
            say(f"    from: {_t(', '.join(v['pages']), 300)}")
        for script in v["scripts"]:
            pages = ", ".join(script["pages"]) or "page unknown"
            say(f"    SDK loaded from {_t(script['url'])} on {_t(pages, 200)}")
        for path, masked in v["keys"].items():
            say(f"    key/token ({_t(path)}): {_t(', '.join(masked))}")
        say(f"    stored as evidence #{v['evidence_id']}, {v['flows']} field(s)")


@command.command("evidence")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--vendor", default=None, metavar="NAME", help="The vendor the file is about (needed for Avo plans)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(
        ["har", "squid-log", "access-log", "segment-protocols", "mixpanel-lexicon", "amplitude-data", "avo"]
    ),
    default=None,
    help="The file's format (default: recognised from the content).",
)
@json_option()
@author_option
@db_option
def evidence_command(
    files: tuple[Path, ...],
    vendor: str | None,
    fmt: str | None,
    json_out: str | None,
    author: str | None,
    db: str | None,
) -> None:
    """Learn what is really sent from FILES: HAR captures and proxy logs (Squid access.log, Common/Combined
    Log Format; every collection call decoded, every value checked by the detectors) and tracking
    plans (Segment Protocols, Mixpanel Lexicon, Amplitude Data, Avo).

    Exit code 4 when a file could not be read completely (its issues are listed; what was read
    is stored, marked incomplete)."""
    from breachscope.inventory.evidence import import_evidence

    docs = []
    with case_database(db) as engine:
        for path in files:
            with session_scope(engine) as s:
                result = import_evidence(
                    s, path, vendor=vendor, fmt=fmt, author=who(author), clock=SystemClock()
                )
                docs.append(result.to_dict())
    if json_out:
        write_json(json_out, {"evidence": docs})
    if not to_stdout(json_out):
        console = Console()
        for doc in docs:
            print_evidence(doc, console)
    if not all(d["complete"] for d in docs):
        raise SystemExit(EXIT_INCOMPLETE)


#: Exit status when an evidence file was read only in part (docs/inventory.md).
EXIT_INCOMPLETE = 4


def print_audit(doc: dict[str, Any], console: Console) -> None:
    def say(text: str) -> None:
        console.print(text, soft_wrap=True)

    s = doc["summary"]
    say(
        f"{s['vendors']} vendor(s): {s['over_sharing']} over-sharing, "
        f"{s['contract_gaps']} with contract gaps, {s['review_overdue']} with the review overdue"
    )
    for v in doc["vendors"]:
        say(
            f"\n[bold]{_t(v['name'])}[/bold] "
            f"({v['status']}, {_t(v['purpose_label'] or 'purpose not recorded')})"
        )
        sent = ", ".join(v["sent"]) or "nothing recorded"
        say(f"  sends: {sent}")
        if v["purpose"]:
            say(f"  its purpose needs: {', '.join(v['needs']) or '-'} (may: {', '.join(v['may']) or '-'})")
        for o in v["over_sharing"]:
            tag = " (re-identifying)" if o["reidentifying"] else " (free text)" if o["free_text"] else ""
            say(f"  [red]OVER-SHARING{tag}[/red]: {o['class']} in {_t(', '.join(o['fields'][:5]), 200)}")
        br = v["blast_radius"]
        people = (
            f"{br['people']:,} people ({br['people_basis']})"
            if br["people"] is not None
            else br["people_basis"]
        )
        say(f"  if it leaked: {people}")
        for g in v["contract_gaps"]:
            color = "yellow" if g["kind"] == "not_recorded" else "red"
            say(f"  [{color}]contract: {g['gap']}[/{color}] ({g['citation']})")
        r = v["review"]
        review = f"{r['last_review']} ({r['age_days']} days ago)" if r["last_review"] else "never recorded"
        say(f"  last review: {review}" + (" [red]overdue[/red]" if r["overdue"] else ""))
        for f in v["flags"]:
            say(f"  [yellow]{_t(f, 200)}[/yellow]")


@command.command("audit")
@click.option(
    "--incident",
    "incident_id",
    type=int,
    default=None,
    metavar="N",
    help="Incident whose directory size bounds the blast radius (and that gets --tasks).",
)
@click.option("--tasks", is_flag=True, help="Create one 'Audit vendor X' task per vendor on --incident.")
@click.option(
    "--purposes",
    "purposes_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Purpose needs file (default: the bundled inventory/data/purposes.yaml).",
)
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="PATH",
    help="Also write the audit as an HTML page.",
)
@json_option()
@author_option
@db_option
def audit_command(
    incident_id: int | None,
    tasks: bool,
    purposes_file: Path | None,
    html_out: Path | None,
    json_out: str | None,
    author: str | None,
    db: str | None,
) -> None:
    """Audit every vendor: classes sent vs what its purpose needs, over-sharing, blast radius,
    contract gaps, review age; --tasks makes it a task list on --incident."""
    from breachscope.files import write_private
    from breachscope.inventory.audit import audit, audit_tasks
    from breachscope.inventory.html import audit_html
    from breachscope.inventory.purposes import load

    if tasks and incident_id is None:
        raise click.UsageError("--tasks needs --incident N (the incident the tasks belong to)")
    with case_database(db) as engine, session_scope(engine) as s:
        report = audit(s, incident_id=incident_id, purposes=load(purposes_file), clock=SystemClock())
        doc = report.to_dict()
        if tasks and incident_id is not None:
            doc["tasks"] = audit_tasks(s, report, incident_id, actor=who(author), clock=SystemClock())
    if html_out is not None:
        write_private(html_out, audit_html(doc), parents=False)
    if emit_json(json_out, doc):
        return
    print_audit(doc, Console())
    for t in doc.get("tasks", []):
        click.echo(f"task #{t['task']} ({t['change']}): audit vendor {terminal_text(t['vendor'])}")


@command.command("link")
@click.argument("name")
@incident_option()
@json_option()
@author_option
@db_option
def link_command(
    name: str, incident_id: int, json_out: str | None, author: str | None, db: str | None
) -> None:
    """Link vendor NAME to an incident and compare the fields we sent it with the fields in the
    incident's leaked datasets (stored in the case; run again after attaching more files)."""
    from breachscope.inventory.compare import link_incident, summary_sentence

    with case_database(db) as engine, session_scope(engine) as s:
        doc = link_incident(s, name, incident_id, author=who(author), clock=SystemClock())
    if emit_json(json_out, doc):
        return
    console = Console()

    def say(text: str) -> None:
        console.print(text, soft_wrap=True)

    say(f"incident {incident_id} <-> {_t(doc['vendor'])}: {_t(summary_sentence(doc), 1000)}")
    for row in doc["in_both"]:
        say(
            f"  in both: {_t(row['key'])} (leak: {_t(', '.join(row['fields']))}; "
            f"sent: {_t(', '.join(row['sent_fields']))})"
        )
    for row in doc["leak_only"]:
        say(f"  leak only: {_t(row['key'])} ({', '.join(row['classes']) or 'no class'}): {_t(row['why'])}")
    for row in doc["sent_only"]:
        say(f"  sent only (held by the vendor): {_t(row['key'])} ({', '.join(row['classes']) or 'no class'})")
    for caveat in doc["caveats"]:
        say(f"  [yellow]{_t(caveat, 300)}[/yellow]")


@command.command("remove")
@click.argument("name")
@incident_option(
    required=False, help="Incident the tasks belong to (default: the vendor's last linked incident)."
)
@click.option(
    "--company", required=True, metavar="NAME", help="Our company's name, for the deletion request letter."
)
@click.option(
    "--requester", default=None, metavar="NAME", help="Who signs the letter (default: the company)."
)
@click.option(
    "--letters",
    "letters_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Write the deletion request letters (English, Indonesian) into DIR (files 0600).",
)
@json_option()
@author_option
@db_option
def remove_command(
    name: str,
    incident_id: int | None,
    company: str,
    requester: str | None,
    letters_dir: Path | None,
    json_out: str | None,
    author: str | None,
    db: str | None,
) -> None:
    """Offboard vendor NAME: the checklist as tasks (SDK to remove, keys to revoke, deletion request,
    evidence of deletion, verification), deletion request letters in English and Indonesian, and
    status removed."""
    from breachscope.inventory.offboard import offboard

    with case_database(db) as engine, session_scope(engine) as s:
        result = offboard(
            s,
            name,
            incident_id=incident_id,
            company=company,
            requester=requester,
            letters_dir=letters_dir,
            author=who(author),
            clock=SystemClock(),
        )
        doc = result.to_dict()
    if emit_json(json_out, doc):
        return
    click.echo(f"{terminal_text(doc['vendor'])}: status removed; tasks on incident {doc['incident_id']}:")
    for t in doc["tasks"]:
        click.echo(f"  task #{t['task']} ({t['change']}): {terminal_text(t['title'])}")
    for path in doc["written"]:
        click.echo(f"  letter: {path}")
    if not doc["written"]:
        click.echo("  letters: not written (give --letters DIR); English:\n")
        click.echo(doc["letters"]["en"])
