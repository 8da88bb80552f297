"""Planted needles in ``breachscope synth --needles`` data are all found, in every format, at
their records; clean generated data has no critical class."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from breachscope.scan import scan_files
from breachscope.synth import generate
from breachscope.taxonomy import DATA_CLASSES, Tier

CRITICAL = {dc.id for dc in DATA_CLASSES if dc.tier is Tier.CRITICAL}


@pytest.fixture(scope="module")
def needles_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth-needles")
    generate(4_000, out, seed=11, needles=True)
    return out


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_every_needle_is_found_at_its_record(needles_dir: Path, fmt: str) -> None:
    truth = json.loads((needles_dir / "truth.json").read_text())
    assert truth["needles"]
    doc = scan_files([needles_dir / truth["files"][fmt]], max_findings=1_000).to_dict()
    missed = []
    for needle in truth["needles"]:
        entry = doc["classes"][needle["data_class"]]
        hit = any(f["record"] == needle["row"] and f["column"] == needle["column"] for f in entry["findings"])
        if not hit:
            missed.append((needle["row"], needle["column"], needle["data_class"], needle["kind"]))
    assert not missed, f"recall below 100% in {fmt}: {missed}"


@pytest.mark.parametrize("seed", [1, 2])
def test_clean_generated_data_has_no_critical_class(tmp_path: Path, seed: int) -> None:
    result = generate(5_000, tmp_path, seed=seed, formats=("parquet",))
    report = scan_files([result.people["parquet"]])
    assert not report.present_classes() & CRITICAL, report.present_classes() & CRITICAL
    assert {"email", "person_name", "coarse_location", "internal_id"} <= report.present_classes()
