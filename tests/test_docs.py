"""Docs that tests keep honest: generated docs are current, every command is documented."""

from __future__ import annotations

import gzip
import importlib.util
import re
import shutil
from pathlib import Path

import click
import pytest

from breachscope.cli import cli
from breachscope.synth import generate

ROOT = Path(__file__).resolve().parent.parent


def _gen_docs_module() -> object:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_docs_are_current() -> None:
    gen = _gen_docs_module()
    for path, make in gen.GENERATED.items():  # type: ignore[attr-defined]
        assert path.read_text() == make(), f"{path.name} is stale: run python scripts/gen_docs.py"


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        full = f"{prefix}{name}"
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, full + " "))
    return out


COMMANDS = _commands(cli)


@pytest.mark.parametrize(("name", "cmd"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_and_option_has_help(name: str, cmd: click.Command) -> None:
    assert (cmd.help or "").strip(), f"breachscope {name} has no help text"
    for param in cmd.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"breachscope {name} {param.opts[0]} has no help"


def test_every_top_level_command_is_in_the_docs() -> None:
    text = "\n".join(p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
    for name in cli.list_commands(click.Context(cli)):
        assert re.search(rf"breachscope {re.escape(name)}\b", text), f"'breachscope {name}' is undocumented"


def test_readme_quick_start_has_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_readme_library_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's library example is code that works, on a synthetic leak."""
    generate(rows=200, out=tmp_path, formats=("csv",))
    with (tmp_path / "people.csv").open("rb") as src, gzip.open(tmp_path / "leak.csv.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## As a library") : text.index("## Performance")]
    [code] = re.findall(r"```python\n(.*?)```", section, re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "case.db").exists()
