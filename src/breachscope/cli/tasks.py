"""``breachscope tasks``: the incident's work items (:mod:`breachscope.case.tasks`, :mod:`breachscope.tasks`).

``tasks list`` / ``add`` / ``update`` change and show tasks; ``tasks notify-due`` posts the
due-soon and overdue ones to a Slack-compatible webhook. Tasks from duties and actions are made
by ``breachscope assess``. The actor is ``$BREACHSCOPE_ACTOR`` (else the login name).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from breachscope.case import tasks as store
from breachscope.case.db import case_database, session_scope
from breachscope.cli.options import (
    actor,
    db_option,
    emit_json,
    incident_option,
    json_option,
    parse_when,
    to_stdout,
    write_json,
)
from breachscope.clock import SystemClock
from breachscope.errors import BreachscopeError, InputError
from breachscope.inert import terminal_text

WEBHOOK_ENV = "BREACHSCOPE_WEBHOOK_URL"
_DURATION = re.compile(r"^\s*(\d{1,5})\s*([mhd])\s*$")


def parse_duration(value: str, option: str) -> timedelta:
    """``90m``, ``48h``, ``7d``."""
    m = _DURATION.match(value)
    if not m:
        raise InputError(f"{option}: not a duration: {value!r}", "e.g. 48h, 2d or 90m")
    n, unit = int(m.group(1)), m.group(2)
    return timedelta(minutes=n) if unit == "m" else timedelta(hours=n) if unit == "h" else timedelta(days=n)


def _t(value: object, limit: int = 100) -> str:
    return escape(terminal_text(value, limit))


def _due(task: store.Task, now: datetime) -> str:
    if task.due_at is None:
        return "-"
    shown = task.due_at.strftime("%Y-%m-%d %H:%M")
    if task.status in store.ACTIVE and task.due_at <= now:
        return f"[bold red]{shown} OVERDUE[/]"
    return shown


@click.group("tasks")
def command() -> None:
    """Tasks of an incident: duties, actions and manual work, with due times, owners and status."""


@command.command("list")
@incident_option(required=False, help="Only this incident's tasks.")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(store.STATUSES), help="Only these (repeatable)."
)
@click.option("--all", "show_all", is_flag=True, help="Also done and not applicable tasks.")
@click.option(
    "--due-within",
    default=None,
    metavar="DURATION",
    help="Only active tasks due before now + DURATION (48h, 2d).",
)
@json_option()
@db_option
def list_cmd(
    incident_id: int | None,
    statuses: tuple[str, ...],
    show_all: bool,
    due_within: str | None,
    json_out: str | None,
    db: str | None,
) -> None:
    """List tasks, earliest due first; overdue ones are marked. Default: open and in progress."""
    now = SystemClock().now()
    wanted = statuses or (None if show_all else store.ACTIVE)
    before = None
    if due_within is not None:
        before = now + parse_duration(due_within, "--due-within")
        wanted = statuses or store.ACTIVE
    with case_database(db) as engine, session_scope(engine) as s:
        rows = store.list_tasks(s, incident_id, statuses=wanted, due_before=before)
    if emit_json(json_out, {"now": now.isoformat(), "tasks": [store.task_dict(t) for t in rows]}):
        return
    table = Table(title="tasks" + (f" of incident {incident_id}" if incident_id else ""))
    for col in ("id", "incident", "status", "due", "kind", "title", "owner"):
        table.add_column(col, overflow="fold")
    for t in rows:
        status = (
            t.status if t.status != store.NOT_APPLICABLE else f"not applicable: {_t(t.status_reason, 80)}"
        )
        table.add_row(
            str(t.id), str(t.incident_id), status, _due(t, now), t.kind, _t(t.title), _t(t.owner or "-")
        )
    Console().print(table)
    overdue = sum(1 for t in rows if t.status in store.ACTIVE and t.due_at is not None and t.due_at <= now)
    click.echo(f"{len(rows)} task(s), {overdue} overdue")


@command.command("add")
@incident_option()
@click.option("--title", required=True, help="What is to be done (no leaked values).")
@click.option("--due", default=None, metavar="WHEN", help="Due time (ISO 8601; no zone = UTC).")
@click.option("--owner", default=None, help="Who does it.")
@click.option("--detail", default="", help="More words on the task.")
@click.option("--kind", default="manual", show_default=True, help="A word to group tasks by.")
@json_option()
@db_option
def add(
    incident_id: int,
    title: str,
    due: str | None,
    owner: str | None,
    detail: str,
    kind: str,
    json_out: str | None,
    db: str | None,
) -> None:
    """Add a manual task to an incident."""
    with case_database(db) as engine, session_scope(engine) as s:
        change = store.add_task(
            s, incident_id, title, actor=actor(), kind=kind, due_at=parse_when(due, "--due"), owner=owner,
            detail=detail, clock=SystemClock(),
        )  # fmt: skip
        doc = store.task_dict(change.task)
    if emit_json(json_out, doc):
        return
    click.echo(f"Task {doc['id']} added to incident {incident_id}.")


@command.command("update")
@click.argument("task_id", type=int)
@incident_option(required=False, help="Refuse unless the task belongs to this incident.")
@click.option("--status", type=click.Choice(store.STATUSES), default=None, help="New status.")
@click.option("--reason", default=None, help="Why (required with --status not_applicable).")
@click.option("--owner", default=None, help="New owner ('none' clears it).")
@click.option("--due", default=None, metavar="WHEN|none", help="New due time ('none' clears it).")
@click.option("--title", default=None, help="New title.")
@json_option()
@db_option
def update(
    task_id: int,
    incident_id: int | None,
    status: str | None,
    reason: str | None,
    owner: str | None,
    due: str | None,
    title: str | None,
    json_out: str | None,
    db: str | None,
) -> None:
    """Change a task's status, owner, due time or title."""
    kwargs: dict[str, object] = {}
    if owner is not None:
        kwargs["owner"] = None if owner.strip().lower() == "none" else owner
    if due is not None:
        kwargs["due_at"] = None if due.strip().lower() == "none" else parse_when(due, "--due")
    with case_database(db) as engine, session_scope(engine) as s:
        change = store.update_task(
            s, task_id, actor=actor(), status=status, reason=reason, title=title, incident_id=incident_id,
            clock=SystemClock(), **kwargs,  # type: ignore[arg-type]
        )  # fmt: skip
        doc = store.task_dict(change.task)
    if emit_json(json_out, doc):
        return
    click.echo(
        f"Task {task_id}: " + (", ".join(change.fields) + " changed" if change.fields else "nothing changed")
    )


@command.command("notify-due")
@click.option(
    "--webhook",
    envvar=WEBHOOK_ENV,
    required=True,
    metavar="URL",
    help=f"Slack-compatible incoming webhook URL (default: ${WEBHOOK_ENV}; never printed).",
)
@click.option(
    "--within", default="48h", show_default=True, metavar="DURATION", help="What counts as due soon."
)
@incident_option(required=False, help="Only this incident's tasks.")
@click.option("--again", is_flag=True, help="Announce every due task, also those already announced.")
@json_option()
@db_option
def notify_due_cmd(
    webhook: str, within: str, incident_id: int | None, again: bool, json_out: str | None, db: str | None
) -> None:
    """Post due-soon and overdue tasks not announced yet to a webhook; exit 1 if it was not delivered.

    Each task is announced once when due soon and once when overdue (again if its due time
    moves); every delivery and its attempts are recorded in the case and the audit log. Run it
    from cron or a systemd timer."""
    from breachscope.tasks import notify_due
    from breachscope.webhooks import check_url

    check_url(webhook)
    with case_database(db) as engine:
        span = parse_duration(within, "--within")
        result = notify_due(
            engine,
            webhook,
            now=SystemClock().now(),
            within=span,
            actor=actor(),
            incident_id=incident_id,
            again=again,
        )
    if json_out:
        write_json(json_out, result.to_dict())
    if not to_stdout(json_out):
        rep = result.report
        new = len(result.announced)
        click.echo(f"{len(rep.overdue)} overdue, {len(rep.due_soon)} due within {within}; {new} new")
        if result.post is None:
            click.echo("Nothing new to announce: nothing posted.")
        else:
            for n, a in enumerate(result.post.tries, 1):
                click.echo(f"  attempt {n}: {a.status or '-'} {a.error} ({a.elapsed_s:.2f} s)")
    if result.post is not None and not result.post.ok:
        raise BreachscopeError(
            f"the webhook at {result.post.target} did not accept the message ({result.post.error})",
            "check the URL and the receiver; the tasks stay unannounced and go out on the next run",
        )
    if result.post is not None and not to_stdout(json_out):
        click.echo(f"Delivered to {result.post.target}.")
