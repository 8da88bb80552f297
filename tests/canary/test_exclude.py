"""Canary records are never people: ``case attach`` leaves them out of the exposures, so every
count built on them (scope, the report's people figures, ``case show``) excludes them exactly,
while the dataset, the timeline and the report say how many were found and whose they were."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, select

from breachscope.canary import exclude
from breachscope.canary.check import new_matcher
from breachscope.canary.registry import load, lookup
from breachscope.canary.service import issue_canaries
from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Dataset, Exposure
from breachscope.case.summary import canary_records_sentence, incident_document
from breachscope.clock import FixedClock
from breachscope.exposures import attach_file
from breachscope.report.build import report_html
from breachscope.report.model import gather
from breachscope.scope.directory import DirectorySource
from breachscope.scope.run import run_scope
from tests.canary.conftest import DOMAIN, read_export, write_leak
from tests.case_helpers import write_directory

REAL = 50  # ordinary people in every leak (tests.canary.conftest.leak_rows)


@pytest.fixture
def both(db_url: str) -> Iterator[Engine]:
    eng = open_case_db(db_url, create=True)
    yield eng
    eng.dispose()


def _issue(
    engine: Engine, tmp_path: Path, clock: FixedClock, vendor: str, count: int
) -> list[dict[str, str]]:
    out = tmp_path / f"export-{vendor}.csv"
    issue_canaries(engine, vendor, count=count, domain=DOMAIN, layout="generic", out=out, clock=clock,
                   rng=random.Random(vendor))  # fmt: skip
    return read_export(out)


def _directory(tmp_path: Path) -> Path:
    """The company's accounts: exactly the leak's ordinary people."""
    rows = [
        {"user_id": f"user-{i}", "email": f"person{i}@mail.example", "org_id": "org1", "org_name": "Org 1"}
        for i in range(REAL)
    ]
    return write_directory(tmp_path / "directory.csv", rows)


CASES = {
    # vendor -> canaries planted in the leak (of 4 issued to each)
    "one vendor": {"Mixpanel": 3},
    "two vendors": {"Mixpanel": 3, "Segment": 2},
}


@pytest.mark.parametrize("planted", list(CASES.values()), ids=list(CASES))
def test_canaries_are_in_no_people_count(
    both: Engine, tmp_path: Path, clock: FixedClock, planted: dict[str, int]
) -> None:
    rows = [c for vendor, n in planted.items() for c in _issue(both, tmp_path, clock, vendor, 4)[:n]]
    canaries = sum(planted.values())
    with session_scope(both) as s:
        incident = api.create_incident(s, "leak", vendor="Mixpanel", clock=clock).id
    r = attach_file(both, incident, write_leak(tmp_path / "leak.csv", rows, n=REAL), clock=clock)
    # rows read stay honest: people rows + canary rows
    assert (r.records, r.canary_records, r.exposures, r.new_people) == (REAL + canaries, canaries, REAL, REAL)
    with session_scope(both) as s:
        assert s.scalar(select(func.count()).select_from(Exposure)) == REAL
        ds = s.get(Dataset, r.dataset_id)
        assert ds is not None
        assert (ds.records, ds.exposures, ds.canary_records) == (REAL + canaries, REAL, canaries)
        assert ds.canary_vendors == planted
    summary = run_scope(both, incident, DirectorySource(str(_directory(tmp_path))), clock=clock)
    assert (summary["leaked_people"], summary["matched_people"], summary["unmatched_people"]) == (
        REAL,
        REAL,
        0,
    )

    with session_scope(both) as s:
        doc = incident_document(s, incident)
        timeline = [e.message for e in api.timeline(s, incident) if e.kind == "canary"]
    assert doc["counts"]["exposures"] == REAL
    sentence = doc["datasets"][0]["canary_sentence"]
    assert sentence == canary_records_sentence(canaries, planted, REAL + canaries)
    assert sentence.startswith(
        f"{canaries} of the {REAL + canaries} records read are canary records (planted at "
    )
    assert "not counted as people" in sentence
    assert len(timeline) == 1 and timeline[0].endswith(sentence) and r.canary == timeline[0]

    data = gather(both, incident, clock=clock)
    assert data.scope is not None and data.scope.leaked_people == REAL
    assert data.datasets[0].canary_records == canaries
    html = report_html(data, "en")
    where = "Mixpanel" if len(planted) == 1 else "Mixpanel: 3, Segment: 2"
    assert f"{canaries} of the {REAL + canaries} records read are canary records (planted at {where})" in html
    assert "rekaman kanari (ditanam di " + where in report_html(data, "id")


def test_sentences() -> None:
    assert canary_records_sentence(None, None, 10) is None  # no check ran
    assert canary_records_sentence(0, {}, 10) is None  # checked, none found
    assert canary_records_sentence(1, {"Mixpanel": 1}, 10) == (
        "1 of the 10 records read is a canary record (planted at Mixpanel): found in this dataset "
        "and not counted as a person."
    )
    assert canary_records_sentence(3, {"Segment": 2, "Mixpanel": 2}, 9) == (
        "3 of the 9 records read are canary records (planted at Mixpanel: 2, Segment: 2; a record "
        "holding canaries of several vendors counts for each): found in this dataset and not counted "
        "as people."
    )


def test_no_canary_issued_changes_nothing(engine: Engine, tmp_path: Path, clock: FixedClock) -> None:
    with session_scope(engine) as s:
        incident = api.create_incident(s, "leak", clock=clock).id
    r = attach_file(engine, incident, write_leak(tmp_path / "leak.csv", [], n=REAL), clock=clock)
    assert (r.records, r.exposures, r.canary_records, r.canary) == (REAL, REAL, None, None)
    with session_scope(engine) as s:
        ds = s.get(Dataset, r.dataset_id)
        assert ds is not None and (ds.canary_records, ds.canary_vendors) == (None, None)
        assert incident_document(s, incident)["datasets"][0]["canary_sentence"] is None


def test_an_address_inside_a_note_is_a_hit_not_a_canary_record(
    engine: Engine, tmp_path: Path, clock: FixedClock
) -> None:
    """The embedded address is reported by the check; the row holding it is not a synthetic person."""
    rows = _issue(engine, tmp_path, clock, "Mixpanel", 2)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "leak", clock=clock).id
    r = attach_file(
        engine, incident, write_leak(tmp_path / "leak.csv", rows[:1], n=REAL, embed=True), clock=clock
    )
    assert (r.records, r.canary_records) == (REAL + 2, 1)
    assert r.exposures == REAL + 1  # the note's row ("d-x") is a person of its own
    assert r.canary is not None and "1 of the 52 records read is a canary record" in r.canary


def _registry_rows(
    engine: Engine, tmp_path: Path, clock: FixedClock
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    return _issue(engine, tmp_path, clock, "Mixpanel", 2), _issue(engine, tmp_path, clock, "Segment", 2)


def test_blank_keeps_row_numbers_and_counts_per_vendor(
    engine: Engine, tmp_path: Path, clock: FixedClock
) -> None:
    mix, seg = _registry_rows(engine, tmp_path, clock)
    batch = pa.record_batch(
        {
            "email": pa.array([mix[0]["email"], "a@b.example", None, "x@y.example", seg[0]["email"]]),
            "ids": pa.array([[], ["u1"], [seg[1]["distinct_id"]], None, ["u5"]], pa.list_(pa.string())),
            "n": pa.array([1, 2, 3, 4, 5]),
            "org": pa.array(["o", "o", "o", "o", mix[1]["user_id"]]).dictionary_encode(),
        }
    )
    with session_scope(engine) as s:
        registry = load(s)
        assert registry is not None
        with new_matcher(engine, registry) as m:
            rows = exclude.CanaryRows(m, lambda hashes: lookup(s, hashes))
            out = rows.blank(batch)
            again = rows.blank(batch.slice(1, 2))  # no canary in rows 1-2 except the list item
    assert out.num_rows == 5 and out.schema == batch.schema
    assert out.column("n").to_pylist() == [None, 2, None, 4, None]
    assert out.column("email").to_pylist()[1] == "a@b.example"
    assert rows.records == 4  # 3 rows of the first batch and 1 of the slice
    # row 4 holds a Segment address and a Mixpanel user id: it counts for both vendors
    assert rows.by_vendor == {"Mixpanel": 2, "Segment": 3}
    assert again.column("n").to_pylist() == [2, None]


def test_a_batch_without_canaries_is_returned_as_is(
    engine: Engine, tmp_path: Path, clock: FixedClock
) -> None:
    _registry_rows(engine, tmp_path, clock)
    batch = pa.record_batch({"email": pa.array([f"p{i}@mail.example" for i in range(1000)])})
    with session_scope(engine) as s:
        registry = load(s)
        assert registry is not None
        with new_matcher(engine, registry) as m:
            rows = exclude.CanaryRows(m, lambda hashes: lookup(s, hashes))
            assert rows.blank(batch) is batch
    assert (rows.records, dict(rows.by_vendor)) == (0, {})
