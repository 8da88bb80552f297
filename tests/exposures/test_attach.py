"""``attach_file`` end to end with the real readers and scan engine."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.purge import purge
from breachscope.clock import FixedClock
from breachscope.errors import BreachscopeError
from breachscope.exposures.attach import attach_file
from breachscope.hashing import keyed_hash


def _incident(engine: Engine, clock: FixedClock) -> int:
    with session_scope(engine) as s:
        return api.create_incident(s, "leak", clock=clock).id


def test_nested_jsonl_export(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    records = [
        {
            "$distinct_id": "d1",
            "$properties": {
                "$email": "Ana@Example.com",
                "$city": "Bandung",
                "$region": "West Java",
                "mp_country_code": "ID",
                "$os": "Android",
            },
        },
        {"$distinct_id": "d2", "$properties": {"$email": "ben@example.com", "mp_country_code": "DE"}},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    iid = _incident(engine, clock)
    result = attach_file(engine, iid, path, clock=clock)
    assert (result.records, result.exposures, result.new_people) == (2, 2, 2)
    with session_scope(engine) as s:
        people = {e.email: e for e in api.get_exposures(s, iid)}
        [ds] = api.list_datasets(s, iid)
        assert ds.scan_json is not None and ds.scan_json["classes"]["email"]["status"] == "present"
    ana = people["Ana@Example.com"]
    assert "email" in ana.exposed_classes and ana.jurisdiction == "ID-JB" and ana.city == "Bandung"
    assert people["ben@example.com"].jurisdiction == "DE"


def test_hostile_csv_never_stops_an_attach(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "hostile.csv"
    rows = [
        '"$distinct_id","$email","$name","$city"',
        '"d1","evil\u202e@example.com","Mal\x07lory","=cmd|\' /C calc\'!A0"',
        '"d2","ok@example.com","' + "x" * 100_000 + '","Paris"',
        '"d3","ragged"',
        '"d4","too","many","fields","here","!"',
        "\x00\x00\x00",
    ]
    path.write_bytes(("\n".join(rows) + "\n").encode("utf-8") + b"\xff\xfe broken utf-8 line\n")
    iid = _incident(engine, clock)
    result = attach_file(engine, iid, path, clock=clock)
    assert result.exposures >= 2
    with session_scope(engine) as s:
        people = {e.person_key_kind + ":" + (e.email or ""): e for e in api.get_exposures(s, iid)}
    evil = next(e for e in people.values() if e.email and e.email.startswith("evil"))
    assert evil.email == "evil@example.com"  # the bidi override is gone
    long = next(e for e in people.values() if e.email == "ok@example.com")
    assert evil.display_name is None and long.display_name is None  # names are never stored


def test_the_same_file_twice_is_refused_and_people_merge_across_files(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    path = tmp_path / "p.csv"
    path.write_text('"$distinct_id","$email"\n"d1","a@example.com"\n"d2","b@example.com"\n')
    iid = _incident(engine, clock)
    first = attach_file(engine, iid, path, clock=clock)
    copy = tmp_path / "copy-of-p.csv"
    copy.write_bytes(path.read_bytes())
    for same in (path, copy):  # same bytes under another name: still the same file
        with pytest.raises(api.DuplicateDataset, match=f"already attached to incident {iid} as dataset"):
            attach_file(engine, iid, same, clock=clock)
    other = tmp_path / "p2.csv"
    other.write_text('"$distinct_id","$email"\n"d1","a@example.com"\n"d3","c@example.com"\n')
    again = attach_file(engine, iid, other, clock=clock)
    assert (again.exposures, again.new_people) == (2, 1)
    with session_scope(engine) as s:
        assert api.count_exposures(s, iid) == 3
        assert [d.id for d in api.list_datasets(s, iid)] == [first.dataset_id, again.dataset_id]
        assert sum(d.records for d in api.list_datasets(s, iid)) == 4  # never doubled


def test_a_truncated_parquet_file_is_attached_as_incomplete(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    full = tmp_path / "full.parquet"
    n = 20_000
    pq.write_table(
        pa.table(
            {"$distinct_id": [f"d{i}" for i in range(n)], "$email": [f"u{i}@example.com" for i in range(n)]}
        ),
        full,
    )
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    iid = _incident(engine, clock)
    result = attach_file(engine, iid, cut, clock=clock)
    assert result.complete is False and result.unread_bytes == cut.stat().st_size
    whole = attach_file(engine, iid, full, clock=clock)
    assert whole.complete is True and whole.records == n
    with session_scope(engine) as s:
        ds_cut, ds_full = api.list_datasets(s, iid)
        assert (ds_cut.complete, ds_cut.absence_usable) == (False, False)
        assert (ds_full.complete, ds_full.absence_usable) == (True, True)
        assert "INCOMPLETE read" in api.timeline(s, iid)[1].message
        with pytest.raises(BreachscopeError, match="read whole"):
            api.accept_incomplete(s, iid, ds_full.id, why="x", author="rina", clock=clock)
        with pytest.raises(BreachscopeError, match="say why"):
            api.accept_incomplete(s, iid, ds_cut.id, why=" ", author="rina", clock=clock)
        api.accept_incomplete(s, iid, ds_cut.id, why="vendor resent it whole", author="rina", clock=clock)
    with session_scope(engine) as s:
        ds_cut = api.list_datasets(s, iid)[0]
        assert ds_cut.absence_usable and ds_cut.incomplete_accepted_by == "rina"
        event = api.timeline(s, iid)[-1]
        assert (event.kind, event.author) == ("accept_incomplete", "rina")
        assert "vendor resent it whole" in event.message


def test_attaching_to_a_purged_case_is_refused(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text('"$distinct_id"\n"d1"\n')
    iid = _incident(engine, clock)
    purge(engine, iid, clock=clock)
    with pytest.raises(BreachscopeError, match="purged"):
        attach_file(engine, iid, path, clock=clock)


#: The people of test_people_repeated_across_batches_and_files_are_merged: (key, email, city,
#: country). A distinct id's first row gives its values (d3's came with the earlier file, whose
#: country was empty: the first later one fills it); the rows without a distinct id are people
#: by their address.
MERGED_PEOPLE = [
    ("distinct_id:d0", "p7@Example.com", "Oslo", "Norway"),
    ("distinct_id:d1", "p1@Example.com", "Oslo", "Norway"),
    ("distinct_id:d2", "p2@Example.com", "Oslo", "Norway"),
    ("distinct_id:d3", "c@example.com", "Paris", "Norway"),
    ("distinct_id:d4", "p4@Example.com", "Oslo", "Norway"),
    ("distinct_id:d5", "p3@Example.com", "Oslo", "Norway"),
    ("distinct_id:d6", "p6@Example.com", "Oslo", "Norway"),
    ("email:p0@example.com", "p0@Example.com", None, None),
    ("email:p1@example.com", "p1@Example.com", None, "Norway"),
    ("email:p2@example.com", "p2@Example.com", None, "Norway"),
    ("email:p3@example.com", "p3@Example.com", None, None),
    ("email:p5@example.com", "p5@Example.com", "Oslo", "Norway"),
    ("email:p6@example.com", "p6@Example.com", "Oslo", None),
    ("email:p7@example.com", "p7@Example.com", "Oslo", "Norway"),
    ("email:p8@example.com", "p8@Example.com", "Oslo", "Norway"),
]


@pytest.mark.parametrize("commit_every_batch", [False, True])
def test_people_repeated_across_batches_and_files_are_merged(
    engine: Engine, clock: FixedClock, tmp_path: Path, commit_every_batch: bool
) -> None:
    """Batches of 4 rows spread people over many batches, and one came with an earlier file:
    each is stored once, with the first value of each field and the classes and fields of all
    its rows (SQLite: scratch files copied by INSERT ... SELECT, or executemany batch by batch
    as the server's attach does; PostgreSQL: COPY)."""
    first = tmp_path / "first.csv"
    first.write_text('"$distinct_id","$email","$city"\n"d3","c@example.com","Paris"\n')
    path = tmp_path / "people.csv"
    lines = ['"$distinct_id","$email","$name","$city","mp_country_code","notes"']
    for i in range(40):
        d = f"d{i % 7}" if i % 5 else ""
        lines.append(
            f'"{d}","p{i % 9}@Example.com","N{i}","{["", "Oslo"][i % 2]}","{["NO", ""][i % 3 == 0]}","n"'
        )
    path.write_text("\n".join(lines) + "\n")
    iid = _incident(engine, clock)
    for p in (first, path):
        r = attach_file(engine, iid, p, clock=clock, batch_rows=4, commit_every_batch=commit_every_batch)
    assert (r.records, r.exposures, r.new_people) == (40, 15, 14)  # people stored, not rows
    with session_scope(engine) as s:
        key = api.case_key(s, iid)
        stored = {e.person_key_hash: e for e in api.get_exposures(s, iid)}
    assert len(stored) == 15
    by_key = {keyed_hash(key, k): (k, email, city, country) for k, email, city, country in MERGED_PEOPLE}
    assert sorted((*by_key[h][:1], e.email, e.city, e.country) for h, e in stored.items()) == MERGED_PEOPLE
    d3 = stored[keyed_hash(key, "distinct_id:d3")]
    assert d3.email_hash == keyed_hash(key, "c@example.com")
    assert d3.exposed_classes == ["coarse_location", "email", "internal_id", "person_name"]
    assert d3.exposed_fields == ["$city", "$distinct_id", "$email", "$name", "mp_country_code"]
    p0 = stored[keyed_hash(key, "email:p0@example.com")]  # one row: no place, no distinct id
    assert (p0.distinct_id_hash, p0.exposed_classes) == (None, ["email", "person_name"])


@pytest.mark.parametrize(
    ("rows", "people", "batch_rows", "earlier", "expected"),
    [
        (1100, 50, 64, 0, (1100, 50, 50)),  # one person's events spread over many batches
        (1100, 50, 100_000, 0, (1100, 50, 50)),  # all in one batch
        (300, 30, 32, 10, (300, 30, 20)),  # 10 of the 30 came with an earlier file: merged, not new
    ],
)
@pytest.mark.parametrize("commit_every_batch", [False, True])
def test_attach_reports_the_people_it_stored(
    engine: Engine,
    clock: FixedClock,
    tmp_path: Path,
    rows: int,
    people: int,
    batch_rows: int,
    earlier: int,
    expected: tuple[int, int, int],
    commit_every_batch: bool,
) -> None:
    iid = _incident(engine, clock)
    if earlier:
        first = tmp_path / "first.csv"
        first.write_text(
            '"$distinct_id","$email"\n' + "".join(f'"d{i}","p{i}@example.com"\n' for i in range(earlier))
        )
        attach_file(engine, iid, first, clock=clock)
    path = tmp_path / "events.csv"
    lines = [f'"d{i % people}","p{i % people}@example.com","e{i}"\n' for i in range(rows)]
    path.write_text('"$distinct_id","$email","event"\n' + "".join(lines))
    result = attach_file(
        engine, iid, path, clock=clock, batch_rows=batch_rows, commit_every_batch=commit_every_batch
    )
    assert (result.records, result.exposures, result.new_people) == expected
    with session_scope(engine) as s:
        assert api.count_exposures(s, iid) == people


FIXTURES = Path(__file__).resolve().parent.parent / "vendors" / "fixtures"


@pytest.mark.parametrize(("vendor", "expected"), [(None, "mixpanel"), ("generic", None)])
def test_vendor_is_honoured(
    engine: Engine, clock: FixedClock, vendor: str | None, expected: str | None
) -> None:
    iid = _incident(engine, clock)
    result = attach_file(engine, iid, FIXTURES / "mixpanel" / "engage_page.json", clock=clock, vendor=vendor)
    assert result.vendor == expected
    assert result.exposures == 2


def test_unknown_vendor_is_a_clean_error(engine: Engine, clock: FixedClock) -> None:
    iid = _incident(engine, clock)
    with pytest.raises(BreachscopeError, match="nosuchvendor"):
        attach_file(
            engine, iid, FIXTURES / "mixpanel" / "engage_page.json", clock=clock, vendor="nosuchvendor"
        )


def test_scratch_files_are_detached_and_removed(
    engine: Engine, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The people of a one-transaction SQLite attach pass through private scratch files: none is
    left attached to the case's connections, and none is left on disk, after success or failure."""
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_root))
    iid = _incident(engine, clock)
    path = tmp_path / "people.csv"
    path.write_text('"$distinct_id","$email"\n' + "".join(f'"d{i}","p{i}@example.com"\n' for i in range(50)))
    result = attach_file(engine, iid, path, clock=clock, batch_rows=8)
    assert result.new_people == 50
    with session_scope(engine) as s:  # hashed once, before the scan: the report has the digest
        [ds] = api.list_datasets(s, iid)
        assert ds.scan_json["sources"][0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(BreachscopeError):  # the same file again: refused before any people
        attach_file(engine, iid, path, clock=clock, batch_rows=8)
    assert list(scratch_root.iterdir()) == []
    with engine.connect() as conn:
        names = (
            {row[1] for row in conn.exec_driver_sql("PRAGMA database_list")}
            if engine.dialect.name == "sqlite"
            else set()
        )
    assert not any(str(n).startswith("bs_people_") for n in names)


def test_scratch_files_are_detached_before_the_connection_goes_back_to_the_pool(
    clock: FixedClock, tmp_path: Path
) -> None:
    """Once back in the pool a connection is another thread's (the team server's requests): the
    scratch files are detached while the attach still holds it, never after (SQLite only: only
    its one-transaction attach writes scratch files)."""
    engine = open_case_db(f"sqlite:///{tmp_path / 'case.db'}", create=True)
    seen: list[str] = []

    def checkin(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            names = [str(row[1]) for row in dbapi_connection.execute("PRAGMA database_list")]
            seen.extend(n for n in names if n.startswith("bs_people_"))

    iid = _incident(engine, clock)
    path = tmp_path / "people.csv"
    path.write_text('"$distinct_id","$email"\n' + "".join(f'"d{i}","p{i}@example.com"\n' for i in range(50)))
    event.listen(engine, "checkin", checkin)
    try:
        result = attach_file(engine, iid, path, clock=clock, batch_rows=8)
    finally:
        event.remove(engine, "checkin", checkin)
    engine.dispose()
    assert result.new_people == 50
    assert seen == []


def test_an_invalid_byte_in_a_parquet_column_hides_no_key(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    """One row's invalid UTF-8 in ``notes`` is replaced; the people with a key in that column
    (before and after the bad row) get the API-key class."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    key = "sk-proj-" + "A" * 40
    raw = [(key if i % 100 == 0 else "hello").encode() + (b"\xff" if i == 5 else b"") for i in range(1_000)]
    table = pa.table(
        {
            "email": [f"p{i}@example.com" for i in range(1_000)],
            "notes": pa.array(raw, pa.binary()).view(pa.string()),
        }
    )
    path = tmp_path / "leak.parquet"
    pq.write_table(table, path)
    iid = _incident(engine, clock)
    result = attach_file(engine, iid, path, clock=clock)
    assert (result.records, result.exposures) == (1_000, 1_000)
    with session_scope(engine) as s:
        people = {e.email: e for e in api.get_exposures(s, iid)}
    assert all("secret" in people[f"p{i}@example.com"].exposed_classes for i in range(0, 1_000, 100))
    assert "secret" not in people["p5@example.com"].exposed_classes
