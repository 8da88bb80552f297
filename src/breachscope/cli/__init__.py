"""The ``breachscope`` command line: one click group, one module per command group.

Each command module exposes ``command`` (a click command or group). A command parses its
options, calls one library function and prints; no logic lives here.
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

#: The command modules, in the order ``--help`` lists them. Adding a command = one line here.
COMMAND_MODULES: tuple[str, ...] = (
    "breachscope.cli.scan",
    "breachscope.cli.synth",
    "breachscope.cli.assess",
    "breachscope.cli.case",
    "breachscope.cli.scope",
    "breachscope.cli.notify",
    "breachscope.cli.watch",
)


class _Group(click.Group):
    """Turns :class:`BreachscopeError` into a clean message and exit code, never a traceback."""

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


for _name in COMMAND_MODULES:
    _module = importlib.import_module(_name)
    cli.add_command(_module.command)


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
