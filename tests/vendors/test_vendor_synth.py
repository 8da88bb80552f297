"""``breachscope synth --vendor``: every writer's output is read back and recognised as its layout."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from breachscope.readers import open_sources
from breachscope.synth.vendors import WRITERS
from breachscope.vendors import recognise

EXPECTED = {
    "mixpanel-events": ("mixpanel", "events"),
    "mixpanel-people": ("mixpanel", "people"),
    "mixpanel-csv": ("mixpanel", "ui_csv"),
    "mixpanel-pipeline": ("mixpanel", "pipeline_events"),
    "mixpanel-warehouse": ("mixpanel", "warehouse"),
    "segment-batch": ("segment", "batch"),
    "segment-s3": ("segment", "s3_logs"),
    "segment-warehouse": ("segment", "warehouse"),
    "amplitude-zip": ("amplitude", "events"),
    "posthog-events": ("posthog", "events"),
    "posthog-parquet": ("posthog", "events"),
    "posthog-persons": ("posthog", "persons"),
    "ga4": ("ga4", "bigquery_events"),
    "heap": ("heap", "users"),
    "heap-avro": ("heap", "users"),
    "intercom": ("intercom", "contacts"),
    "customerio": ("customerio", "customers"),
}


def test_every_writer_is_expected() -> None:
    assert set(WRITERS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_writer_output_is_recognised(name: str, tmp_path: Path) -> None:
    files = WRITERS[name](out=tmp_path, rows=120, seed=3, needles=True)
    assert files and all(f.exists() for f in files)
    sources = open_sources(files[0])
    batch = next(iter(sources[0].chunks())).batch
    match = recognise(batch.schema.names, source_name=sources[0].name)
    assert match is not None and (match.vendor, match.layout) == EXPECTED[name]
    assert match.person_key is not None
    assert not [i for s in sources for i in s.issues], "the readers reported problems"


def _digest(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(f.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("name", ["mixpanel-events", "segment-batch", "amplitude-zip"])
def test_writers_are_deterministic(name: str, tmp_path: Path) -> None:
    a = WRITERS[name](out=tmp_path / "a", rows=300, seed=7)
    b = WRITERS[name](out=tmp_path / "b", rows=300, seed=7)
    c = WRITERS[name](out=tmp_path / "c", rows=300, seed=8)
    assert _digest(a) == _digest(b) != _digest(c)


@pytest.mark.parametrize(("name", "rows"), [("mixpanel-events", 10), ("segment-s3", 9)])
def test_event_writers_write_exactly_rows_events(name: str, rows: int, tmp_path: Path) -> None:
    files = WRITERS[name](out=tmp_path, rows=rows, seed=0)
    assert sum(c.batch.num_rows for s in open_sources(files[0]) for c in s.chunks()) == rows


def test_synth_cli_vendor_option(tmp_path: Path) -> None:
    from breachscope.cli import cli

    result = CliRunner().invoke(
        cli, ["synth", "--rows", "150", "--out", str(tmp_path), "--vendor", "mixpanel-events"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "mixpanel" / "export.jsonl").exists()
