"""Fixtures for the vendor-layout tests: hand-written exports under ``fixtures/``."""

from __future__ import annotations

import gzip
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from breachscope.readers import open_sources

FIXTURES = Path(__file__).parent / "fixtures"


def first_batch(path: Path) -> tuple[str, pa.RecordBatch]:
    """The source name and first batch of the first table in ``path``, through the real readers."""
    src = open_sources(path)[0]
    chunk = next(iter(src.chunks()))
    return src.name, chunk.batch


def amplitude_zip(tmp: Path) -> Path:
    """An Export API response: a zip of gzipped JSON files, built from the hand-written file."""
    raw = (FIXTURES / "amplitude" / "187520_2025-11-09_8#0.json").read_bytes()
    out = tmp / "amplitude-export.zip"
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("187520/187520_2025-11-09_8#0.json.gz", gzip.compress(raw, mtime=0))
    return out


def amplitude_gz(tmp: Path) -> Path:
    out = tmp / "187520_2025-11-09_8#0.json.gz"
    out.write_bytes(gzip.compress((FIXTURES / "amplitude" / "187520_2025-11-09_8#0.json").read_bytes()))
    return out


def posthog_parquet(tmp: Path, name: str) -> Path:
    """A PostHog Parquet batch export: properties kept as JSON text, as PostHog writes them."""
    rows = [json.loads(line) for line in (FIXTURES / "posthog" / f"{name}.jsonl").read_text().splitlines()]
    for row in rows:
        for key in ("properties", "person_properties"):
            if key in row:
                row[key] = json.dumps(row[key])
    out = tmp / f"{name}.parquet"
    pq.write_table(pa.Table.from_pylist(rows), out)
    return out


def segment_s3_gz(tmp: Path) -> Path:
    """An S3 log object: segment-logs/<source>/<day>/<file>.gz holding JSONL."""
    folder = tmp / "segment-logs" / "src-EXAMPLE" / "1762646400"
    folder.mkdir(parents=True)
    out = folder / "1762675200000.log.jsonl.gz"
    out.write_bytes(gzip.compress((FIXTURES / "segment" / "s3_log.jsonl").read_bytes()))
    return out


BUILT: dict[str, Callable[[Path], Path]] = {
    "amplitude/export.zip": amplitude_zip,
    "amplitude/events.json.gz": amplitude_gz,
    "posthog/events.parquet": lambda t: posthog_parquet(t, "events"),
    "posthog/persons.parquet": lambda t: posthog_parquet(t, "persons"),
    "segment/s3_log.jsonl.gz": segment_s3_gz,
}


@pytest.fixture
def fixture_path(tmp_path: Path) -> Callable[[str], Path]:
    """``fixture_path("mixpanel/events.jsonl")``: a hand-written fixture (built ones in tmp)."""

    def get(name: str) -> Path:
        if name in BUILT:
            return BUILT[name](tmp_path)
        return FIXTURES / name

    return get


@pytest.fixture
def read_first() -> Callable[[Path], tuple[str, pa.RecordBatch]]:
    return first_batch
