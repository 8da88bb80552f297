"""``breachscope approvals``: four eyes from the command line (:mod:`breachscope.case.approvals`).

The person is ``$BREACHSCOPE_ACTOR`` (else the login name); the role that lets them approve is
the one of their team account in this case (``breachscope users add``; a member of the
request's incident), never an option. See
docs/audit.md for what four eyes does and does not protect against on a CLI.
"""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from breachscope.case import approvals
from breachscope.case.db import case_database, session_scope
from breachscope.cli.options import (
    actor,
    cli_source,
    db_option,
    emit_json,
    incident_option,
    json_option,
)
from breachscope.clock import SystemClock
from breachscope.inert import terminal_text


@click.group("approvals")
def command() -> None:
    """Four eyes: requests for irreversible actions, and their approval by a second person."""


@command.command("list")
@incident_option(required=False, help="Only this incident's requests.")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "used"]), help="Only these.")
@json_option()
@db_option
def list_cmd(incident_id: int | None, status: str | None, json_out: str | None, db: str | None) -> None:
    """List approval requests (newest last) with who asked, who decided, and their state."""
    now = SystemClock().now()
    with case_database(db) as engine, session_scope(engine) as s:
        rows = [
            approvals.approval_dict(a, now) for a in approvals.list_approvals(s, incident_id, status=status)
        ]
        policy = approvals.get_policy(s).to_dict()
    if emit_json(json_out, {"policy": policy, "approvals": rows}):
        return
    t = Table(title="approval requests")
    for col in ("id", "incident", "what", "requested by", "status", "decided by", "expires"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(
            str(r["id"]),
            str(r["incident_id"] or "-"),
            escape(terminal_text(r["summary"])),
            escape(terminal_text(r["requested_by"])),
            r["status"],
            escape(terminal_text(r["decided_by"] or "-")),
            r["expires_at"][:16],
        )
    console = Console()
    console.print(t)
    above = policy["notify_above"]
    sends = "sends need none" if above is None else f"sends of more than {above:,} notices need it"
    console.print(f"policy: purge needs approval: {'yes' if policy['purge'] else 'no'}; {sends}")


def _decide(approval_id: int, note: str, db: str | None, approve_it: bool) -> dict[str, Any]:
    person = actor()
    now = SystemClock().now()
    with case_database(db) as engine, session_scope(engine) as s:
        role = approvals.account_role(s, person, approvals.get_approval(s, approval_id).incident_id)
        fn = approvals.approve if approve_it else approvals.reject
        a = fn(s, approval_id, approver=person, role=role, now=now, note=note, source=cli_source())
        return approvals.approval_dict(a, now)


@command.command("approve")
@click.argument("approval_id", type=int)
@click.option("--note", default="", help="Why you approve (kept in the audit log).")
@db_option
def approve(approval_id: int, note: str, db: str | None) -> None:
    """Approve request ID as $BREACHSCOPE_ACTOR: not its requester, with the role it needs."""
    a = _decide(approval_id, note, db, True)
    click.echo(
        f"Approved #{a['id']} ({terminal_text(a['summary'])}) for {terminal_text(a['requested_by'])}, "
        f"who can now run it once before {a['expires_at'][:16]}."
    )


@command.command("reject")
@click.argument("approval_id", type=int)
@click.option("--note", default="", help="Why you reject it (kept in the audit log).")
@db_option
def reject(approval_id: int, note: str, db: str | None) -> None:
    """Reject request ID as $BREACHSCOPE_ACTOR (same rules as approving)."""
    a = _decide(approval_id, note, db, False)
    click.echo(f"Rejected #{a['id']} ({terminal_text(a['summary'])}).")


@command.command("policy")
@click.option("--purge/--no-purge", "purge", default=None, help="Whether purging an incident needs approval.")
@click.option(
    "--notify-above",
    default=None,
    metavar="N|none",
    help="A send of more than N notices needs approval ('none': no limit).",
)
@db_option
def policy(purge: bool | None, notify_above: str | None, db: str | None) -> None:
    """Show or set the case's four-eyes policy. Tightening is immediate; loosening needs an
    admin's approval like any guarded action."""
    now = SystemClock().now()
    with case_database(db) as engine:
        with session_scope(engine) as s:
            old = approvals.get_policy(s)
        new = old
        if purge is not None or notify_above is not None:
            above = old.notify_above
            if notify_above is not None:
                above = None if notify_above.strip().lower() == "none" else _count(notify_above)
            new = approvals.set_policy(
                engine,
                approvals.Policy(purge=old.purge if purge is None else purge, notify_above=above),
                actor=actor(),
                now=now,
                source=cli_source(),
            )
    click.echo(f"purge needs approval: {'yes' if new.purge else 'no'}")
    shown = "no limit" if new.notify_above is None else f"more than {new.notify_above:,} notices"
    click.echo(f"notify sends needing approval: {shown}")


def _count(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a number or 'none'", param_hint="--notify-above"
        ) from None
    if n < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--notify-above")
    return n
