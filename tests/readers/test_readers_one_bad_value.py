"""One bad value never hides the others: every good record around it is still read.

Each case puts a single hostile value in the middle of ten good records (an email and an
API-key-shaped string each) and asserts that all ten good records, and the bad record's other
values, reach the scan, and which issue (if any) says what was repaired.
"""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from pathlib import Path

import pytest

from breachscope.readers import Limits
from tests.readers import hostile_corpus
from tests.readers.readers_helpers import encode, kinds, read_rows

KEYS = [f"sk-proj-{'Zx81kPq2LmN7vB4cR9tYw3Hj6Ks5Dg0Fa2Qe8'}{i:02d}" for i in range(10)]
BAD_KEY = KEYS[0][:-2] + "99"


def _jsonl_lines(bad: str) -> list[str]:
    good = [{"id": i, "email": f"u{i}@example.com", "note": "text", "api_key": k} for i, k in enumerate(KEYS)]
    lines = [json.dumps(r) for r in good]
    lines.insert(5, bad)
    return lines


#: (case id, the bad record as JSON text (it also holds BAD_KEY), issue kinds expected)
JSON_CASES = [
    ("lone surrogate", '{"id": 99, "note": "\\ud800 x", "api_key": "%s"}', ["invalid_utf8"]),
    ("lone surrogate key", '{"id": 99, "\\udc00": "x", "api_key": "%s"}', ["invalid_utf8"]),
    ("5000-digit integer", '{"id": 99, "note": ' + "9" * 5000 + ', "api_key": "%s"}', []),
    ("-5000-digit integer", '{"id": 99, "note": -' + "9" * 5000 + ', "api_key": "%s"}', []),
    ("repeated key", '{"id": 99, "api_key": "%s", "api_key": "x", "api_key": "y"}', ["duplicate_key"]),
    (
        "repeated nested key",
        '{"id": 99, "api_key": "%s", "p": {"e": "a@x.com", "e": "b@y.com"}}',
        ["duplicate_key"],
    ),
]


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize(("bad", "expected"), [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES])
def test_one_bad_json_value_keeps_every_record(
    tmp_path: Path, fmt: str, bad: str, expected: list[str]
) -> None:
    lines = _jsonl_lines(bad % BAD_KEY)
    path = tmp_path / f"leak.{fmt}"
    text = "\n".join(lines) + "\n" if fmt == "jsonl" else "[\n" + ",\n".join(lines) + "\n]\n"
    path.write_bytes(text.encode("utf-8"))
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS[:5] + [BAD_KEY] + KEYS[5:]
    assert kinds(sources) == expected
    issue = sources[0].issues[0] if expected else None
    if issue is not None:  # located at the bad record
        assert (issue.line, issue.record) == ((6, None) if fmt == "jsonl" else (None, 6))
    bad_row = rows[5]
    text_of_row = "".join(f"{k}{v}" for k, v in bad_row.items())
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text_of_row)
    if "9" * 5000 in bad:  # the digits are kept, as text
        assert bad_row["note"].lstrip("-") == "9" * 5000
    if expected == ["duplicate_key"]:  # every value of a repeated key is kept
        kept = {k: v for k, v in bad_row.items() if v is not None and k != "id"}
        assert kept in (
            {"api_key": BAD_KEY, "api_key_2": "x", "api_key_3": "y"},
            {"api_key": BAD_KEY, "p.e": "a@x.com", "p.e_2": "b@y.com"},
        )


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet(bad_row: str, good_rows: list[str] | None = None) -> str:
    """A header, ten good rows (2-6, 8-12) and ``bad_row`` (written as row 7) between them."""
    header = '<row r="1">' + _cell("A1", "id") + _cell("B1", "email") + _cell("C1", "api_key") + "</row>"
    good = good_rows or [
        f'<row r="{r}">'
        + _cell(f"A{r}", str(i))
        + _cell(f"B{r}", f"u{i}@example.com")
        + _cell(f"C{r}", k)
        + "</row>"
        for i, (r, k) in enumerate(zip([2, 3, 4, 5, 6, 8, 9, 10, 11, 12], KEYS, strict=True))
    ]
    return header + "".join(good[:5]) + bad_row + "".join(good[5:])


def _row(cells: str, number: str = "7") -> str:
    return f'<row r="{number}">{cells}{_cell("C7", BAD_KEY)}</row>'


#: (case id, worksheet XML between <sheetData> tags, issue kinds expected)
XLSX_CASES = [
    ("number that is not one", _sheet(_row('<c r="A7"><v>abc</v></c>')), ["bad_value"]),
    ("5000-digit number", _sheet(_row(f'<c r="A7"><v>{"9" * 5000}</v></c>')), ["bad_value"]),
    ("boolean that is not one", _sheet(_row('<c r="A7" t="b"><v>maybe</v></c>')), ["bad_value"]),
    ("date that is not one", _sheet(_row('<c r="A7" t="d"><v>not-a-date</v></c>')), ["bad_value"]),
    ("shared string past the table", _sheet(_row('<c r="A7" t="s"><v>999</v></c>')), ["bad_value"]),
    ("bad cell reference", _sheet(_row('<c r="ZZZZZ7"><v>1</v></c>')), ["bad_value"]),
    ("cell reference without a row", _sheet(_row('<c r="A"><v>1</v></c>')), ["bad_value"]),
    ("row number not a number", _sheet(_row('<c r="A7"><v>1</v></c>', number="x")), ["bad_value"]),
    ("cells in reverse order", _sheet(f'<row r="7">{_cell("C7", BAD_KEY)}{_cell("A7", "99")}</row>'), []),
    ("a cell's column twice", _sheet(_row(_cell("A7", "99") + _cell("A7", "98"))), ["bad_value"]),
    ("row numbered far ahead", _sheet(_row(_cell("A7", "99"), number="40")), []),
    ("row number repeated", _sheet(_row(_cell("A7", "99"), number="6")), []),
]


@pytest.mark.parametrize(("sheet", "expected"), [c[1:] for c in XLSX_CASES], ids=[c[0] for c in XLSX_CASES])
def test_one_bad_xlsx_cell_or_row_keeps_every_row(tmp_path: Path, sheet: str, expected: list[str]) -> None:
    path = hostile_corpus._xlsx(tmp_path / "leak.xlsx", sheet)
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS[:5] + [BAD_KEY] + KEYS[5:]
    assert [r["email"] for r in rows if r["api_key"] != BAD_KEY] == [f"u{i}@example.com" for i in range(10)]
    assert kinds(sources) == expected


@pytest.mark.timeout(60)  # a budget, not a speed target: before, this row took minutes of CPU
def test_an_xlsx_row_naming_one_column_many_times_is_read_in_linear_work(tmp_path: Path) -> None:
    """Each repeat of a column went after the row's highest column, found by max() over the
    row's cells so far: quadratic, so one row of 150,000 repeated cells (a 400 KB file) held the
    reader for minutes. The row's values are kept in order, as for two repeats."""
    repeats = "".join(_cell("D7", f"r{i}") for i in range(150_000))
    bad = f'<row r="7">{_cell("A7", "99")}{_cell("B7", "x@example.com")}{_cell("C7", BAD_KEY)}{repeats}</row>'
    path = hostile_corpus._xlsx(tmp_path / "leak.xlsx", _sheet(bad))
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS[:5] + [BAD_KEY] + KEYS[5:]
    assert (rows[5]["extra_4"], rows[5]["extra_5"], rows[5]["extra_100"]) == ("r0", "r1", "r96")
    assert "bad_value" in kinds(sources)


def test_a_number_in_a_date_format_that_is_no_date_keeps_its_digits_and_is_never_printed(
    tmp_path: Path,
) -> None:
    """openpyxl turned it into "#VALUE!" (a card number went unfound) and warned with the number."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["id", "card"])
    ws.append(["1", 4111111111111111])
    ws.cell(row=2, column=2).number_format = "yyyy-mm-dd"
    ws.append(["2", 45000])  # a real date
    ws.cell(row=3, column=2).number_format = "yyyy-mm-dd"
    path = tmp_path / "dates.xlsx"
    wb.save(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows, sources = read_rows(path)
    assert [r["card"] for r in rows] == ["4111111111111111", "2023-03-15T00:00:00"]
    assert kinds(sources) == ["bad_value"]
    assert [str(w.message) for w in caught] == []


AVRO_SCHEMA = {
    "type": "record",
    "name": "person",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "api_key", "type": "string"},
        {"name": "seen", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "born", "type": ["null", {"type": "int", "logicalType": "date"}]},
        {"name": "uid", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "at", "type": {"type": "long", "logicalType": "time-micros"}},
    ],
}
GOOD_AVRO = {"seen": 1577836800000, "born": 7305, "uid": "00000000-0000-0000-0000-000000000001", "at": 1000}

#: (case id, the field and the raw value its logical type cannot hold)
AVRO_CASES = [
    ("timestamp past year 9999", "seen", 2**62),
    ("date past year 9999", "born", 2**31 - 1),
    ("uuid that is not one", "uid", "not-a-uuid"),
    ("time past 24 hours", "at", 2**62),
]


@pytest.mark.parametrize("codec", ["null", "deflate"])
@pytest.mark.parametrize(("field", "raw"), [c[1:] for c in AVRO_CASES], ids=[c[0] for c in AVRO_CASES])
def test_one_avro_value_that_does_not_fit_its_logical_type_keeps_the_block(
    tmp_path: Path, codec: str, field: str, raw: object
) -> None:
    import fastavro

    records: list[dict[str, object]] = [{"id": i, "api_key": k, **GOOD_AVRO} for i, k in enumerate(KEYS)]
    records.insert(5, {"id": 99, "api_key": BAD_KEY, **GOOD_AVRO, field: raw})
    path = tmp_path / "leak.avro"
    with path.open("wb") as f:  # fastavro writes the raw values as they are
        fastavro.writer(f, fastavro.parse_schema(AVRO_SCHEMA), records, codec=codec)
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS[:5] + [BAD_KEY] + KEYS[5:]
    assert kinds(sources) == ["bad_value"]
    assert sources[0].issues[0].record == 6
    assert str(rows[5][field]) == str(raw)  # kept raw, as text
    good = [r for i, r in enumerate(rows) if i != 5]  # the block's other records keep their types
    assert {r["born"] for r in good} == {"1990-01-01"}
    assert {r["seen"] for r in good} == {"2020-01-01T00:00:00+00:00"}


def _people(keys: list[str]) -> list[dict[str, object]]:
    return [{"id": i, "api_key": k} for i, k in enumerate(keys)]


#: (case id, a JSON document, issue kinds expected)
DOCUMENT_CASES = [
    ("a second list", {"data": _people(KEYS[:5]), "users": _people(KEYS[5:])}, ["more_records"]),
    ("a list before the records", {"others": _people(KEYS[5:]), "data": _people(KEYS[:5])}, ["more_records"]),
]


@pytest.mark.parametrize(
    ("doc", "expected"), [c[1:] for c in DOCUMENT_CASES], ids=[c[0] for c in DOCUMENT_CASES]
)
def test_every_list_of_records_in_a_json_document_is_read(
    tmp_path: Path, doc: dict[str, object], expected: list[str]
) -> None:
    path = tmp_path / "leak.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    rows, sources = read_rows(path)
    assert sorted(r["api_key"] for r in rows) == sorted(KEYS)
    assert kinds(sources) == expected
    assert sources[0].record_path == "data"


def test_the_record_key_twice_reads_both_lists(tmp_path: Path) -> None:
    path = tmp_path / "leak.json"
    first, second = json.dumps(_people(KEYS[:5])), json.dumps(_people(KEYS[5:]))
    path.write_text(f'{{"data": {first}, "page": 1, "data": {second}}}', encoding="utf-8")
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS
    assert kinds(sources) == ["more_records"]


def test_a_repeated_key_of_a_single_record_document_keeps_both_values(tmp_path: Path) -> None:
    path = tmp_path / "leak.json"
    path.write_text(f'{{"api_key": "{BAD_KEY}", "api_key": "x", "id": 1}}', encoding="utf-8")
    rows, sources = read_rows(path)
    assert rows == [{"api_key": BAD_KEY, "api_key_2": "x", "id": 1}]
    assert kinds(sources) == ["duplicate_key"]


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_a_quote_left_open_says_how_much_it_swallowed(tmp_path: Path, fmt: str) -> None:
    """The rows after an open quote run into one ragged row; that was reported as 1 record."""
    sep = "," if fmt == "csv" else "\t"
    good = [sep.join([str(i), k, f"u{i}@example.com"]) for i, k in enumerate(KEYS)]
    bad = sep.join(["99", f'"{BAD_KEY}', "x@example.com"])  # (in the last column it is not even ragged)
    rest = "\n".join([bad, *good[5:]]) + "\n"
    path = tmp_path / f"leak.{fmt}"
    path.write_text(
        "\n".join([sep.join(["id", "api_key", "email"]), *good[:5]]) + "\n" + rest, encoding="utf-8"
    )
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS[:5]
    (issue,) = sources[0].issues
    assert (issue.kind, issue.line, issue.record) == ("ragged_row", 7, 6)
    assert issue.unread and issue.bytes_unread is not None
    assert len(rest.encode()) - 1 <= issue.bytes_unread <= len(rest.encode())  # the rest of the file
    assert "spans 6 lines" in issue.message


QUOTE_IN_LAST = [
    # (case, the bad row's last field, the rows after it closed at: None = never, else a row index)
    ("never_closed", f'"{BAD_KEY}', None),
    ("closed_at_a_line_end", f'"{BAD_KEY}', 8),
]


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize(
    ("last", "closed_at"), [c[1:] for c in QUOTE_IN_LAST], ids=[c[0] for c in QUOTE_IN_LAST]
)
def test_a_quote_left_open_in_the_last_field_says_which_records_it_holds(
    tmp_path: Path, fmt: str, last: str, closed_at: int | None
) -> None:
    """In the last field the swallowed lines make no ragged row: the row has its fields, and the
    records inside the value were neither read as records nor reported (the scan was complete
    with 6 of 11 rows). They are reported as records unread, so the scan is incomplete."""
    sep = "," if fmt == "csv" else "\t"
    good = [sep.join([str(i), f"u{i}@example.com", k]) for i, k in enumerate(KEYS)]
    if closed_at is not None:  # a later row's last field ends with the closing quote
        good[closed_at] += '"'
    lines = [
        sep.join(["id", "email", "api_key"]),
        *good[:5],
        sep.join(["99", "x@example.com", last]),
        *good[5:],
    ]
    path = tmp_path / f"leak.{fmt}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, sources = read_rows(path)
    swallowed = (closed_at if closed_at is not None else len(KEYS) - 1) - 5 + 1
    assert [r["email"] for r in rows][:6] == [*(f"u{i}@example.com" for i in range(5)), "x@example.com"]
    assert len(rows) == 11 - swallowed
    (issue,) = [i for i in sources[0].issues if i.kind == "merged_records"]
    assert (issue.record, issue.records_unread) == (6, swallowed) and issue.unread
    assert f"{swallowed} of which look like records" in issue.message


NOTES = [
    # (case, header, a row's fields before the note, the note)
    (
        "three_columns",
        "id,email,notes",
        "{i},u{i}@example.com",
        "first line\nsecond line, with a comma\r\nthird line",
    ),
    (
        "a_comma_on_each_line",
        "email,note",
        "u{i}@example.com",
        "Called on Monday,\nleft a message, will retry",
    ),
    (
        "as_many_commas_as_a_row",
        "id,email,notes",
        "{i},u{i}@example.com",
        "Called,\nleft a message, will retry, bye",
    ),
    ("an_address", "id,name,address", "{i},Dewi", "Jl. Merdeka 5, RT 01\nBandung, 40115\nIndonesia"),
]


@pytest.mark.parametrize(("header", "before", "note"), [c[1:] for c in NOTES], ids=[c[0] for c in NOTES])
def test_multi_line_text_in_the_last_field_is_no_merged_record(
    tmp_path: Path, header: str, before: str, note: str
) -> None:
    """A note or an address over several lines is an ordinary value, whatever commas its lines
    hold: nothing is reported, and the scan stays complete."""
    lines = [header, *(f'{before.format(i=i)},"{note}"' for i in range(10))]
    path = tmp_path / "leak.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, sources = read_rows(path)
    last = header.split(",")[-1]
    assert len(rows) == 10 and all(r[last] == note.replace("\r\n", "\n") or r[last] == note for r in rows)
    assert kinds(sources) == []


@pytest.mark.parametrize("second", ["vip[1]", "a]b", "x[", "people", "plain"])
def test_every_sheet_is_read_whatever_its_name(tmp_path: Path, second: str) -> None:
    """A second sheet named ``vip[1]`` (or like the first) was never read: its source read the first."""
    from openpyxl import Workbook

    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "people"
    other = wb.create_sheet("vip")  # renamed below: openpyxl refuses to write such names
    for ws, keys in ((first, KEYS[:5]), (other, KEYS[5:])):
        ws.append(["id", "api_key"])
        for i, k in enumerate(keys):
            ws.append([str(i), k])
    made = tmp_path / "made.xlsx"
    wb.save(made)
    path = tmp_path / "leak.xlsx"
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b'name="vip"', f'name="{second}"'.encode())
            dst.writestr(info, data)
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS
    assert len(sources) == 2 and sources[0].name != sources[1].name
    assert kinds(sources) == []


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_one_record_too_wide_first_in_its_batch_keeps_the_others_columns(tmp_path: Path, fmt: str) -> None:
    """The column budget kept the first columns: those of one wide record, not the others'."""
    wide = {f"k{i}": "x" for i in range(50)}
    path = tmp_path / f"leak.{fmt}"
    path.write_bytes(encode([wide, *({"id": str(i), "api_key": k} for i, k in enumerate(KEYS))], fmt))
    rows, sources = read_rows(path, limits=Limits(max_columns=10))
    assert [r["api_key"] for r in rows[1:]] == KEYS
    assert kinds(sources) == ["too_many_columns"]


#: (case id, broken elements put after the fifth record; how many records they are)
BROKEN = [
    ("a bad value", ['{"id": 99, "v": oops, "nested": [{"x": 1}, {"y": 2}]}'], 1),
    ("a missing comma", ['{"id": 99, "v": "x" "w": 1}'], 1),
    ("a bracket and a comma in a string", ['{"id": 99, "v": "],{", "w": nope}'], 1),
    ("two in a row", ['{"id": 99, "v": oops}', '{"id": 98, "v": nope}'], 2),
    ("not an object", ["nope"], 1),
]


@pytest.mark.parametrize("layout", ["lines", "minified", "indented"])
@pytest.mark.parametrize(("broken", "count"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_a_broken_record_in_a_json_document_skips_that_record_only(
    tmp_path: Path, layout: str, broken: list[str], count: int
) -> None:
    """One record that does not decode stopped the read: every record after it was lost."""
    good = [{"id": i, "api_key": k, "nested": [{"x": 1}, {"y": 2}]} for i, k in enumerate(KEYS)]
    indent = 2 if layout == "indented" else None
    texts = [json.dumps(r, indent=indent) for r in good]
    sep = "," if layout == "minified" else ",\n"
    path = tmp_path / "leak.json"
    path.write_text("[" + sep.join(texts[:5] + broken + texts[5:]) + "]", encoding="utf-8")
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS
    assert [(i.kind, i.record) for i in sources[0].issues] == [
        ("malformed_json", 6 + n) for n in range(count)
    ]
    assert all(i.unread for i in sources[0].issues)


def test_a_broken_record_without_an_end_still_stops_the_read_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "leak.json"
    texts = [json.dumps({"id": i, "api_key": k}) for i, k in enumerate(KEYS)]
    path.write_text("[" + ",\n".join(texts[:5] + ['{"id": 99, "v": "x"'] + texts[5:]) + "]", encoding="utf-8")
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS[:5]
    (issue,) = sources[0].issues
    assert issue.kind == "malformed_json" and "the rest of the file was not read" in issue.message


def test_an_xlsx_row_wider_than_its_header_is_read_and_not_called_unread(tmp_path: Path) -> None:
    """Its extra cells were kept and scanned, yet the issue (ragged_row) made the scan incomplete."""
    wide = f'<row r="7">{_cell("A7", "99")}{_cell("C7", BAD_KEY)}{_cell("D7", "x@example.com")}</row>'
    path = hostile_corpus._xlsx(tmp_path / "leak.xlsx", _sheet(wide))
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS[:5] + [BAD_KEY] + KEYS[5:]
    assert rows[5]["extra_4"] == "x@example.com"
    (issue,) = sources[0].issues
    assert (issue.kind, issue.line, issue.unread) == ("extra_cells", 7, False)


@pytest.mark.parametrize(
    "boms", [(True, False), (True, True), (False, True)], ids=["start", "both", "joined"]
)
def test_a_jsonl_byte_order_mark_never_costs_a_record(tmp_path: Path, boms: tuple[bool, bool]) -> None:
    """json refuses a line that starts with a byte-order mark: the file's first record was lost,
    and with two exports joined by cat, the second's first record too."""
    halves = [
        "".join(json.dumps({"id": i, "api_key": k}) + "\n" for i, k in enumerate(keys)).encode()
        for keys in (KEYS[:5], KEYS[5:])
    ]
    path = tmp_path / "leak.jsonl"
    path.write_bytes(b"".join(b"\xef\xbb\xbf" * bom + half for bom, half in zip(boms, halves, strict=True)))
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS
    assert kinds(sources) == []


def test_json_documents_joined_are_all_read_and_trailing_text_is_unread(tmp_path: Path) -> None:
    """Only the first document was read: the text after its end was never looked at."""
    first, second = json.dumps(_people(KEYS[:5])), json.dumps({"data": _people(KEYS[5:])}, indent=1)
    joined = tmp_path / "joined.json"
    joined.write_text(first + "\n" + second + "\n", encoding="utf-8")
    rows, sources = read_rows(joined)
    assert [r["api_key"] for r in rows] == KEYS
    assert [(i.kind, i.line) for i in sources[0].issues] == [("more_records", 2)]
    trailing = tmp_path / "trailing.json"
    trailing.write_text(first + f'\nnot json "{BAD_KEY}"\n', encoding="utf-8")
    rows, sources = read_rows(trailing)
    assert [r["api_key"] for r in rows] == KEYS[:5]
    (issue,) = sources[0].issues
    assert (
        issue.kind == "malformed_json" and issue.unread and "rest of the file was not read" in issue.message
    )


def test_a_chartsheet_before_the_worksheets_shifts_no_sheet(tmp_path: Path) -> None:
    """Each source is read from its own worksheet; a chartsheet (no cells) is no source."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "people"
    chart = wb.create_chartsheet("chart", 0)
    other = wb.create_sheet("vip")
    for ws, keys in ((first, KEYS[:5]), (other, KEYS[5:])):
        ws.append(["id", "api_key"])
        for i, k in enumerate(keys):
            ws.append([str(i), k])
    bars = BarChart()
    bars.add_data(Reference(first, min_col=1, min_row=1, max_row=6))
    chart.add_chart(bars)
    path = tmp_path / "leak.xlsx"
    wb.save(path)
    rows, sources = read_rows(path)
    assert [s.name for s in sources] == ["leak.xlsx[people]", "leak.xlsx[vip]"]
    assert [r["api_key"] for r in rows] == KEYS
    assert kinds(sources) == []


#: (case id, XML put before / after the sheet's rows: parts openpyxl parsed and could refuse)
SHEET_PARTS = [
    ("column widths", '<cols><col min="x" max="y" width="abc"/></cols>', ""),
    ("merged cells", "", '<mergeCells count="1"><mergeCell ref="ZZZZZ1:A"/></mergeCells>'),
    ("page margins", "", '<pageMargins left="abc" right="0" top="0" bottom="0" header="0" footer="0"/>'),
    (
        "conditional format",
        "",
        '<conditionalFormatting sqref="A1"><cfRule type="bogus"/></conditionalFormatting>',
    ),
    (
        "data validation",
        "",
        '<dataValidations count="1"><dataValidation sqref="A1" type="nonsense"/></dataValidations>',
    ),
]


@pytest.mark.parametrize(("before", "after"), [c[1:] for c in SHEET_PARTS], ids=[c[0] for c in SHEET_PARTS])
def test_a_malformed_sheet_part_that_holds_no_values_costs_no_row(
    tmp_path: Path, before: str, after: str
) -> None:
    """openpyxl parsed the sheet's formatting too: one part it refused lost every row of the sheet."""
    rows_xml = _sheet(_row(_cell("A7", "99")))
    path = tmp_path / "leak.xlsx"
    with (
        zipfile.ZipFile(hostile_corpus._xlsx(tmp_path / "made.xlsx", rows_xml)) as src,
        zipfile.ZipFile(path, "w") as dst,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", before.encode() + b"<sheetData>")
                data = data.replace(b"</sheetData>", b"</sheetData>" + after.encode())
            dst.writestr(info, data)
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS[:5] + [BAD_KEY] + KEYS[5:]
    assert kinds(sources) == []


@pytest.mark.parametrize("dimension", ["garbage", "A0:B-1", "A1:"])
def test_a_sheet_dimension_openpyxl_refuses_leaves_the_workbook_readable(
    tmp_path: Path, dimension: str
) -> None:
    """openpyxl reads every sheet's declared dimension on opening: one it refused made the whole
    workbook unreadable (the scan stopped with an error)."""
    path = hostile_corpus._xlsx(tmp_path / "leak.xlsx", _sheet(_row(_cell("A7", "99"))), dimension=dimension)
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS[:5] + [BAD_KEY] + KEYS[5:]
    assert kinds(sources) == []


@pytest.mark.parametrize("odd", [0.5, 10**22, -1e300], ids=["a fraction", "past int64", "a huge float"])
def test_jsonl_ids_past_2_to_the_53_keep_every_digit_beside_one_odd_number(
    tmp_path: Path, odd: object
) -> None:
    """pyarrow read the column as float64 and rounded every 19-digit id (...789 -> ...800)."""
    ids = [1234567890123456789 + i for i in range(5)]
    path = tmp_path / "leak.jsonl"
    records = [{"user_id": i, "nested": {"id": i}, "ids": [i]} for i in ids] + [{"user_id": odd}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    rows, sources = read_rows(path)
    assert [str(r["user_id"]) for r in rows[:5]] == [str(i) for i in ids]
    assert [str(r["nested.id"]) for r in rows[:5]] == [str(i) for i in ids]
    assert kinds(sources) == []


REPEATS = 60_000  # one key repeated in one record: before, each repeat searched key_2, key_3 ... again

#: (case id, file name, the file's text): the repeated record sits between two good ones
REPEATED_KEY_FILES = [
    ("jsonl", "leak.jsonl", "{0}\n{1}\n{2}\n"),
    ("json", "leak.json", "[{0},\n{1},\n{2}]"),
    # keys that differ only in lone surrogates all become "\ufffd" once repaired
    ("jsonl surrogate keys", "leak.jsonl", "{0}\n{3}\n{2}\n"),
]


@pytest.mark.timeout(60)  # a budget, not a speed target: before, this record took minutes of CPU
@pytest.mark.parametrize(
    ("name", "text"), [c[1:] for c in REPEATED_KEY_FILES], ids=[c[0] for c in REPEATED_KEY_FILES]
)
def test_a_key_repeated_many_times_in_one_record_is_read_in_linear_work(
    tmp_path: Path, name: str, text: str
) -> None:
    """Every repeat's new name was found by trying key_2, key_3 ... from the start: quadratic,
    so one 500 KB record held the reader for minutes (8,000 repeats: 4 s)."""
    repeated = "{" + ", ".join(f'"a": "{i}"' for i in range(REPEATS)) + f', "api_key": "{BAD_KEY}"}}'
    surrogates = "{" + ", ".join(f'"\\u{0xD800 + i % 1024:04x}\\u{0xD800 + i // 1024:04x}": "{i}"'
                                 for i in range(REPEATS)) + f', "api_key": "{BAD_KEY}"}}'  # fmt: skip
    good = [json.dumps({"api_key": k}) for k in KEYS[:2]]
    path = tmp_path / name
    path.write_text(text.format(good[0], repeated, good[1], surrogates))
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == [KEYS[0], BAD_KEY, KEYS[1]]
    values = {v for k, v in rows[1].items() if v is not None and k != "api_key"}
    assert len(values) == min(REPEATS, Limits().max_columns - 1)  # every value, up to the column budget


@pytest.mark.timeout(60)  # a budget, not a speed target: before, this header took hours of CPU
@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_a_header_repeating_one_name_is_read_in_linear_work(tmp_path: Path, fmt: str) -> None:
    """unique_names searched a_2, a_3 ... from the start for every repeat, before the column
    budget cut the header: 16,384 repeats took 17 s of CPU, a 400 KB header of 200,000 hours."""
    sep = "," if fmt == "csv" else "\t"
    width = 200_000
    path = tmp_path / f"leak.{fmt}"
    header = sep.join(["api_key"] + ["a"] * width)
    path.write_text("\n".join([header] + [sep.join([k] + ["x"] * width) for k in KEYS[:3]]) + "\n")
    rows, sources = read_rows(path)
    assert [r["api_key"] for r in rows] == KEYS[:3]
    assert (rows[0]["a"], rows[0]["a_2"], rows[0]["a_100"]) == ("x", "x", "x")
    assert "too_many_columns" in kinds(sources)


@pytest.mark.timeout(60)  # a budget, not a speed target: before, this workbook took minutes of CPU
def test_a_workbook_of_many_sheets_of_one_name_is_read_in_linear_work(tmp_path: Path) -> None:
    """Each source labelled every sheet again, searching name#2, name#3 ... in the list of the
    labels so far: cubic per source, so 1,500 sheets named alike (20 read) took minutes, and
    3,000 (256 read) were still being read after 14 minutes of CPU."""
    from openpyxl import Workbook

    wb = Workbook()
    for i in range(1500):
        ws = wb.active if i == 0 else wb.create_sheet(f"s{i}")
        assert ws is not None
        ws.append(["api_key"])
        ws.append([KEYS[i % 10]])
    made = tmp_path / "made.xlsx"
    wb.save(made)
    path = tmp_path / "leak.xlsx"
    with zipfile.ZipFile(made) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":  # every sheet named "people"
                data = re.sub(rb'(<sheet [^>]*?name=")[^"]*"', rb'\1people"', data)
            dst.writestr(info, data)
    rows, sources = read_rows(path, limits=Limits(max_sheets=20))
    labels = ["people", "people#2", "people#3"]
    assert [s.name for s in sources][:3] == [f"leak.xlsx[{label}]" for label in labels]
    assert [r["api_key"] for r in rows] == [KEYS[i % 10] for i in range(20)]


def test_a_bomb_behind_a_refused_dimension_stops_at_the_ratio_guard(tmp_path: Path) -> None:
    """The copy made to set a refused dimension aside inflates every member: a sheet that
    inflates far past the ratio guard is reported as a bomb, never inflated whole."""
    filler = "".join(f'<row r="{r}">{_cell(f"A{r}", "x" * 200)}</row>' for r in range(13, 20_013))
    path = hostile_corpus._xlsx(
        tmp_path / "leak.xlsx", _sheet(_row(_cell("A7", "99"))) + filler, dimension="garbage"
    )
    assert path.stat().st_size < 200_000  # about 5 MB of sheet, compressed
    limits = Limits(max_ratio=4.0, ratio_after_bytes=1 << 20)
    rows, sources = read_rows(path, limits=limits)
    assert rows == [] and "bomb" in kinds(sources)
    rows, sources = read_rows(path)  # the default guard lets a 5 MB sheet through
    assert [r["api_key"] for r in rows[:11]] == KEYS[:5] + [BAD_KEY] + KEYS[5:]
    assert len(rows) == 11 + 20_000 and "bomb" not in kinds(sources)


@pytest.mark.parametrize("first", ["Ñoño {i}", "Ana\u00a0Bell", "  Dewi {i} ", "{i}"])
def test_swallowed_records_are_found_whatever_their_first_field(tmp_path: Path, first: str) -> None:
    """The vectorised pass that picks the values worth a closer look lets through every line
    the closer look counts: non-ASCII letters, a no-break space, spaces around the field, plain
    numbers."""
    rows_in = [f"{first.format(i=i)},u{i}@example.com,{k}" for i, k in enumerate(KEYS)]
    lines = ["name,email,api_key", *rows_in[:5], f'99,x@example.com,"{BAD_KEY}', *rows_in[5:]]
    path = tmp_path / "leak.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, sources = read_rows(path)
    assert len(rows) == 6
    (issue,) = [i for i in sources[0].issues if i.kind == "merged_records"]
    assert (issue.record, issue.records_unread) == (6, 5)
