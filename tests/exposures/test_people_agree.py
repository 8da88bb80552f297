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
from breachscope.hashing import new_key
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


def _attached(path: Path, db: Path) -> Counter[tuple[str, ...]]:
    engine = open_case_db(f"sqlite:///{db}", create=True)
    try:
        with session_scope(engine) as s:
            iid = api.create_incident(s, "agree").id
        attach_file(engine, iid, path)
        with session_scope(engine) as s:
            rows = s.scalars(select(Exposure.exposed_classes)).all()
    finally:
        engine.dispose()
    return Counter(tuple(sorted(json.loads(r) if isinstance(r, str) else r)) for r in rows)


def _scanned(path: Path, out: Path) -> Counter[tuple[str, ...]]:
    key = new_key()
    report = scan_files([path], key=key)
    people_for_scan([path], report.to_dict(), key=key, out=out)
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return Counter(tuple(sorted(r["classes"])) for r in rows)


@pytest.mark.parametrize("vendor", [None, *sorted(WRITERS)])
def test_scan_people_and_attach_agree_on_every_person(tmp_path: Path, vendor: str | None) -> None:
    path = _leak_files(tmp_path / "leak", vendor)[0]
    attached = _attached(path, tmp_path / "case.db")
    scanned = _scanned(path, tmp_path / "people.jsonl")
    assert sum(attached.values()) > 0
    assert scanned == attached
    # the needles sit in a minority of rows: nobody is listed as exposing them wholesale
    for cls in ("payment_card", "private_key", "government_id"):
        people = sum(n for classes, n in scanned.items() if cls in classes)
        assert people < sum(scanned.values()) // 2, cls
