from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from breachscope import __version__
from breachscope.cli import COMMANDS, cli


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["-h"])
    assert result.exit_code == 0
    names = cli.list_commands(click.Context(cli))
    assert set(names) >= {"scan", "synth", "case", "scope", "assess", "notify"}
    for name in names:
        assert f"  {name} " in result.output


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_summaries_are_the_commands_own(name: str) -> None:
    """``--help`` shows COMMANDS' summaries without importing the commands: they must match."""
    cmd = importlib.import_module(COMMANDS[name][0]).command
    assert cmd.name == name
    assert cmd.get_short_help_str(limit=10_000) == COMMANDS[name][1]


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_help_and_version_import_no_stage(args: list[str]) -> None:
    """Instant start: nothing heavier than click is imported for --help and --version."""
    code = (
        "import sys; from breachscope.cli import main; sys.argv = ['breachscope', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('pyarrow', 'duckdb', 'sqlalchemy', 'rich', 'breachscope.scan', "
        "'breachscope.case', 'breachscope.cli.scan') if m in sys.modules)\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout, out.stdout


def test_a_plain_scan_loads_no_case_storage(tmp_path: Path) -> None:
    """``scan FILE`` (no --people) imports neither the case storage (SQLAlchemy, Alembic) nor
    the exposures stage: start-up counts in the whole-process scan benchmark."""
    leak = tmp_path / "leak.csv"
    leak.write_text("email,city\nrina@example.co.id,Bandung\n")
    code = (
        "import sys; from breachscope.cli import main\n"
        "sys.argv = ['breachscope', 'scan', sys.argv[1], '-q']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('duckdb', 'sqlalchemy', 'alembic', 'breachscope.case.db', "
        "'breachscope.exposures.people', 'breachscope.exposures.attach') if m in sys.modules)\n"
        "print('HEAVY', heavy, 'breachscope.cli.scan' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(leak)], capture_output=True, text=True, check=True)
    assert "HEAVY [] True" in out.stdout, out.stdout + out.stderr


def test_unknown_command_is_a_clean_error() -> None:
    result = CliRunner().invoke(cli, ["scna"])
    assert result.exit_code == 2
    assert "No such command" in result.output
    assert "Traceback" not in result.output
