"""``breachscope scan`` through click's CliRunner: help, outputs, exit codes, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from click.testing import CliRunner

from breachscope.cli import cli
from tests.scan.scan_helpers import OPENAI_PROJECT, clean_table


def _write_csv(path: Path, table: pa.Table) -> Path:
    pacsv.write_csv(table, path)
    return path


@pytest.fixture
def leak(tmp_path: Path) -> Path:
    table = clean_table(2_000)
    notes = table.column("notes").to_pylist()
    notes[1_234] = f"here is my key {OPENAI_PROJECT}"
    table = table.set_column(table.schema.get_field_index("notes"), "notes", pa.array(notes, pa.string()))
    return _write_csv(tmp_path / "leak.csv", table)


def test_help_explains_the_command() -> None:
    result = CliRunner().invoke(cli, ["scan", "--help"])
    assert result.exit_code == 0
    for word in ("--format", "--vendor", "--json", "--report", "--fail-on", "masked", "Exit status"):
        assert word in result.output


def test_scan_writes_json_and_markdown_and_exits_zero(leak: Path, tmp_path: Path) -> None:
    out_json, out_md = tmp_path / "scan.json", tmp_path / "scan.md"
    result = CliRunner().invoke(cli, ["scan", str(leak), "--json", str(out_json), "--report", str(out_md)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out_json.read_text())
    assert doc["schema"] == "breachscope.scan/2"
    assert doc["classes"]["secret"]["findings"][0]["record"] == 1_235
    assert len(doc["sources"][0]["sha256"]) == 64
    assert "API keys" in out_md.read_text()
    assert "Present data classes" in result.output and "Absent data classes" in result.output
    for text in (result.output, out_json.read_text(), out_md.read_text()):
        assert OPENAI_PROJECT not in text


@pytest.mark.parametrize(("tier", "code"), [("critical", 3), ("low", 3)])
def test_fail_on_exits_3_when_a_class_of_that_tier_is_present(leak: Path, tier: str, code: int) -> None:
    result = CliRunner().invoke(cli, ["scan", str(leak), "--quiet", "--fail-on", tier])
    assert result.exit_code == code
    assert "secret" in result.output


def test_fail_on_critical_passes_on_clean_data(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "clean.csv", clean_table(500))
    result = CliRunner().invoke(cli, ["scan", str(path), "-q", "--fail-on", "critical"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "missing.csv"], "no such file"),
        (["scan"], "Missing argument"),
        (["scan", "x.csv", "--format", "docx"], "Invalid value"),
        (["scan", "x.csv", "--fail-on", "extreme"], "Invalid value"),
    ],
)
def test_user_errors_are_clean(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_unknown_vendor_is_a_clean_error(leak: Path) -> None:
    result = CliRunner().invoke(cli, ["scan", str(leak), "-q", "--vendor", "no-such-vendor"])
    assert result.exit_code == 2
    assert "unknown vendor" in result.output and "Traceback" not in result.output


def test_unwritable_report_path_is_a_clean_error(leak: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["scan", str(leak), "-q", "--json", str(tmp_path / "no" / "dir" / "x.json")]
    )
    assert result.exit_code == 2
    assert "cannot write" in result.output and "Traceback" not in result.output


def test_hostile_names_and_values_do_not_reach_the_terminal_raw(tmp_path: Path) -> None:
    evil = "\x1b[2J\x1b]0;pwned\x07"
    table = pa.table({f"col{evil}": [f"{evil}a@example.com", "[red]x[/red]"], "notes": [None, f"{evil} hi"]})
    path = _write_csv(tmp_path / "evil.csv", table)
    result = CliRunner().invoke(cli, ["scan", str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_garbage_file_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(b"\xff\xfe\x00garbage,\n\x00\x01\x02\n" * 100)
    result = CliRunner().invoke(cli, ["scan", str(path), "-q"])
    assert result.exit_code in (0, 2, 4)
    assert "Traceback" not in result.output


def test_one_invalid_byte_in_a_parquet_column_hides_none_of_its_values(tmp_path: Path) -> None:
    """The column's other values are scanned (10 keys found); the bad byte is a read issue that
    leaves the scan complete, as in a CSV file."""
    import pyarrow.parquet as pq

    raw = [
        (OPENAI_PROJECT if i % 100 == 0 else "hello").encode() + (b"\xff" if i == 5 else b"")
        for i in range(1_000)
    ]
    table = pa.table(
        {
            "email": [f"p{i}@example.com" for i in range(1_000)],
            "notes": pa.array(raw, pa.binary()).view(pa.string()),
        }
    )
    path, out_json = tmp_path / "leak.parquet", tmp_path / "scan.json"
    pq.write_table(table, path)
    result = CliRunner().invoke(cli, ["scan", str(path), "--quiet", "--json", str(out_json)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out_json.read_text())
    assert doc["complete"] is True
    assert doc["classes"]["secret"]["matches"] == 10
    [issue] = doc["sources"][0]["issues"]
    assert (issue["kind"], issue["record"], issue["unread"]) == ("invalid_utf8", 6, False)
