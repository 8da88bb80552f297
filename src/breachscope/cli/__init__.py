"""The ``breachscope`` command line: one click group, one module per command group.

Each command module exposes ``command`` (a click command or group). A command parses its
options, calls one library function and prints; no logic lives here.

The CLI starts instantly: a command's module (and so its stage: pyarrow, DuckDB, SQLAlchemy ...)
is imported only when that command runs. ``breachscope --help`` lists the commands from
:data:`COMMANDS` without importing any of them (a test keeps those summaries equal to the
commands' own help).
"""

from __future__ import annotations

import importlib
import signal
import sys
from typing import Any

import click

from breachscope import __version__
from breachscope.errors import BreachscopeError, no_room
from breachscope.files import restrict_umask

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

#: name -> (module, one-line summary); ``--help`` lists them by name. Adding a command = one
#: entry here; the summary is the first sentence of the command's own help.
COMMANDS: dict[str, tuple[str, str]] = {
    "scan": (
        "breachscope.cli.scan",
        "Scan leaked FILES: every value checked, data classes present and absent with evidence.",
    ),
    "synth": (
        "breachscope.cli.synth",
        "Generate a deterministic synthetic Mixpanel-style leak (people.csv/.jsonl/.parquet), the "
        "matching company account directory (directory.csv/.parquet) and, with --needles, planted "
        "sensitive values plus truth.json.",
    ),
    "assess": (
        "breachscope.cli.assess",
        "Which laws require notifying whom by when, and what people should (and need not) do.",
    ),
    "case": (
        "breachscope.cli.case",
        "Incident cases: the dates that drive legal clocks, datasets, timeline, purge.",
    ),
    "scope": (
        "breachscope.cli.scope",
        "Match an incident's leaked people to your account directory; roll up orgs, admins, users, "
        "unmatched records and jurisdictions; store the result in the case.",
    ),
    "notify": (
        "breachscope.cli.notify",
        "Tell every affected person, org admin and regulator, once each, in their language.",
    ),
    "audit": (
        "breachscope.cli.audit",
        "The tamper-evident audit log: verify the hash chain, print its head, export it.",
    ),
    "approvals": (
        "breachscope.cli.approvals",
        "Four eyes: requests for irreversible actions, and their approval by a second person.",
    ),
    "canary": (
        "breachscope.cli.canary",
        "Canary records: synthetic people planted at each vendor, so a leak names its source.",
    ),
    "report": (
        "breachscope.cli.report",
        "Write the incident report for management, the board and regulators (HTML and/or PDF).",
    ),
    "serve": (
        "breachscope.cli.serve",
        "Serve the case to the team: JSON API under /api/v1, sign-in, the console.",
    ),
    "users": (
        "breachscope.cli.users",
        "Team accounts for breachscope serve: add users, grant them incidents, list them, set a "
        "forgotten password, make new recovery codes, give a new authenticator, require one.",
    ),
    "tasks": (
        "breachscope.cli.tasks",
        "Tasks of an incident: duties, actions and manual work, with due times, owners and status.",
    ),
    "watch": (
        "breachscope.cli.watch",
        "Watch for what follows a leak: look-alike domains of the official ones, and the mailbox "
        "where people report phishing.",
    ),
    "check-mail": (
        "breachscope.cli.mail",
        "Check reported messages (.eml): genuine notice of this incident, suspicious or phishing, "
        "with the reasons.",
    ),
    "vendors": (
        "breachscope.cli.vendors",
        "The vendor registry: who receives which data, under which contract; audit, link, remove.",
    ),
}
COMMAND_MODULES: tuple[str, ...] = tuple(module for module, _ in COMMANDS.values())


class _Group(click.Group):
    """Loads each command's module when it runs (not for ``--help``), and turns
    :class:`BreachscopeError` into a clean message and exit code, never a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module = importlib.import_module(COMMANDS[cmd_name][0])
            self.add_command(module.command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`COMMANDS`: nothing is imported to show it."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in COMMANDS and name not in self.commands:
                # a bare command with the same help text shortens it exactly as click would
                summary = click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)
            else:
                cmd = self.get_command(ctx, name)
                if cmd is None or cmd.hidden:
                    continue
                summary = cmd.get_short_help_str(limit)
            rows.append((name, summary))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BreachscopeError as exc:
            click.secho(f"Error: {exc.message}", fg="red", err=True)
            if exc.hint:
                click.echo(f"  hint: {exc.hint}", err=True)
            ctx.exit(exc.exit_code)
        except Exception as exc:
            reason = no_room(exc)
            if reason is None:
                raise
            # A full disk (or a file size limit) mid-write: every stage commits in steps that a
            # rerun completes (attach in one transaction, notify's outbox exactly once), so the
            # case is intact. One line, no traceback.
            click.secho(
                f"Error: out of disk space ({reason}); what was committed before is intact: "
                "free some space and run the same command again.",
                fg="red",
                err=True,
            )
            ctx.exit(EXIT_NO_ROOM)


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="breachscope")
def cli() -> None:
    """breachscope: respond to a vendor's data leak.

    \b
    Typical flow:
      breachscope scan leak.csv            what is (and is not) in the leaked file
      breachscope case new "Vendor leak"   open an incident case
      breachscope scope ...                who is affected, and where they live
      breachscope assess ...               what to do, and which laws require notice by when
      breachscope notify ...               tell them, once each, in their language
    """
    # Every file any command writes (case database, reports, CSVs, notices, keys) is 0600.
    restrict_umask()


#: Exit status after running out of disk space (documented in docs/case.md and docs/notify.md).
EXIT_NO_ROOM = 1


def main() -> None:
    """Console-script entry point."""
    if hasattr(signal, "SIGXFSZ"):  # a file size limit ends a write with EFBIG, not a kill
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        cli.main(prog_name="breachscope")
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        click.echo("Interrupted.", err=True)
        sys.exit(130)
