"""``scan --people`` and ``case attach`` give the same per-person classes on the same file.

Both decide a person's fields and classes through one plan (:class:`ExtractPlan`), one presence
rule and one vendor loop; this checks it end to end on every synthetic layout, with needles
planted in a minority of rows (cards, keys, government ids in ``notes``-like columns), where the
two paths used to disagree (``scan --people`` listed everyone as exposing them).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.case.models import Exposure
from breachscope.exposures import attach_file, people_for_scan
from breachscope.scan import scan_files
from breachscope.synth import WRITERS, generate

ROWS = 300


def _leak_files(out: Path, vendor: str | None) -> list[Path]:
    generate(out=out, rows=ROWS, seed=3, needles=True, vendor=vendor, formats=("csv",))
    files = sorted(
        p
        for p in out.rglob("*")
        if p.is_file() and p.name != "truth.json" and not p.name.startswith("directory")
    )
    return [p for p in files if p.name != "people.csv"] if vendor else files


People = dict[tuple[str, str], tuple[str, ...]]  # (person hash, key kind) -> classes


def _attached(path: Path, db: Path) -> tuple[People, bytes]:
    engine = open_case_db(f"sqlite:///{db}", create=True)
    try:
        with session_scope(engine) as s:
            iid = api.create_incident(s, "agree").id
        attach_file(engine, iid, path)
        with session_scope(engine) as s:
            key = api.case_key(s, iid)
            rows = s.execute(
                select(Exposure.person_key_hash, Exposure.person_key_kind, Exposure.exposed_classes)
            ).all()
    finally:
        engine.dispose()
    people = {(h, k): tuple(sorted(json.loads(c) if isinstance(c, str) else c)) for h, k, c in rows}
    return people, key


def _scanned(path: Path, out: Path, key: bytes) -> People:
    report = scan_files([path], key=key)
    people_for_scan([path], report.to_dict(), key=key, out=out)
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return {(r["person"], r["key_kind"]): tuple(sorted(r["classes"])) for r in rows}


@pytest.mark.parametrize("vendor", [None, *sorted(WRITERS)])
def test_scan_people_and_attach_agree_on_every_person(tmp_path: Path, vendor: str | None) -> None:
    path = _leak_files(tmp_path / "leak", vendor)[0]
    attached, key = _attached(path, tmp_path / "case.db")
    scanned = _scanned(path, tmp_path / "people.jsonl", key)
    assert len(attached) > 0
    # one person key: the same people (keyed hash of kind:value, and kind), the same classes
    assert scanned == attached
    # the needles sit in a minority of rows: nobody is listed as exposing them wholesale
    for cls in ("payment_card", "private_key", "government_id"):
        people = sum(1 for classes in scanned.values() if cls in classes)
        assert people < len(scanned) // 2, cls


FIXTURES = Path(__file__).resolve().parent.parent / "vendors" / "fixtures"


@pytest.mark.parametrize(
    ("fixture", "kinds"),
    [
        # anonymous GA4 visitors are their user_pseudo_id, not one person per event row
        ("ga4/events_20251109.jsonl", {"user_pseudo_id": 2}),
        ("posthog/persons_api.jsonl", {"uuid": 2}),
        ("intercom/contacts.json", {"id": 1}),
        ("mixpanel/engage_page.json", {"distinct_id": 2}),
    ],
)
def test_vendor_person_keys_are_the_same_in_both(tmp_path: Path, fixture: str, kinds: dict[str, int]) -> None:
    attached, key = _attached(FIXTURES / fixture, tmp_path / "case.db")
    scanned = _scanned(FIXTURES / fixture, tmp_path / "people.jsonl", key)
    assert scanned == attached
    assert Counter(kind for _, kind in attached) == kinds
