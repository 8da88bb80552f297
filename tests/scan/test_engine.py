"""The scan engine on in-memory sources: needles, absence evidence, merging, shapes, vendors."""

from __future__ import annotations

import pyarrow as pa
import pytest

from breachscope.hashing import keyed_hash
from breachscope.readers.base import ReadIssue
from breachscope.scan import Partial, ScanContext, scan_batch, scan_sources
from breachscope.taxonomy import CREDENTIAL_AND_PAYMENT_CLASSES, DATA_CLASSES, Tier
from breachscope.vendors.base import VendorMatch
from tests.scan.scan_helpers import GITHUB, KEY, OPENAI_PROJECT, clean_table, source

CRITICAL = {dc.id for dc in DATA_CLASSES if dc.tier is Tier.CRITICAL}


def _strip_times(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("started_at", "finished_at")}


@pytest.fixture(scope="module")
def haystack() -> pa.Table:
    table = clean_table(100_000)
    notes = table.column("notes").to_pylist()
    notes[73_218] = f"customer pasted key {OPENAI_PROJECT} in chat"
    return table.set_column(table.schema.get_field_index("notes"), "notes", pa.array(notes, pa.string()))


def test_one_needle_in_100k_rows_is_present_with_its_record(haystack: pa.Table) -> None:
    report = scan_sources([source(haystack, "leak.csv")], key=KEY)
    doc = report.to_dict()
    secret = doc["classes"]["secret"]
    assert secret["status"] == "present"
    assert secret["matches"] == 1
    [finding] = secret["findings"]
    assert finding["record"] == 73_219 and finding["column"] == "notes" and finding["source"] == "leak.csv"
    assert finding["hash"] == keyed_hash(KEY, OPENAI_PROJECT)
    assert OPENAI_PROJECT not in str(doc)
    assert finding["preview"].startswith("sk") and "*" in finding["preview"]
    assert report.column_classes()[("leak.csv", "notes")] >= {"secret"}


def test_clean_data_has_no_critical_class_and_honest_evidence() -> None:
    table = clean_table(20_000)
    report = scan_sources([source(table)], key=KEY)
    doc = report.to_dict()
    assert not report.present_classes() & CRITICAL
    assert {"email", "person_name", "coarse_location", "internal_id", "timestamp"} <= report.present_classes()
    non_null = sum(table.num_rows - c.null_count for c in table.columns)
    assert doc["rows_examined"] == 20_000 and doc["values_examined"] == non_null
    assert doc["complete"] is True and doc["unread"] == {"records": 0, "bytes": 0, "notes": []}
    for cls in CREDENTIAL_AND_PAYMENT_CLASSES:
        entry = doc["classes"][cls]
        # card security codes have only a column-name detector: never examined, so never "absent"
        expected = "not_checked" if cls == "card_security_code" else "absent"
        assert entry["status"] == expected, cls
        assert entry["complete"] is True
        if expected == "absent":
            assert entry["statement"] == "absent in all 20,000 records"
        ev = entry["evidence"]
        assert ev["rows_examined"] == 20_000
        assert ev["detectors"], cls
        assert ev["unexamined_records"] == 0
        if cls in ("secret", "payment_card", "government_id", "chat_content"):
            assert ev["columns_examined"] == table.num_columns
            assert ev["values_examined"] == non_null
    assert set(doc["classes"]) == {dc.id for dc in DATA_CLASSES}


def test_batch_split_does_not_change_the_report(haystack: pa.Table) -> None:
    table = haystack.slice(60_000, 20_000)
    whole = scan_sources([source(table.combine_chunks())], key=KEY, batch_rows=1_000_000).to_dict()
    split = scan_sources([source(table.to_batches(max_chunksize=777))], key=KEY, batch_rows=3_000).to_dict()
    assert _strip_times(whole) == _strip_times(split)


def test_partials_merge_associatively() -> None:
    table = clean_table(3_000)
    ctx = ScanContext.create(KEY, max_findings=3)
    a, b, c = (scan_batch(table.slice(i * 1000, 1000).to_batches()[0], i * 1000, ctx) for i in range(3))
    left, right = a.merge(b).merge(c), a.merge(b.merge(c))
    assert left.rows == right.rows == 3_000
    for name in left.columns:
        assert left.columns[name] == right.columns[name]
    assert Partial().merge(a).columns == a.columns


def test_list_columns_are_scanned_element_wise() -> None:
    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "emails": pa.array(
                [["x@example.com"], None, ["nothing", "y@example.org"]], pa.list_(pa.string())
            ),
        }
    )
    doc = scan_sources([source(table)], key=KEY).to_dict()
    email = doc["classes"]["email"]
    assert email["matches"] == 2
    assert [f["record"] for f in email["findings"]] == [1, 3]
    col = next(c for c in doc["sources"][0]["columns"] if c["name"] == "emails")
    assert col["list"] and col["non_null"] == 3 and col["nulls"] == 1


def test_struct_and_non_string_columns() -> None:
    table = pa.table(
        {
            "props": pa.array([{"email": "a@example.com", "age": 3}, {"email": None, "age": 4}]),
            "n": pa.array([4111111111111111, 7], pa.int64()),
        }
    )
    doc = scan_sources([source(table)], key=KEY).to_dict()
    names = [c["name"] for c in doc["sources"][0]["columns"]]
    assert names == ["props.email", "props.age", "n"]
    assert doc["classes"]["email"]["columns"][0]["column"] == "props.email"
    assert doc["classes"]["payment_card"]["findings"][0]["record"] == 1


def test_schema_drift_between_batches() -> None:
    first = pa.record_batch({"a": ["x", "y"], "email": ["p@example.com", None]})
    second = pa.record_batch({"a": ["z"], "phone": ["+14155552671"]})
    doc = scan_sources([source([first, second])], key=KEY).to_dict()
    cols = {c["name"]: c for c in doc["sources"][0]["columns"]}
    assert list(cols) == ["a", "email", "phone"]
    assert cols["email"]["nulls"] == 2 and cols["email"]["non_null"] == 1
    assert cols["phone"]["nulls"] == 2 and cols["phone"]["non_null"] == 1
    assert doc["classes"]["phone"]["findings"][0]["record"] == 3


def test_read_issues_are_reported_and_counted_in_absence_evidence() -> None:
    issues = [ReadIssue("mem.csv", "ragged_row", "expected 2 fields, found 3; row skipped", line=5, record=4)]
    doc = scan_sources([source(clean_table(10), issues=issues)], key=KEY).to_dict()
    assert doc["sources"][0]["issues"][0]["line"] == 5
    assert doc["classes"]["secret"]["evidence"]["unexamined_records"] == 1


def _vendor(field_classes: dict[str, frozenset[str]], **kw: object) -> VendorMatch:
    return VendorMatch(
        vendor="testvendor",
        layout="people",
        reason="test layout",
        score=1.0,
        field_classes=field_classes,
        **kw,  # type: ignore[arg-type]
    )


def test_schema_provenance_and_disagreements() -> None:
    table = pa.table(
        {
            "distinct_id": ["a@example.com", "b@example.com", "c@example.org"],
            "$os": ["Windows", "Mac OS X", "iOS"],
            "custom": [GITHUB, "ok", "fine"],
            "$city": ["$none", "Jakarta", "$none"],
        }
    )
    match = _vendor(
        {
            "distinct_id": frozenset({"internal_id"}),
            "$os": frozenset({"device"}),
            "custom": frozenset({"internal_id"}),
            "$city": frozenset({"coarse_location"}),
        },
        placeholders=frozenset({"$none"}),
    )
    doc = scan_sources([source(table)], key=KEY, vendor_match=match).to_dict()
    src = doc["sources"][0]
    assert src["vendor"] == {"vendor": "testvendor", "layout": "people", "reason": "test layout"}
    cols = {c["name"]: c for c in src["columns"]}
    # an email used as the person's id is both an email and an internal identifier
    assert [c["class"] for c in cols["distinct_id"]["classes"]] == ["email", "internal_id"]
    assert cols["distinct_id"]["disagreements"] == []
    assert cols["custom"]["disagreements"][0]["schema_class"] == "internal_id"
    assert cols["custom"]["disagreements"][0]["resolution"] == "values"
    os_class = cols["$os"]["classes"][0]
    assert os_class["class"] == "device" and os_class["sources"] == ["schema", "hint", "value"]
    assert "secret" in [c["class"] for c in cols["custom"]["classes"]]
    assert (
        cols["$city"]["non_null"] == 1 and cols["$city"]["nulls"] == 2 and cols["$city"]["placeholders"] == 2
    )


def test_vendor_transform_is_applied_to_every_batch() -> None:
    def upper(batch: pa.RecordBatch) -> pa.RecordBatch:
        return pa.record_batch({"mail": [v.replace(" at ", "@") for v in batch.column(0).to_pylist()]})

    batches = [pa.record_batch({"raw": ["x at example.com"]}), pa.record_batch({"raw": ["y at example.com"]})]
    match = _vendor({"mail": frozenset({"email"})}, transform=upper)
    doc = scan_sources([source(batches)], key=KEY, vendor_match=match, batch_rows=1).to_dict()
    assert doc["classes"]["email"]["matches"] == 2
    assert doc["classes"]["email"]["columns"][0]["sources"] == ["schema", "hint", "value"]


def test_unknown_forced_vendor_is_a_user_error() -> None:
    from breachscope.errors import InputError

    with pytest.raises(InputError, match="unknown vendor"):
        scan_sources([source(clean_table(3))], vendor="no-such-vendor")


def test_a_failing_source_becomes_an_issue_not_a_crash() -> None:
    def broken(cb: object) -> object:
        yield from ()
        raise OSError("disk on fire")

    from breachscope.readers.base import Source

    bad = Source(name="bad.csv", format="csv", size_bytes=1, open_chunks=broken)  # type: ignore[arg-type]
    doc = scan_sources([bad, source(clean_table(5), "good.csv")], key=KEY).to_dict()
    assert doc["sources"][0]["issues"][0]["kind"] == "read_error"
    assert doc["sources"][1]["rows"] == 5
    assert doc["classes"]["secret"]["evidence"]["unexamined_notes"]


@pytest.mark.parametrize(
    ("value", "detector", "hashed"),
    [
        ("aws_access_key_id=AKIAIOSFODNN7EXAMPLE", "aws_access_key_id@1", "AKIAIOSFODNN7EXAMPLE"),
        ("api_key = Zx81kPq2LmN7vB4cR9tYw3Hj", "generic_secret@1", "Zx81kPq2LmN7vB4cR9tYw3Hj"),
        ("see " + GITHUB + " here", "github_token@1", GITHUB),
    ],
)
def test_a_finding_hashes_the_secret_itself(value: str, detector: str, hashed: str) -> None:
    doc = scan_sources([source(pa.table({"notes": [value]}))], key=KEY).to_dict()
    [finding] = doc["classes"]["secret"]["findings"]
    assert finding["detector"] == detector
    assert finding["hash"] == keyed_hash(KEY, hashed)


def test_a_column_that_cannot_be_scanned_is_an_honest_note() -> None:
    table = pa.table({"ok": ["a@example.com"], "blob": pa.array([b"\xff\xfe"], pa.binary())})
    doc = scan_sources([source(table)], key=KEY).to_dict()
    assert doc["classes"]["email"]["status"] == "present"
    names = [c["name"] for c in doc["sources"][0]["columns"]]
    assert "ok" in names


def test_low_cardinality_cache_sees_values_first_met_in_later_batches() -> None:
    cities = ["Jakarta", "Bandung", "London"] * 1000
    cities[2_500] = "3171040505848982"  # a NIK, first seen in the 3rd batch of 1,000
    cities[2_600] = "Surabaya"
    table = pa.table({"$city": cities})
    split = scan_sources([source(table.to_batches(max_chunksize=1000))], key=KEY, batch_rows=1000).to_dict()
    whole = scan_sources([source(table.combine_chunks())], key=KEY, batch_rows=10_000).to_dict()
    assert _strip_times(split) == _strip_times(whole)
    [finding] = split["classes"]["government_id"]["findings"]
    assert finding["record"] == 2_501 and finding["column"] == "$city"
    assert split["classes"]["coarse_location"]["matches"] == 2_999


def test_a_low_cardinality_column_after_its_first_batch_counts_as_the_first() -> None:
    """Later batches of a low-cardinality column are dictionary-encoded before placeholders,
    nulls and percent-decoding: the same counts, findings, example and distinct count as one
    batch (placeholders and nulls first met late, two encodings of one email)."""
    cities = ["Jakarta", "Bandung", "London", None] * 750
    cities[1_500] = "N/A"  # a placeholder, first seen in the 2nd batch of 1,000
    cities[1_501] = "(not set)"
    cities[2_200] = "rina%40example.co.id"  # percent-encoded, then written plainly
    cities[2_201] = "rina@example.co.id"
    cities[2_202] = "Jakarta%20Barat"
    cities[2_999] = "NULL"
    table = pa.table({"$city": pa.array(cities, pa.string())})
    split = scan_sources([source(table.to_batches(max_chunksize=1000))], key=KEY, batch_rows=1000).to_dict()
    whole = scan_sources([source(table.combine_chunks())], key=KEY, batch_rows=10_000).to_dict()
    assert _strip_times(split) == _strip_times(whole)
    [column] = split["sources"][0]["columns"]
    assert column["placeholders"] == 3
    assert split["classes"]["email"]["matches"] == 2
    assert [f["record"] for f in split["classes"]["email"]["findings"]] == [2_201, 2_202]


@pytest.mark.parametrize(
    ("columns", "rows"),
    [(1, 262_144), (16, 262_144), (20, 209_715), (40, 104_857), (64, 65_536), (500, 65_536)],
)
def test_default_scan_batch_follows_a_cell_budget(columns: int, rows: int) -> None:
    from breachscope.scan.engine import scan_rows

    assert scan_rows(columns) == rows


def test_default_batches_give_the_same_report_as_small_ones(haystack: pa.Table) -> None:
    table = haystack.slice(0, 30_000)
    auto = scan_sources([source(table.to_batches(max_chunksize=4_096))], key=KEY).to_dict()
    small = scan_sources([source(table.to_batches(max_chunksize=4_096))], key=KEY, batch_rows=5_000).to_dict()
    assert _strip_times(auto) == _strip_times(small)


def test_distinct_count_sketch_works_in_a_forked_child() -> None:
    """The sketch works in a forked child of a process that has sketched (DuckDB hash() hung here)."""
    import multiprocessing

    from breachscope.scan import sketch

    values = pa.array([f"user{i}@example.org" for i in range(5_000)])
    here = sketch.sketch(values)  # this process's main thread now holds a connection
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        there = pool.apply(sketch.sketch, (values,))
    assert there == here and len(here) == sketch.K
    assert sketch.estimate(here) == pytest.approx(5_000, rel=0.1)


@pytest.mark.parametrize("first", [{}, {"a": ["x"] * 10}])
def test_default_scan_batches_keep_the_value_budget_when_a_source_widens(first: dict[str, list[str]]) -> None:
    """The default batch size follows each batch's column count, not the first batch's: an
    empty or narrow first batch used to size every later 64-column batch at 262,144 rows."""
    from breachscope.readers.base import Chunk
    from breachscope.scan.engine import SCAN_CELLS, rechunk

    head = pa.RecordBatch.from_pydict(first) if first else pa.RecordBatch.from_pylist([])
    wide = pa.RecordBatch.from_pydict({f"c{i}": pa.nulls(65_536, pa.string()) for i in range(64)})
    chunks = [Chunk(0, head)] + [Chunk(head.num_rows + i * 65_536, wide) for i in range(4)]
    out = [c.batch for c in rechunk(iter(chunks), None)]
    assert sum(b.num_rows for b in out) == head.num_rows + 4 * 65_536
    assert all(b.num_rows * b.num_columns <= SCAN_CELLS for b in out)


def test_the_first_batch_of_a_source_is_scanned_as_read() -> None:
    """The engine does not hold the reader's (smaller) first batch back to fill a scan batch:
    the workers start on it while the rest is read."""
    from breachscope.readers.base import Chunk
    from breachscope.scan.engine import rechunk

    def batch(rows: int) -> pa.RecordBatch:
        return pa.RecordBatch.from_pydict({f"c{i}": pa.nulls(rows, pa.string()) for i in range(16)})

    chunks = [Chunk(0, batch(65_536)), Chunk(65_536, batch(262_144)), Chunk(327_680, batch(1_000))]
    assert [c.batch.num_rows for c in rechunk(iter(chunks), None)] == [65_536, 262_144, 1_000]
    assert [c.offset for c in rechunk(iter(chunks), None)] == [0, 65_536, 327_680]
