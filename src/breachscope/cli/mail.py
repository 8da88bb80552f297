"""``breachscope check-mail``: reported messages -> genuine / suspicious / phishing, with reasons.

A thin shell over :func:`breachscope.watch.mail.service.check_mail`; the printing of a mail
report (shared with ``watch mailbox``) lives here. The library (dkimpy, pyspf, dnstwist) is
imported when the command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape

from breachscope.case.db import case_database
from breachscope.cli.options import (
    author_option,
    db_option,
    json_option,
    progress_bar,
    to_stdout,
    who,
    write_json,
)
from breachscope.clock import SystemClock
from breachscope.errors import InputError
from breachscope.inert import defang_links, terminal_text

if TYPE_CHECKING:
    from breachscope.watch.mail.service import MailReport, MailSettings

_STYLE = {"genuine": "green", "suspicious": "yellow", "phishing": "bold red"}


def _t(value: object, limit: int = 160) -> str:
    return escape(defang_links(terminal_text(value, limit)))


def print_mail_report(report: MailReport, console: Console) -> None:
    """One block per message: verdict, reasons, authentication, links (defanged)."""
    for m in report.messages:
        c = m.check
        seen = "" if m.new else " (checked before; not counted again)"
        console.print(
            f"[{_STYLE[c.verdict]}]{c.verdict.upper()}[/] {escape(terminal_text(m.name, 200))}{seen}"
        )
        console.print(f"  from: {_t(c.from_header)}   subject: {_t(c.subject, 100)}")
        if c.reported_by:
            console.print(f"  reported by: {_t(c.reported_by)} (the reported message was attached)")
        for r in c.reasons:
            if r.severity != "info":
                console.print(f"  - [{_STYLE.get(r.severity, 'white')}]{r.severity}[/]: {_t(r.text, 300)}")
        a = c.auth
        if a is not None:
            dkim = ", ".join(f"{_t(d.domain, 60)}={d.result}" for d in a.dkim) or "none"
            console.print(
                f"  auth: DKIM {dkim}; ARC {a.arc}; SPF {a.spf}"
                + (f" ({_t(a.spf_domain, 60)})" if a.spf_domain else "")
                + f"; DMARC {a.dmarc}"
                + (f" p={_t(a.dmarc_policy, 20)}" if a.dmarc_policy else "")
            )
        for link in c.links[:50]:
            flags = [
                f
                for f, on in (
                    ("HIDDEN", link.hidden),
                    (f"shows {link.deceptive_text}", link.deceptive_text),
                    ("user@ trick", link.userinfo),
                    ("IP", link.ip_literal),
                )
                if on
            ]
            target = link.unicode_host or "-"
            if link.host and link.unicode_host != link.host:
                target = f"{link.unicode_host} = {link.host}"
            console.print(
                f"  link ({link.source}): {_t(link.defanged(), 120)} -> {_t(target, 120)}"
                + (f" [{_t(', '.join(flags), 120)}]" if flags else "")
            )
        if len(c.links) > 50:
            console.print(f"  ... {len(c.links) - 50} more links (see --json)")
    n = report.counts()
    console.print(
        f"{len(report.messages)} message(s): {n['phishing']} phishing, "
        f"{n['suspicious']} suspicious, {n['genuine']} genuine"
    )
    if report.wave_task:
        console.print(
            f"[bold red]phishing wave[/]: task #{report.wave_task['id']} {report.wave_task['change']}"
        )


def mail_settings(
    resolver: str | None, timeout: float, wave: int, hops: int = 0, workers: int = 1
) -> MailSettings:
    from breachscope.watch import ResolverSettings, parse_resolver
    from breachscope.watch.mail.service import MailSettings

    ip, port = parse_resolver(resolver) if resolver else (None, 53)
    settings = ResolverSettings(nameserver=ip, port=port, timeout=timeout, lifetime=timeout * 2.5)
    return MailSettings(resolver=settings, wave_threshold=wave, internal_hops=hops, workers=workers)


def resolver_options(f: Any) -> Any:
    f = click.option(
        "--workers",
        default=1,
        show_default=True,
        type=click.IntRange(1, 32),
        help="Processes that parse and authenticate messages (for large mailboxes).",
    )(f)
    f = click.option(
        "--internal-hops",
        "hops",
        default=0,
        show_default=True,
        type=click.IntRange(0, 20),
        help="Received headers your internal relays add above your receiving server's (SPF reads that one).",
    )(f)
    f = click.option(
        "--wave",
        default=5,
        show_default=True,
        type=click.IntRange(1, 100_000),
        help="Phishing messages using the leak within 24 h that make a wave (a task).",
    )(f)
    f = click.option(
        "--timeout",
        default=2.0,
        show_default=True,
        type=click.FloatRange(0.1, 30.0),
        help="Seconds per DNS query attempt.",
    )(f)
    return click.option(
        "--resolver",
        default=None,
        metavar="IP[:PORT]",
        help="DNS resolver for DKIM keys, SPF and DMARC records (default: the system's resolvers).",
    )(f)


def emit(report: MailReport, json_out: str | None) -> None:
    if json_out is not None and to_stdout(json_out):
        write_json(json_out, report.to_dict())
        return
    print_mail_report(report, Console(highlight=False, soft_wrap=True))
    if json_out is not None:
        write_json(json_out, report.to_dict())
        click.echo(f"JSON written to {json_out}")


@click.command("check-mail")
@click.argument(
    "messages", nargs=-1, required=True, type=click.Path(dir_okay=False, allow_dash=True, path_type=Path)
)
@click.option(
    "--incident",
    "incident_id",
    type=int,
    default=None,
    metavar="N",
    help="Compare with this incident and record the verdicts.",
)
@click.option(
    "--domain",
    "domains",
    multiple=True,
    metavar="DOMAIN",
    help="An official domain (repeatable; the incident's are added).",
)
@resolver_options
@json_option("Write the verdicts as JSON to PATH ('-' = standard output, nothing else is printed).")
@author_option
@db_option
def command(
    messages: tuple[Path, ...],
    incident_id: int | None,
    domains: tuple[str, ...],
    resolver: str | None,
    timeout: float,
    wave: int,
    hops: int,
    workers: int,
    json_out: str | None,
    author: str | None,
    db: str | None,
) -> None:
    """Check reported messages (.eml): genuine notice of this incident, suspicious or phishing,
    with the reasons. The reasons come from DKIM including ARC, SPF and DMARC, look-alike and
    confusable domains, every link and its real target, leaked data quoted, asks for passwords,
    codes, keys or payment, and urgency. MESSAGE '-' reads one message from standard input.
    See docs/watch.md."""

    from breachscope.watch.mail.service import check_mail

    settings = mail_settings(resolver, timeout, wave, hops, workers)
    limit = settings.limits.max_message_bytes

    def read() -> Any:
        for path in messages:
            if str(path) == "-":  # piped from the mail system (procmail, a .forward, a milter)
                yield "standard input", sys.stdin.buffer.read(limit + 1)
                continue
            try:
                with path.open("rb") as f:
                    yield str(path), f.read(limit + 1)
            except OSError as exc:
                raise InputError(f"cannot read {terminal_text(path)}: {exc.strerror or exc}") from None

    with progress_bar() as bar:
        if incident_id is None:
            report = check_mail(read(), domains=domains, settings=settings, progress=bar, total=len(messages))
        else:
            with case_database(db) as engine:
                report = check_mail(
                    read(),
                    engine=engine,
                    incident_id=incident_id,
                    domains=domains,
                    settings=settings,
                    clock=SystemClock(),
                    author=who(author),
                    progress=bar,
                    total=len(messages),
                )
    emit(report, json_out)
