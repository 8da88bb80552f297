"""``breachscope canary``: plant synthetic people at each vendor; find them in leaks and in mail.

``issue`` mints canaries and writes the vendor's import file; ``check`` looks for every registered
canary in leaked files; ``listen`` receives the catch-all domain's mail. The library is
:mod:`breachscope.canary` (imported when a command runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from breachscope.case.db import case_database
from breachscope.cli.options import (
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
    from breachscope.canary import CheckResult

#: Exit code of ``canary check`` when a canary was found (like scan's findings code).
EXIT_FOUND = 3


def _t(value: object, limit: int = 120) -> str:
    return escape(terminal_text(value, limit))


@click.group("canary")
def command() -> None:
    """Canary records: synthetic people planted at each vendor, so a leak names its source."""


@command.command("issue")
@click.option("--vendor", required=True, help="The vendor the canaries are planted at (e.g. Mixpanel).")
@click.option("--count", default=10, show_default=True, type=click.IntRange(1, 1_000_000), help="How many.")
@click.option(
    "--domain",
    default=None,
    metavar="CATCHALL",
    help="The company's catch-all mail domain for the addresses (default: the last batch's).",
)
@click.option(
    "--honeytoken", is_flag=True, help="Give each canary an API-key-shaped token no provider accepts."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="Export format.",
)
@click.option(
    "--layout",
    type=click.Choice(["mixpanel", "segment", "amplitude", "posthog", "generic"]),
    default=None,
    help="The vendor's import layout (default: recognised from --vendor, else generic).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Export file (0600, never overwritten; default: canaries-VENDOR-TIME.FORMAT).",
)
@json_option()
@author_option
@db_option
def issue_command(
    vendor: str,
    count: int,
    domain: str | None,
    honeytoken: bool,
    fmt: str,
    layout: str | None,
    out: Path | None,
    json_out: str | None,
    author: str | None,
    db: str | None,
) -> None:
    """Mint synthetic people unique to a vendor (address at the catch-all domain, name, user and
    distinct ids, optional honeytoken), register them as keyed hashes and write them in the
    vendor's import format: the export is the only plain copy; plant it, then delete it."""
    from breachscope.canary.service import issue_canaries

    with case_database(db, create=True) as engine:
        r = issue_canaries(
            engine,
            vendor,
            count=count,
            domain=domain,
            with_token=honeytoken,
            fmt=fmt,
            layout=layout,
            out=out,
            author=who(author),
            clock=SystemClock(),
        )
    doc = {
        "batch": r.batch_id,
        "vendor": r.vendor,
        "count": r.count,
        "domain": r.domain,
        "layout": r.layout,
        "format": r.format,
        "path": str(r.path),
        "honeytoken": r.honeytoken,
        "issued_at": r.issued_at.isoformat(),
    }
    if json_out is not None and to_stdout(json_out):
        write_json(json_out, doc)
        return
    click.echo(
        f"batch {r.batch_id}: {r.count:,} canaries for {terminal_text(r.vendor)} at @{r.domain} "
        f"({r.layout} {r.format}) written to {terminal_text(str(r.path))} (0600)."
    )
    click.echo(
        "Plant them with the vendor's import, then delete the file: the registry keeps keyed hashes only."
    )
    if json_out is not None:
        write_json(json_out, doc)


@command.command("list")
@json_option()
@db_option
def list_command(json_out: str | None, db: str | None) -> None:
    """List the canary batches: vendor, how many, catch-all domain, when and by whom issued, and
    how many checks found them (the registry holds keyed hashes only, never a canary's value)."""
    from breachscope.canary.registry import batches
    from breachscope.case.db import session_scope

    with case_database(db) as engine, session_scope(engine) as s:
        rows = batches(s)
    if json_out is not None:
        write_json(json_out, rows)
        if to_stdout(json_out):
            return
    if not rows:
        click.echo("No canaries issued yet: breachscope canary issue --vendor NAME --domain CATCHALL")
        return
    t = Table(title="canary batches")
    for col in ("batch", "vendor", "count", "domain", "token", "format", "issued", "by", "found by checks"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(
            str(r["batch"]),
            _t(r["vendor"]),
            f"{r['count']:,}",
            _t(r["domain"]),
            "yes" if r["honeytoken"] else "no",
            _t(r["format"]),
            str(r["issued_at"])[:19],
            _t(r["issued_by"]),
            str(r["found_by_checks"]),
        )
    Console().print(t)


def print_result(result: CheckResult, console: Console) -> None:
    what = ", ".join(result.files)
    console.print(_t(result.summary(what), 2000))
    if result.found:
        t = Table(title="canaries found")
        for col in ("vendor", "batch", "canary", "field", "column", "times"):
            t.add_column(col, overflow="fold")
        for f in result.found:
            t.add_row(
                _t(f.vendor), str(f.batch_id), str(f.canary_no), f.field, _t(f.column), f"{f.occurrences:,}"
            )
        console.print(t)
    if result.method == "full":
        console.print(
            "(every value was HMAC'd in full: the registry's prefilter is not valid under this DuckDB)"
        )


@command.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@incident_option(required=False, help="Also record the result in this incident (timeline and canary table).")
@json_option()
@author_option
@db_option
def check_command(
    files: tuple[Path, ...], incident_id: int | None, json_out: str | None, author: str | None, db: str | None
) -> None:
    """Look for every registered canary in leaked FILES (every text value): one vendor's canaries
    name it; several vendors' point to an aggregator or an internal source; none clears no one.
    Exit code 3 when a canary was found."""
    from breachscope.canary.service import check_and_record

    with case_database(db) as engine, progress_bar() as bar:
        result = check_and_record(
            engine,
            list(files),
            incident_id=incident_id,
            author=who(author),
            clock=SystemClock(),
            progress=bar,
        )
    if json_out is not None and to_stdout(json_out):
        write_json(json_out, result.to_dict())
    else:
        print_result(result, Console())
        if json_out is not None:
            write_json(json_out, result.to_dict())
    if result.found:
        raise SystemExit(EXIT_FOUND)


@command.command("listen")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=2525, show_default=True, type=click.IntRange(0, 65535), help="SMTP port.")
@click.option(
    "--domain",
    "domains",
    multiple=True,
    metavar="CATCHALL",
    help="A catch-all domain to accept mail for (repeatable; default: every domain canaries were issued at).",
)
@click.option(
    "--webhook",
    envvar="BREACHSCOPE_CANARY_WEBHOOK",
    default=None,
    metavar="URL",
    help="POST each hit as JSON here (Slack-compatible 'text'; default: $BREACHSCOPE_CANARY_WEBHOOK).",
)
@click.option(
    "--resolver",
    default=None,
    metavar="IP[:PORT]",
    help="DNS server for DKIM keys and SPF (default: the system's resolvers).",
)
@click.option(
    "--max-bytes",
    default=10 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1024, 100 * 1024 * 1024),
    help="Largest message accepted (bigger ones get 552).",
)
@author_option
@db_option
def listen_command(
    host: str,
    port: int,
    domains: tuple[str, ...],
    webhook: str | None,
    resolver: str | None,
    max_bytes: int,
    author: str | None,
    db: str | None,
) -> None:
    """Receive the catch-all domain's mail: mail to a canary address is a hit (sender, headers,
    DKIM, links defanged) that opens or updates an incident for the canary's vendor, with a task
    and a webhook. Mail to other addresses is accepted and dropped; other domains are refused."""
    import threading

    from breachscope.canary.listen import (
        ListenerSettings,
        controller,
        make_resolver,
        registry_domains,
        resolver_dnsfunc,
    )
    from breachscope.canary.mint import check_domain
    from breachscope.errors import InputError

    ns, ns_port = None, 53
    if resolver:
        ns, _, p = resolver.partition(":")
        ns_port = int(p) if p.isdigit() else 53
    with case_database(db) as engine:
        served = registry_domains(engine) | {check_domain(d) for d in domains}
        if not served:
            raise InputError(
                "no catch-all domain to listen for", "issue canaries first, or give --domain CATCHALL"
            )
        settings = ListenerSettings(
            domains=served,
            webhook_url=webhook,
            max_bytes=max_bytes,
            dnsfunc=resolver_dnsfunc(ns, ns_port),
            resolver=make_resolver(ns, ns_port),
            author=who(author) if author else "breachscope canary listen",
        )
        ctl = controller(engine, settings, host=host, port=port, clock=SystemClock())
        ctl.start()
        stop = threading.Event()
        import signal

        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        click.echo(
            f"Listening on {host}:{ctl.port if hasattr(ctl, 'port') else port} for "
            f"{', '.join(sorted(served))} (Ctrl-C to stop)."
        )

        def show_hits() -> None:
            for hit in settings.hits[:]:
                click.echo(terminal_text(hit.summary, 1000) + f" [incident {hit.incident_id}]")
                settings.hits.remove(hit)

        try:
            while not stop.wait(1.0):
                show_hits()
        except KeyboardInterrupt:
            pass
        finally:
            ctl.stop()
        show_hits()
        click.echo("Stopped.")
