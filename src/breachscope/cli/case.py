"""``breachscope case``: open, list, show, log, attach and purge incident cases."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from breachscope.case import api, rekey
from breachscope.case import purge as purging
from breachscope.case.dates import DATE_FIELDS, DATE_LABELS
from breachscope.case.db import case_database, session_scope
from breachscope.case.summary import incident_document, incident_rows
from breachscope.cli.case_facts import edit, facts
from breachscope.cli.options import (
    actor,
    audit_after,
    audit_cli,
    author_option,
    date_options,
    db_option,
    fmt_when,
    force_options,
    json_option,
    parse_when,
    progress_bar,
    to_stdout,
    who,
    write_json,
)
from breachscope.clock import SystemClock
from breachscope.errors import BreachscopeError
from breachscope.exposures.attach import attach_file
from breachscope.inert import terminal_text

F = TypeVar("F", bound=Callable[..., Any])


def _t(value: object, limit: int = 300) -> str:
    """Text from the case (file names come from archives, messages quote them) made inert for rich."""
    return escape(terminal_text(value, limit))


@click.group("case")
def command() -> None:
    """Incident cases: the dates that drive legal clocks, datasets, timeline, purge."""


@command.command("new")
@click.argument("name")
@click.option("--vendor", default="", help="The vendor that leaked the data (e.g. Mixpanel).")
@click.option("--description", default="", help="Free-text description of the incident.")
@click.option(
    "--encrypt",
    is_flag=True,
    help="Store the leaked values notices quote (email, city, region, country) encrypted "
    "(AES-256-GCM under the case key, kept apart from the database).",
)
@date_options
@force_options
@author_option
@db_option
def new(
    name: str,
    vendor: str,
    description: str,
    encrypt: bool,
    force: bool,
    reason: str,
    author: str | None,
    db: str | None,
    **dates: str | None,
) -> None:
    """Open a new incident case and print its id.

    The dates are checked: none in the future, and occurred <= vendor detected <= vendor told us
    <= we became aware. A date that breaks this is refused unless --force --reason TEXT.
    """
    from breachscope.case import dates as case_dates

    parsed = {k: parse_when(v, "--" + k.replace("_", "-")) for k, v in dates.items()}
    clock = SystemClock()
    forced = case_dates.check(parsed, clock.now(), force=force, reason=reason)
    with case_database(db, create=True) as engine, session_scope(engine) as s:  # may create the case DB
        incident = api.create_incident(
            s,
            name,
            vendor=vendor,
            description=description,
            author=who(author),
            clock=clock,
            encrypt=encrypt,
            **parsed,
        )
        if forced:
            api.add_timeline_event(
                s, incident.id, f"Dates forced past: {'; '.join(forced)}. Reason: {reason.strip()}",
                author=who(author), kind="dates", clock=clock,
            )  # fmt: skip
        audit_cli(s, "incident.create", "incident", incident.id, incident.id,
                  {"name": incident.name, "vendor": vendor, "encrypt": encrypt, "forced": forced},
                  author=who(author))  # fmt: skip
        click.echo(f"Opened incident {incident.id}: {incident.name}")


@command.command("list")
@json_option()
@db_option
def list_(json_out: str | None, db: str | None) -> None:
    """List the incidents in the case database."""
    with case_database(db) as engine, session_scope(engine) as s:
        rows = incident_rows(s)
    if json_out is not None:
        write_json(json_out, rows)
        if to_stdout(json_out):
            return
    if not rows:
        click.echo('No incidents yet. Open one with: breachscope case new "Vendor leak" --vendor NAME')
        return
    table = Table(title="incidents")
    for col in ("id", "name", "vendor", "status", "aware_at", "datasets", "exposures"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            *(_t(r[c]) for c in ("id", "name", "vendor", "status", "aware_at", "datasets", "exposures"))
        )
    Console().print(table)


def _read_state(d: dict[str, Any]) -> str:
    job = f" (server job {d['attach_job_id']})" if d.get("attach_job_id") else ""
    if d.get("state") == "attach interrupted":
        return f"ATTACH INTERRUPTED{job}: not counted, not read; the server removes it"
    if d.get("state") == "attaching":
        return f"ATTACHING{job}: not counted or read until it ends (a stopped server removes it at start)"
    if d["complete"]:
        return "complete"
    parts = [f"{d['unread_records']:,} records"] if d["unread_records"] else []
    if d["unread_bytes"]:
        parts.append(f"{d['unread_bytes']:,} bytes")
    state = "INCOMPLETE: " + (" and ".join(parts) or "part") + " unread"
    if d["incomplete_accepted"]:
        state += f"; accepted by {d['incomplete_accepted']['by']}"
    return state


@command.command("show")
@click.argument("incident_id", type=int)
@json_option()
@db_option
def show(incident_id: int, json_out: str | None, db: str | None) -> None:
    """Show one incident: its dates, recorded facts, datasets, timeline and counts."""
    with case_database(db) as engine, session_scope(engine) as s:
        data = incident_document(s, incident_id)
    if json_out is not None:
        write_json(json_out, data)
        if to_stdout(json_out):
            return
    console = Console()
    head = Table(title=f"incident {data['id']}: {_t(data['name'])} ({data['status']})", show_header=False)
    head.add_column("what")
    head.add_column("value")
    head.add_row("vendor", _t(data["vendor"] or "-"))
    for k in DATE_FIELDS:
        head.add_row(DATE_LABELS[k], data["dates"][k])
    head.add_row("opened", data["created_at"])
    for k, v in data["facts"].items():
        head.add_row(f"fact: {k}", v)
    for k, v in data["counts"].items():
        head.add_row(k.replace("_", " "), f"{v:,}")
    console.print(head)
    if data["datasets"]:
        t = Table(title="datasets")
        for col in (
            "id",
            "file",
            "sha256",
            "bytes",
            "vendor/layout",
            "records",
            "new people",
            "read",
            "classes",
        ):
            t.add_column(col)
        for d in data["datasets"]:
            c = d["classes"]
            t.add_row(
                str(d["id"]),
                _t(d["file_name"]),
                d["sha256"][:16] + "...",
                f"{d['size_bytes']:,}",
                _t(f"{d['vendor'] or '-'}/{d['layout'] or '-'}"),
                *(
                    (f"{d['records']:,}", f"{d['new_people']:,}")
                    if d.get("state", "attached") == "attached"
                    else ("not counted", "not counted")  # set when the attach ends
                ),
                _read_state(d),
                f"{len(c['present'])} present, {len(c['absent'])} absent, "
                f"{len(c['not_checked'])} not checked",
            )
        console.print(t)
        for d in data["datasets"]:  # synthetic people planted at vendors are not people
            if d.get("canary_sentence"):
                console.print(f"dataset {d['id']}: {_t(d['canary_sentence'], 500)}", soft_wrap=True)
    for v in data.get("vendors") or []:
        console.print(
            f"vendor {_t(v['vendor'])} (linked {v['linked_at']}, compared {v['compared_at']}):",
            soft_wrap=True,
        )
        console.print(
            f"  in the leak and sent by us: {_t(', '.join(v['in_both']) or '-', 500)}", soft_wrap=True
        )
        for row in v["leak_only"]:
            console.print(f"  in the leak, never sent: {_t(row['key'])}: {_t(row['why'])}", soft_wrap=True)
        console.print(
            f"  sent, not in this dataset (held by the vendor): {_t(', '.join(v['sent_only']) or '-', 500)}",
            soft_wrap=True,
        )
        for caveat in v["caveats"]:
            console.print(f"  [yellow]{_t(caveat, 300)}[/yellow]", soft_wrap=True)
    tl = Table(title="timeline")
    for col in ("at", "author", "kind", "message"):
        tl.add_column(col)
    for e in data["timeline"]:
        tl.add_row(e["at"], _t(e["author"]), e["kind"], _t(e["message"], 2000))
    console.print(tl)
    if data["audit"]:
        au = Table(title="audit")
        for col in ("at", "actor", "action", "detail"):
            au.add_column(col)
        for a in data["audit"]:
            au.add_row(
                a["at"], _t(a["actor"]), a["action"], _t(json.dumps(a["detail"], sort_keys=True), 2000)
            )
        console.print(au)


@command.command("log")
@click.argument("incident_id", type=int)
@click.argument("message")
@click.option("--kind", default="note", show_default=True, help="Event kind (note, call, decision ...).")
@click.option("--at", "at", default=None, metavar="WHEN", help="When it happened (ISO 8601; default now).")
@author_option
@db_option
def log(
    incident_id: int, message: str, kind: str, at: str | None, author: str | None, db: str | None
) -> None:
    """Add an event to an incident's timeline."""
    with case_database(db) as engine, session_scope(engine) as s:
        event = api.add_timeline_event(
            s,
            incident_id,
            message,
            author=who(author),
            kind=kind,
            clock=SystemClock(),
            at=parse_when(at, "--at"),
        )
        audit_cli(
            s, "timeline.add", "timeline_event", event.id, incident_id, {"kind": kind}, author=who(author)
        )
        click.echo(f"Logged at {fmt_when(event.at)} by {event.author}.")


@command.command("attach")
@click.argument("incident_id", type=int)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--vendor",
    default=None,
    help="This vendor's export: a vendor (mixpanel), a layout (mixpanel/people) or generic.",
)
@author_option
@db_option
def attach(
    incident_id: int, files: tuple[Path, ...], vendor: str | None, author: str | None, db: str | None
) -> None:
    """Scan leaked FILES and attach them, with the people they expose, to an incident."""
    table = Table(title=f"attached to incident {incident_id}")
    for col in ("dataset", "file", "records", "people", "new", "vendor/layout", "issues", "read"):
        table.add_column(col, overflow="fold")
    incomplete: list[int] = []
    canaries: list[str] = []
    try:
        with case_database(db) as engine:
            for path in files:
                with progress_bar() as progress:
                    r = attach_file(
                        engine,
                        incident_id,
                        path,
                        author=who(author),
                        clock=SystemClock(),
                        progress=progress,
                        vendor=vendor,
                    )
                audit_after(engine, "dataset.attach", "dataset", r.dataset_id, incident_id,
                            {"file_name": r.file_name, "records": r.records, "exposures": r.exposures,
                             "complete": r.complete}, author=who(author))  # fmt: skip
                table.add_row(
                    str(r.dataset_id),
                    _t(r.file_name),
                    f"{r.records:,}",
                    f"{r.exposures:,}",
                    f"{r.new_people:,}",
                    _t(f"{r.vendor or '-'}/{r.layout or '-'}"),
                    str(r.issues),
                    "complete" if r.complete else "INCOMPLETE",
                )
                if not r.complete:
                    incomplete.append(r.dataset_id)
                if r.canary:
                    canaries.append(r.canary)
    finally:
        # files attached before a later one failed (already attached, unreadable) are attached:
        # show them, so the error does not read as if nothing was
        if table.row_count:
            Console().print(table)
        for sentence in canaries:  # the canary check of each file (breachscope canary issue)
            click.echo(terminal_text(sentence, 2000))
        for dataset_id in incomplete:
            click.echo(
                f"Dataset {dataset_id} was not read whole: assess and notify will not say any class is "
                "'not included' for it. After checking the unread part, record who accepts it and why: "
                f'breachscope case accept-incomplete {incident_id} {dataset_id} --why "..."',
                err=True,
            )


@command.command("accept-incomplete")
@click.argument("incident_id", type=int)
@click.argument("dataset_id", type=int)
@click.option(
    "--why", required=True, help="Why the unread part of the dataset is accepted (goes to the timeline)."
)
@author_option
@db_option
def accept_incomplete(
    incident_id: int, dataset_id: int, why: str, author: str | None, db: str | None
) -> None:
    """Accept the unread part of an incompletely read dataset (who, why), so classes absent from
    the records read may be said "not included" by assess and notify."""
    with case_database(db) as engine, session_scope(engine) as s:
        ds = api.accept_incomplete(
            s, incident_id, dataset_id, why=why, author=who(author), clock=SystemClock()
        )
        audit_cli(
            s, "dataset.accept_incomplete", "dataset", ds.id, incident_id, {"why": why}, author=who(author)
        )
        click.echo(
            f"Dataset {ds.id} ({terminal_text(ds.file_name)}): unread part accepted by "
            f"{terminal_text(ds.incomplete_accepted_by)}. "
            "Re-run breachscope assess so actions and notices use it."
        )


@command.command("purge")
@click.argument("incident_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--reason", default="", help="Why the data is being purged (kept in the audit record).")
@click.option(
    "--wait",
    type=float,
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for other connections to the case to close before giving up.",
)
@author_option
@db_option
def purge(incident_id: int, yes: bool, reason: str, wait: float, author: str | None, db: str | None) -> None:
    """Delete an incident's exposures, matches and person-derived data, and destroy its hash key.

    Takes the database exclusively (fails, changing nothing, while another connection has it
    open), then checks the bytes of the SQLite file and its -wal/-shm for every deleted value
    and prints what it checked. The incident, its dates, timeline, dataset hashes and an audit
    record of the purge are kept. Running it again on a purged incident repeats the check.
    """
    with case_database(db) as engine:
        with session_scope(engine) as s:
            name = api.get_incident(s, incident_id).name
        if not yes:
            click.confirm(
                f"Purge person data of incident {incident_id} ({name})? This cannot be undone", abort=True
            )
        # the actor is who runs it ($BREACHSCOPE_ACTOR / login), as four eyes needs; --author is noted
        named = who(author)
        why = reason if named == actor() else f"{reason} (author: {named})".strip()
        result = purging.purge(
            engine, incident_id, actor=actor(), clock=SystemClock(), reason=why, wait_s=wait
        )
    total = sum(result.deleted.values())
    parts = ", ".join(f"{k} {v:,}" for k, v in result.deleted.items() if v) or "none"
    click.echo(f"Purged incident {incident_id}: {total:,} rows deleted ({parts}); hash key destroyed.")
    click.echo(f"Check: {result.summary()}.")
    if result.left:
        raise BreachscopeError(
            "purge could not verify that the deleted values are gone from the database files",
            f"run breachscope case purge {incident_id} again when no other program has the file open",
        )


@command.command("rotate-key")
@click.option(
    "--new-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the new key here (required when the key comes from $BREACHSCOPE_KEY).",
)
@author_option
@db_option
def rotate_key(new_key_file: Path | None, author: str | None, db: str | None) -> None:
    """Replace the key that protects the case keys (the key file next to the database).

    Every incident's key is re-wrapped under a new key in one transaction; the stored hashes
    stay valid. See docs/case.md for what rotation does and does not cover.
    """
    with case_database(db) as engine:
        r = rekey.rotate(engine, new_key_file=new_key_file, author=who(author))
        audit_after(engine, "case.rotate_key", "case", None, None,
                    {"incidents": r.incidents, "old_key_id": r.old_key_id, "new_key_id": r.new_key_id},
                    author=who(author))  # fmt: skip
    click.echo(f"Rotated: {r.incidents:,} case key(s) re-wrapped, key id {r.old_key_id} -> {r.new_key_id}.")
    click.echo(f"New key: {r.key_file} (the old key no longer opens this case; update your backups).")


# Facts and date corrections live in their own module (this one stays under ~400 lines).
command.add_command(edit)
command.add_command(facts)
