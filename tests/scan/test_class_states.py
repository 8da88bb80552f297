"""Three class states (present / absent / not_checked) and incomplete scans, through the engine and
the CLI: a truncated file is never "clean", a hint-only class is never "absent"."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from breachscope.cli import cli
from breachscope.cli.scan import EXIT_FOUND, EXIT_INCOMPLETE
from breachscope.readers.base import ReadIssue
from breachscope.scan import scan_files, scan_sources
from breachscope.scan.report import Unread, unread_of

from .scan_helpers import KEY, source

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "src" / "breachscope" / "scan" / "report.schema.json").read_text()
)


def _people(n: int) -> pa.Table:
    return pa.table(
        {
            "email": [f"user{i}@example.com" for i in range(n)],
            "password": [f"hunter{i}x" for i in range(n)],
            "city": ["Jakarta"] * n,
        }
    )


@pytest.fixture
def parquet_files(tmp_path: Path) -> tuple[Path, Path]:
    full = tmp_path / "full.parquet"
    pq.write_table(_people(20_000), full)
    data = full.read_bytes()
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(data[: len(data) // 2])
    return full, truncated


def test_truncated_parquet_is_incomplete_never_clean(parquet_files: tuple[Path, Path]) -> None:
    _, truncated = parquet_files
    doc = scan_files([truncated], key=KEY).to_dict()
    jsonschema.validate(doc, SCHEMA)
    size = truncated.stat().st_size
    assert doc["complete"] is False
    assert doc["unread"]["bytes"] == size and doc["unread"]["notes"]
    assert doc["sources"][0]["complete"] is False
    assert any(i["unread"] for i in doc["sources"][0]["issues"])
    password = doc["classes"]["password"]
    # 0 records read: nothing was checked, so no class is "absent in the 0 records read"
    assert password["status"] == "not_checked" and password["complete"] is False
    assert password["statement"] == f"not checked: no records were read; {size:,} bytes unreadable"
    assert not [c for c, e in doc["classes"].items() if e["status"] == "absent"]
    assert password["evidence"]["unexamined_bytes"] == size


@pytest.mark.parametrize(
    ("args", "exit_code", "words"),
    [
        ([], EXIT_INCOMPLETE, "INCOMPLETE SCAN"),
        (["--fail-on", "critical"], EXIT_INCOMPLETE, "INCOMPLETE SCAN"),
        (["--allow-incomplete"], 0, "INCOMPLETE SCAN"),
        (["--allow-incomplete", "--fail-on", "critical"], 0, "Absent in the records read"),
    ],
)
def test_cli_exit_code_for_an_incomplete_scan(
    parquet_files: tuple[Path, Path], tmp_path: Path, args: list[str], exit_code: int, words: str
) -> None:
    _, truncated = parquet_files
    md = tmp_path / "scan.md"
    result = CliRunner().invoke(cli, ["scan", str(truncated), "--report", str(md), *args])
    assert result.exit_code == exit_code, result.output
    assert words in result.output
    assert md.read_text().splitlines()[2].startswith("**Incomplete scan**: 0 records read;")


def test_complete_file_exits_zero_and_findings_beat_incomplete(parquet_files: tuple[Path, Path]) -> None:
    full, _ = parquet_files
    result = CliRunner().invoke(cli, ["scan", str(full), "-q"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["scan", str(full), "-q", "--fail-on", "moderate"])
    assert result.exit_code == EXIT_FOUND


def test_ragged_csv_counts_the_skipped_records(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    rows = ["email,name"] + [f"u{i}@example.com,Rina {i}" for i in range(100)]
    rows[10] = "u9@example.com,Rina,extra,fields"
    rows[20] = "u19@example.com,Rina,extra,fields"
    path.write_text("\n".join(rows) + "\n")
    report = scan_files([path], key=KEY)
    assert not report.complete
    assert report.unread.records == 2
    assert (
        report.class_entry("password")["statement"] == "absent in the 98 records read; 2 records unreadable"
    )


@pytest.mark.parametrize(
    ("columns", "class_id", "status", "checked"),
    [
        # value-level detectors examined every value: absent
        ({"note": ["hello", "world"]}, "password", "absent", "values"),
        ({"note": ["hello", "world"]}, "payment_card", "absent", "values"),
        # only a column-name detector exists, and no column is named for it: not checked
        ({"note": ["hello", "world"]}, "card_security_code", "not_checked", "none"),
        ({"note": ["hello", "world"]}, "username", "not_checked", "none"),
        # a column named for it was examined, other values were not: still not checked
        ({"cvv": ["n/a", "none"]}, "card_security_code", "not_checked", "named_columns"),
        ({"cvv": ["123", "456"]}, "card_security_code", "present", "named_columns"),
        ({"email": ["a@example.com", "b@example.com"]}, "email", "present", "values"),
    ],
)
def test_three_states(columns: dict[str, list[str]], class_id: str, status: str, checked: str) -> None:
    report = scan_sources([source(pa.table(columns))], key=KEY)
    entry = report.class_entry(class_id)
    assert (entry["status"], entry["checked"]) == (status, checked)
    assert report.class_status(class_id) == status
    if status == "not_checked":
        assert entry["statement"].startswith("not checked")
    if checked == "none" and status == "not_checked":
        # its detectors exist but look only at columns named for it: the line says so
        assert entry["statement"] == (
            "not checked: no column is named for it and no detector examines other values for it yet"
        )


def test_markdown_and_terminal_list_not_checked_classes_apart(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("note\nhello\nworld\n")
    result = CliRunner().invoke(cli, ["scan", str(path), "--report", str(tmp_path / "r.md")])
    assert result.exit_code == 0, result.output
    assert "Not checked (no detector examined the values)" in result.output
    md = (tmp_path / "r.md").read_text()
    absent_part, unchecked_part = md.split("## Not checked")
    assert "Card security codes" in unchecked_part.split("## Sources")[0]
    assert "Card security codes" not in absent_part


@pytest.mark.parametrize(
    ("issues", "rows", "expected"),
    [
        ([], 10, Unread(0, 0, ())),
        ([ReadIssue("a", "invalid_utf8", "1 invalid byte sequence(s) replaced")], 10, Unread(0, 0, ())),
        ([ReadIssue("a", "ragged_row", "x", line=3)] * 2, 10, Unread(2, 0, ())),
        (
            [ReadIssue("a", "ragged_row", "x")] * 3
            + [ReadIssue("a", "ragged_row", "7 issues of this kind in total; only the first 3 are listed")],
            10,
            Unread(7, 0, ()),
        ),
        ([ReadIssue("a", "corrupt_block", "lost", records_unread=40)], 10, Unread(40, 0, ())),
        ([ReadIssue("a", "budget", "cell budget", bytes_unread=500)], 10, Unread(0, 500, ())),
        (
            [ReadIssue("a", "read_error", "stopped")],
            0,
            Unread(0, 1000, ("a: read error: not (fully) examined",)),
        ),
        (
            [ReadIssue("a", "read_error", "stopped")],
            5,
            Unread(0, 400, ("a: read error: not (fully) examined",)),
        ),
    ],
)
def test_unread_of(issues: list[ReadIssue], rows: int, expected: Unread) -> None:
    assert unread_of(issues, rows=rows, size_bytes=1000, bytes_read=600) == expected


@pytest.mark.parametrize(
    ("unread", "words"),
    [
        (Unread(0, 0, ()), ""),
        (Unread(1, 0, ()), "1 record unreadable"),
        (Unread(3, 2048, ("x",)), "3 records and 2,048 bytes unreadable"),
        (Unread(0, None, ("x",)), "part of the data (size unknown) unreadable"),
    ],
)
def test_unread_words(unread: Unread, words: str) -> None:
    assert unread.words() == words


@pytest.mark.parametrize(
    ("columns", "class_id", "status"),
    [
        # names in non-Latin scripts in a name column are names
        ({"full_name": ["山田太郎", "Дмитрий Иванов", "สมชาย ใจดี", "राहुल शर्मा"]}, "person_name", "present"),
        # addresses and dates of birth in free text are found in any column, so absent means absent
        ({"notes": ["kirim ke Jl. Sudirman No. 1, Jakarta", "ok"]}, "postal_address", "present"),
        ({"notes": ["I moved to 12 Baker Street, London", "ok"]}, "postal_address", "present"),
        ({"notes": ["tanggal lahir 17 Agustus 1990", "ok"]}, "date_of_birth", "present"),
        ({"notes": ["DOB: 17/05/1990", "ok"]}, "date_of_birth", "present"),
        ({"notes": ["External 2 TB Hard Drive", "born to run"]}, "postal_address", "absent"),
        ({"notes": ["External 2 TB Hard Drive", "born to run"]}, "date_of_birth", "absent"),
        # names in free text are not looked for: not checked, never absent
        ({"notes": ["Budi Santoso called about his order"]}, "person_name", "not_checked"),
    ],
)
def test_value_level_detectors_shrink_not_checked(
    columns: dict[str, list[str]], class_id: str, status: str
) -> None:
    report = scan_sources([source(pa.table(columns))], key=KEY)
    assert report.class_status(class_id) == status


@pytest.mark.parametrize(
    ("columns", "statement"),
    [
        # 0 records read, or only empty values: nothing was examined, so nothing is absent
        ({"note": pa.array([], pa.string())}, "not checked: no records were read"),
        (
            {"note": pa.array([None, None], pa.string())},
            "not checked: the 2 records read hold no values to examine",
        ),
    ],
)
def test_no_value_examined_is_never_absent(columns: dict[str, pa.Array], statement: str) -> None:
    report = scan_sources([source(pa.table(columns))], key=KEY)
    for class_id in ("password", "payment_card", "email", "postal_address"):
        entry = report.class_entry(class_id)
        assert (entry["status"], entry["checked"], entry["statement"]) == ("not_checked", "none", statement)
    jsonschema.validate(report.to_dict(), SCHEMA)
