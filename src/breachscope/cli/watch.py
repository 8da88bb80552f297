"""``breachscope watch``: watch for what follows a leak. ``watch domains``: look-alike domains.

The library (:mod:`breachscope.watch`: dnstwist, dnspython) is imported when the command runs,
so ``breachscope --help`` does not load it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from breachscope.case.db import case_database
from breachscope.cli.mail import emit, mail_settings, resolver_options
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
from breachscope.inert import defang_links, terminal_text

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
            "each is two tasks in the incident's task list: a takedown request, and a block (at the mail "
            "gateway for those with MX: sender, reply-to and link domains; else at the web proxy/DNS filter)."
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
    """Watch for what follows a leak: look-alike domains of the official ones, and the mailbox
    where people report phishing."""


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


@command.command("mailbox")
@incident_option()
@click.option(
    "--maildir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="A Maildir folder (with cur/ and new/) where reported messages arrive.",
)
@click.option(
    "--imap",
    "imap_url",
    default=None,
    metavar="URL",
    help="imaps://user@host[:port] (password: $BREACHSCOPE_IMAP_PASSWORD).",
)
@click.option("--folder", default=None, help="The IMAP folder (default: INBOX).")
@click.option("--plain", is_flag=True, help="IMAP without TLS (only for a server on this machine).")
@resolver_options
@json_option("Write the verdicts as JSON to PATH ('-' = standard output, nothing else is printed).")
@author_option
@db_option
def mailbox_command(
    incident_id: int,
    maildir: Path | None,
    imap_url: str | None,
    folder: str | None,
    plain: bool,
    resolver: str | None,
    timeout: float,
    wave: int,
    hops: int,
    workers: int,
    json_out: str | None,
    author: str | None,
    db: str | None,
) -> None:
    """Check the messages that arrived in the "report phishing" mailbox since the last run
    (a Maildir folder, or an IMAP folder read-only) and record the verdicts in the incident."""
    import os

    from breachscope.watch.mail.mailbox import PASSWORD_ENV, parse_imap_url
    from breachscope.watch.mail.service import watch_imap, watch_maildir

    if (maildir is None) == (imap_url is None):
        raise click.UsageError("give exactly one of --maildir DIR or --imap URL")
    settings = mail_settings(resolver, timeout, wave, hops, workers)
    with case_database(db) as engine, progress_bar() as bar:
        if maildir is not None:
            report = watch_maildir(
                engine,
                incident_id,
                maildir,
                settings=settings,
                clock=SystemClock(),
                author=who(author),
                progress=bar,
            )
        else:
            assert imap_url is not None
            target = parse_imap_url(imap_url, folder, allow_plain=plain)
            report = watch_imap(
                engine,
                incident_id,
                target,
                os.environ.get(PASSWORD_ENV),
                settings=settings,
                clock=SystemClock(),
                author=who(author),
                progress=bar,
            )
    emit(report, json_out)


@command.command("reported")
@incident_option()
@json_option("Write the counts as JSON to PATH ('-' = standard output, nothing else is printed).")
@db_option
def reported_command(incident_id: int, json_out: str | None, db: str | None) -> None:
    """Counts of reported mail over time: per day and verdict, and per look-alike domain."""
    from breachscope.watch.mail.service import mail_counts

    with case_database(db) as engine:
        data = mail_counts(engine, incident_id)
    if json_out is not None and to_stdout(json_out):
        write_json(json_out, data)
        return
    console = Console(highlight=False)
    t = Table(title=f"reported mail of incident {incident_id}, per day (UTC)")
    for col in ("day", "phishing", "suspicious", "genuine", "using the leak"):
        t.add_column(col)
    for d in data["by_day"]:
        t.add_row(
            d["day"], str(d["phishing"]), str(d["suspicious"]), str(d["genuine"]), str(d["breach_specific"])
        )
    console.print(t)
    if data["lookalike_domains"]:
        t = Table(title="look-alike domains used by reported mail")
        for col in ("domain", "messages", "first", "last"):
            t.add_column(col)
        for d in data["lookalike_domains"]:
            t.add_row(_t(defang_links(d["domain"])), str(d["messages"]), d["first"][:16], d["last"][:16])
        console.print(t)
    tot = data["totals"]
    console.print(
        f"total: {tot['phishing']} phishing ({tot['breach_specific']} using the leak), "
        f"{tot['suspicious']} suspicious, {tot['genuine']} genuine"
    )
    if json_out is not None:
        write_json(json_out, data)
        click.echo(f"JSON written to {json_out}")
