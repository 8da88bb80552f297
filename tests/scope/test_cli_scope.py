"""``breachscope scope`` through click's CliRunner: clean errors, the directory column mapping."""

from __future__ import annotations

from pathlib import Path

from tests.case.test_cli_case import PEOPLE


def test_scope_directory_column_mapping_error(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("case", "new", "x")
    leak = tmp_path / "people.csv"
    leak.write_text(PEOPLE)
    run("case", "attach", "1", str(leak))
    directory = tmp_path / "d.csv"
    directory.write_text("id,mail\n1,a@b.example\n")
    code, out = run("scope", "--incident", "1", "--directory", str(directory), "--map", "email=email_address")
    assert code != 0 and "no column(s) email=email_address" in out and "id, mail" in out
    code, out = run(
        "scope", "--incident", "1", "--directory", str(directory), "--map", "user_id=id,email=mail"
    )
    assert code == 0, out
