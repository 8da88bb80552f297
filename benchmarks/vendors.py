"""Vendor-path throughput: a 1M-event Mixpanel JSONL export and a 1M-call Segment batch file.

For each file, measured side by side in one run:

- ``plain read``: ``pyarrow.json.read_json`` of the whole file (the baseline, as for the generic
  scan in ``benchmarks/scan.py``);
- ``vendor layer``: the breachscope readers plus ``recognise`` and the layout's ``transform`` on
  every batch (what the vendor path adds before detection);
- ``scan``: the full scan (``breachscope.scan.scan_files``, vendor recognition on; when the engine is
  installed), and its ratio to the plain read (target: at most 4x, as for the generic scan);
- ``people``: ``person_fields`` (per-person field sets) over the whole file.

    python -m benchmarks.vendors [--quick] [--work DIR]     # --quick: 100k instead of 1M
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.json as pajson

from benchmarks.common import emit, parse_args, peak_rss_mb, row
from breachscope.exposures.people import person_fields
from breachscope.hashing import new_key
from breachscope.readers import open_sources
from breachscope.synth.vendors import WRITERS
from breachscope.vendors import recognise

TARGET_RATIO = 4.0


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _vendor_layer(path: Path) -> tuple[int, str]:
    rows = 0
    chosen = "generic"
    for src in open_sources(path):
        match = None
        for i, chunk in enumerate(src.chunks()):
            batch = chunk.batch
            if i == 0:
                match = recognise(batch.schema.names, source_name=src.name)
                chosen = f"{match.vendor}/{match.layout}" if match else "generic"
            if match is not None and match.transform is not None:
                batch = match.transform(batch)
            rows += batch.num_rows
    return rows, chosen


def _engine_scan() -> Callable[[Path], Any] | None:
    """The scan engine's library entry point (vendor recognition on), if this checkout has it."""
    try:
        module = importlib.import_module("breachscope.scan")
    except ImportError:
        return None
    scan_files = getattr(module, "scan_files", None)
    if not callable(scan_files):
        return None
    return lambda path: scan_files([path])


def _measure(label: str, path: Path, rows_expected: int) -> list[dict[str, Any]]:
    size_mb = path.stat().st_size / 2**20
    plain_s, table = _timed(lambda: pajson.read_json(path))
    plain_rows = table.num_rows
    del table
    layer_s, (rows, chosen) = _timed(lambda: _vendor_layer(path))
    people_s, summary = _timed(lambda: person_fields(open_sources(path), key=new_key(), memory_limit="2GB"))
    out = [
        row(f"{label}: plain pyarrow read", round(plain_s, 2), "s", rows=plain_rows, mb=round(size_mb, 1)),
        row(
            f"{label}: readers + recognise + transform",
            round(layer_s, 2),
            "s",
            rows=rows,
            layout=chosen,
            ratio=round(layer_s / plain_s, 2),
            rows_per_s=round(rows / layer_s),
        ),
        row(
            f"{label}: person_fields",
            round(people_s, 2),
            "s",
            people=summary.people,
            rows=summary.rows,
            ratio=round(people_s / plain_s, 2),
        ),
    ]
    scan = _engine_scan()
    if scan is not None:
        scan_s, _ = _timed(lambda: scan(path))
        ratio = scan_s / plain_s
        out.append(
            row(
                f"{label}: full scan, vendor path (ratio to plain read)",
                round(ratio, 2),
                "x",
                target=f"<= {TARGET_RATIO:g}x",
                passed=ratio <= TARGET_RATIO,
                seconds=round(scan_s, 2),
                rows_per_s=round(rows_expected / scan_s),
                mb_per_s=round(size_mb / scan_s, 1),
            )
        )
    return out


def main() -> None:
    args = parse_args(__doc__ or "")
    n = 100_000 if args.quick else 1_000_000
    work: Path = args.work / f"n{n}"
    mixpanel = work / "mixpanel" / "export.jsonl"
    segment = work / "segment" / "batch.jsonl"
    if not mixpanel.exists():
        WRITERS["mixpanel-events"](out=work, rows=n, seed=0)
    if not segment.exists():
        WRITERS["segment-batch"](out=work, rows=n, seed=0)
    rows = _measure("mixpanel events JSONL", mixpanel, n) + _measure("segment batch JSONL", segment, n)
    rows.append(row("peak RSS", round(peak_rss_mb(), 1), "MiB"))
    emit(rows)


if __name__ == "__main__":
    main()
