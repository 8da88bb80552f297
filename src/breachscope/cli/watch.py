"""``breachscope watch``: watch for what follows a leak. ``watch domains``: look-alike domains.

The library (:mod:`breachscope.watch`: dnstwist, dnspython) is imported when the command runs,
so ``breachscope --help`` does not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from breachscope.case.db import case_database
from breachscope.cli.options import (
    audit_after,
    author_option,
    db_option,
    incident_option,
    json_option,
    progress_bar,
    to_stdout,
    who,
    write_json,
)
from breachscope.clock import SystemClock
from breachscope.inert import terminal_text

if TYPE_CHECKING:
    from breachscope.watch import WatchReport


def _t(value: object, limit: int = 120) -> str:
    return escape(terminal_text(value, limit))


def print_report(report: WatchReport, console: Console) -> None:
    data = report.to_dict()
    c = data["counts"]
    console.print(
        f"incident {report.incident_id}: {c['candidates']:,} look-alike candidates of "
        f"{_t(', '.join(report.domains))} checked via {_t(report.resolver)}"
    )
    t = Table(title="registered look-alikes (each is an open action)")
    for col in ("domain", "kind", "MX", "first seen", ""):
        t.add_column(col, overflow="fold")
    new = {f.domain for f in report.new}
    for f in report.registered:
        shown = f.domain if f.unicode == f.domain else f"{f.domain} ({f.unicode})"
        t.add_row(
            _t(shown),
            _t(f.kind),
            "yes" if f.receives_mail else "no",
            f.first_seen.date().isoformat(),
            "NEW" if f.domain in new else "",
        )
    console.print(t)
    if report.registered:
        console.print(
            "suggested action: a takedown request for each; block those with MX at the mail gateway "
            "(sender, reply-to and link domains). Stored in the case with the timeline."
        )
    for f in report.gone:
        console.print(f"gone (NXDOMAIN now): {_t(f.domain)}")
    console.print(
        f"{c['registered']} registered ({c['receives_mail']} receive mail), {c['new']} new, "
        f"{c['gone']} gone, {c['unknown']} not answered by the resolver"
        + (" (not checked: see --json 'unknown')" if c["unknown"] else "")
    )


@click.group("watch")
def command() -> None:
    """Watch for what follows a leak: look-alike domains of the official ones."""


@command.command("domains")
@incident_option()
@click.option(
    "--domain",
    "domains",
    multiple=True,
    metavar="DOMAIN",
    help="An official domain to watch (repeatable; default: the domains of the incident's last run).",
)
@click.option(
    "--resolver",
    "resolver",
    default=None,
    metavar="IP[:PORT]",
    help="DNS resolver to ask (default: the system's resolvers from /etc/resolv.conf).",
)
@click.option(
    "--timeout",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 30.0),
    help="Seconds per DNS query attempt.",
)
@click.option(
    "--concurrency",
    default=32,
    show_default=True,
    type=click.IntRange(1, 256),
    help="DNS queries in flight at once.",
)
@json_option("Write the run as JSON to PATH ('-' = standard output, nothing else is printed).")
@author_option
@db_option
def domains_command(
    incident_id: int,
    domains: tuple[str, ...],
    resolver: str | None,
    timeout: float,
    concurrency: int,
    json_out: str | None,
    author: str | None,
    db: str | None,
) -> None:
    """Generate look-alikes of the official domains (typos, homoglyphs incl. IDN, TLD swaps,
    attacker words), resolve A/AAAA/MX/NS, and record the registered ones in the case with
    first/last seen and a suggested action (takedown; block at the mail gateway if it has MX)."""
    from breachscope.watch import ResolverSettings, parse_resolver, watch_domains

    ip, port = parse_resolver(resolver) if resolver else (None, 53)
    settings = ResolverSettings(
        nameserver=ip,
        port=port,
        timeout=timeout,
        lifetime=timeout * 2.5,
        concurrency=concurrency,
    )
    with case_database(db) as engine, progress_bar() as bar:
        report = watch_domains(
            engine,
            incident_id,
            domains,
            resolver=settings,
            clock=SystemClock(),
            author=who(author),
            progress=bar,
        )
        c = report.to_dict()["counts"]
        audit_after(engine, "watch.domains", "incident", incident_id, incident_id,
                    {"domains": list(report.domains), "registered": c["registered"], "new": c["new"],
                     "gone": c["gone"]}, author=who(author))  # fmt: skip
    if json_out is not None and to_stdout(json_out):
        write_json(json_out, report.to_dict())
        return
    print_report(report, Console())
    if json_out is not None:
        write_json(json_out, report.to_dict())
        click.echo(f"JSON written to {json_out}")


@command.command("done")
@incident_option()
@click.argument("domain")
@click.option("--note", default="", help="What was done (takedown ticket, gateway rule), for the timeline.")
@click.option("--reopen", is_flag=True, help="Open the action again instead of closing it.")
@author_option
@db_option
def done_command(
    incident_id: int, domain: str, note: str, reopen: bool, author: str | None, db: str | None
) -> None:
    """Mark the suggested action of a registered look-alike DOMAIN done (takedown requested,
    blocked at the mail gateway), with a timeline line."""
    from breachscope.watch import set_action_state

    with case_database(db) as engine:
        found = set_action_state(
            engine, incident_id, domain, done=not reopen, note=note, clock=SystemClock(), author=who(author)
        )
        audit_after(engine, "watch.action", "lookalike", found.domain, incident_id,
                    {"state": found.action_state, "note": note}, author=who(author))  # fmt: skip
    click.echo(f"{terminal_text(found.domain)}: action {found.action_state}")
