"""``breachscope case facts`` and ``breachscope case edit``: recorded incident facts and dates."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from breachscope.case.dates import DATE_LABELS
from breachscope.case.db import case_database, session_scope
from breachscope.cli.options import (
    audit_cli,
    date_options,
    db_option,
    fmt_when,
    force_options,
    json_option,
    parse_when,
    to_stdout,
    who,
    write_json,
)
from breachscope.clock import SystemClock
from breachscope.errors import InputError
from breachscope.inert import terminal_text


def _t(value: str) -> str:
    """A recorded value shown in a rich table: controls neutralised, no markup interpreted."""
    return escape(terminal_text(value, 500))


def _by_option(f: Any) -> Any:
    return click.option(
        "--by",
        "--author",
        "by",
        default=None,
        metavar="NAME",
        help="Who records this (default: $BREACHSCOPE_AUTHOR, else the login name).",
    )(f)


@click.command("facts")
@click.argument("incident_id", type=int)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="Record a fact (repeatable), e.g. --set cause=outside-attacker --set our-systems-affected=no.",
)
@click.option("--history", is_flag=True, help="Also list every earlier value, who set it and when.")
@json_option()
@_by_option
@db_option
def facts(
    incident_id: int,
    assignments: tuple[str, ...],
    history: bool,
    json_out: str | None,
    by: str | None,
    db: str | None,
) -> None:
    """Show or record the incident's facts: cause, our systems, vendor, support channel, measures.

    Each fact is yes/no/unknown or one of a listed set of values; nothing is assumed, and a fact
    nobody recorded is `unknown`. Every change is kept (who, when) and logged in the timeline.
    `assess` decides from these facts and notices state only what is recorded here.
    """
    from breachscope.case import facts as case_facts

    parsed = dict(case_facts.parse_assignment(a) for a in assignments)
    with case_database(db) as engine:
        with session_scope(engine) as s:
            changes = (
                case_facts.set_facts(s, incident_id, parsed, by=who(by), clock=SystemClock())
                if parsed
                else []
            )
            from breachscope.case import api

            api.get_incident(s, incident_id)
            if changes:
                audit_cli(s, "incident.facts", "incident", incident_id, incident_id,
                          {"changed": [{"key": c.key, "old": c.old, "new": c.new} for c in changes]},
                          author=who(by))  # fmt: skip
            current = case_facts.current(s, incident_id)
            past = case_facts.history(s, incident_id) if history else []
    if json_out is not None:
        data = {
            "incident": incident_id,
            "facts": {
                f.key: (
                    {
                        "value": current[f.key].value,
                        "set_by": current[f.key].set_by,
                        "set_at": current[f.key].set_at.isoformat(),
                    }
                    if f.key in current
                    else {"value": "unknown", "set_by": None, "set_at": None}
                )
                for f in case_facts.FACTS
            },  # fmt: skip
            "changed": [{"key": c.key, "old": c.old, "new": c.new} for c in changes],
        }
        if history:
            data["history"] = [
                {"key": h.key, "value": h.value, "set_by": h.set_by, "set_at": h.set_at.isoformat()}
                for h in past
            ]
        write_json(json_out, data)
        if to_stdout(json_out):
            return
    for c in changes:
        click.echo(f"{c.key}: {terminal_text(c.old, None)} -> {terminal_text(c.new, None)}")
    if parsed and not changes:
        click.echo("Nothing changed: the facts already have these values.")
    table = Table(title=f"facts of incident {incident_id}")
    table.add_column("fact", no_wrap=True)
    for col in ("value", "set by", "at"):
        table.add_column(col, overflow="fold")
    for f in case_facts.FACTS:
        rec = current.get(f.key)
        table.add_row(
            f.key,
            _t(rec.value) if rec else "[dim]unknown[/]",
            _t(rec.set_by) if rec else "-",
            rec.set_at.strftime("%Y-%m-%d %H:%M") if rec else "-",
        )
    console = Console()
    console.print(table)
    unknown = [f for f in case_facts.FACTS if f.key not in current or current[f.key].value == "unknown"]
    if unknown:
        console.print("[yellow]Still unknown[/] (record with --set KEY=VALUE --by NAME):")
        for f in unknown:
            console.print(f"  {f.key}: {escape(case_facts.valid_values(f))}")
    if past:
        hist = Table(title="history")
        for col in ("at", "fact", "value", "set by"):
            hist.add_column(col, overflow="fold")
        for h in past:
            hist.add_row(fmt_when(h.set_at), h.key, _t(h.value), _t(h.set_by))
        console.print(hist)


@click.command("edit")
@click.argument("incident_id", type=int)
@date_options
@force_options
@_by_option
@db_option
def edit(
    incident_id: int, force: bool, reason: str, by: str | None, db: str | None, **dates: str | None
) -> None:
    """Set or correct an incident's dates (the legal clocks run from them).

    Checked like `case new`: a date in the future or out of order (occurred <= vendor detected <=
    vendor told us <= we became aware) is refused unless --force. Correcting a date that was
    already set needs --reason; the old value, the new one and the reason go into the timeline.
    Clear a date with the value `none`.
    """
    from breachscope.case.dates import edit_dates

    given = {k: v for k, v in dates.items() if v is not None}
    if not given:
        raise InputError(
            "nothing to change", "e.g. breachscope case edit 1 --aware-at 2025-11-27T09:00+07:00"
        )
    parsed = {
        k: None if v.strip().lower() == "none" else parse_when(v, "--" + k.replace("_", "-"))
        for k, v in given.items()
    }
    with case_database(db) as engine, session_scope(engine) as s:
        done = edit_dates(s, incident_id, parsed, by=who(by), reason=reason, force=force, clock=SystemClock())
        if done:
            audit_cli(s, "incident.dates", "incident", incident_id, incident_id,
                      {"changed": [{"field": c.field, "old": c.old and c.old.isoformat(),
                                    "new": c.new and c.new.isoformat()} for c in done], "reason": reason},
                      author=who(by))  # fmt: skip
    if not done:
        click.echo("Nothing changed: the dates already have these values.")
    for c in done:
        old, new = (fmt_when(v) if v else "not set" for v in (c.old, c.new))
        click.echo(f"{DATE_LABELS[c.field]}: {old} -> {new}")
