"""The shared options are one convention: ``--db``, ``--incident``, ``--config``, ``--json PATH|-``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from breachscope.case import api
from breachscope.case.db import case_database, session_scope
from breachscope.cli import cli
from breachscope.scan import SCHEMA_ID


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        out.append((prefix + name, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, f"{prefix}{name} "))
    return out


COMMANDS = _commands(cli)


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_shared_options_are_spelled_and_behave_the_same(name: str, cmd: click.Command) -> None:
    for p in cmd.params:
        if not isinstance(p, click.Option):
            continue
        if p.name == "incident_id":
            assert p.opts == ["--incident"], name
        if "--json" in p.opts:
            assert not p.is_flag and p.flag_value == "-", f"{name}: --json takes PATH, '-' is stdout"
        if "--db" in p.opts:
            assert p.envvar == "BREACHSCOPE_DB", name
        if "--config" in p.opts:
            assert p.name == "config_path", name


@pytest.fixture
def leak(tmp_path: Path) -> Path:
    path = tmp_path / "leak.csv"
    path.write_text("email,city\nrina@example.com,Bandung\nsam@example.com,Austin\n")
    return path


def test_scan_json_dash_is_standard_output(
    leak: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["scan", str(leak), "--json", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["schema"] == SCHEMA_ID
    assert not (tmp_path / "-").exists()  # it used to create a file named "-"


def test_scan_json_path_is_a_file(leak: Path, tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    result = CliRunner().invoke(cli, ["scan", str(leak), "--json", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["schema"] == SCHEMA_ID


@pytest.mark.parametrize("args", [["--json"], ["--json", "-"]])
def test_case_list_json_to_stdout(tmp_path: Path, args: list[str]) -> None:
    db = f"sqlite:///{tmp_path / 'case.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["case", "new", "one", "--db", db]).exit_code == 0
    result = runner.invoke(cli, ["case", "list", "--db", db, *args])
    assert result.exit_code == 0, result.output
    assert [r["name"] for r in json.loads(result.stdout)] == ["one"]


def test_case_show_json_path_writes_the_file_and_still_prints(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'case.db'}"
    out = tmp_path / "show.json"
    runner = CliRunner()
    assert runner.invoke(cli, ["case", "new", "one", "--db", db]).exit_code == 0
    result = runner.invoke(cli, ["case", "show", "1", "--db", db, "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["name"] == "one"
    assert "incident 1" in result.output


def test_case_database_disposes_on_error_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'case.db'}"
    with pytest.raises(RuntimeError), case_database(url, create=True) as engine:
        with session_scope(engine) as s:
            api.create_incident(s, "kept")
        raise RuntimeError("boom")
    assert engine.pool.checkedout() == 0
    with case_database(url) as engine, session_scope(engine) as s:
        assert [i.name for i in api.list_incidents(s)] == ["kept"]
    assert os.path.exists(tmp_path / "case.db")
