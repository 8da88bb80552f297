"""Scan throughput and memory against a plain pyarrow read of the same file (issue 2).

Generates a Mixpanel-style people leak once (1M rows; 100k with --quick) as CSV, JSONL and
Parquet, then measures side by side, each in its own subprocess so each has its own peak RSS:

- plain read: pyarrow.csv.read_csv / pyarrow.json.read_json / pyarrow.parquet.read_table
- full scan: breachscope.scan.scan_files([path]) (all detectors, every value)

and reports rows/s, MB/s, peak RSS and the ratio scan/plain (target <= 4x). Without --quick it
also scans a 10M-row CSV (about 3 GB) with the target peak RSS < 1 GB.

    python -m benchmarks.scan --work bench-out/work/scan [--quick]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

FORMATS = ("csv", "jsonl", "parquet")
RATIO_TARGET = 4.0
RSS_TARGET_MB = 1024.0


def _dataset(work: Path, rows: int, formats: tuple[str, ...]) -> Path:
    """The generated leak for ``rows``, reused across runs (a marker file says it is complete)."""
    from breachscope.synth import generate

    folder = work / f"people-{rows}"
    marker = folder / ".complete"
    want = ",".join(formats)
    if not marker.exists() or marker.read_text() != want:
        started = time.perf_counter()
        generate(rows, folder, seed=0, formats=formats)
        marker.write_text(want)
        print(f"generated {rows:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return folder


def _measure_child(kind: str, path: Path) -> dict[str, Any]:
    """Runs in the subprocess: one plain read, one scan or one generation, timed."""
    from benchmarks.common import peak_rss_mb

    started = time.perf_counter()
    if kind.startswith("synth:"):
        import shutil

        from breachscope.synth import generate

        rows = int(kind.split(":")[1])
        generate(rows, path, seed=1, needles=True)
        shutil.rmtree(path)
    elif kind == "plain":
        if path.suffix == ".csv":
            import pyarrow.csv as pacsv

            rows = pacsv.read_csv(path).num_rows
        elif path.suffix == ".jsonl":
            import pyarrow.json as pajson

            rows = pajson.read_json(path).num_rows
        else:
            import pyarrow.parquet as pq

            rows = pq.read_table(path).num_rows
    else:
        from breachscope.scan import scan_files

        report = scan_files([path])
        rows = report.rows_examined
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "peak_rss_mb": peak_rss_mb()}


def _measure(kind: str, path: Path) -> dict[str, Any]:
    from benchmarks.common import measure_in_child

    return measure_in_child("benchmarks.scan", kind, path)


def _rows_for(label: str, path: Path, rows: int, result: dict[str, Any]) -> list[dict[str, Any]]:
    from benchmarks.common import row

    mb = path.stat().st_size / 1e6
    s = result["seconds"]
    return [
        row(f"{label} time", round(s, 3), "s", rows=rows, file_mb=round(mb, 1)),
        row(f"{label} rows/s", round(rows / s), "rows/s"),
        row(f"{label} MB/s", round(mb / s, 1), "MB/s"),
        row(f"{label} peak RSS", round(result["peak_rss_mb"], 1), "MiB"),
    ]


def main() -> None:
    from benchmarks.common import emit, parse_args, row

    args = parse_args(__doc__ or "scan benchmark")
    rows = 100_000 if args.quick else 1_000_000
    folder = _dataset(args.work, rows, FORMATS)
    out: list[dict[str, Any]] = []
    for fmt in FORMATS:
        path = folder / f"people.{fmt}"
        plain = _measure("plain", path)
        scan = _measure("scan", path)
        ratio = scan["seconds"] / plain["seconds"]
        print(f"{fmt}: plain {plain['seconds']:.2f} s, scan {scan['seconds']:.2f} s", file=sys.stderr)
        out += _rows_for(f"{fmt} {rows:,} plain read", path, rows, plain)
        out += _rows_for(f"{fmt} {rows:,} scan", path, rows, scan)
        out.append(
            row(
                f"{fmt} {rows:,} scan / plain read",
                round(ratio, 2),
                "x",
                target=f"<= {RATIO_TARGET:g}x",
                passed=ratio <= RATIO_TARGET,
            )
        )
    gen_rows = 200_000 if args.quick else 1_000_000
    gen = _measure(f"synth:{gen_rows}", args.work / "synth-timing")
    per_10m = gen["seconds"] * 10_000_000 / gen_rows
    out += [
        row(f"synth {gen_rows:,} rows (3 formats + directory) time", round(gen["seconds"], 2), "s"),
        row(f"synth {gen_rows:,} rows/s", round(gen_rows / gen["seconds"]), "rows/s"),
        row(f"synth {gen_rows:,} peak RSS", round(gen["peak_rss_mb"], 1), "MiB"),
        row(
            "synth 10,000,000 rows, extrapolated",
            round(per_10m, 1),
            "s",
            target="minutes (< 600 s)",
            passed=per_10m < 600,
        ),
    ]
    if not args.quick:
        big_rows = 10_000_000
        big = _dataset(args.work, big_rows, ("csv",)) / "people.csv"
        scan = _measure("scan", big)
        out += _rows_for(f"csv {big_rows:,} scan", big, big_rows, scan)[:3]  # RSS: the target row
        peak = scan["peak_rss_mb"]
        out.append(
            row(
                f"csv {big_rows:,} scan peak RSS",
                round(peak, 1),
                "MiB",
                target=f"< {RSS_TARGET_MB:g} MiB",
                passed=peak < RSS_TARGET_MB,
            )
        )
    emit(out)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(_measure_child(sys.argv[2], Path(sys.argv[3]))), flush=True)
    else:
        main()
