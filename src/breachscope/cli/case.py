"""``breachscope case``: open, list, show, log, attach and purge incident cases."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from breachscope.case import api, rekey
from breachscope.case import purge as purging
from breachscope.case.dates import DATE_FIELDS, DATE_LABELS
from breachscope.case.db import ENV_VAR, open_case_db, session_scope
from breachscope.case.purge import audit_log
from breachscope.clock import SystemClock
from breachscope.errors import BreachscopeError, InputError
from breachscope.exposures.attach import attach_file
from breachscope.inert import terminal_text
from breachscope.progress import NullProgress, Progress, RichProgress

F = TypeVar("F", bound=Callable[..., Any])


def _t(value: object, limit: int = 300) -> str:
    """Text from the case (file names come from archives, messages quote them) made inert for rich."""
    return escape(terminal_text(value, limit))


def db_option(f: F) -> F:
    """``--db URL``, shared by every command that opens a case."""
    return click.option(
        "--db",
        "db",
        envvar=ENV_VAR,
        default=None,
        metavar="URL",
        help=f"Case database URL (default: ${ENV_VAR}, else sqlite:///breachscope.db).",
    )(f)


def author_option(f: F) -> F:
    return click.option(
        "--author",
        default=None,
        help="Who is doing this, for the timeline (default: $BREACHSCOPE_AUTHOR, else the login name).",
    )(f)


def who(author: str | None) -> str:
    if author:
        return author
    env = os.environ.get("BREACHSCOPE_AUTHOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:
        return api.DEFAULT_AUTHOR


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A rich bar on an interactive terminal; nothing when stderr is a file or a pipe."""
    if not sys.stderr.isatty():
        yield NullProgress()
        return
    with RichProgress() as bar:
        yield bar


def parse_when(value: str | None, option: str) -> datetime | None:
    """ISO 8601 date or date-time; a value with no zone is read as UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{option}: not a date/time: {value!r}", "use ISO 8601, e.g. 2025-11-09T14:00+07:00 or 2025-11-09"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def fmt_when(value: datetime | None) -> str:
    return value.isoformat(timespec="minutes") if value else "-"


@click.group("case")
def command() -> None:
    """Incident cases: the dates that drive legal clocks, datasets, timeline, purge."""


def date_options(f: F) -> F:
    for name in reversed(DATE_FIELDS):
        f = click.option(
            f"--{name.replace('_', '-')}",
            name,
            default=None,
            metavar="WHEN",
            help=f"When {DATE_LABELS[name]} (ISO 8601; no zone = UTC).",
        )(f)
    return f


def force_options(f: F) -> F:
    f = click.option(
        "--reason", default="", help="Why (needed with --force, and to correct a date already set; logged)."
    )(f)
    return click.option(
        "--force", is_flag=True, help="Accept dates in the future or out of order (needs --reason)."
    )(f)


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
    engine = open_case_db(db, create=True)  # the one command that may create a case database
    with session_scope(engine) as s:
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
        click.echo(f"Opened incident {incident.id}: {incident.name}")
    engine.dispose()


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@db_option
def list_(as_json: bool, db: str | None) -> None:
    """List the incidents in the case database."""
    engine = open_case_db(db)
    with session_scope(engine) as s:
        rows = [
            {
                "id": i.id,
                "name": i.name,
                "vendor": i.vendor,
                "status": i.status,
                "created_at": fmt_when(i.created_at),
                "aware_at": fmt_when(i.aware_at),
                **api.counts(s, i.id),
            }
            for i in api.list_incidents(s)
        ]
    engine.dispose()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
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


def _class_states(scan: dict[str, Any] | None) -> dict[str, list[str]]:
    """present / absent / not_checked class ids of a stored scan report."""
    out: dict[str, list[str]] = {"present": [], "absent": [], "not_checked": []}
    classes = (scan or {}).get("classes") or {}
    for cid, info in classes.items():
        status = info.get("status") if isinstance(info, dict) else None
        out.setdefault(str(status or "not_checked"), []).append(str(cid))
    return out


def _read_state(d: dict[str, Any]) -> str:
    if d["complete"]:
        return "complete"
    parts = [f"{d['unread_records']:,} records"] if d["unread_records"] else []
    if d["unread_bytes"]:
        parts.append(f"{d['unread_bytes']:,} bytes")
    state = "INCOMPLETE: " + (" and ".join(parts) or "part") + " unread"
    if d["incomplete_accepted"]:
        state += f"; accepted by {d['incomplete_accepted']['by']}"
    return state


def show_data(db: str | None, incident_id: int) -> dict[str, Any]:
    from breachscope.case import facts as case_facts

    engine = open_case_db(db)
    with session_scope(engine) as s:
        i = api.get_incident(s, incident_id)
        scope = api.latest_scope(s, incident_id)
        data: dict[str, Any] = {
            "id": i.id,
            "name": i.name,
            "vendor": i.vendor,
            "description": i.description,
            "status": i.status,
            "created_at": fmt_when(i.created_at),
            "purged_at": fmt_when(i.purged_at) if i.purged_at else None,
            "dates": {k: fmt_when(getattr(i, k)) for k in DATE_FIELDS},
            "counts": api.counts(s, incident_id),
            "facts": {k: f.value for k, f in case_facts.current(s, incident_id).items()},
            "datasets": [
                {
                    "id": d.id,
                    "file_name": d.file_name,
                    "sha256": d.sha256,
                    "size_bytes": d.size_bytes,
                    "format": d.format,
                    "vendor": d.vendor,
                    "layout": d.layout,
                    "records": d.records,
                    "people": d.exposures,
                    "scanned_at": fmt_when(d.scanned_at),
                    "complete": d.is_complete,
                    "unread_records": d.unread_records,
                    "unread_bytes": d.unread_bytes,
                    "incomplete_accepted": (
                        {
                            "by": d.incomplete_accepted_by,
                            "why": d.incomplete_accepted_why,
                            "at": fmt_when(d.incomplete_accepted_at),
                        }
                        if d.incomplete_accepted_by
                        else None
                    ),
                    "classes": _class_states(d.scan_json),
                }
                for d in api.list_datasets(s, incident_id)
            ],
            "timeline": [
                {"at": fmt_when(e.at), "author": e.author, "kind": e.kind, "message": e.message}
                for e in api.timeline(s, incident_id)
            ],
            "scope": dict(scope.summary) if scope else None,
            "audit": [
                {"at": fmt_when(a.at), "actor": a.actor, "action": a.action, "detail": a.detail}
                for a in audit_log(s, incident_id)
            ],
        }
    engine.dispose()
    return data


@command.command("show")
@click.argument("incident_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@db_option
def show(incident_id: int, as_json: bool, db: str | None) -> None:
    """Show one incident: its dates, recorded facts, datasets, timeline and counts."""
    data = show_data(db, incident_id)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
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
        for col in ("id", "file", "sha256", "bytes", "vendor/layout", "records", "people", "read", "classes"):
            t.add_column(col)
        for d in data["datasets"]:
            c = d["classes"]
            t.add_row(
                str(d["id"]),
                _t(d["file_name"]),
                d["sha256"][:16] + "...",
                f"{d['size_bytes']:,}",
                _t(f"{d['vendor'] or '-'}/{d['layout'] or '-'}"),
                f"{d['records']:,}",
                f"{d['people']:,}",
                _read_state(d),
                f"{len(c['present'])} present, {len(c['absent'])} absent, "
                f"{len(c['not_checked'])} not checked",
            )
        console.print(t)
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
    engine = open_case_db(db)
    with session_scope(engine) as s:
        event = api.add_timeline_event(
            s,
            incident_id,
            message,
            author=who(author),
            kind=kind,
            clock=SystemClock(),
            at=parse_when(at, "--at"),
        )
        click.echo(f"Logged at {fmt_when(event.at)} by {event.author}.")
    engine.dispose()


@command.command("attach")
@click.argument("incident_id", type=int)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@author_option
@db_option
def attach(incident_id: int, files: tuple[Path, ...], author: str | None, db: str | None) -> None:
    """Scan leaked FILES and attach them, with the people they expose, to an incident."""
    engine = open_case_db(db)
    table = Table(title=f"attached to incident {incident_id}")
    for col in ("dataset", "file", "records", "people", "new", "vendor/layout", "issues", "read"):
        table.add_column(col, overflow="fold")
    incomplete: list[int] = []
    try:
        for path in files:
            with progress_bar() as progress:
                r = attach_file(
                    engine, incident_id, path, author=who(author), clock=SystemClock(), progress=progress
                )
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
    finally:
        engine.dispose()
    Console().print(table)
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
    engine = open_case_db(db)
    try:
        with session_scope(engine) as s:
            ds = api.accept_incomplete(
                s, incident_id, dataset_id, why=why, author=who(author), clock=SystemClock()
            )
            click.echo(
                f"Dataset {ds.id} ({terminal_text(ds.file_name)}): unread part accepted by "
                f"{terminal_text(ds.incomplete_accepted_by)}. "
                "Re-run breachscope assess so actions and notices use it."
            )
    finally:
        engine.dispose()


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
    engine = open_case_db(db)
    try:
        with session_scope(engine) as s:
            name = api.get_incident(s, incident_id).name
        if not yes:
            click.confirm(
                f"Purge person data of incident {incident_id} ({name})? This cannot be undone", abort=True
            )
        result = purging.purge(
            engine, incident_id, actor=who(author), clock=SystemClock(), reason=reason, wait_s=wait
        )
    finally:
        engine.dispose()
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
    engine = open_case_db(db)
    try:
        r = rekey.rotate(engine, new_key_file=new_key_file, author=who(author))
    finally:
        engine.dispose()
    click.echo(f"Rotated: {r.incidents:,} case key(s) re-wrapped, key id {r.old_key_id} -> {r.new_key_id}.")
    click.echo(f"New key: {r.key_file} (the old key no longer opens this case; update your backups).")


# Facts and date corrections live in their own module (this one stays under ~400 lines).
from breachscope.cli.case_facts import edit, facts  # noqa: E402

command.add_command(edit)
command.add_command(facts)
