"""The labelled public evaluation set is complete: every column of every sample has a hand label,
every label names a known data class and a column the scan reports, and every sample is cited."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.eval import EVAL_DIR, load_labels, predict, sample_files
from breachscope import taxonomy

README = EVAL_DIR.parent / "README.md"
SAMPLES = sample_files()


def test_the_set_is_big_enough() -> None:
    assert len(SAMPLES) >= 25
    vendors = {p.name.split("_")[1] for p in SAMPLES}  # airbyte_<vendor>_..., fivetran_<vendor>_...
    assert len(vendors) >= 6, vendors


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_labels_cover_every_column(path: Path) -> None:
    labels = load_labels()
    assert path.name in labels, f"label {path.name} in tests/data/eval/labels.yaml"
    reported = set(predict(path))
    labelled = set(labels[path.name])
    assert reported - labelled == set(), "columns without a label"
    assert labelled - reported == set(), "labels for columns the scan does not report"


def test_labels_name_known_classes() -> None:
    for file, columns in load_labels().items():
        for column, classes in columns.items():
            for cls in classes:
                assert cls in taxonomy.BY_ID, f"{file}: {column}: unknown class {cls}"


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_sample_is_cited(path: Path) -> None:
    assert f"`{path.name}`" in README.read_text(encoding="utf-8")
