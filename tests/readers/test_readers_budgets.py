"""The hostile corpus of issue 12: every crafted file is read without a crash, within budget,
with the read issue that says what was not read, and with the rest of the file still read.

The files are read in one child process (a regression of a native-parser crash must fail these
tests, not kill pytest); the child prints one JSON line per case before and after reading it.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from breachscope.cli import cli
from breachscope.readers import Limits, open_sources
from breachscope.readers.base import SKIPPED_RECORD_KINDS, UNREAD_KINDS, Source
from breachscope.readers.table import MAX_ISSUES_PER_KIND, IssueLog
from breachscope.scan import scan_files
from breachscope.scan.model import unread_of
from tests.readers import hostile_corpus
from tests.readers.hostile_corpus import CASES, Case, csv_long_header, utf32_bom, xlsx_formulas_without_values
from tests.readers.readers_helpers import encode, kinds, read_rows

CHILD = """
import json, sys
from breachscope.readers import open_sources
for name, path in json.loads(sys.argv[1]):
    print(json.dumps({"case": name, "started": True}), flush=True)
    rows, issues, first = 0, [], {}
    for src in open_sources(path):
        for chunk in src.chunks():
            if not first and chunk.batch.num_rows:
                first = {k: v for k, v in chunk.batch.slice(0, 1).to_pylist()[0].items() if k == "email"}
            rows += chunk.batch.num_rows
        issues += [(i.kind, i.line, i.record, i.message) for i in src.issues]
    print(json.dumps({"case": name, "rows": rows, "issues": issues, "first": first}), flush=True)
"""

FILE_CASES = [c for c in CASES if not c.special]


@pytest.fixture(scope="module")
def corpus_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("hostile")
    todo = []
    for case in FILE_CASES:
        sub = folder / case.name
        sub.mkdir()
        todo.append((case.name, str(case.make(sub, False))))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(todo)], capture_output=True, text=True, timeout=400
    )
    results: dict[str, Any] = {}
    for line in done.stdout.splitlines():
        entry = json.loads(line)
        results[entry["case"]] = entry
    results["_exit"] = (done.returncode, done.stderr[-3000:])
    return results


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c.name)
def test_hostile_file_is_read_within_budget(case: Case, corpus_results: dict[str, Any]) -> None:
    result = corpus_results.get(case.name)
    code, stderr = corpus_results["_exit"]
    assert result is not None and "rows" in result, f"reading crashed (exit {code}): {stderr}"
    found = {k for k, *_ in result["issues"]}
    if case.kinds:
        assert found & set(case.kinds), found
    assert result["rows"] >= case.min_rows
    assert "read_error" not in found  # every hostile shape has its own issue kind
    for _kind, _line, _record, message in result["issues"]:
        assert "@example.com" not in message  # messages never quote content


def test_the_child_process_ended_cleanly(corpus_results: dict[str, Any]) -> None:
    code, stderr = corpus_results["_exit"]
    assert code == 0, stderr
    assert "Traceback" not in stderr


def test_every_budget_kind_is_unread_content() -> None:
    """A budget hit always makes the scan incomplete (docs/readers.md, "Issue kinds")."""
    informational = {"encoding", "invalid_utf8", "long_row", "overlapping_members"}
    budget_kinds = {k for c in CASES for k in c.kinds} - informational
    assert budget_kinds <= UNREAD_KINDS | SKIPPED_RECORD_KINDS
    assert "overlapping_members" in UNREAD_KINDS


def test_utf32_values_are_read_exactly(tmp_path: Path) -> None:
    rows, sources = read_rows(utf32_bom(tmp_path))
    assert len(rows) == 200
    assert rows[0] == {"email": "person0@example.com", "card": "4111111111111111", "name": "Name 0"}
    assert [i.message for s in sources for i in s.issues] == [
        "text encoding detected as utf-32; transcoded to UTF-8"
    ]


def test_a_header_longer_than_the_sniffing_head_is_read_whole(tmp_path: Path) -> None:
    rows, sources = read_rows(csv_long_header(tmp_path))
    assert [r["email"] for r in rows] == ["person0@example.com", "person1@example.com", "person2@example.com"]
    assert len(rows[0]) == 15_000
    assert kinds(sources) == []


def test_columns_past_the_budget_are_reported_not_dropped_silently(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("a,b,c,email\n1,2,3,x@example.com\n", encoding="utf-8")
    rows, sources = read_rows(path, limits=Limits(max_columns=2))
    assert rows == [{"a": "1", "b": "2"}]
    (issue,) = sources[0].issues
    assert issue.kind == "too_many_columns"
    assert "4 columns; only the first 2" in issue.message


def test_a_deep_jsonl_line_is_skipped_and_named_the_rest_survives(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    deep = '{"a":' * 100 + "1" + "}" * 100
    path.write_text('{"email": "a@example.com"}\n' + deep + '\n{"email": "b@example.com"}\n')
    rows, sources = read_rows(path)
    assert [r["email"] for r in rows] == ["a@example.com", "b@example.com"]
    assert [(i.kind, i.line) for i in sources[0].issues] == [("too_deep", 2)]
    rows, sources = read_rows(path, limits=Limits(max_depth=200))
    assert len(rows) == 3 and kinds(sources) == []


def test_brackets_inside_strings_do_not_count_as_depth(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"email": "a@example.com", "note": "[" * 500 + "{" * 500}) + "\n")
    rows, sources = read_rows(path)
    assert rows[0]["note"] == "[" * 500 + "{" * 500
    assert kinds(sources) == []


def test_formula_cells_without_cached_values_are_counted(tmp_path: Path) -> None:
    rows, sources = read_rows(xlsx_formulas_without_values(tmp_path))
    assert len(rows) == 50 and all(r["email"] is None for r in rows)
    (issue,) = [i for s in sources for i in s.issues]
    assert issue.kind == "formula_not_cached"
    assert issue.message.startswith("50 formula cell(s) have no cached value")


def test_formula_cells_with_cached_values_are_not_reported(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["email"])
    ws.append(["=LOWER(B1)"])
    path = tmp_path / "cached.xlsx"
    wb.save(path)
    # openpyxl writes no cached value: this workbook has one unread formula cell ...
    rows, sources = read_rows(path)
    assert rows == []  # a row whose only cell is an uncomputed formula is no record
    assert kinds(sources) == ["formula_not_cached"]
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    cached = b'<c r="A2" t="str"><f>LOWER(B1)</f><v>x@example.com</v></c>'
    parts[sheet] = parts[sheet].replace(b'<c r="A2"><f>LOWER(B1)</f><v /></c>', cached)
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    # ... and with the value Excel would have cached, it is read and nothing is reported.
    rows, sources = read_rows(path)
    assert rows == [{"email": "x@example.com"}]
    assert kinds(sources) == []


def test_overlapping_zip_entries_are_read_once(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "zip_overlapping")
    sources = open_sources(case.make(tmp_path, False))
    assert [s.name for s in sources] == ["overlap.zip", "overlap.zip!people.csv"]
    assert [i.kind for i in sources[0].issues] == ["overlapping_members"]
    assert "2999 of 3000 zip entries" in sources[0].issues[0].message


def test_members_past_the_budget_are_reported(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(5):
            z.writestr(f"m{i}.csv", f"email\nx{i}@example.com\n")
    sources = open_sources(path, limits=Limits(max_members=3))
    assert [s.name for s in sources] == ["many.zip", "many.zip!m0.csv", "many.zip!m1.csv", "many.zip!m2.csv"]
    assert sources[0].issues[0].kind == "too_many_members"


def test_inflated_bytes_per_archive_are_capped(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(3):
            z.writestr(f"m{i}.csv", "email\n" + "x@example.com\n" * 100_000)
    limits = Limits(max_archive_bytes=3_000_000)
    got = []
    for src in open_sources(path, limits=limits):
        for _ in src.chunks():
            pass
        got.append([i.kind for i in src.issues])
    assert got[0] == [] and ["bomb"] in got  # the first member fits, a later one passes the budget


@pytest.mark.parametrize(
    ("limits", "kind"),
    [
        (Limits(max_cells=30), "too_many_cells"),
        (Limits(max_shared_strings=41), "too_many_strings"),
        (Limits(max_columns=1), "too_many_columns"),
        (Limits(), None),
    ],
)
def test_xlsx_budgets(tmp_path: Path, limits: Limits, kind: str | None) -> None:
    strings = "".join(f"<si><t>p{i}@example.com</t></si>" for i in range(42))
    sst = f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>'
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>email</t></is></c>'
    rows += '<c r="B1" t="inlineStr"><is><t>n</t></is></c></row>'
    rows += "".join(
        f'<row r="{i}"><c r="A{i}" t="s"><v>{i}</v></c><c r="B{i}"><v>{i}</v></c></row>' for i in range(2, 42)
    )
    path = hostile_corpus._xlsx(tmp_path / "b.xlsx", rows, sst=sst.encode())
    rows_read, _ = read_rows(path, limits=Limits(max_cells=10**6))
    assert rows_read[0] == {"email": "p2@example.com", "n": "2"}
    found = []
    for src in open_sources(path, limits=limits):
        for _ in src.chunks():
            pass
        found += [i.kind for i in src.issues]
    assert found == ([kind] if kind else [])


def test_special_files_are_refused_unless_allowed(tmp_path: Path) -> None:
    fifo = next(c for c in CASES if c.name == "fifo").make(tmp_path, False)
    done = CliRunner().invoke(cli, ["scan", "-q", str(fifo)])
    assert done.exit_code == 2
    assert "not a regular file" in done.output and "--allow-special-files" in done.output


def _spools() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("breachscope-spool-*"))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "csv.gz"])
def test_an_allowed_fifo_is_read_whole_and_its_spool_deleted(tmp_path: Path, fmt: str) -> None:
    fifo = tmp_path / f"leak.{fmt}"
    os.mkfifo(fifo)
    rows = [{"email": f"p{i}@example.com", "name": f"n{i}"} for i in range(30_000)]
    data = encode(rows, fmt.split(".")[0])
    data = gzip.compress(data) if fmt.endswith(".gz") else data

    def write() -> None:
        with open(fifo, "wb") as out:
            for at in range(0, len(data), 4096):  # many small writes, as a pipe delivers them
                out.write(data[at : at + 4096])

    before = _spools()
    writer = threading.Thread(target=write)
    writer.start()
    report = scan_files([fifo], limits=Limits(allow_special_files=True))
    writer.join(timeout=30)
    doc = report.to_dict()
    assert doc["rows_examined"] == 30_000 and doc["complete"]
    assert [s["name"] for s in doc["sources"]] == [fifo.name]
    assert [i["kind"] for s in doc["sources"] for i in s["issues"]] == []
    assert _spools() == before  # the private copy is gone once the scan is done


def test_dev_zero_allowed_stops_at_the_run_budget(tmp_path: Path) -> None:
    before = _spools()
    limits = Limits(allow_special_files=True, max_line_bytes=1 << 20, max_run_bytes=4 << 20)
    report = scan_files(["/dev/zero"], format="jsonl", limits=limits)
    issues = [i for s in report.sources for i in s.issues]
    assert [i.kind for i in issues] == ["special_file_budget", "line_too_long"]
    assert "Limits.max_run_bytes" in issues[0].message and "4,194,304 bytes were read" in issues[0].message
    assert all(i.unread for i in issues)
    assert not report.to_dict()["complete"]
    assert _spools() == before


def test_dev_zero_allowed_stops_at_the_special_file_budget() -> None:
    """The run budget is 1 TiB by default: an endless device stops at max_special_file_bytes."""
    before = _spools()
    limits = Limits(allow_special_files=True, max_line_bytes=1 << 20, max_special_file_bytes=3 << 20)
    report = scan_files(["/dev/zero"], format="jsonl", limits=limits)
    issues = [i for s in report.sources for i in s.issues]
    assert issues[0].kind == "special_file_budget"
    assert "Limits.max_special_file_bytes" in issues[0].message
    assert "3,145,728 bytes were read" in issues[0].message
    assert not report.to_dict()["complete"]
    assert _spools() == before


def test_a_budget_hit_makes_the_scan_name_what_was_not_examined(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"email": "a@example.com"}\n' + '{"a":' * 100 + "1" + "}" * 100 + "\n")
    doc = scan_files([path]).to_dict()
    assert doc["rows_examined"] == 1
    assert [i["kind"] for s in doc["sources"] for i in s["issues"]] == ["too_deep"]
    email = doc["classes"]["email"]
    assert email["status"] == "present"
    assert any(
        c["evidence"]["unexamined_records"] == 1 for c in doc["classes"].values() if c["status"] == "absent"
    )


@pytest.mark.parametrize("fmt", ["jsonl", "json", "parquet", "avro"])
def test_every_format_keeps_to_the_column_budget(tmp_path: Path, fmt: str) -> None:
    row = {f"k{i}": f"v{i}" for i in range(50)}
    path = tmp_path / f"wide.{fmt}"
    path.write_bytes(encode([row, row], fmt))
    rows, sources = read_rows(path, limits=Limits(max_columns=10))
    assert len(rows) == 2 and all(len(r) == 10 for r in rows)
    assert kinds(sources) == ["too_many_columns"]


def test_a_json_record_past_the_line_budget_stops_the_document(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(
        '[{"email": "a@example.com"}, {"t": "' + "x" * (3 << 20) + '"}, {"email": "b@example.com"}]'
    )
    rows, sources = read_rows(path, limits=Limits(max_line_bytes=1 << 20))
    assert [r["email"] for r in rows] == ["a@example.com"]
    (issue,) = sources[0].issues
    assert (issue.kind, issue.record) == ("line_too_long", 2)
    assert "the rest of the file was not read" in issue.message
    rows, sources = read_rows(path)
    assert len(rows) == 3 and kinds(sources) == []


def test_a_member_with_a_bad_crc_is_that_members_issue(tmp_path: Path) -> None:
    """Found by the atheris harness: a zip member whose data fails its CRC raised BadZipFile
    out of format detection (a traceback in ``scan``)."""
    import zipfile

    path = tmp_path / "crc.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("a.csv", "email\nx@example.com\n")
        z.writestr("b.csv", "email\ny@example.com\n")
    data = bytearray(path.read_bytes())
    at = data.index(b"x@example.com")
    data[at] = ord("z")  # the stored bytes no longer match the CRC
    path.write_bytes(bytes(data))
    rows, sources = read_rows(path)
    assert rows == [{"email": "y@example.com"}]
    assert [i.kind for i in sources[0].issues] == ["corrupt_member"]
    assert "Bad CRC-32" in sources[0].issues[0].message


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    path.write_bytes(_zip_bytes(members))
    return path


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in members.items():  # a fixed timestamp: the same bytes every call
            archive.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


INNER = _zip_bytes({"x.csv": b"email\nb@example.com\n"})
BIG_LINE = '{"email": "' + "x" * (33 << 20) + '"}\n'  # spans 3 read blocks of jsonl.py
GOOD = '{"email": "a@example.com"}\n'


@pytest.mark.parametrize(
    ("name", "make", "limits", "expected"),
    [
        # (issue kind, bytes_unread) per source, in order
        (
            "jsonl long lines",
            lambda d: _write(d / "a.jsonl", GOOD + BIG_LINE + GOOD),
            Limits(max_line_bytes=1 << 20),
            [("line_too_long", len(BIG_LINE) - 1)],
        ),
        (
            "zip nested archive",
            lambda d: _zip(d / "a.zip", {"in.csv": b"email\na@example.com\n", "in.zip": INNER}),
            Limits(),
            [("nested_archive", len(INNER))],
        ),
        (
            "zip too many members",
            lambda d: _zip(d / "a.zip", {f"m{i}.csv": b"email\na@example.com\n" * (i + 1) for i in range(4)}),
            Limits(max_members=1),
            [("too_many_members", 20 * (2 + 3 + 4))],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_budget_issues_say_how_many_bytes_they_left_unread(
    tmp_path: Path, name: str, make: Any, limits: Limits, expected: list[tuple[str, int]]
) -> None:
    path = make(tmp_path)
    _, sources = read_rows(path, limits=limits)
    found = [(i.kind, i.bytes_unread) for s in sources for i in s.issues if i.unread]
    assert found == expected
    report = scan_files([path], limits=limits).to_dict()
    assert report["unread"]["bytes"] == sum(b for _, b in expected)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_summary_of_unlisted_issues_carries_their_unread_bytes() -> None:
    src = Source("a.jsonl", "jsonl", 0, lambda cb: iter(()))
    log = IssueLog(src)
    for line in range(1, MAX_ISSUES_PER_KIND + 4):
        log.add("line_too_long", "skipped", line=line, bytes_unread=10)
    log.finish()
    assert len(src.issues) == MAX_ISSUES_PER_KIND + 1
    assert sum(i.bytes_unread or 0 for i in src.issues) == 10 * (MAX_ISSUES_PER_KIND + 3)
    assert unread_of(src.issues).bytes == 10 * (MAX_ISSUES_PER_KIND + 3)
    assert unread_of(src.issues).records == MAX_ISSUES_PER_KIND + 3
