"""``breachscope notify``: queue and send the notices; ``notify status``; ``notify dkim-key``.

``notify`` is a click group that also runs on its own (``invoke_without_command``), so the
common case reads as one verb (``breachscope notify --incident 1``) and the read-only view is
a subcommand (``breachscope notify status --incident 1``).
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from breachscope.case.db import case_database
from breachscope.cli.options import (
    actor,
    author_option,
    cli_source,
    config_option,
    db_option,
    incident_option,
    json_option,
    parse_when,
    to_stdout,
    who,
    write_json,
)
from breachscope.clock import SystemClock
from breachscope.errors import BreachscopeError, InputError
from breachscope.files import private_file, write_private
from breachscope.inert import terminal_text
from breachscope.notify.config import CONFIG_ENV, load_config
from breachscope.notify.outbox import STATES
from breachscope.notify.plan import Selection, SendPlan
from breachscope.notify.service import AUDIENCE_CHOICES, notify, status, verify_notice
from breachscope.progress import RichProgress


def _outbox_table(counts: dict[str, dict[str, int]], title: str) -> Table:
    table = Table(title=title)
    table.add_column("notice kind")
    for state in STATES:
        table.add_column(state, justify="right")
    for kind, by_state in sorted(counts.items()):
        table.add_row(kind, *(f"{by_state.get(s, 0):,}" for s in STATES))
    return table


def print_plan(plan: SendPlan, console: Console) -> None:
    """Who will be notified, per jurisdiction and duty (a person in two jurisdictions is in both)."""
    sel = plan.selection
    what = "everyone matched"
    if not sel.everyone:
        parts = [f"jurisdictions {', '.join(sel.jurisdictions)}"] if sel.jurisdictions else []
        parts += ["only where a duty to individuals is required"] if sel.required_only else []
        what = "; ".join(parts)
    table = Table(title=f"Who will be notified: {plan.total:,} notice(s) ({what})", title_justify="left")
    for col in ("jurisdiction", "users", "admins", "regulator drafts", "duties to notify individuals"):
        table.add_column(col, justify="right" if col in ("users", "admins", "regulator drafts") else "left")
    for line in plan.lines:
        if line.duties:
            duties = ", ".join(f"{i}: {v.replace('_', ' ')}" for i, v in line.duties)
            if not line.required:
                duties += " [yellow](none required: notified by choice)[/]"
        elif line.code == "ZZ":
            duties = "[yellow]unknown location: no duty can be matched[/]"
        else:
            duties = "[yellow]no rule file for this jurisdiction (notified by choice)[/]"
            if not plan.has_assessment:
                duties = "[yellow]no stored assessment (run assess)[/]"
        n = line.notices
        table.add_row(line.code, f"{n['user']:,}", f"{n['admin']:,}", f"{n['regulator']:,}", duties)
    console.print(table)


@click.group("notify", invoke_without_command=True)
@incident_option(required=False)
@click.option(
    "--audience",
    type=click.Choice(AUDIENCE_CHOICES),
    default="all",
    show_default=True,
    help="Who to notify: affected users, org admins, regulator drafts (to drafts_to), or all.",
)
@click.option(
    "--dry-run",
    "dry_run",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Preview: write the signed notices as .eml files under DIR; nothing is sent or stored.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send (or write) at most N notices.")
@db_option
@config_option(f"Notify config (TOML; default: ${CONFIG_ENV}). See docs/notify.md.", envvar=CONFIG_ENV)
@click.option(
    "--templates",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of edited templates (same layout as notify/templates); overrides the config.",
)
@click.option(
    "--resend-unconfirmed",
    is_flag=True,
    help="Also resend notices presumed sent after a crash (final dot sent, no reply read).",
)
@click.option(
    "--jurisdiction",
    "jurisdictions",
    multiple=True,
    metavar="CODE",
    help="Only recipients in this jurisdiction (ISO code: DE, US = every US state, US-CA; or a rule "
    "file's code: EU); repeatable or comma-separated.",
)
@click.option(
    "--required-only",
    is_flag=True,
    help="Only recipients in jurisdictions where a duty to notify individuals is required (assess first).",
)
@click.option("--yes", is_flag=True, help="Send without asking (scripts); the plan is still printed.")
@json_option("Write the summary as JSON to PATH ('-' or no PATH: standard output, instead of the text).")
@click.pass_context
def command(
    ctx: click.Context,
    incident_id: int | None,
    audience: str,
    dry_run: Path | None,
    limit: int | None,
    db: str | None,
    config_path: Path | None,
    templates: Path | None,
    resend_unconfirmed: bool,
    jurisdictions: tuple[str, ...],
    required_only: bool,
    yes: bool,
    json_out: str | None,
) -> None:
    """Tell every affected person, org admin and regulator, once each, in their language.

    \b
    Renders each notice from the templates, queues it in the case outbox (one row per
    recipient and kind), then sends it over SMTP, DKIM-signed and link-free. Re-running
    is safe: nothing accepted by the server is sent again, even after a crash.
      breachscope notify --incident 1 --dry-run out/    preview: .eml files, nothing stored or sent
      breachscope notify --incident 1                   show who gets what, ask, then send
      breachscope notify --incident 1 --required-only --yes   only where the law requires it
      breachscope notify status --incident 1            the outbox by state
    """
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    if ctx.invoked_subcommand is not None:
        return
    if incident_id is None:
        raise InputError("missing --incident", "e.g. breachscope notify --incident 1 --dry-run out/")
    config = load_config(config_path).with_templates(templates)
    selection = Selection(
        tuple(c.strip() for item in jurisdictions for c in item.split(",") if c.strip()), required_only
    )
    progress = RichProgress()
    console = Console()

    def confirm(plan: SendPlan) -> bool:
        progress.finish()
        if not to_stdout(json_out):
            print_plan(plan, console)
        if yes:
            return True
        if not sys.stdin.isatty():
            raise InputError(
                f"refusing to send {plan.total:,} notice(s) without a confirmation (no terminal to ask)",
                "check who will be notified (the table above, or --dry-run DIR), then run again with --yes; "
                "--jurisdiction CODE and --required-only narrow the send. Nothing was sent.",
            )
        return click.confirm(f"Send {plan.total:,} notice(s) now?", default=False)

    with case_database(db) as engine:
        try:
            report = notify(
                engine,
                incident_id,
                config,
                audience=audience,
                dry_run=dry_run,
                limit=limit,
                progress=progress,
                resend_unconfirmed=resend_unconfirmed,
                selection=selection,
                confirm=confirm,
                actor=actor(),
                source=cli_source(),
            )
        finally:
            progress.finish()
    if json_out is not None:
        write_json(json_out, report.to_dict())
        if to_stdout(json_out):
            return
    q = report.queued
    console.print(f"Rendered {q.rendered:,} notice(s); {q.invalid_address:,} skipped (invalid address).")
    for reason, n in sorted(q.invalid_reasons.items(), key=lambda item: -item[1]):
        console.print(f"  skipped {n:,}: {reason}")
    for err in q.errors[:5]:
        console.print("[red]not rendered:[/red] " + escape(terminal_text(err, 300)))
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    if report.dry_run_dir is not None and report.plan is not None:
        print_plan(report.plan, console)
        console.print(
            f"Dry run: wrote {report.written:,} .eml file(s) to {report.dry_run_dir}; nothing was sent "
            "and nothing was stored in the case."
        )
    elif report.cancelled:
        console.print("Not confirmed: nothing was sent. The notices stay queued for the next run.")
    elif report.sent is not None:
        s = report.sent
        console.print(
            f"Run #{s.run_id}: sent {s.sent:,} (accepted by the server); "
            f"unconfirmed {s.unconfirmed:,} (final dot written, no reply); "
            f"queued {s.remaining:,} (still to send: {s.cut_before_dot:,} cut before the final dot, "
            f"{s.deferred:,} deferred in all); bounced {s.bounced:,}; failed {s.failed:,}."
        )
        if s.requeued_after_crash or s.presumed_after_crash:
            console.print(
                f"Recovered an interrupted run: {s.requeued_after_crash:,} requeued, "
                f"{s.presumed_after_crash:,} presumed sent."
            )
    console.print(_outbox_table(report.counts, f"Outbox of incident {incident_id}"))


@command.command("status")
@incident_option()
@db_option
@json_option()
@click.pass_context
def status_command(ctx: click.Context, incident_id: int, db: str | None, json_out: str | None) -> None:
    """Show the outbox by notice kind and state, unconfirmed sends and recent failures."""
    with case_database(db or (ctx.obj or {}).get("db")) as engine:
        info: dict[str, Any] = status(engine, incident_id)
    if json_out is not None:
        write_json(json_out, info)
        if to_stdout(json_out):
            return
    console = Console()
    if not info["outbox"]:
        console.print(
            f"The outbox of incident {incident_id} is empty "
            f"(run: breachscope notify --incident {incident_id})."
        )
        return
    console.print(_outbox_table(info["outbox"], f"Outbox of incident {incident_id}"))
    if info["unconfirmed"]:
        console.print(
            f"{len(info['unconfirmed'])} notice(s) unconfirmed: presumed sent, no reply read (check the "
            "mail server's log by Message-ID, or resend with --resend-unconfirmed). Causes:"
        )
        causes: dict[str, int] = {}
        for u in info["unconfirmed"]:
            causes[u["cause"]] = causes.get(u["cause"], 0) + 1
        for cause, n in sorted(causes.items(), key=lambda kv: -kv[1]):
            console.print(f"  {n:,}: " + escape(terminal_text(cause, 300)))
    if info["queued_for_retry"]:
        console.print("Queued for a retry (run notify again to send them). Causes:")
        for cause, n in info["queued_for_retry"].items():
            console.print(f"  {n:,}: " + escape(terminal_text(cause, 300)))
    for f in info["failures"]:
        console.print(
            f"[red]{f['state']}[/red] #{f['id']} ({f['kind']}): {f['code'] or ''} "
            + escape(terminal_text(f["error"] or "", 300))
        )


@command.command("verify")
@incident_option()
@click.option("--reference", required=True, help="The reference printed in the notice, e.g. K7QP4-XMA92.")
@click.option("--phrase", required=True, help="The four-word verification phrase printed in the notice.")
@db_option
@config_option(f"Notify config (default: ${CONFIG_ENV}); its verification_key is used.", envvar=CONFIG_ENV)
def verify_command(
    incident_id: int, reference: str, phrase: str, db: str | None, config_path: Path | None
) -> None:
    """Check a notice someone received: do its reference and phrase match one we sent?"""
    config = load_config(config_path, check_key=False)
    with case_database(db) as engine:
        result = verify_notice(engine, incident_id, config, reference, phrase)
    if result["valid"]:
        click.echo(f"GENUINE: a {result['kind']} notice ({result['language']}), state {result['state']}.")
    else:
        click.echo(
            "NOT FOUND: no notice of ours has this reference and phrase. Treat the message as phishing."
        )
        raise SystemExit(1)


@command.command("dkim-key")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder for the key files."
)
@click.option("--selector", required=True, help="DKIM selector, e.g. notice2025.")
@click.option("--bits", type=click.Choice(["2048", "3072", "4096"]), default="2048", help="RSA key size.")
def dkim_key_command(out: Path, selector: str, bits: str) -> None:
    """Create an RSA DKIM key (with openssl) and print the DNS TXT record to publish."""
    private = out / f"{selector}.pem"
    try:
        private_file(private, exclusive=True)  # 0600 before openssl writes the key into it
    except FileExistsError:
        raise BreachscopeError(f"{private} already exists", "choose a new selector for a new key") from None
    try:
        subprocess.run(["openssl", "genrsa", "-out", str(private), bits], check=True, capture_output=True)
        der = subprocess.run(
            ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BreachscopeError(f"openssl failed: {exc}", "install openssl") from exc
    record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    write_private(out / f"{selector}.txt", record + "\n")
    click.echo(f"private key: {private}")
    click.echo(f"publish TXT {selector}._domainkey.<your domain>:\n{record}")


@command.command("update")
@incident_option()
@click.option(
    "--dataset", "dataset_id", type=int, default=None, help="A dataset attached after the first notices."
)
@click.option(
    "--class", "data_class", default=None, metavar="CLASS", help="A data class found present since."
)
@click.option(
    "--vendor-confirmed", default=None, metavar="DATE", help="The date the vendor confirmed the scope."
)
@click.option(
    "--phishing-since", default=None, metavar="DATE", help="Phishing using the leaked data seen since."
)
@click.option(
    "--reported", type=click.IntRange(min=0), default=0, help="With --phishing-since: messages reported."
)
@click.option("--queue-only", is_flag=True, help="Queue the follow-ups in the outbox; send nothing now.")
@db_option
@config_option(f"Notify config (TOML; default: ${CONFIG_ENV}). See docs/notify.md.", envvar=CONFIG_ENV)
@author_option
@json_option()
@click.pass_context
def update_command(
    ctx: click.Context,
    incident_id: int,
    dataset_id: int | None,
    data_class: str | None,
    vendor_confirmed: str | None,
    phishing_since: str | None,
    reported: int,
    queue_only: bool,
    db: str | None,
    config_path: Path | None,
    author: str | None,
    json_out: str | None,
) -> None:
    """Follow-up notices after a recorded change (one of --dataset, --class, --vendor-confirmed,
    --phishing-since): only what changed, only to the people it concerns, threaded under their
    first notice, once each (a rerun sends nothing)."""
    from breachscope.case.db import session_scope
    from breachscope.notify import updates

    given = [x is not None for x in (dataset_id, data_class, vendor_confirmed, phishing_since)]
    if sum(given) != 1:
        raise InputError(
            "give exactly one change",
            "--dataset N, --class CLASS, --vendor-confirmed DATE or --phishing-since DATE",
        )
    config = load_config(config_path)
    with case_database(db or (ctx.obj or {}).get("db")) as engine:
        if dataset_id is not None:
            with session_scope(engine) as s:
                change = updates.dataset_change(s, incident_id, dataset_id)
        elif data_class is not None:
            change = updates.class_change(data_class, SystemClock().now().date())
        elif vendor_confirmed is not None:
            when = parse_when(vendor_confirmed, "--vendor-confirmed")
            assert when is not None
            change = updates.vendor_scope_change(when.date())
        else:
            when = parse_when(phishing_since, "--phishing-since")
            assert when is not None
            change = updates.phishing_change(when.date(), reported)
        report = updates.send_updates(
            engine,
            incident_id,
            config,
            change,
            clock=SystemClock(),
            author=who(author),
            queue_only=queue_only,
            actor=actor(),
        )
    doc = report.to_dict()
    if json_out is not None:
        write_json(json_out, doc)
        if to_stdout(json_out):
            return
    plan = doc["plan"]
    sent = report.sent.sent if report.sent is not None else 0
    click.echo(
        f"{plan['describe']}: {plan['recipients']:,} people concerned, {report.queued.rendered:,} queued, "
        f"{sent:,} sent now (each follow-up goes once; a rerun sends nothing new)."
    )
    if plan["without_first_notice"]:
        click.echo(
            f"{plan['without_first_notice']:,} concerned people have no first notice yet: "
            f"breachscope notify --incident {incident_id} sends it (it covers everything)."
        )
