"""The ``breachscope`` command line: one click group, one module per command group.

Each command module exposes ``command`` (a click command or group). A command parses its
options, calls one library function and prints; no logic lives here.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from breachscope import __version__
from breachscope.errors import BreachscopeError
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


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="breachscope")
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        click.echo("Interrupted.", err=True)
        sys.exit(130)
