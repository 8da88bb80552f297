from __future__ import annotations

from click.testing import CliRunner

from breachscope import __version__
from breachscope.cli import cli


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["-h"])
    assert result.exit_code == 0
    for name in cli.commands:
        assert name in result.output


def test_unknown_command_is_a_clean_error() -> None:
    result = CliRunner().invoke(cli, ["scna"])
    assert result.exit_code == 2
    assert "No such command" in result.output
    assert "Traceback" not in result.output
